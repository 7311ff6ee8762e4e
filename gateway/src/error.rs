//! What can stop the gateway from starting.

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error(transparent)]
    Config(#[from] gerbang_config::ConfigError),
    #[error(transparent)]
    DevCert(#[from] crate::devcert::DevCertError),
    #[error(transparent)]
    Store(#[from] gerbang_idp::store::StoreError),
    #[error("the provider cannot start: {0}")]
    Provider(#[from] gerbang_idp::provider::ProviderError),
    #[error("the gateway cannot act as a relying party: {0}")]
    RelyingParty(#[from] crate::proxy::callback::CallbackError),
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Route(#[from] crate::routes::RouteError),
    #[error(transparent)]
    Mail(#[from] gerbang_idp::mail::MailError),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("the demo cannot start: {0}")]
    Demo(String),
    #[error("cannot upgrade: {0}")]
    Upgrade(String),
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot start a thread: {0}")]
    Thread(std::io::Error),
}
