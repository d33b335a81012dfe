//! `users`: accounts (the seed's `auth.users`); every `user_id` references a row here.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Unique case-insensitively (`users_email_idx` on `lower(email)`).
    pub email: String,
    /// Argon2 hash of the password; `None` when the account has no password.
    pub password_hash: Option<String>,
    /// One of: `authenticated`, `service_role`. Defaults to `authenticated`.
    pub role: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub last_sign_in_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
