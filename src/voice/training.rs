//! Voice training on a job: the creator's samples become a new `voice_models` version, made
//! active (the seed's one-active rule holds through its trigger). Each sample gets its
//! `content_features` and `sample_rank`; the model keeps the voice profile and the best samples
//! as examples, and its `validation_score` measured on held-out samples. The profile's
//! `voice_training_status` follows: pending → training → completed or failed. The credits of
//! `VOICE_TRAINING` are held when it is asked for and settled when it completes.
use chrono::Utc;
use entity::enums::{ActionType, JobQueue, JobStatus, TrainingStatus};
use entity::{creator_profiles, jobs, voice_models, voice_training_data};
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive as _;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde_json::json;
use uuid::Uuid;

use super::features::{self, Sample};
use crate::error::{AppError, AppResult};
use crate::events::{self, ChangeKind};
use crate::generation::job::Outcome;
use crate::state::AppState;

fn user_of(job: &jobs::Model) -> Option<Uuid> {
    job.payload.get("user")?.as_str()?.parse().ok()
}

/// Sets the profile's training status and tells its live subscribers.
async fn set_status(state: &AppState, user: Uuid, status: TrainingStatus) -> AppResult<()> {
    let txn = crate::db::write_txn(&state.db).await?;
    set_status_in(state, txn, user, status).await
}

/// [`set_status`] in `txn`, which it commits.
async fn set_status_in(
    state: &AppState,
    txn: DatabaseTransaction,
    user: Uuid,
    status: TrainingStatus,
) -> AppResult<()> {
    creator_profiles::Entity::update_many()
        .col_expr(creator_profiles::Column::VoiceTrainingStatus, sea_orm::sea_query::Expr::value(status))
        .filter(creator_profiles::Column::UserId.eq(user))
        .exec(&txn)
        .await?;
    commit_profile(state, txn, user, Vec::new()).await
}

/// Commits `txn` with `changes` and the change of `user`'s profile as `txn` leaves it.
async fn commit_profile(
    state: &AppState,
    txn: DatabaseTransaction,
    user: Uuid,
    mut changes: Vec<events::Change>,
) -> AppResult<()> {
    let rows = creator_profiles::Entity::find().filter(creator_profiles::Column::UserId.eq(user)).all(&txn).await?;
    changes.extend(events::changes::<creator_profiles::Entity>(ChangeKind::Updated, &rows));
    events::outbox::commit(txn, state.events.as_ref(), changes).await?;
    Ok(())
}

/// Queues training for `user`, holding its credits, inside one transaction. `false` when a
/// training of theirs is queued or running already (that one will use the samples).
pub async fn request(state: &AppState, user: Uuid) -> AppResult<bool> {
    let busy = jobs::Entity::find()
        .filter(jobs::Column::UserId.eq(user))
        .filter(jobs::Column::Queue.eq(JobQueue::VoiceTraining))
        .filter(jobs::Column::Status.is_in([JobStatus::Queued, JobStatus::Running]))
        .count(&state.db)
        .await?;
    if busy > 0 {
        return Ok(false);
    }
    let cost = crate::billing::ledger::cost_of(&state.db, ActionType::VoiceTraining).await?;
    let id = Uuid::new_v4();
    let seconds = i64::try_from(state.config.job_timeout + state.config.job_lease).unwrap_or(600);
    let deadline =
        Utc::now() + chrono::Duration::seconds(seconds * i64::from(state.config.job_max_attempts.max(1)) + 300);
    let txn = crate::db::write_txn(&state.db).await?;
    let queued: AppResult<()> = async {
        crate::billing::ledger::reserve(&txn, user, id, cost, deadline).await?;
        let payload = json!({ "user": user });
        crate::queue::enqueue(&txn, id, JobQueue::VoiceTraining, Some(user), payload, state.config.job_max_attempts)
            .await?;
        Ok(())
    }
    .await;
    if let Err(err) = queued {
        txn.rollback().await?;
        return Err(err);
    }
    txn.commit().await?;
    state.work_queued.notify_waiters();
    set_status(state, user, TrainingStatus::Pending).await?;
    Ok(true)
}

