//! Access tokens: Supabase-compatible HS256 JWTs, optionally also RS256/ES256 from a public key.
use std::num::NonZeroUsize;
use std::sync::Mutex;

use chrono::Utc;
use entity::enums::Role;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use lru::LruCache;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Viewer;
use crate::error::{AppError, AppResult};

/// The audience of user tokens, as Supabase sets it.
pub const AUDIENCE: &str = "authenticated";
/// Clock skew tolerated on `exp`, in seconds.
const LEEWAY_SECS: u64 = 30;

/// The claims this server reads and writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<serde_json::Value>,
    pub exp: i64,
    #[serde(default)]
    pub iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The issuer: none on this server's tokens; a configured external issuer's own sessions
    /// are its to end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
}

/// How many verified tokens are remembered, and the longest token remembered.
const VERIFIED_CAPACITY: usize = 4096;
const VERIFIED_MAX_BYTES: usize = 2048;

/// Signing and verification keys, and the tokens verified lately: a client sends the same
/// token with every request, and checking its signature and claims again each time is most of
/// what authentication costs. A remembered token is still refused once it expires.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    public: Option<(Algorithm, DecodingKey)>,
    /// Issuers (`iss`) of user tokens signed with the same keys whose sessions are their own,
    /// such as a Supabase project's auth URL.
    external_issuers: Vec<String>,
    verified: Mutex<LruCache<String, (Viewer, i64)>>,
}

