//! Secrets at rest (platform access and refresh tokens): AES-256-GCM with a key ring; and
//! signed links ([`LinkSigner`]).
//!
//! A sealed value is `v1:<key id>:<base64(nonce || ciphertext)>`. The first key encrypts; every key
//! decrypts, so a new key can be put first while old values stay readable.
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::{AppError, AppResult};

pub struct Cipher {
    keys: Vec<(String, Aes256Gcm)>,
}

impl Cipher {
    /// Parses `id:base64key,id:base64key`; `None` makes a random key for this process only.
    pub fn from_config(spec: Option<&str>) -> Result<Self, String> {
        let Some(spec) = spec.filter(|s| !s.trim().is_empty()) else {
            let key = Aes256Gcm::generate_key(OsRng);
            return Ok(Self { keys: vec![("ephemeral".into(), Aes256Gcm::new(&key))] });
        };
        let mut keys = Vec::new();
        for item in spec.split(',') {
            let (id, b64) = item.trim().split_once(':').ok_or("ENCRYPTION_KEYS entries are `id:base64key`")?;
            let bytes = STANDARD.decode(b64).map_err(|_| format!("encryption key {id} is not base64"))?;
            if bytes.len() != 32 || id.is_empty() || id.contains(':') {
                return Err(format!("encryption key {id} must be 32 bytes with a non-empty id"));
            }
            keys.push((id.to_owned(), Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes))));
        }
        Ok(Self { keys })
    }

    pub fn seal(&self, plaintext: &str) -> AppResult<String> {
        let (id, cipher) = self.keys.first().ok_or(AppError::Internal)?;
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let mut sealed = nonce.to_vec();
        sealed.extend(cipher.encrypt(&nonce, plaintext.as_bytes()).map_err(|_| AppError::Internal)?);
        Ok(format!("v1:{id}:{}", STANDARD.encode(sealed)))
    }

    pub fn open(&self, sealed: &str) -> AppResult<String> {
        let mut parts = sealed.splitn(3, ':');
        let (Some("v1"), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(AppError::Internal);
        };
        let (_, cipher) = self.keys.iter().find(|(k, _)| k == id).ok_or(AppError::Internal)?;
        let bytes = STANDARD.decode(body).map_err(|_| AppError::Internal)?;
        if bytes.len() < 12 {
            return Err(AppError::Internal);
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        let plain = cipher.decrypt(Nonce::from_slice(nonce), ciphertext).map_err(|_| AppError::Internal)?;
        String::from_utf8(plain).map_err(|_| AppError::Internal)
    }
}

/// Signs links that act without a token (a delivery's "opened" and "unsubscribe" links): a
/// link carries an id and a MAC over a purpose and the id, with a key derived from the JWT
/// secret. A link of one purpose is worthless for another.
pub struct LinkSigner {
    signer: LinkMac,
}

type LinkMac = hmac::Hmac<sha2::Sha256>;

impl LinkSigner {
    pub fn new(secret: &[u8]) -> Result<Self, String> {
        use hmac::Mac as _;
        let mut derive = <LinkMac as hmac::Mac>::new_from_slice(secret).map_err(|_| "invalid JWT secret".to_owned())?;
        derive.update(b"creatorpulse signed links v1");
        let key = derive.finalize().into_bytes();
        let signer = <LinkMac as hmac::Mac>::new_from_slice(&key).map_err(|_| "invalid link key".to_owned())?;
        Ok(Self { signer })
    }

    fn mac(&self, purpose: &str, id: uuid::Uuid) -> LinkMac {
        use hmac::Mac as _;
        let mut mac = self.signer.clone();
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(id.as_bytes());
        mac
    }

    /// The token of `id` for `purpose`: URL-safe, 43 characters.
    pub fn sign(&self, purpose: &str, id: uuid::Uuid) -> String {
        use hmac::Mac as _;
        let tag = self.mac(purpose, id).finalize().into_bytes();
        let mut bytes = id.as_bytes().to_vec();
        bytes.extend_from_slice(&tag[..16]);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The id a token of `purpose` carries, if it is one this server signed.
    pub fn verify(&self, purpose: &str, token: &str) -> Option<uuid::Uuid> {
        use hmac::Mac as _;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).ok()?;
        if bytes.len() != 32 {
            return None;
        }
        let id = uuid::Uuid::from_slice(&bytes[..16]).ok()?;
        self.mac(purpose, id).verify_truncated_left(&bytes[16..]).ok()?;
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::Cipher;

    const OLD: &str = "old:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    const NEW: &str = "new:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";

    #[test]
    fn sealed_values_open_after_a_new_key_is_put_first() {
        let before = Cipher::from_config(Some(OLD)).unwrap();
        let sealed = before.seal("secret-token").unwrap();

        let after = Cipher::from_config(Some(&format!("{NEW},{OLD}"))).unwrap();

        assert!(!sealed.contains("secret-token"));
        assert_eq!(after.open(&sealed).unwrap(), "secret-token");
        assert!(after.seal("x").unwrap().starts_with("v1:new:"));
    }

    #[test]
    fn a_tampered_value_does_not_open() {
        let cipher = Cipher::from_config(Some(OLD)).unwrap();
        let mut sealed = cipher.seal("secret-token").unwrap();
        let last = sealed.pop().unwrap();
        sealed.push(if last == 'A' { 'B' } else { 'A' });

        assert!(cipher.open(&sealed).is_err());
    }

    #[test]
    fn a_link_is_good_for_its_purpose_and_id_only() {
        let signer = super::LinkSigner::new(b"a secret of at least thirty-two bytes!").unwrap();
        let id = uuid::Uuid::new_v4();
        let token = signer.sign("open", id);
        assert_eq!(signer.verify("open", &token), Some(id));
        assert_eq!(signer.verify("unsubscribe", &token), None);
        let other = super::LinkSigner::new(b"another secret of thirty-two bytes!!").unwrap();
        assert_eq!(other.verify("open", &token), None);
        let mut forged = token.into_bytes();
        forged[0] ^= 1;
        assert_eq!(signer.verify("open", &String::from_utf8(forged).unwrap()), None);
    }
}