/// One run of a training job.
pub async fn run(state: &AppState, job: &jobs::Model) -> AppResult<Outcome> {
    let Some(user) = user_of(job) else { return Ok(Outcome::Ended(JobStatus::Failed)) };
    set_status(state, user, TrainingStatus::Training).await?;
    let started = Utc::now();
    let rows = voice_training_data::Entity::find()
        .filter(voice_training_data::Column::UserId.eq(user))
        .filter(voice_training_data::Column::IsTrainingSample.ne(false))
        .order_by_asc(voice_training_data::Column::CreatedAt)
        .order_by_asc(voice_training_data::Column::Id)
        .all(&state.db)
        .await?;
    let samples: Vec<Sample> = rows
        .iter()
        .map(|r| Sample { id: r.id, text: r.sample_content.clone(), engagement: r.engagement_metrics.clone() })
        .collect();
    let trained = match features::train(&samples) {
        Ok(trained) => trained,
        Err(err) => {
            fail(state, job, user, err.to_string()).await?;
            return Ok(Outcome::Ended(JobStatus::Failed));
        }
    };
    let txn = crate::db::write_txn(&state.db).await?;
    for (id, sample_features) in &trained.features {
        let rank = trained.ranks.iter().find(|(r, _)| r == id).map(|(_, rank)| *rank);
        voice_training_data::Entity::update_many()
            .col_expr(voice_training_data::Column::ContentFeatures, Some(sample_features.to_json()).into())
            .col_expr(voice_training_data::Column::SampleRank, rank.into())
            .filter(voice_training_data::Column::Id.eq(*id))
            .exec(&txn)
            .await?;
    }
    let versions = voice_models::Entity::find().filter(voice_models::Column::UserId.eq(user)).count(&txn).await?;
    let model_id = Uuid::new_v4();
    let score = Decimal::from_f64(trained.validation_score).unwrap_or_default().round_dp(4);
    voice_models::ActiveModel {
        id: Set(model_id),
        user_id: Set(user),
        model_version: Set(format!("v{}", versions + 1)),
        model_config: Set(json!({
            "profile": trained.profile,
            "examples": trained.examples,
            "heldOut": trained.held_out,
        })),
        training_data_count: Set(i32::try_from(trained.training_count).unwrap_or(i32::MAX)),
        validation_score: Set(Some(score)),
        is_active: Set(Some(false)),
        training_started_at: Set(Some(started)),
        training_completed_at: Set(Some(Utc::now())),
        created_at: Set(Some(Utc::now())),
    }
    .insert(&txn)
    .await?;
    // Activation through the same update the seed's trigger watches: the user's other models
    // are deactivated in this transaction.
    voice_models::Entity::update_many()
        .col_expr(voice_models::Column::IsActive, true.into())
        .filter(voice_models::Column::Id.eq(model_id))
        .exec(&txn)
        .await?;
    let metadata = json!({ "voiceModel": model_id, "samples": trained.training_count });
    crate::billing::ledger::settle(&txn, job.id, Decimal::MAX, ActionType::VoiceTraining, None, metadata).await?;
    creator_profiles::Entity::update_many()
        .col_expr(
            creator_profiles::Column::VoiceTrainingStatus,
            sea_orm::sea_query::Expr::value(TrainingStatus::Completed),
        )
        .filter(creator_profiles::Column::UserId.eq(user))
        .exec(&txn)
        .await?;
    let models = voice_models::Entity::find().filter(voice_models::Column::UserId.eq(user)).all(&txn).await?;
    let changes = events::changes::<voice_models::Entity>(ChangeKind::Updated, &models);
    commit_profile(state, txn, user, changes).await?;
    Ok(Outcome::Completed)
}

/// Training failed: the profile says so and the held credits are released.
async fn fail(state: &AppState, job: &jobs::Model, user: Uuid, message: String) -> AppResult<()> {
    let txn = crate::db::write_txn(&state.db).await?;
    let metadata = json!({ "error": message });
    crate::billing::ledger::settle(&txn, job.id, Decimal::ZERO, ActionType::VoiceTraining, None, metadata).await?;
    set_status_in(state, txn, user, TrainingStatus::Failed).await?;
    tracing::info!(user = %user, reason = %message, "voice training failed");
    Ok(())
}

/// A training job that will not run again.
pub async fn abandoned(state: &AppState, job: &jobs::Model, message: String) -> AppResult<()> {
    match user_of(job) {
        Some(user) => fail(state, job, user, message).await,
        None => Err(AppError::Internal),
    }
}
