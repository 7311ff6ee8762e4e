//! The security headers on the answers the gateway writes itself. Their pages are the
//! provider's layout (`gerbang_idp::web::gateway_pages`), built per configuration.

use pingora::http::ResponseHeader;

pub const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Headers every answer of ours carries; `csp` is the pages' policy.
pub fn security_headers(header: &mut ResponseHeader, csp: &str, tls: bool) -> pingora::Result<()> {
    header.insert_header("content-security-policy", csp)?;
    header.insert_header("x-frame-options", "DENY")?;
    header.insert_header("x-content-type-options", "nosniff")?;
    header.insert_header("referrer-policy", "no-referrer")?;
    if tls {
        header.insert_header("strict-transport-security", HSTS)?;
    }
    Ok(())
}
