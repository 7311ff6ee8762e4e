//! The few pages the gateway answers itself (errors), and the security headers on them.

use pingora::http::ResponseHeader;

pub const HSTS: &str = "max-age=31536000; includeSubDomains";

/// A small error page, in Indonesian with English beneath.
pub fn error(status: u16) -> String {
    let (id, en) = match status {
        400 => ("Permintaan tidak valid.", "Bad request."),
        403 => (
            "Permintaan ditolak: kirim dari halaman aplikasi ini.",
            "Refused: send it from this application's own page.",
        ),
        404 => ("Halaman tidak ditemukan.", "Page not found."),
        502 => (
            "Layanan tujuan tidak dapat dihubungi.",
            "The service behind this page cannot be reached.",
        ),
        504 => (
            "Layanan tujuan tidak menjawab tepat waktu. Silakan coba lagi.",
            "The service behind this page did not answer in time. Please try again.",
        ),
        _ => (
            "Terjadi kesalahan pada Gerbang.",
            "Something went wrong in the gateway.",
        ),
    };
    page(
        &status.to_string(),
        &format!("<h1>{status}</h1><p>{id}</p><p lang=\"en\">{en}</p>"),
    )
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{title}</title></head><body><main>{body}</main></body></html>"
    )
}

/// The login could not be finished (expired, replayed, refused): start again.
pub fn login_expired() -> String {
    page(
        "Masuk gagal",
        "<h1>Masuk gagal</h1><p>Sesi masuk sudah kedaluwarsa atau tidak valid. <a href=\"/\">Coba lagi</a>.</p>\
<p lang=\"en\">The login expired or is not valid. <a href=\"/\">Try again</a>.</p>",
    )
}

/// Logging out is a POST: a link or an image elsewhere cannot log anyone out.
pub fn logout_confirm(action: &str) -> String {
    page(
        "Keluar",
        &format!(
            "<h1>Keluar</h1><p>Keluar dari semua aplikasi? <span lang=\"en\">Log out of every application?</span></p>\
<form method=\"post\" action=\"{action}\"><button type=\"submit\">Keluar / Log out</button></form>"
        ),
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
