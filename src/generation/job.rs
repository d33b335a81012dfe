//! The generation job: it asks the AI provider for the drafts, validates them like any draft,
//! writes them one by one, and settles the held credits with what the written drafts cost. Any
//! other ending (failure, timeout, cancellation, a dead job, the deadline) goes through
//! [`end`], which releases what was not used; settling is idempotent, so nothing moves twice.
use async_graphql::InputType as _;
use chrono::Utc;
use entity::enums::{ActionType, GenerationStatus, JobStatus, ProcessingType};
use entity::table::Creates as _;
use entity::{content_drafts, generations, jobs, trend_insights, voice_models};
use rust_decimal::Decimal;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use super::provider::{Completion, Message};
use crate::error::{AppError, AppResult};
use crate::events::{self, ChangeKind};
use crate::state::AppState;

pub use crate::queue::Outcome;

/// Why a generation ended without completing.
pub struct Ending {
    pub status: GenerationStatus,
    pub code: &'static str,
    pub message: String,
}

impl Ending {
    fn new(status: GenerationStatus, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }
}

fn generation_of(job: &jobs::Model) -> Option<Uuid> {
    job.payload.get("generation")?.as_str()?.parse().ok()
}

async fn load(db: &DatabaseConnection, id: Uuid) -> AppResult<generations::Model> {
    generations::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound("generation"))
}

/// Commits `txn` with `changes` and the change of generation `id` as `txn` leaves it.
pub(super) async fn commit_with(
    state: &AppState,
    txn: DatabaseTransaction,
    id: Uuid,
    mut changes: Vec<events::Change>,
) -> AppResult<()> {
    let row = generations::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("generation"))?;
    changes.extend(events::changes::<generations::Entity>(ChangeKind::Updated, [&row]));
    events::outbox::commit(txn, state.events.as_ref(), changes).await?;
    Ok(())
}

/// Whether the user asked to stop generation `id`.
pub async fn cancel_requested(db: &DatabaseConnection, id: Uuid) -> bool {
    generations::Entity::find_by_id(id).one(db).await.ok().flatten().is_some_and(|g| g.cancel_requested)
}

