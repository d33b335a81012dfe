//! Roles: who is an admin or in support (`user_roles` decides; `ADMIN_EMAILS` only bootstraps),
//! and what admins do to accounts: change roles, revoke a user's sessions. Every change is
//! audited; the last admin cannot be removed.
use async_graphql::{Context, Object};
use chrono::Utc;
use entity::enums::Role;
use entity::{sessions, user_roles};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use crate::audit::{self, Actor, Entry, RequestMeta};
use crate::auth::Viewer;
use crate::error::{AppError, AppResult};
use crate::table;

/// A user's role, when it is more than `member`.
#[derive(Clone, async_graphql::SimpleObject, macros::Resource)]
#[resource(table = "user_roles", fetch, list)]
pub struct UserRole {
    #[graphql(flatten)]
    pub row: user_roles::Model,
}

/// An address of `ADMIN_EMAILS` becomes admin at sign-up or sign-in (inside its transaction),
/// unless the table says so already. Nothing is taken away when the address leaves the list.
pub async fn bootstrap(
    db: &impl ConnectionTrait,
    user: Uuid,
    email: &str,
    admin_emails: &[String],
    meta: &RequestMeta,
) -> AppResult<()> {
    if !admin_emails.iter().any(|a| a.trim().eq_ignore_ascii_case(email)) {
        return Ok(());
    }
    let current = user_roles::Entity::find().filter(user_roles::Column::UserId.eq(user)).one(db).await?;
    if current.as_ref().is_some_and(|r| r.role == Role::Admin) {
        return Ok(());
    }
    let before = current.as_ref().map(|r| serde_json::json!({ "role": r.role }));
    if let Some(current) = current {
        user_roles::Entity::delete_by_id(current.id).exec(db).await?;
    }
    let row = user_roles::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(user),
        role: Set(Role::Admin),
        granted_by: Set(None),
        created_at: Set(Utc::now()),
        updated_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    let after = Some(serde_json::json!({ "role": Role::Admin }));
    let entry = Entry::new("role.bootstrap", Some(user)).change("user_roles", row.id, before, after);
    audit::record(db, Actor::SYSTEM, meta, entry).await
}

fn require_admin(viewer: &Viewer) -> AppResult<Uuid> {
    match viewer {
        Viewer::Anonymous => Err(AppError::Unauthenticated),
        Viewer::User { id, .. } if viewer.is_admin() => Ok(*id),
        _ => Err(AppError::Forbidden),
    }
}

#[derive(Default)]
pub struct RoleMutation;

#[Object]
impl RoleMutation {
    /// Gives `userId` a role (admins only; `MEMBER` removes any). The last admin cannot stop
    /// being one (`CONFLICT`). The user's open live connections close; their next request
    /// carries the new role.
    async fn set_user_role(&self, ctx: &Context<'_>, user_id: Uuid, role: Role) -> async_graphql::Result<Role> {
        let admin = require_admin(table::viewer(ctx)?)?;
        let state = table::state(ctx)?;
        if !crate::auth::policy::user_exists(&state.db, user_id).await? {
            return Err(AppError::NotFound("user").into());
        }
        let txn = crate::db::write_txn(&state.db).await.map_err(AppError::from)?;
        // Every admin row is locked (PostgreSQL; SQLite holds the write lock), so two admins
        // demoting each other at once cannot both succeed.
        let mut admins = user_roles::Entity::find().filter(user_roles::Column::Role.eq(Role::Admin));
        if txn.get_database_backend() == DbBackend::Postgres {
            admins = admins.lock_exclusive();
        }
        let admins = admins.all(&txn).await.map_err(AppError::from)?;
        let current = user_roles::Entity::find()
            .filter(user_roles::Column::UserId.eq(user_id))
            .one(&txn)
            .await
            .map_err(AppError::from)?;
        let was = current.as_ref().map_or(Role::Member, |r| r.role);
        if was == role {
            txn.commit().await.map_err(AppError::from)?;
            return Ok(role);
        }
        if was == Role::Admin && admins.len() <= 1 {
            return Err(AppError::Conflict("the last admin cannot be removed".into()).into());
        }
        let row_id = current.as_ref().map_or_else(Uuid::new_v4, |r| r.id);
        if let Some(current) = current {
            user_roles::Entity::delete_by_id(current.id).exec(&txn).await.map_err(AppError::from)?;
        }
        if role != Role::Member {
            user_roles::ActiveModel {
                id: Set(row_id),
                user_id: Set(user_id),
                role: Set(role),
                granted_by: Set(Some(admin)),
                created_at: Set(Utc::now()),
                updated_at: Set(Utc::now()),
            }
            .insert(&txn)
            .await
            .map_err(AppError::from)?;
        }
        let entry = Entry::new("role.change", Some(user_id)).change(
            "user_roles",
            row_id,
            Some(serde_json::json!({ "role": was })),
            Some(serde_json::json!({ "role": role })),
        );
        audit::record_for(ctx, &txn, entry).await?;
        txn.commit().await.map_err(AppError::from)?;
        state.auth.liveness.access_changed(state.events.as_ref(), user_id);
        Ok(role)
    }

    /// Ends every session of `userId` (admins only): their refresh tokens stop working, their
    /// access tokens are refused and their live connections close. How many sessions ended.
    async fn revoke_user_sessions(&self, ctx: &Context<'_>, user_id: Uuid) -> async_graphql::Result<u64> {
        require_admin(table::viewer(ctx)?)?;
        let state = table::state(ctx)?;
        if !crate::auth::policy::user_exists(&state.db, user_id).await? {
            return Err(AppError::NotFound("user").into());
        }
        let txn = crate::db::write_txn(&state.db).await.map_err(AppError::from)?;
        let ended = sessions::Entity::update_many()
            .col_expr(sessions::Column::RevokedAt, Expr::value(Utc::now()))
            .filter(sessions::Column::UserId.eq(user_id))
            .filter(sessions::Column::RevokedAt.is_null())
            .exec(&txn)
            .await
            .map_err(AppError::from)?
            .rows_affected;
        let mut entry = Entry::new("session.revoke", Some(user_id));
        entry.after = Some(serde_json::json!({ "sessions": ended }));
        audit::record_for(ctx, &txn, entry).await?;
        txn.commit().await.map_err(AppError::from)?;
        state.auth.liveness.end(state.events.as_ref(), user_id, None);
        Ok(ended)
    }
}
