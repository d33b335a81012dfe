//! The creator's voice: training samples, trained models, training on a job ([`training`], with
//! the features of [`features`]), and making one model the active one.
pub mod features;
pub mod training;

use async_graphql::{Context, Object};
use entity::{voice_models, voice_training_data};
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::auth::policy::{self, Op};
use crate::error::AppError;
use crate::events::{self, ChangeKind};
use crate::table;

/// Samples of the creator's writing used to train their voice (seed 4.2).
#[derive(Clone, async_graphql::SimpleObject, macros::Resource)]
#[resource(table = "voice_training_data", fetch, list, create, update, delete, me)]
pub struct VoiceTrainingSample {
    #[graphql(flatten)]
    pub row: voice_training_data::Model,
}

/// Trained voice models; at most one active per user (seed 4.3).
#[derive(Clone, async_graphql::SimpleObject, macros::Resource)]
#[resource(table = "voice_models", fetch, list, create, update, delete, me, live)]
pub struct VoiceModel {
    #[graphql(flatten)]
    pub row: voice_models::Model,
}

#[derive(Default)]
pub struct VoiceModelActivation;

#[Object]
impl VoiceModelActivation {
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
        // The trigger deactivated the user's other models: each change is an event.
        let changed: Vec<Uuid> = was_active.into_iter().filter(|m| *m != id).chain([id]).collect();
        let events = table::state(ctx)?.events.as_ref();
        events::outbox::commit_rows::<voice_models::Entity>(txn, events, ChangeKind::Updated, changed)
            .await
            .map_err(AppError::from)?;
        Ok(table::fetch::<voice_models::Entity>(ctx, id).await?.into())
    }
}

/// The voice profile of a model, as plain lines for an AI prompt.
pub fn describe(profile: &serde_json::Value) -> String {
    features::prompt_profile(profile)
}

#[derive(Default)]
pub struct VoiceTrainingMutation;

#[Object]
impl VoiceTrainingMutation {
    /// Trains a new voice model from the creator's training samples, on a job: the profile's
    /// `voiceTrainingStatus` goes pending → training → completed (the new model is then the
    /// active one) or failed. The credits of `VOICE_TRAINING` are held now
    /// (`INSUFFICIENT_CREDITS` otherwise). `false` when a training is already queued or running.
    /// A user trains their own voice; the service role names the user.
    async fn train_voice_model(&self, ctx: &Context<'_>, user_id: Option<Uuid>) -> async_graphql::Result<bool> {
        let state = table::state(ctx)?;
        let viewer = table::viewer(ctx)?;
        let user = match (viewer, user_id) {
            (crate::auth::Viewer::User { id, .. }, Some(other)) if other != *id => {
                return Err(AppError::NotFound("user").into());
            }
            _ => policy::acting_for(&state.db, viewer, user_id, "train_voice").await?,
        };
        Ok(training::request(state, user).await?)
    }
}
