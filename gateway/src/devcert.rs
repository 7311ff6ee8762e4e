//! Development certificates: a local CA and a certificate it signs for the configured hosts,
//! made on first start when `tls.generate_dev_cert` is on and the files are absent. Never for
//! production (configuration refuses it unless every listener is on loopback).

use std::path::Path;

use gerbang_config::{Config, HostPattern, Tls};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

#[derive(Debug, thiserror::Error)]
pub enum DevCertError {
    #[error("cannot make the development certificate: {0}")]
    Make(#[from] rcgen::Error),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// The names the certificate covers: the provider's host and every route host.
pub fn names(config: &Config) -> Vec<String> {
    let mut names = vec!["localhost".to_string(), config.provider.host.clone()];
    for route in &config.routes {
        let name = match &route.host {
            HostPattern::Exact(h) => h.clone(),
            HostPattern::Wildcard { suffix } => format!("*{suffix}"),
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Makes the certificate if both files are missing. The CA lands beside it as `ca.pem`, for
/// clients (and tests) to trust.
pub fn ensure(tls: &Tls, names: Vec<String>) -> Result<bool, DevCertError> {
    if !tls.generate_dev_cert || tls.cert.exists() || tls.key.exists() {
        return Ok(false);
    }
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Gerbang development CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate()?;
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let mut params = CertificateParams::new(names)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "Gerbang development certificate");
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, &issuer)?;

    let dir = tls.cert.parent().unwrap_or(Path::new("."));
    write(&dir.join("ca.pem"), &ca_cert.pem(), 0o644)?;
    write(
        &tls.cert,
        &format!("{}{}", cert.pem(), ca_cert.pem()),
        0o644,
    )?;
    write(&tls.key, &key.serialize_pem(), 0o600)?;
    Ok(true)
}

fn write(path: &Path, contents: &str, mode: u32) -> Result<(), DevCertError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let fail = |source| DevCertError::Write {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)
        .and_then(|mut f| f.write_all(contents.as_bytes()))
        .map_err(fail)
}
