//! Operations that are rules of the data rather than plain writes: activating a voice model and
//! the seed's `calculate_daily_credits`.
use async_graphql::{Context, Object};
use chrono::NaiveDate;
use entity::voice_models;
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::voice::VoiceModel;
use crate::auth::Viewer;
use crate::auth::policy::{self, Op};
use crate::error::AppError;
use crate::events::{self, ChangeKind};
use crate::table;
use crate::usage;

#[derive(Default)]
pub struct RulesQuery;

#[Object]
impl RulesQuery {
    /// Credits consumed on `date` (the seed's `calculate_daily_credits`): the caller's own, or,
    /// for the service role, those of `userId`.
    async fn daily_credits(
        &self,
        ctx: &Context<'_>,
        date: NaiveDate,
        user_id: Option<Uuid>,
    ) -> async_graphql::Result<Decimal> {
        let user = match (table::viewer(ctx)?, user_id) {
            (Viewer::Service, Some(user)) => user,
            (Viewer::Service, None) => {
                return Err(AppError::bad_input("userId", "the service role must name the user").into());
            }
            (Viewer::User { id, .. }, None) => *id,
            (Viewer::User { id, .. }, Some(user)) if user == *id => *id,
            (Viewer::User { .. }, Some(_)) => {
                return Err(AppError::bad_input("userId", "only the service role may set it").into());
            }
            (Viewer::Anonymous, _) => return Err(AppError::Unauthenticated.into()),
        };
        Ok(usage::daily_credits(table::db(ctx)?, user, date).await.map_err(AppError::from)?)
    }
}

#[derive(Default)]
pub struct RulesMutation;

#[Object]
impl RulesMutation {
    /// Makes a voice model its user's only active one (service role).
    async fn activate_voice_model(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<VoiceModel> {
        let viewer = table::viewer(ctx)?;
        let db = table::db(ctx)?;
        let txn = crate::db::write_txn(db).await.map_err(AppError::from)?;
        let model =
            policy::scope_one::<voice_models::Entity>(viewer, Op::Update, id, table::db(ctx)?.get_database_backend())?
                .one(&txn)
                .await
                .map_err(AppError::from)?
                .ok_or(AppError::NotFound("voice model"))?;
        if db.get_database_backend() == DbBackend::Postgres {
            // Concurrent activations for one user queue here, locking the user's models in one
            // order, instead of deadlocking inside the trigger.
            policy::scope::<voice_models::Entity>(viewer, Op::Update, table::db(ctx)?.get_database_backend())?
                .filter(voice_models::Column::UserId.eq(model.user_id))
                .order_by_asc(voice_models::Column::Id)
                .lock_exclusive()
                .all(&txn)
                .await
                .map_err(AppError::from)?;
        }
        let was_active: Vec<Uuid> = voice_models::Entity::find()
            .select_only()
            .column(voice_models::Column::Id)
            .filter(voice_models::Column::UserId.eq(model.user_id))
            .filter(voice_models::Column::IsActive.eq(true))
            .into_tuple()
            .all(&txn)
            .await
            .map_err(AppError::from)?;
        voice_models::Entity::update_many()
            .col_expr(voice_models::Column::IsActive, true.into())
            .filter(voice_models::Column::Id.eq(id))
            .exec(&txn)
            .await
            .map_err(AppError::from)?;
        txn.commit().await.map_err(AppError::from)?;
        // The trigger deactivated the user's other models: each change is an event.
        let changed = voice_models::Entity::find()
            .filter(voice_models::Column::Id.is_in(was_active.into_iter().filter(|m| *m != id).chain([id])))
            .all(db)
            .await
            .map_err(AppError::from)?;
        events::publish_rows::<voice_models::Entity>(table::state(ctx)?.events.as_ref(), ChangeKind::Updated, &changed);
        Ok(table::fetch::<voice_models::Entity>(ctx, id).await?.into())
    }
}
