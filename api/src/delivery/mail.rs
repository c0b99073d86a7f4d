//! E-mail with lettre: the message (a stable `Message-ID` derived from the outbox id,
//! `Auto-Submitted: auto-generated`, `Content-Language`, a plain-text and an HTML part)
//! and the transport (SMTP from `notifications.smtp_url`, or `.eml` files in a folder
//! when no server is configured).

use super::render::Rendered;
use crate::config::NotificationSettings;
use domain::delivery::{smtp_outcome, AttemptOutcome};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{header::Header, Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use std::path::PathBuf;
use std::time::Duration;

/// `Auto-Submitted: auto-generated` (RFC 3834): auto-responders must not answer.
#[derive(Debug, Clone, PartialEq)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// `Content-Language` (RFC 3282): the language the message is written in.
#[derive(Debug, Clone, PartialEq)]
struct ContentLanguage(String);

impl Header for ContentLanguage {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Language")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ContentLanguage(s.trim().to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// The `Message-ID` of outbox message `id`: the same at every attempt, so a resend is
/// recognisable. `created_micros` (its queueing time) keeps ids of two databases apart.
pub fn message_id(id: i64, created_micros: i64, domain: &str) -> String {
    format!("<outbox.{id}.{created_micros}@{domain}>")
}

/// Builds the e-mail of outbox message `id` for `to`.
///
/// # Errors
/// An address lettre refuses (the citizen's, as stored), as the stable code
/// `invalid_address`.
pub fn build(
    from: &Mailbox,
    reply_to: Option<&Mailbox>,
    to: &str,
    message_id: String,
    rendered: &Rendered,
) -> Result<Message, &'static str> {
    let to: Mailbox = to.parse().map_err(|_| "invalid_address")?;
    let mut builder = Message::builder()
        .message_id(Some(message_id))
        .from(from.clone())
        .to(to)
        .subject(rendered.subject.clone())
        .header(AutoSubmitted)
        .header(ContentLanguage(rendered.lang.as_str().to_owned()));
    if let Some(reply_to) = reply_to {
        builder = builder.reply_to(reply_to.clone());
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            rendered.text.clone(),
            rendered.html.clone(),
        ))
        .map_err(|_| "invalid_message")
}

/// Where e-mails go.
#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// No SMTP server configured: one `.eml` file per message, named by its outbox id
    /// (a resend replaces the file).
    Files(PathBuf),
}

impl Mailer {
    /// The transport of the settings.
    ///
    /// # Errors
    /// An SMTP URL lettre cannot read, or a mail folder that cannot be created.
    pub fn new(settings: &NotificationSettings, mail_dir: PathBuf) -> Result<Self, String> {
        match &settings.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    .map_err(|e| format!("notifications.smtp_url: {e}"))?
                    .timeout(Some(Duration::from_secs(settings.smtp_timeout_secs)))
                    .pool_config(PoolConfig::new().max_size(settings.concurrency.max(1)))
                    .build();
                Ok(Mailer::Smtp(transport))
            }
            None => {
                std::fs::create_dir_all(&mail_dir)
                    .map_err(|e| format!("notifications.mail_dir {}: {e}", mail_dir.display()))?;
                Ok(Mailer::Files(mail_dir))
            }
        }
    }

    /// Sends one message; the outcome classifies failures (SMTP 5xx is permanent).
    pub async fn send(&self, id: i64, message: Message) -> AttemptOutcome {
        match self {
            Mailer::Smtp(transport) => match transport.send(message).await {
                Ok(_) => AttemptOutcome::Delivered,
                Err(e) if e.is_permanent() => smtp_outcome(Some(550)),
                Err(e) if e.is_transient() => smtp_outcome(Some(450)),
                Err(_) => smtp_outcome(None),
            },
            Mailer::Files(dir) => {
                let (path, partial) = (
                    dir.join(format!("{id}.eml")),
                    dir.join(format!(".{id}.eml.partial")),
                );
                let bytes = message.formatted();
                let written = tokio::task::spawn_blocking(move || {
                    std::fs::write(&partial, bytes)?;
                    std::fs::rename(&partial, &path)
                })
                .await;
                match written {
                    Ok(Ok(())) => AttemptOutcome::Delivered,
                    _ => AttemptOutcome::Temporary("mail_dir_unwritable".into()),
                }
            }
        }
    }
}
