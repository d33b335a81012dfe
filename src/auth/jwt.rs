//! Access tokens: Supabase-compatible HS256 JWTs, optionally also RS256/ES256 from a public key.
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
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
}

/// Signing and verification keys.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    public: Option<(Algorithm, DecodingKey)>,
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
        Ok(Self { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret), public })
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
        };
        Ok((self.sign(&claims)?, claims.exp))
    }

    /// Verifies signature, algorithm, expiry, audience and role; any failure is `UNAUTHENTICATED`.
    pub fn verify(&self, token: &str) -> AppResult<Viewer> {
        self.verify_until(token).map(|(viewer, _)| viewer)
    }

    /// Like [`Self::verify`], with the token's expiry (`exp`, seconds since the epoch).
    pub fn verify_until(&self, token: &str) -> AppResult<(Viewer, i64)> {
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
                let session_id = claims.session_id.as_deref().and_then(|s| Uuid::parse_str(s).ok());
                Ok((Viewer::User { id, session_id, may_act_for_clients: true }, claims.exp))
            }
            // Supabase's service key carries no audience; when one is present it must be ours.
            "service_role" if claims.aud.as_ref().is_none_or(audience_ok) => Ok((Viewer::Service, claims.exp)),
            _ => Err(AppError::Unauthenticated),
        }
    }
}
