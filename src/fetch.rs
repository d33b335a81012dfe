//! Polite HTTP fetching of other people's servers (feeds): a timeout, a cap on the size read,
//! conditional requests (`ETag` / `Last-Modified`) and, per host, at most one request per
//! `CRAWL_HOST_INTERVAL_MS` from this instance (a GCRA limiter keyed by host).
use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota};
use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};

use crate::config::Config;

/// What the server said last time, sent back so that it may answer "not modified".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A fetch's answer.
#[derive(Debug)]
pub enum Fetched {
    /// HTTP 304: nothing changed since `Validators`.
    NotModified,
    /// The body, with the validators for next time.
    Body { bytes: Vec<u8>, validators: Validators },
}

/// Why a fetch failed, in words fit to show the source's owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError(pub String);

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub struct Fetcher {
    client: reqwest::Client,
    hosts: DefaultKeyedRateLimiter<String>,
    max_bytes: usize,
}

impl Fetcher {
    pub fn from_config(config: &Config) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.crawl_timeout.max(1)))
            .connect_timeout(Duration::from_secs(config.crawl_timeout.clamp(1, 10)))
            .redirect(reqwest::redirect::Policy::limited(5))
            .user_agent(concat!("CreatorPulse/", env!("CARGO_PKG_VERSION"), " (feed reader)"))
            .build()
            .map_err(|err| format!("the feed client cannot start: {err}"))?;
        let interval = Duration::from_millis(config.crawl_host_interval_ms.max(1));
        let quota = Quota::with_period(interval).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN));
        Ok(Self { client, hosts: DefaultKeyedRateLimiter::keyed(quota), max_bytes: config.crawl_max_bytes })
    }

    /// GETs `url`, waiting first for the host's turn.
    pub async fn get(&self, url: &str, validators: &Validators) -> Result<Fetched, FetchError> {
        let parsed = reqwest::Url::parse(url).map_err(|_| FetchError(format!("not a URL: {url}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(FetchError(format!("only http and https are fetched, not {}", parsed.scheme())));
        }
        let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
        self.hosts.until_key_ready(&host).await;
        let mut request = self.client.get(parsed);
        if let Some(etag) = &validators.etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        if let Some(since) = &validators.last_modified {
            request = request.header(IF_MODIFIED_SINCE, since);
        }
        let mut response = request.send().await.map_err(|err| FetchError(describe(&err)))?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if !status.is_success() {
            return Err(FetchError(format!("the server answered HTTP {}", status.as_u16())));
        }
        if response.content_length().is_some_and(|n| n > self.max_bytes as u64) {
            return Err(FetchError(format!("the answer is larger than {} bytes", self.max_bytes)));
        }
        let header = |name| response.headers().get(name).and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok());
        let validators = Validators {
            etag: header(ETAG).map(str::to_owned),
            last_modified: header(LAST_MODIFIED).map(str::to_owned),
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|err| FetchError(describe(&err)))? {
            if bytes.len() + chunk.len() > self.max_bytes {
                return Err(FetchError(format!("the answer is larger than {} bytes", self.max_bytes)));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Fetched::Body { bytes, validators })
    }
}

/// A transport error in words, without the URL (the owner knows it).
fn describe(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        "the server took too long to answer".to_owned()
    } else if err.is_connect() {
        "the server could not be reached".to_owned()
    } else if err.is_redirect() {
        "too many redirects".to_owned()
    } else {
        "the answer broke off".to_owned()
    }
}
