//! Passwords (argon2id) and email addresses.
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};

use crate::error::{AppError, AppResult};

/// A hash verified when the email is unknown, so that both failures take the same time.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$V0OcWQjmUuzJOhbZ6ZFrX5UUuJcPKJxpq5HkkgM55Ug";

/// Lower-cases and checks an email address.
pub fn normalize_email(email: &str) -> AppResult<String> {
    let email = email.trim().to_lowercase();
    entity::table::check::email("email", &email)?;
    Ok(email)
}

/// Refuses weak passwords, saying why.
pub fn check_strength(password: &str, email: &str) -> AppResult<()> {
    let reason = if password.chars().count() < 10 {
        Some("must be at least 10 characters long")
    } else if password.len() > 128 {
        Some("must be at most 128 bytes long")
    } else if !password.chars().any(char::is_alphabetic) || !password.chars().any(|c| !c.is_alphabetic()) {
        Some("must mix letters with digits or symbols")
    } else if email.split('@').next().is_some_and(|local| local.len() >= 3 && password.to_lowercase().contains(local)) {
        Some("must not contain the email address")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(AppError::bad_input("password", reason)),
        None => Ok(()),
    }
}

/// Hashes a password with argon2id, off the async threads.
pub async fn hash(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|_| AppError::Internal)?
    .map_err(|_| AppError::Internal)
}

/// Whether `password` matches `hash`; with no hash, burns the same time and answers false.
pub async fn verify(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let ok =
            PasswordHash::new(&hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok());
        known && ok
    })
    .await
    .unwrap_or(false)
}
