//! Outgoing mail: the messages Gerbang writes ([`templates`]), the transports that carry them
//! (SMTP through lettre with rustls, over a few reused connections, or a folder of `.eml`
//! files), and the [`worker`] that delivers the durable outbox.
//!
//! Delivery is at least once, made as close to exactly once as the protocol allows: a message
//! is leased before the attempt and removed after the server accepted it. A crash between the
//! server's acceptance and the removal (a window of one store write) sends it again when the
//! lease ends; every copy carries the same `Message-ID`, so mail clients show it once.

pub mod templates;
pub mod worker;

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use gerbang_config::{Mail as MailConfig, MailTransport, Smtp, SmtpSecurity};
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::{AsyncSmtpTransportBuilder, PoolConfig};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::store::Mail;

/// How long one SMTP conversation may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);
/// How many SMTP connections are kept open for reuse: as many as the worker delivers at once.
const SMTP_CONNECTIONS: u32 = worker::DELIVERIES as u32;
/// An open connection unused this long is closed (servers drop idle clients after minutes).
const SMTP_IDLE: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the mail settings are unusable: {0}")]
    Config(String),
    #[error("the message cannot be built: {0}")]
    Message(String),
    #[error("delivery failed: {0}")]
    Delivery(String),
}

/// Where messages go.
pub enum Transport {
    Smtp(SmtpPool),
    Folder(PathBuf),
}

/// An SMTP server reached through a pool of reused connections. The pool is opened at the
/// first delivery, on the runtime that delivers (its idle sweeper is a task of that runtime);
/// the settings were checked when the mailer was made.
pub struct SmtpPool {
    settings: AsyncSmtpTransportBuilder,
    pool: OnceLock<AsyncSmtpTransport<Tokio1Executor>>,
}

impl SmtpPool {
    fn transport(&self) -> &AsyncSmtpTransport<Tokio1Executor> {
        self.pool.get_or_init(|| self.settings.clone().build())
    }
}

pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

impl Mailer {
    pub fn new(config: &MailConfig) -> Result<Mailer, MailError> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| MailError::Config(format!("mail.from: {e}")))?;
        let transport = match &config.transport {
            MailTransport::Folder { path } => Transport::Folder(path.clone()),
            MailTransport::Smtp(smtp) => Transport::Smtp(SmtpPool {
                settings: smtp_settings(smtp)?,
                pool: OnceLock::new(),
            }),
        };
        Ok(Mailer { from, transport })
    }

    /// Hands `mail` to the transport; `Ok` once the server (or the folder) holds it.
    pub async fn deliver(&self, mail: &Mail) -> Result<(), MailError> {
        let message = self.message(mail)?;
        match &self.transport {
            Transport::Smtp(smtp) => smtp
                .transport()
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| MailError::Delivery(e.to_string())),
            Transport::Folder(dir) => write_eml(dir, &mail.id, &message.formatted()).await,
        }
    }

    fn message(&self, mail: &Mail) -> Result<Message, MailError> {
        let to: Mailbox = mail
            .message
            .to
            .parse()
            .map_err(|e| MailError::Message(format!("recipient: {e}")))?;
        let domain = self.from.email.domain().to_string();
        let text = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(mail.message.text.clone());
        let body = match &mail.message.html {
            Some(html) => MultiPart::alternative().singlepart(text).singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(html.clone()),
            ),
            None => MultiPart::mixed().singlepart(text),
        };
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.message.subject.clone())
            .message_id(Some(format!("<{}@{domain}>", mail.id)))
            .multipart(body)
            .map_err(|e| MailError::Message(e.to_string()))
    }
}

/// An SMTP transport as configured: STARTTLS (required, never a silent fall-back to clear
/// text), TLS from the first byte, or clear text (loopback only, checked by the configuration).
fn smtp_settings(smtp: &Smtp) -> Result<AsyncSmtpTransportBuilder, MailError> {
    let config_error = |e: lettre::transport::smtp::Error| MailError::Config(e.to_string());
    let tls = match smtp.security {
        SmtpSecurity::None => Tls::None,
        SmtpSecurity::StartTls | SmtpSecurity::Implicit => {
            let mut parameters = TlsParameters::builder(smtp.host.clone());
            if let Some(ca) = &smtp.ca {
                let pem = std::fs::read(ca).map_err(|e| {
                    MailError::Config(format!("mail.smtp.ca {}: {e}", ca.display()))
                })?;
                let certificate = Certificate::from_pem(&pem).map_err(config_error)?;
                parameters = parameters.add_root_certificate(certificate);
            }
            let parameters = parameters.build_rustls().map_err(config_error)?;
            if smtp.security == SmtpSecurity::Implicit {
                Tls::Wrapper(parameters)
            } else {
                Tls::Required(parameters)
            }
        }
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
        .port(smtp.port)
        .tls(tls)
        .timeout(Some(SMTP_TIMEOUT))
        .pool_config(
            PoolConfig::new()
                .max_size(SMTP_CONNECTIONS)
                .idle_timeout(SMTP_IDLE),
        );
    if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
        builder = builder.credentials(Credentials::new(
            user.clone(),
            password.expose().to_string(),
        ));
    }
    Ok(builder)
}

/// Writes `<id>.eml` whole or not at all (a temporary file renamed into place).
async fn write_eml(dir: &std::path::Path, id: &str, bytes: &[u8]) -> Result<(), MailError> {
    let failed = |e: std::io::Error| MailError::Delivery(format!("{}: {e}", dir.display()));
    tokio::fs::create_dir_all(dir).await.map_err(failed)?;
    let partial = dir.join(format!(".{id}.eml.partial"));
    tokio::fs::write(&partial, bytes).await.map_err(failed)?;
    tokio::fs::rename(&partial, dir.join(format!("{id}.eml")))
        .await
        .map_err(failed)
}
