//! Avatar storage and signed URLs. Each user's avatar is one object, `<userId>/avatar`, in an
//! object store: a local directory by default, any S3-compatible bucket in a build with the
//! `s3` feature. Its URL is short-lived and signed by this server, which serves it itself
//! (`GET /avatars/<userId>?expires=<unix>&sig=<mac>`): the MAC is HMAC-SHA256 over the user and
//! the expiry, keyed with a key derived from the JWT secret, so a URL cannot be forged, moved
//! to another user or extended. Knows the settings only; the profile domain decides who may
//! upload and the transport serves the bytes.
use std::sync::Arc;

use axum::body::Bytes;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt as _, PutPayload};
use sha2::Sha256;
use uuid::Uuid;

use crate::config::Config;

type HmacSha256 = Hmac<Sha256>;

/// The avatar store and the URL signer.
pub struct Avatars {
    store: Arc<dyn ObjectStore>,
    /// Keyed with the URL key; cloned for each MAC.
    signer: HmacSha256,
    /// The largest upload, in bytes.
    pub max_bytes: usize,
    ttl_secs: i64,
    /// Put before each URL's path (no trailing slash); empty: paths on this server.
    base_url: String,
}

impl std::fmt::Debug for Avatars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Avatars").field("store", &self.store.to_string()).finish_non_exhaustive()
    }
}

impl Avatars {
    /// The store configured in `config` (a directory is created when missing), with URLs
    /// signed by a key derived from `secret` (the JWT secret).
    pub fn from_config(config: &Config, secret: &[u8]) -> Result<Self, String> {
        let store = open_store(&config.avatar_store)?;
        // A key of its own: a URL's MAC is never a value that means something elsewhere.
        let mut derive = HmacSha256::new_from_slice(secret).map_err(|_| "invalid JWT secret".to_owned())?;
        derive.update(b"creatorpulse avatar urls v1");
        let key = derive.finalize().into_bytes();
        let signer = HmacSha256::new_from_slice(&key).map_err(|_| "invalid avatar URL key".to_owned())?;
        Ok(Self {
            store,
            signer,
            max_bytes: config.avatar_max_bytes,
            ttl_secs: i64::try_from(config.avatar_url_ttl_minutes.saturating_mul(60)).unwrap_or(i64::MAX),
            base_url: config.avatar_base_url.as_deref().unwrap_or_default().trim_end_matches('/').to_owned(),
        })
    }

    fn path(user: Uuid) -> Path {
        Path::from(format!("{user}/avatar"))
    }

    /// Stores `bytes` as `user`'s avatar, replacing any other (atomically: a reader sees the
    /// old bytes or the new ones).
    pub async fn put(&self, user: Uuid, bytes: Vec<u8>) -> object_store::Result<()> {
        self.store.put(&Self::path(user), PutPayload::from(bytes)).await.map(|_| ())
    }

    /// `user`'s avatar, `None` when none is stored.
    pub async fn get(&self, user: Uuid) -> object_store::Result<Option<Bytes>> {
        match self.store.get(&Self::path(user)).await {
            Ok(found) => found.bytes().await.map(Some),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Deletes `user`'s avatar; nothing to delete is no error.
    pub async fn delete(&self, user: Uuid) -> object_store::Result<()> {
        match self.store.delete(&Self::path(user)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// The URL of `user`'s avatar, valid from `now` (Unix seconds) for the configured lifetime.
    pub fn url(&self, user: Uuid, now: i64) -> String {
        format!("{}{}", self.base_url, self.signed_path(user, now.saturating_add(self.ttl_secs)))
    }

    /// The path and query of `user`'s avatar, valid until `expires` (Unix seconds).
    pub fn signed_path(&self, user: Uuid, expires: i64) -> String {
        let sig = URL_SAFE_NO_PAD.encode(self.mac(user, expires).finalize().into_bytes());
        format!("/avatars/{user}?expires={expires}&sig={sig}")
    }

    /// Whether `sig` is this server's signature of `user` and `expires`, and `expires` has not
    /// passed at `now`. The comparison takes the same time wherever the signatures differ.
    pub fn verify(&self, user: Uuid, expires: i64, sig: &str, now: i64) -> bool {
        let Ok(sig) = URL_SAFE_NO_PAD.decode(sig) else { return false };
        let genuine = self.mac(user, expires).verify_slice(&sig).is_ok();
        genuine && now <= expires
    }

    /// The URL's remaining lifetime at `now`, in seconds (for `Cache-Control`).
    pub fn remaining(expires: i64, now: i64) -> i64 {
        expires.saturating_sub(now).max(0)
    }

    fn mac(&self, user: Uuid, expires: i64) -> HmacSha256 {
        let mut mac = self.signer.clone();
        mac.update(b"avatar\0");
        mac.update(user.as_bytes());
        mac.update(&expires.to_be_bytes());
        mac
    }
}

/// The store at `location`: `s3://bucket[/prefix]`, or a directory (`file://` optional).
fn open_store(location: &str) -> Result<Arc<dyn ObjectStore>, String> {
    if let Some(bucket) = location.strip_prefix("s3://") {
        return s3(bucket);
    }
    let dir = location.strip_prefix("file://").unwrap_or(location);
    std::fs::create_dir_all(dir).map_err(|err| format!("cannot create the avatar directory `{dir}`: {err}"))?;
    let store = LocalFileSystem::new_with_prefix(dir)
        .map_err(|err| format!("cannot open the avatar directory `{dir}`: {err}"))?
        // A user's folder goes with their avatar.
        .with_automatic_cleanup(true);
    Ok(Arc::new(store))
}

/// An S3 bucket (and a prefix in it), with credentials, region and endpoint from the `AWS_*`
/// environment variables (`AWS_ENDPOINT` and `AWS_ALLOW_HTTP` for other S3-compatible stores).
#[cfg(feature = "s3")]
fn s3(location: &str) -> Result<Arc<dyn ObjectStore>, String> {
    use object_store::aws::AmazonS3Builder;
    use object_store::prefix::PrefixStore;

    let (bucket, prefix) = location.split_once('/').unwrap_or((location, ""));
    let store = AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .build()
        .map_err(|err| format!("cannot open the avatar bucket `{bucket}`: {err}"))?;
    let prefix = prefix.trim_matches('/');
    Ok(match prefix.is_empty() {
        true => Arc::new(store),
        false => Arc::new(PrefixStore::new(store, prefix)),
    })
}

#[cfg(not(feature = "s3"))]
fn s3(_: &str) -> Result<Arc<dyn ObjectStore>, String> {
    Err("AVATAR_STORE names an S3 bucket, but this build has no S3 support (build with `--features s3`)".into())
}
