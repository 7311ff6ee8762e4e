//! The few pages the gateway answers itself (errors), and the security headers on them.

use pingora::http::ResponseHeader;

pub const HSTS: &str = "max-age=31536000; includeSubDomains";

/// A small error page, in Indonesian with English beneath.
pub fn error(status: u16) -> String {
    let (id, en) = match status {
        400 => ("Permintaan tidak valid.", "Bad request."),
        404 => ("Halaman tidak ditemukan.", "Page not found."),
        502 => (
            "Layanan tujuan tidak dapat dihubungi.",
            "The service behind this page cannot be reached.",
        ),
        _ => (
            "Terjadi kesalahan pada Gerbang.",
            "Something went wrong in the gateway.",
        ),
    };
    format!(
        "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{status}</title></head>\
<body><main><h1>{status}</h1><p>{id}</p><p lang=\"en\">{en}</p></main></body></html>"
    )
}

/// Headers every page of ours carries.
pub fn security_headers(header: &mut ResponseHeader, tls: bool) -> pingora::Result<()> {
    header.insert_header(
        "content-security-policy",
        "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'",
    )?;
    header.insert_header("x-frame-options", "DENY")?;
    header.insert_header("x-content-type-options", "nosniff")?;
    header.insert_header("referrer-policy", "no-referrer")?;
    if tls {
        header.insert_header("strict-transport-security", HSTS)?;
    }
    Ok(())
}
