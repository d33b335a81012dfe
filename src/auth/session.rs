//! Sessions and their refresh tokens: opaque, stored as hashes, rotated on every use; a rotated
//! token presented again revokes its whole session.
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use entity::enums::Role;
use entity::{refresh_tokens, sessions, user_roles, users};
use rand::RngCore as _;
use sea_orm::prelude::DateTimeUtc;
use sea_orm::sea_query::{Expr, QueryStatementBuilder};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::Viewer;
use super::jwt::JwtKeys;
use super::liveness::Liveness;
use crate::error::{AppError, AppResult};
use crate::events::EventBus;

/// Token keys and lifetimes.
pub struct Auth {
    pub keys: JwtKeys,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
    /// Which sessions are still alive.
    pub liveness: Arc<Liveness>,
}

/// What a sign-in, sign-up or refresh hands back.
pub struct IssuedSession {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_at: i64,
    pub user: users::Model,
}

fn new_refresh_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

fn token_hash(token: &str) -> String {
    hex_encode(&Sha256::digest(token.as_bytes()))
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn issue_refresh_token(db: &impl ConnectionTrait, session_id: Uuid) -> AppResult<String> {
    let (token, hash) = new_refresh_token();
    refresh_tokens::ActiveModel {
        id: Set(Uuid::new_v4()),
        session_id: Set(session_id),
        token_hash: Set(hash),
        created_at: Set(Utc::now()),
        rotated_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(token)
}

impl Auth {
    /// The caller a request's bearer token stands for, and until when (`None`: no token, the
    /// anonymous caller). The one decision of both transports: a token that does not verify, or
    /// whose session ended or whose account is gone, is `UNAUTHENTICATED`.
    pub async fn caller(&self, db: &DatabaseConnection, token: Option<&str>) -> AppResult<(Viewer, Option<i64>)> {
        let Some(token) = token else { return Ok((Viewer::Anonymous, None)) };
        let (viewer, expires_at) = self.keys.verify_until(token)?;
        let viewer = match viewer {
            Viewer::User { id, session_id, may_act_for_clients, .. } => {
                let role = self.liveness.standing(db, id, session_id).await?.ok_or(AppError::Unauthenticated)?;
                Viewer::User { id, session_id, may_act_for_clients, role }
            }
            other => other,
        };
        Ok((viewer, Some(expires_at)))
    }

    /// Opens a session for `user` inside the caller's transaction.
    pub async fn start_session(&self, db: &impl ConnectionTrait, user: users::Model) -> AppResult<IssuedSession> {
        let now = Utc::now();
        let session = sessions::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(user.id),
            created_at: Set(now),
            updated_at: Set(now),
            expires_at: Set(now + Duration::seconds(self.refresh_ttl_secs)),
            revoked_at: Set(None),
        }
        .insert(db)
        .await?;
        let refresh_token = issue_refresh_token(db, session.id).await?;
        let (access_token, expires_at) =
            self.keys.user_token(user.id, &user.email, session.id, self.access_ttl_secs)?;
        Ok(IssuedSession { access_token, refresh_token, expires_at, user })
    }

    /// Exchanges a refresh token for a new pair. Reusing a rotated token revokes the session,
    /// whose live connections are then closed through `events`.
    pub async fn refresh(
        &self,
        db: &DatabaseConnection,
        events: &dyn EventBus,
        token: &str,
    ) -> AppResult<IssuedSession> {
        let stored = refresh_tokens::Entity::find()
            .filter(refresh_tokens::Column::TokenHash.eq(token_hash(token)))
            .one(db)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let txn = crate::db::write_txn(db).await?;
        // Claims the token atomically, so that two concurrent uses cannot both succeed.
        let claimed = refresh_tokens::Entity::update_many()
            .col_expr(refresh_tokens::Column::RotatedAt, Expr::value(Utc::now()))
            .filter(refresh_tokens::Column::Id.eq(stored.id))
            .filter(refresh_tokens::Column::RotatedAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
        if !claimed {
            txn.rollback().await?;
            tracing::warn!(session_id = %stored.session_id, "refresh token reused: revoking the session");
            revoke(db, stored.session_id).await?;
            if let Some(session) = sessions::Entity::find_by_id(stored.session_id).one(db).await? {
                self.liveness.end(events, session.user_id, Some(session.id));
            }
            return Err(AppError::Unauthenticated);
        }
        let session = sessions::Entity::find_by_id(stored.session_id)
            .one(&txn)
            .await?
            .filter(|s| s.revoked_at.is_none() && s.expires_at > Utc::now())
            .ok_or(AppError::Unauthenticated)?;
        let user = users::Entity::find_by_id(session.user_id).one(&txn).await?.ok_or(AppError::Unauthenticated)?;
        let refresh_token = issue_refresh_token(&txn, session.id).await?;
        let (access_token, expires_at) =
            self.keys.user_token(user.id, &user.email, session.id, self.access_ttl_secs)?;
        txn.commit().await?;
        Ok(IssuedSession { access_token, refresh_token, expires_at, user })
    }
}

/// Revokes a session: none of its refresh tokens works again.
pub async fn revoke(db: &impl ConnectionTrait, session_id: Uuid) -> AppResult<()> {
    sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(sessions::Column::Id.eq(session_id))
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// The role a user's access token stands for, or `None` when it no longer stands for a live
/// session: when the token names a session (this server's tokens do), that session exists, is
/// the user's and is neither revoked nor expired; a token naming none (a configured external
/// issuer's, whose sessions are its own, or one minted for internal tools) needs only the
/// account. The role is `user_roles`' (no row: `member`).
pub async fn standing(db: &DatabaseConnection, user: Uuid, session_id: Option<Uuid>) -> AppResult<Option<Role>> {
    // One statement: the session (or, for a token without one of ours, the account) with the
    // user's role beside it.
    let role_of = || {
        sea_orm::sea_query::Query::select()
            .column(user_roles::Column::Role)
            .from(user_roles::Entity)
            .and_where(user_roles::Column::UserId.eq(user))
            .to_owned()
    };
    if let Some(session_id) = session_id {
        let found: Option<(Uuid, Option<DateTimeUtc>, DateTimeUtc, Option<Role>)> =
            sessions::Entity::find_by_id(session_id)
                .select_only()
                .columns([sessions::Column::UserId, sessions::Column::RevokedAt, sessions::Column::ExpiresAt])
                .expr_as(Expr::SubQuery(None, Box::new(role_of().into_sub_query_statement())), "role")
                .into_tuple()
                .one(db)
                .await?;
        // Sessions are deleted with their account: a found session implies the account.
        return Ok(found.and_then(|(owner, revoked_at, expires_at, role)| {
            let live = owner == user && revoked_at.is_none() && expires_at > Utc::now();
            live.then(|| role.unwrap_or(Role::Member))
        }));
    }
    let found: Option<(Uuid, Option<Role>)> = users::Entity::find_by_id(user)
        .select_only()
        .column(users::Column::Id)
        .expr_as(Expr::SubQuery(None, Box::new(role_of().into_sub_query_statement())), "role")
        .into_tuple()
        .one(db)
        .await?;
    Ok(found.map(|(_, role)| role.unwrap_or(Role::Member)))
}
