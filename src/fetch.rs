//! Polite HTTP fetching of other people's servers (feeds): a timeout, a cap on the size read,
//! conditional requests (`ETag` / `Last-Modified`) and, per host, at most one request per
//! `CRAWL_HOST_INTERVAL_MS` from this instance (a GCRA limiter keyed by host).
//!
//! The URLs come from users, so by default only public addresses are fetched: a name that
//! resolves to a loopback, private, link-local or other non-public address (the database, a
//! cloud's metadata service) is refused, directly or through a redirect
//! (`CRAWL_ALLOW_PRIVATE_HOSTS` lifts this, for a private network of feeds).
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
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
    private_allowed: bool,
}

/// Whether `ip` is an address of the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0)
                || (a == 198 && (18..20).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80
                    || first == 0x2001 && v6.segments()[1] == 0x0db8)
            }
        },
    }
}

/// Resolves names to their public addresses only.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(Box::new(FetchError(NOT_PUBLIC.to_owned())) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

const NOT_PUBLIC: &str = "the host is not on the public internet";

impl std::error::Error for FetchError {}

/// Whether a URL names its host by an address that is not public.
fn private_literal(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    host.parse::<IpAddr>().is_ok_and(|ip| !is_public(ip))
}

impl Fetcher {
    pub fn from_config(config: &Config) -> Result<Self, String> {
        let private_allowed = config.crawl_allow_private_hosts;
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 5 {
                attempt.error(FetchError("too many redirects".to_owned()))
            } else if !private_allowed && private_literal(attempt.url()) {
                attempt.error(FetchError(NOT_PUBLIC.to_owned()))
            } else {
                attempt.follow()
            }
        });
        let mut client = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.crawl_timeout.max(1)))
            .connect_timeout(Duration::from_secs(config.crawl_timeout.clamp(1, 10)))
            .redirect(redirects)
            .user_agent(concat!("CreatorPulse/", env!("CARGO_PKG_VERSION"), " (feed reader)"));
        if !private_allowed {
            client = client.dns_resolver(Arc::new(PublicOnly));
        }
        let client = client.build().map_err(|err| format!("the feed client cannot start: {err}"))?;
        let interval = Duration::from_millis(config.crawl_host_interval_ms.max(1));
        let quota = Quota::with_period(interval).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN));
        Ok(Self {
            client,
            hosts: DefaultKeyedRateLimiter::keyed(quota),
            max_bytes: config.crawl_max_bytes,
            private_allowed,
        })
    }

    /// GETs `url`, waiting first for the host's turn.
    pub async fn get(&self, url: &str, validators: &Validators) -> Result<Fetched, FetchError> {
        let parsed = reqwest::Url::parse(url).map_err(|_| FetchError(format!("not a URL: {url}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(FetchError(format!("only http and https are fetched, not {}", parsed.scheme())));
        }
        if !self.private_allowed && private_literal(&parsed) {
            return Err(FetchError(NOT_PUBLIC.to_owned()));
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
    // A refusal of ours (a non-public address, too many redirects) says itself.
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(ours) = cause.downcast_ref::<FetchError>() {
            return ours.0.clone();
        }
        source = cause.source();
    }
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

#[cfg(test)]
mod tests {
    use super::is_public;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }
}
