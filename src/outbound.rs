//! Messages leaving the server: email over SMTP (`SMTP_URL`, TLS as the URL says) and signed
//! JSON webhooks (`DELIVERY_WEBHOOK_URL`). Failures come back as words fit to record on the
//! row that asked, never with credentials.
use std::time::Duration;

use hmac::{Hmac, Mac};
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::Sha256;

use crate::config::Config;

/// One email.
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The `List-Unsubscribe` link.
    pub unsubscribe: Option<String>,
}

#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// The mailer `config` describes; `None` without `SMTP_URL`.
    pub fn from_config(config: &Config) -> Result<Option<Self>, String> {
        let Some(url) = &config.smtp_url else { return Ok(None) };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
            .map_err(|_| "SMTP_URL is not a valid smtp:// or smtps:// URL".to_owned())?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from =
            config.smtp_from.parse().map_err(|_| format!("SMTP_FROM is not an address: {}", config.smtp_from))?;
        Ok(Some(Self { transport, from }))
    }

    pub async fn send(&self, email: Email) -> Result<(), String> {
        let to: Mailbox = email.to.parse().map_err(|_| "the account's email address cannot be mailed".to_owned())?;
        let mut builder = Message::builder().from(self.from.clone()).to(to).subject(email.subject);
        if let Some(link) = email.unsubscribe {
            builder = builder.header(ListUnsubscribe(link));
        }
        let message = builder
            .multipart(MultiPart::alternative_plain_html(email.text, email.html))
            .map_err(|_| "the email could not be composed".to_owned())?;
        self.transport.send(message).await.map(|_| ()).map_err(|err| {
            let kind = if err.is_timeout() {
                "timed out".to_owned()
            } else if let Some(code) = err.status() {
                format!("answered {code}")
            } else {
                "could not be reached".to_owned()
            };
            format!("the SMTP server {kind}")
        })
    }
}

/// Signed JSON POSTs to one URL.
pub struct Webhook {
    client: reqwest::Client,
    url: String,
    key: Vec<u8>,
}

impl Webhook {
    /// The webhook `config` describes; `None` without `DELIVERY_WEBHOOK_URL`.
    pub fn from_config(config: &Config) -> Result<Option<Self>, String> {
        let Some(url) = &config.delivery_webhook_url else { return Ok(None) };
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|err| format!("the webhook client cannot start: {err}"))?;
        let key = config.delivery_webhook_secret.as_ref().map(|s| s.expose().as_bytes().to_vec()).unwrap_or_default();
        Ok(Some(Self { client, url: url.clone(), key }))
    }

    /// POSTs `body` with `X-CreatorPulse-Signature: sha256=<hex HMAC-SHA256 of the body>`.
    pub async fn post(&self, body: &serde_json::Value) -> Result<(), String> {
        let bytes = serde_json::to_vec(body).map_err(|_| "the message could not be written".to_owned())?;
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).map_err(|_| "invalid webhook key".to_owned())?;
        mac.update(&bytes);
        let signature: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        let response = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("x-creatorpulse-signature", format!("sha256={signature}"))
            .body(bytes)
            .send()
            .await
            .map_err(
                |err| if err.is_timeout() { "the webhook timed out" } else { "the webhook could not be reached" },
            )?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("the webhook answered HTTP {}", response.status().as_u16()))
        }
    }
}