impl JwtKeys {
    /// Keys from the HS256 secret (at least 32 bytes) and an optional PEM public key.
    pub fn new(secret: &[u8], public_pem: Option<&str>) -> Result<Self, String> {
        if secret.len() < 32 {
            return Err("the JWT secret must be at least 32 bytes".into());
        }
        let public = match public_pem {
            None => None,
            Some(pem) => Some(
                DecodingKey::from_rsa_pem(pem.as_bytes())
                    .map(|k| (Algorithm::RS256, k))
                    .or_else(|_| DecodingKey::from_ec_pem(pem.as_bytes()).map(|k| (Algorithm::ES256, k)))
                    .map_err(|_| "the JWT public key is neither an RSA nor an EC PEM key".to_owned())?,
            ),
        };
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            public,
            external_issuers: Vec::new(),
            verified: Mutex::new(LruCache::new(NonZeroUsize::new(VERIFIED_CAPACITY).unwrap_or(NonZeroUsize::MIN))),
        })
    }

    /// Also accepts user tokens of these issuers (`iss`), with sessions of their own.
    pub fn with_external_issuers(mut self, issuers: &[String]) -> Self {
        self.external_issuers = issuers.iter().map(|i| i.trim().trim_end_matches('/').to_owned()).collect();
        self
    }

    /// Signs `claims` with HS256.
    pub fn sign(&self, claims: &Claims) -> AppResult<String> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding).map_err(|err| {
            tracing::error!(error = %err, "cannot sign a token");
            AppError::Internal
        })
    }

    /// A user's access token for `session_id`, valid for `ttl_secs`.
    pub fn user_token(&self, user_id: Uuid, email: &str, session_id: Uuid, ttl_secs: i64) -> AppResult<(String, i64)> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: Some(user_id.to_string()),
            role: "authenticated".into(),
            aud: Some(AUDIENCE.into()),
            exp: now + ttl_secs,
            iat: now,
            email: Some(email.to_owned()),
            session_id: Some(session_id.to_string()),
            iss: None,
        };
        Ok((self.sign(&claims)?, claims.exp))
    }

    /// Verifies signature, algorithm, expiry, audience and role; any failure is `UNAUTHENTICATED`.
    pub fn verify(&self, token: &str) -> AppResult<Viewer> {
        self.verify_until(token).map(|(viewer, _)| viewer)
    }

    /// Like [`Self::verify`], with the token's expiry (`exp`, seconds since the epoch).
    pub fn verify_until(&self, token: &str) -> AppResult<(Viewer, i64)> {
        self.verify_at(token, Utc::now().timestamp())
    }

    /// Verifies `token` at `now`: a token verified before is only checked for expiry.
    fn verify_at(&self, token: &str, now: i64) -> AppResult<(Viewer, i64)> {
        let remembered = self.verified.lock().ok().and_then(|mut verified| verified.get(token).cloned());
        if let Some((viewer, exp)) = remembered {
            return match now <= exp.saturating_add(LEEWAY_SECS as i64) {
                true => Ok((viewer, exp)),
                false => Err(AppError::Unauthenticated),
            };
        }
        let (viewer, exp) = self.decode(token)?;
        if token.len() <= VERIFIED_MAX_BYTES
            && let Ok(mut verified) = self.verified.lock()
        {
            verified.put(token.to_owned(), (viewer.clone(), exp));
        }
        Ok((viewer, exp))
    }

    /// Checks signature, algorithm, expiry, audience and role.
    fn decode(&self, token: &str) -> AppResult<(Viewer, i64)> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AppError::Unauthenticated)?;
        let key = match (&self.public, header.alg) {
            (_, Algorithm::HS256) => &self.decoding,
            (Some((alg, key)), got) if *alg == got => key,
            _ => return Err(AppError::Unauthenticated),
        };
        let mut validation = Validation::new(header.alg);
        validation.leeway = LEEWAY_SECS;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp"]);
        let claims =
            jsonwebtoken::decode::<Claims>(token, key, &validation).map_err(|_| AppError::Unauthenticated)?.claims;
        let audience_ok = |aud: &serde_json::Value| match aud {
            serde_json::Value::String(s) => s == AUDIENCE,
            serde_json::Value::Array(items) => items.iter().any(|a| a == AUDIENCE),
            _ => false,
        };
        match claims.role.as_str() {
            "authenticated" => {
                if !claims.aud.as_ref().is_some_and(audience_ok) {
                    return Err(AppError::Unauthenticated);
                }
                let id =
                    claims.sub.as_deref().and_then(|s| Uuid::parse_str(s).ok()).ok_or(AppError::Unauthenticated)?;
                // This server's tokens name one of its sessions, which must be live; an external
                // issuer's sessions are its own to end (only the account is checked).
                let session_id = match claims.iss.as_deref().map(|iss| iss.trim_end_matches('/')) {
                    None => claims.session_id.as_deref().and_then(|s| Uuid::parse_str(s).ok()),
                    Some(iss) if self.external_issuers.iter().any(|known| known == iss) => None,
                    Some(_) => return Err(AppError::Unauthenticated),
                };
                Ok((Viewer::User { id, session_id, may_act_for_clients: true, role: Role::Member }, claims.exp))
            }
            // Supabase's service key carries no audience; when one is present it must be ours.
            "service_role" if claims.aud.as_ref().is_none_or(audience_ok) => Ok((Viewer::Service, claims.exp)),
            // Supabase's anon key, which its clients send while signed out: the anonymous caller.
            "anon" => Ok((Viewer::Anonymous, claims.exp)),
            _ => Err(AppError::Unauthenticated),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"unit-test-secret-0123456789abcdef-0123456789";

    #[test]
    fn a_remembered_token_still_expires() {
        let keys = JwtKeys::new(SECRET, None).expect("keys");
        let (user, session) = (Uuid::new_v4(), Uuid::new_v4());
        let (token, exp) = keys.user_token(user, "a@example.com", session, 60).expect("token");

        let first = keys.verify_until(&token).expect("a fresh token verifies");
        let remembered = keys.verify_at(&token, exp).expect("and is remembered");
        let past_leeway = keys.verify_at(&token, exp + LEEWAY_SECS as i64 + 1);

        assert_eq!(
            first,
            (Viewer::User { id: user, session_id: Some(session), may_act_for_clients: true, role: Role::Member }, exp)
        );
        assert_eq!(remembered, first);
        assert!(matches!(past_leeway, Err(AppError::Unauthenticated)));
    }

    #[test]
    fn a_token_that_fails_is_not_remembered_and_a_forged_one_is_not_taken_for_it() {
        let keys = JwtKeys::new(SECRET, None).expect("keys");
        let other = JwtKeys::new(b"another-secret-0123456789abcdef-0123456789ab", None).expect("keys");
        let (forged, _) = other.user_token(Uuid::new_v4(), "b@example.com", Uuid::new_v4(), 60).expect("token");
        let (token, _) = keys.user_token(Uuid::new_v4(), "c@example.com", Uuid::new_v4(), 60).expect("token");
        keys.verify(&token).expect("verifies");
        let tampered = format!("{}x", token);

        assert!(keys.verify(&forged).is_err());
        assert!(keys.verify(&forged).is_err(), "still refused the second time");
        assert!(keys.verify(&tampered).is_err());
    }
}