/// One run of a generation job.
pub async fn run(state: &AppState, job: &jobs::Model) -> AppResult<Outcome> {
    let Some(id) = generation_of(job) else {
        return Ok(Outcome::Ended(JobStatus::Failed));
    };
    let generation = load(&state.db, id).await?;
    if generation.status.is_final() {
        return Ok(Outcome::Ended(JobStatus::Completed));
    }
    if generation.cancel_requested {
        end(state, id, Ending::new(GenerationStatus::Cancelled, "CANCELLED", "cancelled")).await?;
        return Ok(Outcome::Ended(JobStatus::Cancelled));
    }
    let Some(provider) = state.ai.clone() else {
        let ending = Ending::new(GenerationStatus::Failed, "AI_NOT_CONFIGURED", "no AI provider is configured");
        end(state, id, ending).await?;
        return Ok(Outcome::Ended(JobStatus::Failed));
    };
    let txn = crate::db::write_txn(&state.db).await?;
    generations::Entity::update_many()
        .col_expr(generations::Column::Status, sea_orm::sea_query::Expr::value(GenerationStatus::Running))
        .col_expr(generations::Column::StartedAt, Some(Utc::now()).into())
        .filter(generations::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    commit_with(state, txn, id, Vec::new()).await?;
    let remaining = (generation.requested_count - generation.drafts_written).max(0);
    let messages = prompt(&state.db, &generation, remaining).await?;
    let log_input = json!({ "generation": id, "model": provider.model(), "messages": messages_json(&messages) });
    let answer = provider.complete(&messages).await;
    super::provider::record(&state.db, generation.user_id, ProcessingType::ContentGeneration, &log_input, &answer)
        .await?;
    let completion = match answer {
        Ok(completion) => completion,
        Err(failure) if failure.retryable && job.attempts < job.max_attempts => {
            return Ok(Outcome::Retry(failure.message));
        }
        Err(failure) => {
            let status = if failure.timed_out { GenerationStatus::Timeout } else { GenerationStatus::Failed };
            end(state, id, Ending::new(status, "AI_PROVIDER_FAILED", failure.message)).await?;
            return Ok(Outcome::Ended(if failure.timed_out { JobStatus::Timeout } else { JobStatus::Failed }));
        }
    };
    add_tokens(&state.db, id, completion.tokens).await?;
    let drafts = match drafts_of(&completion, &generation, remaining) {
        Ok(drafts) => drafts,
        Err(message) => {
            end(state, id, Ending::new(GenerationStatus::Failed, "AI_ANSWER_MALFORMED", message)).await?;
            return Ok(Outcome::Ended(JobStatus::Failed));
        }
    };
    for draft in drafts {
        if cancel_requested(&state.db, id).await {
            end(state, id, Ending::new(GenerationStatus::Cancelled, "CANCELLED", "cancelled")).await?;
            return Ok(Outcome::Ended(JobStatus::Cancelled));
        }
        write_draft(state, id, draft).await?;
    }
    complete(state, id).await?;
    Ok(Outcome::Completed)
}

/// The conversation asking for `count` drafts: the creator's voice (the active model's profile
/// and examples), the trend, the format and the instructions.
async fn prompt(db: &DatabaseConnection, generation: &generations::Model, count: i32) -> AppResult<Vec<Message>> {
    let voice = voice_models::Entity::find()
        .filter(voice_models::Column::UserId.eq(generation.user_id))
        .filter(voice_models::Column::IsActive.eq(true))
        .one(db)
        .await?;
    let mut system = String::from(
        "You write social media posts in a creator's own voice. Answer with a JSON object \
         {\"drafts\": [{\"content\": string, \"hook\": string, \"hashtags\": [string], \
         \"voice_confidence\": number between 0 and 1, \"engagement_prediction\": \
         {\"likes\": number, \"comments\": number, \"shares\": number}}]} and nothing else.",
    );
    if let Some(voice) = &voice {
        let profile = voice.model_config.get("profile").cloned().unwrap_or(Json::Null);
        system.push_str("\n\nThe creator's voice:\n");
        system.push_str(&crate::voice::describe(&profile));
        if let Some(examples) = voice.model_config.get("examples").and_then(Json::as_array) {
            system.push_str("\nPosts of theirs that did well:\n");
            for example in examples.iter().filter_map(Json::as_str) {
                system.push_str(&format!("---\n{example}\n"));
            }
        }
    }
    let mut user = format!(
        "Write {count} distinct {} drafts for {}.",
        serde_json::to_value(generation.content_type)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        serde_json::to_value(generation.platform).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
    );
    if let Some(trend) = generation.trend_insight_id {
        if let Some(trend) = trend_insights::Entity::find_by_id(trend).one(db).await? {
            user.push_str(&format!("\nTopic: {}\n{}", trend.trend_topic, trend.trend_description));
        }
    }
    if let Some(instructions) = &generation.instructions {
        user.push_str(&format!("\nAlso: {instructions}"));
    }
    Ok(vec![Message::system(system), Message::user(user)])
}

fn messages_json(messages: &[Message]) -> Json {
    serde_json::to_value(messages).unwrap_or(Json::Null)
}

async fn add_tokens(db: &DatabaseConnection, id: Uuid, tokens: i32) -> AppResult<()> {
    generations::Entity::update_many()
        .col_expr(generations::Column::TokensUsed, increment(generations::Column::TokensUsed, tokens.max(0)))
        .filter(generations::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// `column + by`.
fn increment(column: generations::Column, by: i32) -> sea_orm::sea_query::Expr {
    sea_orm::sea_query::ExprTrait::add(sea_orm::sea_query::Expr::col(column), by)
}

/// The drafts of the provider's answer, each checked as `createContentDraft` checks its input;
/// any draft that fails, or an answer of no drafts, fails the whole answer.
fn drafts_of(
    completion: &Completion,
    generation: &generations::Model,
    wanted: i32,
) -> Result<Vec<content_drafts::ActiveModel>, String> {
    let answer: Json =
        serde_json::from_str(&completion.content).map_err(|_| "the answer is not a JSON object".to_owned())?;
    let items = answer.get("drafts").and_then(Json::as_array).ok_or("the answer has no `drafts` list")?;
    if items.is_empty() {
        return Err("the answer has no drafts".into());
    }
    let wanted = usize::try_from(wanted).unwrap_or(0);
    let mut drafts = Vec::new();
    for (n, item) in items.iter().take(wanted).enumerate() {
        let confidence = item.get("voice_confidence").and_then(Json::as_f64).map(|c| format!("{:.2}", c));
        let input = json!({
            "platform": generation.platform,
            "contentType": generation.content_type,
            "content": item.get("content").cloned().unwrap_or(Json::Null),
            "hook": item.get("hook").cloned().unwrap_or(Json::Null),
            "hashtags": item.get("hashtags").cloned().unwrap_or(Json::Null),
            "trendSourceId": generation.trend_insight_id,
            "voiceConfidenceScore": confidence,
            "engagementPrediction": item.get("engagement_prediction").cloned().unwrap_or(Json::Null),
        });
        let input = graphql_input(input);
        let parsed = content_drafts::CreateInput::parse(Some(input))
            .map_err(|err| format!("draft {}: {}", n + 1, err.into_server_error(Default::default()).message))?;
        parsed.validate().map_err(|invalid| format!("draft {}: {}", n + 1, invalid.message))?;
        let row = parsed
            .into_row(Some(generation.user_id))
            .map_err(|invalid| format!("draft {}: {}", n + 1, invalid.message))?;
        drafts.push(row);
    }
    Ok(drafts)
}

/// A JSON input as GraphQL input values: enums as enum names, `null`s dropped.
fn graphql_input(input: Json) -> async_graphql::Value {
    let mut object = async_graphql::indexmap::IndexMap::new();
    if let Json::Object(fields) = input {
        for (key, value) in fields {
            let value = match (key.as_str(), value) {
                (_, Json::Null) => continue,
                ("platform" | "contentType", Json::String(s)) => {
                    async_graphql::Value::Enum(async_graphql::Name::new(s.to_ascii_uppercase()))
                }
                (_, value) => async_graphql::Value::from_json(value).unwrap_or(async_graphql::Value::Null),
            };
            object.insert(async_graphql::Name::new(key), value);
        }
    }
    async_graphql::Value::Object(object)
}

/// Writes one draft and counts it on the generation, in one transaction.
async fn write_draft(state: &AppState, id: Uuid, mut draft: content_drafts::ActiveModel) -> AppResult<()> {
    let now = Utc::now();
    draft.id = Set(Uuid::new_v4());
    draft.created_at = Set(Some(now));
    draft.updated_at = Set(Some(now));
    let txn = crate::db::write_txn(&state.db).await?;
    let draft = draft.insert(&txn).await?;
    generations::Entity::update_many()
        .col_expr(generations::Column::DraftsWritten, increment(generations::Column::DraftsWritten, 1))
        .filter(generations::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    commit_with(state, txn, id, events::changes::<content_drafts::Entity>(ChangeKind::Created, [&draft])).await
}

/// The cost of what generation `row` wrote.
fn used(row: &generations::Model) -> Decimal {
    let per_draft =
        if row.requested_count > 0 { row.credits_reserved / Decimal::from(row.requested_count) } else { Decimal::ZERO };
    (per_draft * Decimal::from(row.drafts_written.max(0))).round_dp(2)
}

fn settlement_metadata(row: &generations::Model) -> Json {
    json!({ "generation": row.id, "drafts": row.drafts_written, "tokens": row.tokens_used })
}

/// Completes generation `id`: the written drafts' cost is debited, the rest released.
async fn complete(state: &AppState, id: Uuid) -> AppResult<()> {
    finish(state, id, GenerationStatus::Completed, None).await
}

/// Ends generation `id` without completing it: drafts already written are paid for, the rest of
/// its credits released. Idempotent: a generation that ended already is left as it is.
pub async fn end(state: &AppState, id: Uuid, ending: Ending) -> AppResult<()> {
    finish(state, id, ending.status, Some((ending.code, ending.message))).await
}

/// Ends generation `id` as `status` (with its error code and message), settling its credits
/// with what the written drafts cost, unless it ended already.
async fn finish(
    state: &AppState,
    id: Uuid,
    status: GenerationStatus,
    error: Option<(&'static str, String)>,
) -> AppResult<()> {
    let txn = crate::db::write_txn(&state.db).await?;
    let Some(row) = generations::Entity::find_by_id(id).one(&txn).await? else {
        txn.rollback().await?;
        return Ok(());
    };
    if row.status.is_final() {
        txn.rollback().await?;
        return Ok(());
    }
    let spent = used(&row);
    crate::billing::ledger::settle(
        &txn,
        id,
        spent,
        ActionType::DraftGenerated,
        Some(row.platform),
        settlement_metadata(&row),
    )
    .await?;
    let (code, message) = error.map_or((None, None), |(code, message)| (Some(code.to_owned()), Some(message)));
    generations::Entity::update_many()
        .col_expr(generations::Column::Status, sea_orm::sea_query::Expr::value(status))
        .col_expr(generations::Column::CreditsUsed, Some(spent).into())
        .col_expr(generations::Column::ErrorCode, code.into())
        .col_expr(generations::Column::ErrorMessage, message.into())
        .col_expr(generations::Column::FinishedAt, Some(Utc::now()).into())
        .filter(generations::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    commit_with(state, txn, id, Vec::new()).await
}

/// Ends the job of generation `id` and the generation, when no worker has claimed it yet.
pub async fn cancel_if_queued(state: &AppState, id: Uuid) -> AppResult<()> {
    let queued =
        jobs::Entity::find_by_id(id).filter(jobs::Column::Status.eq(JobStatus::Queued)).one(&state.db).await?.is_some();
    if queued && crate::queue::end_unclaimed(&state.db, id, JobStatus::Cancelled, None).await? {
        end(state, id, Ending::new(GenerationStatus::Cancelled, "CANCELLED", "cancelled")).await?;
    }
    Ok(())
}

/// A generation job that will not run again (its attempts are spent, it timed out, or its
/// deadline passed): the generation ends as `status` with `message`.
pub async fn abandoned(
    state: &AppState,
    job: &jobs::Model,
    status: GenerationStatus,
    message: String,
) -> AppResult<()> {
    match generation_of(job) {
        Some(id) => {
            let code = if status == GenerationStatus::Timeout { "TIMEOUT" } else { "JOB_FAILED" };
            end(state, id, Ending::new(status, code, message)).await
        }
        None => Ok(()),
    }
}
