//! Privacy (seed 003, section 11): export everything a user owns, and delete an account with all
//! of its rows.
use async_graphql::{Context, Object};
use entity::table::Table;
use entity::*;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::audit;
use crate::auth::policy::{self, Op};
use crate::auth::{Viewer, password};
use crate::error::{AppError, AppResult};
use crate::limits::Rule;
use crate::table;

/// Columns never exported: secrets stay secret even from their owner.
const SECRET_COLUMNS: &[&str] = &["access_token", "refresh_token", "password_hash"];

/// The user the operation is about: the caller, or the user the service role names.
fn subject(viewer: &Viewer, user_id: Option<Uuid>) -> AppResult<Uuid> {
    match (viewer, user_id) {
        (Viewer::Service, Some(user)) => Ok(user),
        (Viewer::Service, None) => Err(AppError::bad_input("userId", "the service role must name the user")),
        (Viewer::User { id, .. }, None) => Ok(*id),
        (Viewer::User { id, .. }, Some(user)) if user == *id => Ok(*id),
        (Viewer::User { .. }, Some(_)) => Err(AppError::bad_input("userId", "only the service role may set it")),
        (Viewer::Anonymous, _) => Err(AppError::Unauthenticated),
    }
}

fn without_secrets(row: impl Serialize) -> AppResult<Json> {
    let mut value = serde_json::to_value(row).map_err(|_| AppError::Internal)?;
    if let Some(object) = value.as_object_mut() {
        for column in SECRET_COLUMNS {
            object.remove(*column);
        }
    }
    Ok(value)
}

#[derive(Default)]
pub struct PrivacyQuery;

#[Object]
impl PrivacyQuery {
    /// Everything the caller owns, in every table, as one JSON document (secrets such as platform
    /// tokens are left out). The service role may export any user.
    async fn export_my_data(&self, ctx: &Context<'_>, user_id: Option<Uuid>) -> async_graphql::Result<Json> {
        let viewer = table::viewer(ctx)?;
        let user = subject(viewer, user_id)?;
        costly(ctx, viewer).await?;
        // Service-only tables are exported for the user too: the data is theirs.
        let as_service = Viewer::Service;
        let db = table::db(ctx)?;
        let account =
            users::Entity::find_by_id(user).one(db).await.map_err(AppError::from)?.ok_or(AppError::NotFound("user"))?;
        let sessions =
            sessions::Entity::find().filter(sessions::Column::UserId.eq(user)).all(db).await.map_err(AppError::from)?;
        let mut tables = Map::new();
        macro_rules! export {
            ($($table:ident . $column:ident),* $(,)?) => {$(
                let data = rows_as::<$table::Entity>(ctx, &as_service, $table::Column::$column, user).await?;
                match tables.get_mut(stringify!($table)).and_then(Json::as_array_mut) {
                    Some(existing) => existing.extend(data.as_array().cloned().unwrap_or_default()),
                    None => {
                        tables.insert(stringify!($table).to_owned(), data);
                    }
                }
            )*};
        }
        export!(
            creator_profiles.UserId,
            platform_connections.UserId,
            content_sources.UserId,
            trend_insights.UserId,
            content_drafts.UserId,
            voice_training_data.UserId,
            voice_models.UserId,
            trend_content_mapping.UserId,
            delivery_preferences.UserId,
            daily_deliveries.UserId,
            creator_analytics.UserId,
            content_performance.UserId,
            usage_tracking.UserId,
            subscription_billing.UserId,
            agency_clients.AgencyUserId,
            agency_clients.ClientUserId,
            ai_processing_logs.UserId,
            credit_transactions.UserId,
            content_drafts_archive.UserId,
            content_performance_summaries.UserId,
            trend_content_mapping_archive.UserId,
        );
        tables.insert(
            "sessions".into(),
            Json::Array(sessions.into_iter().map(without_secrets).collect::<AppResult<_>>()?),
        );
        Ok(json!({ "user": without_secrets(account)?, "tables": tables }))
    }
}

/// Every row of `E` whose `column` names `user`, as `viewer` may read them, without secrets.
async fn rows_as<E>(ctx: &Context<'_>, viewer: &Viewer, column: E::Column, user: Uuid) -> AppResult<Json>
where
    E: Table,
    E::Model: Serialize,
{
    let rows = policy::scope::<E>(viewer, Op::Read, table::db(ctx)?.get_database_backend())?
        .filter(column.eq(user))
        .all(table::db(ctx)?)
        .await?;
    Ok(Json::Array(rows.into_iter().map(without_secrets).collect::<AppResult<_>>()?))
}

#[derive(Default)]
pub struct PrivacyMutation;

#[Object]
impl PrivacyMutation {
    /// Deletes the caller's account and every row of theirs in every table, after checking the
    /// password; the service role deletes any user with `userId`. Sessions end with it, and the
    /// uploaded avatar goes too.
    async fn delete_my_account(
        &self,
        ctx: &Context<'_>,
        password: Option<String>,
        user_id: Option<Uuid>,
    ) -> async_graphql::Result<bool> {
        let viewer = table::viewer(ctx)?;
        let user = subject(viewer, user_id)?;
        costly(ctx, viewer).await?;
        let db = table::db(ctx)?;
        let account = users::Entity::find_by_id(user).one(db).await.map_err(AppError::from)?;
        if let Viewer::User { .. } = viewer {
            let password = password.ok_or_else(|| AppError::bad_input("password", "is required"))?;
            let hash = account.as_ref().and_then(|a| a.password_hash.clone());
            if !password::verify(password, hash).await {
                return Err(AppError::bad_input("password", "is not the account's password").into());
            }
        }
        let account = account.ok_or(AppError::NotFound("user"))?;
        let state = table::state(ctx)?;
        let txn = crate::db::write_txn(db).await.map_err(AppError::from)?;
        // The audit entries about the account go, but for those a billing investigation needs,
        // which keep a pseudonym instead of the account's id.
        let secret = state.config.jwt_secret.as_ref().map_or("", |s| s.expose());
        audit::forget_subject(&txn, account.id, secret.as_bytes()).await?;
        let mut entry = audit::Entry::new("account.delete", None);
        entry.table = Some("users");
        entry.row = Some(account.id);
        audit::record_for(ctx, &txn, entry).await?;
        // Every user-owned table references users with ON DELETE CASCADE.
        users::Entity::delete_by_id(account.id).exec(&txn).await.map_err(AppError::from)?;
        txn.commit().await.map_err(AppError::from)?;
        state.auth.liveness.end(state.events.as_ref(), account.id, None);
        // The avatar outlives the rows only if its store fails: logged, the account is gone.
        if let Err(err) = state.avatars.delete(account.id).await {
            tracing::warn!(error = %err, user = %account.id, "cannot delete the avatar of a deleted account");
        }
        Ok(true)
    }
}

/// Holds a user to the costly-mutation limit (the service role is not limited).
async fn costly(ctx: &Context<'_>, viewer: &Viewer) -> AppResult<()> {
    match viewer {
        Viewer::User { id, .. } => table::state(ctx)?.limits.consume(Rule::Costly, &id.to_string(), 1).await,
        _ => Ok(()),
    }
}
