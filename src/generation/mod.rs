//! Drafts in the creator's voice, made by the AI provider on a job: `generateDrafts` holds the
//! credits and queues the job in one transaction; the job ([`job`]) writes the drafts, settles
//! the credits with what was used (or releases them) and moves the `generations` row along, each
//! step a live event (`generationEvents`).
pub mod job;
pub mod provider;

use async_graphql::{Context, InputObject, Object};
use chrono::Utc;
use entity::enums::{ActionType, ContentType, GenerationStatus, JobQueue, Platform};
use entity::{generations, trend_insights};
use rust_decimal::Decimal;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::auth::policy::{self, Op};
use crate::error::{AppError, AppResult};
use crate::events::{self, ChangeKind};
use crate::table;

/// A request for drafts and its progress: queued, running (with each draft as it is written),
/// then completed, failed, timed out or cancelled, with the credits it used.
#[derive(Clone, async_graphql::SimpleObject, macros::Resource)]
#[resource(table = "generations", fetch, list, me, live)]
pub struct Generation {
    #[graphql(flatten)]
    pub row: generations::Model,
}

/// What to draft.
#[derive(InputObject)]
pub struct GenerateDraftsInput {
    /// The creator the drafts are for: an agency member names a client who granted it
    /// `write_drafts`; the service role names any user; a user leaves it out.
    pub user_id: Option<Uuid>,
    pub platform: Platform,
    pub content_type: ContentType,
    /// A trend of the creator's the drafts should be about.
    pub trend_insight_id: Option<Uuid>,
    /// How many drafts (1 to 10).
    #[graphql(default = 3)]
    pub count: i32,
    /// Anything else the drafts should follow (at most 2,000 characters).
    pub instructions: Option<String>,
}

/// The longest `instructions` taken.
const MAX_INSTRUCTIONS: usize = 2000;

#[derive(Default)]
pub struct GenerationMutation;

#[Object]
impl GenerationMutation {
    /// Asks for drafts. The credits (`credit_costs` of `DRAFT_GENERATED`, per draft) are held at
    /// once, or the request is refused with `INSUFFICIENT_CREDITS` and nothing is queued; when
    /// the job ends, what the written drafts cost is debited and the rest released.
    /// `AI_NOT_CONFIGURED` when the server has no AI provider.
    async fn generate_drafts(
        &self,
        ctx: &Context<'_>,
        input: GenerateDraftsInput,
    ) -> async_graphql::Result<Generation> {
        let state = table::state(ctx)?;
        let viewer = table::viewer(ctx)?;
        if matches!(viewer, crate::auth::Viewer::Anonymous) {
            return Err(AppError::Unauthenticated.into());
        }
        if state.ai.is_none() {
            return Err(AppError::AiNotConfigured.into());
        }
        if !(1..=10).contains(&input.count) {
            return Err(AppError::bad_input("count", "must be between 1 and 10").into());
        }
        let instructions = input.instructions.map(|i| i.trim().to_owned()).filter(|i| !i.is_empty());
        if instructions.as_ref().is_some_and(|i| i.chars().count() > MAX_INSTRUCTIONS) {
            return Err(AppError::bad_input("instructions", "must be at most 2000 characters").into());
        }
        let db = &state.db;
        let owner = policy::acting_for(db, viewer, input.user_id, "write_drafts").await?;
        if let Some(trend) = input.trend_insight_id {
            let found = trend_insights::Entity::find_by_id(trend)
                .filter(trend_insights::Column::UserId.eq(owner))
                .one(db)
                .await;
            if found.map_err(AppError::from)?.is_none() {
                return Err(AppError::NotFound("trend insight").into());
            }
        }
        let cost = crate::billing::ledger::cost_of(db, ActionType::DraftGenerated).await? * Decimal::from(input.count);
        let id = Uuid::new_v4();
        let now = Utc::now();
        let deadline = now + deadline_after(state);
        let row = generations::ActiveModel {
            id: Set(id),
            user_id: Set(owner),
            requested_by: Set(viewer.user_id().ok()),
            platform: Set(input.platform),
            content_type: Set(input.content_type),
            trend_insight_id: Set(input.trend_insight_id),
            requested_count: Set(input.count),
            instructions: Set(instructions),
            status: Set(GenerationStatus::Queued),
            credits_reserved: Set(cost),
            credits_used: Set(None),
            drafts_written: Set(0),
            tokens_used: Set(0),
            error_code: Set(None),
            error_message: Set(None),
            cancel_requested: Set(false),
            deadline: Set(deadline),
            created_at: Set(now),
            updated_at: Set(now),
            started_at: Set(None),
            finished_at: Set(None),
        };
        let txn = crate::db::write_txn(db).await.map_err(AppError::from)?;
        let queued: AppResult<(generations::Model, Vec<events::Change>)> = async {
            crate::billing::ledger::reserve(&txn, owner, id, cost, deadline).await?;
            let row = row.insert(&txn).await?;
            let payload = serde_json::json!({ "generation": id });
            crate::queue::enqueue(&txn, id, JobQueue::Generation, Some(owner), payload, state.config.job_max_attempts)
                .await?;
            let changes = events::changes::<generations::Entity>(ChangeKind::Created, [&row]);
            let changes = events::outbox::record(&txn, changes).await?;
            Ok((row, changes))
        }
        .await;
        let (row, changes) = match queued {
            Ok(queued) => queued,
            Err(err) => {
                txn.rollback().await.map_err(AppError::from)?;
                return Err(err.into());
            }
        };
        txn.commit().await.map_err(AppError::from)?;
        events::outbox::deliver(state.events.as_ref(), changes);
        state.work_queued.notify_waiters();
        Ok(row.into())
    }

    /// Stops a queued or running generation: a queued one ends at once, a running one before its
    /// next step; its credits are released (drafts already written are kept and paid for). A
    /// generation that ended already is answered as it is.
    async fn cancel_generation(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Generation> {
        let state = table::state(ctx)?;
        let viewer = table::viewer(ctx)?;
        // The same rows the caller may read: another user's generation is `NOT_FOUND`.
        let row = policy::scope_one::<generations::Entity>(viewer, Op::Read, id, state.db.get_database_backend())?
            .one(&state.db)
            .await
            .map_err(AppError::from)?
            .ok_or(AppError::NotFound("generation"))?;
        if row.status.is_final() {
            return Ok(row.into());
        }
        let txn = crate::db::write_txn(&state.db).await.map_err(AppError::from)?;
        generations::Entity::update_many()
            .col_expr(generations::Column::CancelRequested, true.into())
            .filter(generations::Column::Id.eq(id))
            .exec(&txn)
            .await
            .map_err(AppError::from)?;
        job::commit_with(state, txn, id, Vec::new()).await?;
        // A job no worker holds yet ends here; a running one sees the request.
        job::cancel_if_queued(state, id).await?;
        let row = generations::Entity::find_by_id(id)
            .one(&state.db)
            .await
            .map_err(AppError::from)?
            .ok_or(AppError::NotFound("generation"))?;
        Ok(row.into())
    }
}

/// How long after a request its credits are released at the latest: every attempt's time, the
/// waits between them, and a margin.
fn deadline_after(state: &crate::state::AppState) -> chrono::Duration {
    let attempts = i64::from(state.config.job_max_attempts.max(1));
    let per_attempt = state.config.job_timeout.max(1) + state.config.job_lease.max(1);
    chrono::Duration::seconds(i64::try_from(per_attempt).unwrap_or(600) * attempts + 300)
}
