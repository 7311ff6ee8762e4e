//! The HTTP client Gerbang calls out with (upstream identity providers, apps' back-channel
//! logout endpoints): rustls with the system's roots and, where the operator names one, a
//! private CA beside them; no redirects followed; every request bounded in time.

use std::path::Path;
use std::time::Duration;

/// A client trusting the system's roots and the PEM bundle at `ca`, if given.
pub fn client(ca: Option<&Path>, timeout: Duration) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout);
    if let Some(path) = ca {
        let unusable = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
        let pem = std::fs::read(path).map_err(|e| unusable(&e))?;
        for cert in reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| unusable(&e))? {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder.build().map_err(|e| e.to_string())
}
