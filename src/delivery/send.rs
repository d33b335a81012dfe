//! Sending a delivery, as a job. It picks up to `max_drafts_per_delivery` of the creator's drafts
//! waiting for review (`pending`), newest first, on their platforms and in their formats (an
//! empty list is all), leaving out drafts an earlier delivery of the last 30 days carried, with
//! the trends they came from. None: the delivery is `skipped`, with the reason. Otherwise it goes
//! by every channel the creator enabled: email (SMTP), then push and WhatsApp (the webhook). A
//! channel that fails records `failed` with its error and the job is tried again with back-off;
//! channels that went out are not sent again. `deliveryChannel` is the first channel that went
//! out.
use chrono::{Duration, Utc};
use entity::enums::{DeliveryChannel, DeliveryStatus, DraftStatus, JobStatus};
use entity::{content_drafts, daily_deliveries, delivery_preferences, jobs, users};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::error::AppResult;
use crate::events::{self, ChangeKind};
use crate::outbound::Email;
use crate::queue::Outcome;
use crate::state::AppState;

/// The purposes of a delivery's signed links.
pub const OPENED: &str = "delivery-opened";
pub const UNSUBSCRIBE: &str = "delivery-unsubscribe";

fn delivery_of(job: &jobs::Model) -> Option<Uuid> {
    job.payload.get("delivery")?.as_str()?.parse().ok()
}

/// The channels that went out on earlier attempts.
fn sent_before(job: &jobs::Model) -> Vec<DeliveryChannel> {
    job.payload.get("sent").and_then(|s| serde_json::from_value(s.clone()).ok()).unwrap_or_default()
}

/// The value a column of `value`'s enum stores (`twitter`, `single_tweet`).
fn stored<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// Whether `value` is in `list` (a JSON list of names); an empty or absent list allows all.
fn allowed(list: Option<&Json>, value: &str) -> bool {
    match list.and_then(Json::as_array) {
        Some(items) if !items.is_empty() => {
            items.iter().filter_map(Json::as_str).any(|item| item.eq_ignore_ascii_case(value))
        }
        _ => true,
    }
}

async fn set(
    state: &AppState,
    id: Uuid,
    status: DeliveryStatus,
    error: Option<String>,
    change: impl FnOnce(sea_orm::UpdateMany<daily_deliveries::Entity>) -> sea_orm::UpdateMany<daily_deliveries::Entity>,
) -> AppResult<()> {
    use daily_deliveries::Column;
    let update = daily_deliveries::Entity::update_many()
        .col_expr(Column::DeliveryStatus, Expr::value(status))
        .col_expr(Column::ErrorMessage, Expr::value(error))
        .filter(Column::Id.eq(id));
    let txn = crate::db::write_txn(&state.db).await?;
    change(update).exec(&txn).await?;
    events::outbox::commit_rows::<daily_deliveries::Entity>(txn, state.events.as_ref(), ChangeKind::Updated, vec![id])
        .await?;
    Ok(())
}

/// One attempt at sending a delivery.
pub async fn run(state: &AppState, job: &jobs::Model) -> AppResult<Outcome> {
    let Some(id) = delivery_of(job) else { return Ok(Outcome::Ended(JobStatus::Failed)) };
    let Some(delivery) = daily_deliveries::Entity::find_by_id(id).one(&state.db).await? else {
        return Ok(Outcome::Completed);
    };
    if matches!(delivery.delivery_status, Some(DeliveryStatus::Delivered | DeliveryStatus::Skipped)) {
        return Ok(Outcome::Completed);
    }
    let user = delivery.user_id;
    let preferences = delivery_preferences::Entity::find()
        .filter(delivery_preferences::Column::UserId.eq(user))
        .one(&state.db)
        .await?
        .unwrap_or(delivery_preferences::Model {
            id: Uuid::nil(),
            user_id: user,
            delivery_time: None,
            delivery_days: None,
            email_enabled: Some(true),
            whatsapp_enabled: Some(false),
            whatsapp_number: None,
            push_notifications_enabled: Some(true),
            content_formats: None,
            platforms: None,
            trend_alerts_enabled: None,
            max_drafts_per_delivery: None,
            created_at: None,
            updated_at: None,
        });
    let mut channels = Vec::new();
    if preferences.email_enabled != Some(false) {
        channels.push(DeliveryChannel::Email);
    }
    if preferences.push_notifications_enabled != Some(false) {
        channels.push(DeliveryChannel::Push);
    }
    if preferences.whatsapp_enabled == Some(true) {
        channels.push(DeliveryChannel::Whatsapp);
    }
    if channels.is_empty() {
        set(state, id, DeliveryStatus::Skipped, Some("no delivery channel is enabled".into()), |u| u).await?;
        return Ok(Outcome::Completed);
    }

    let drafts = pick(state, &delivery, &preferences).await?;
    if drafts.is_empty() {
        let reason = "no drafts waiting for review on your platforms and formats".to_owned();
        set(state, id, DeliveryStatus::Skipped, Some(reason), |u| u).await?;
        return Ok(Outcome::Completed);
    }
    let draft_ids: Vec<Uuid> = drafts.iter().map(|d| d.id).collect();
    let mut trend_ids: Vec<Uuid> = drafts.iter().filter_map(|d| d.trend_source_id).collect();
    trend_ids.dedup();

    let email = users::Entity::find_by_id(user).one(&state.db).await?.map(|u| u.email).unwrap_or_default();
    let message =
        Message { state, delivery: &delivery, drafts: &drafts, email, whatsapp: preferences.whatsapp_number.clone() };
    let mut sent = sent_before(job);
    let mut errors = Vec::new();
    let pending: Vec<DeliveryChannel> = channels.iter().copied().filter(|c| !sent.contains(c)).collect();
    for channel in pending {
        match message.send(channel).await {
            Ok(()) => sent.push(channel),
            Err(error) => errors.push(format!("{}: {error}", stored(channel))),
        }
    }
    // Remember what went out, so that another attempt does not send it again.
    jobs::Entity::update_many()
        .col_expr(jobs::Column::Payload, Expr::value(json!({ "delivery": id, "sent": sent })))
        .filter(jobs::Column::Id.eq(job.id))
        .exec(&state.db)
        .await?;
    let first = channels.iter().copied().find(|c| sent.contains(c));
    let (ids, trends) = (json!(draft_ids), json!(trend_ids));
    let record = |u: sea_orm::UpdateMany<daily_deliveries::Entity>| {
        u.col_expr(daily_deliveries::Column::ContentDraftIds, Expr::value(ids))
            .col_expr(daily_deliveries::Column::TrendInsightIds, Expr::value(trends))
            .col_expr(daily_deliveries::Column::DeliveryChannel, Expr::value(first))
    };
    if errors.is_empty() {
        let now = Utc::now();
        set(state, id, DeliveryStatus::Delivered, None, |u| {
            record(u).col_expr(daily_deliveries::Column::DeliveredAt, Expr::value(now))
        })
        .await?;
        return Ok(Outcome::Completed);
    }
    let error = errors.join("; ");
    set(state, id, DeliveryStatus::Failed, Some(error.clone()), record).await?;
    if job.attempts < job.max_attempts { Ok(Outcome::Retry(error)) } else { Ok(Outcome::Ended(JobStatus::Failed)) }
}

/// A delivery whose job will not run again: failed, unless it went out.
pub async fn abandoned(state: &AppState, job: &jobs::Model, message: String) -> AppResult<()> {
    let Some(id) = delivery_of(job) else { return Ok(()) };
    let open = daily_deliveries::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .is_some_and(|d| !matches!(d.delivery_status, Some(DeliveryStatus::Delivered | DeliveryStatus::Skipped)));
    if open {
        set(state, id, DeliveryStatus::Failed, Some(message), |u| u).await?;
    }
    Ok(())
}

/// The drafts of a delivery.
async fn pick(
    state: &AppState,
    delivery: &daily_deliveries::Model,
    preferences: &delivery_preferences::Model,
) -> AppResult<Vec<content_drafts::Model>> {
    let since = delivery.delivery_date - Duration::days(30);
    let earlier: Vec<Option<Json>> = daily_deliveries::Entity::find()
        .select_only()
        .column(daily_deliveries::Column::ContentDraftIds)
        .filter(daily_deliveries::Column::UserId.eq(delivery.user_id))
        .filter(daily_deliveries::Column::Id.ne(delivery.id))
        .filter(daily_deliveries::Column::DeliveryDate.gte(since))
        .into_tuple()
        .all(&state.db)
        .await?;
    let carried: Vec<String> = earlier
        .iter()
        .flatten()
        .filter_map(Json::as_array)
        .flatten()
        .filter_map(Json::as_str)
        .map(str::to_owned)
        .collect();
    let limit = usize::try_from(preferences.max_drafts_per_delivery.unwrap_or(5).max(1)).unwrap_or(5);
    let waiting = content_drafts::Entity::find()
        .filter(content_drafts::Column::UserId.eq(delivery.user_id))
        .filter(content_drafts::Column::Status.eq(DraftStatus::Pending))
        .order_by_desc(content_drafts::Column::CreatedAt)
        .order_by_desc(content_drafts::Column::Id)
        .limit(500)
        .all(&state.db)
        .await?;
    Ok(waiting
        .into_iter()
        .filter(|d| !carried.contains(&d.id.to_string()))
        .filter(|d| allowed(preferences.platforms.as_ref(), &stored(d.platform)))
        .filter(|d| allowed(preferences.content_formats.as_ref(), &stored(d.content_type)))
        .take(limit)
        .collect())
}

/// What a delivery says, by each channel.
struct Message<'a> {
    state: &'a AppState,
    delivery: &'a daily_deliveries::Model,
    drafts: &'a [content_drafts::Model],
    email: String,
    whatsapp: Option<String>,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

impl Message<'_> {
    fn link(&self, path: &str) -> String {
        let config = &self.state.config;
        let base = config.public_url.clone().unwrap_or_else(|| format!("http://{}", config.bind));
        format!("{}{path}", base.trim_end_matches('/'))
    }

    fn opened(&self) -> String {
        self.link(&format!("/deliveries/open/{}", self.state.links.sign(OPENED, self.delivery.id)))
    }

    fn unsubscribe(&self) -> String {
        self.link(&format!("/deliveries/unsubscribe/{}", self.state.links.sign(UNSUBSCRIBE, self.delivery.user_id)))
    }

    async fn send(&self, channel: DeliveryChannel) -> Result<(), String> {
        match channel {
            DeliveryChannel::Email => {
                let mailer = self.state.mailer.as_ref().ok_or("email is enabled but no SMTP server is configured")?;
                mailer.send(self.email()).await
            }
            DeliveryChannel::Push | DeliveryChannel::Whatsapp => {
                let webhook = self.state.webhook.as_ref().ok_or("no delivery webhook is configured")?;
                webhook.post(&self.webhook_body(channel)).await
            }
        }
    }

    fn email(&self) -> Email {
        let date = self.delivery.delivery_date;
        let (opened, unsubscribe) = (self.opened(), self.unsubscribe());
        let mut text = format!("Your CreatorPulse drafts for {date}\n\n");
        let mut html = format!("<!doctype html><html><body><h1>Your drafts for {date}</h1>");
        for (n, draft) in self.drafts.iter().enumerate() {
            let platform = stored(draft.platform);
            text.push_str(&format!("{}. [{platform}] {}\n\n", n + 1, draft.content));
            html.push_str(&format!("<h2>{}. {platform}</h2><p>{}</p>", n + 1, escape(&draft.content)));
        }
        text.push_str(&format!("Review them: {opened}\nNo more emails: {unsubscribe}\n"));
        html.push_str(&format!(
            "<p><a href=\"{opened}\">Review them in CreatorPulse</a></p>\
             <p><a href=\"{unsubscribe}\">Unsubscribe from these emails</a></p>\
             <img src=\"{opened}.gif\" width=\"1\" height=\"1\" alt=\"\"></body></html>"
        ));
        Email {
            to: self.email.clone(),
            subject: format!("Your CreatorPulse drafts for {date}"),
            text,
            html,
            unsubscribe: Some(unsubscribe),
        }
    }

    fn webhook_body(&self, channel: DeliveryChannel) -> Json {
        let drafts: Vec<Json> = self
            .drafts
            .iter()
            .map(|d| json!({ "id": d.id, "platform": stored(d.platform), "contentType": stored(d.content_type), "content": d.content }))
            .collect();
        let mut body = json!({
            "channel": stored(channel),
            "deliveryId": self.delivery.id,
            "userId": self.delivery.user_id,
            "date": self.delivery.delivery_date,
            "drafts": drafts,
            "openUrl": self.opened(),
        });
        if channel == DeliveryChannel::Whatsapp {
            body["whatsappNumber"] = json!(self.whatsapp);
        }
        body
    }
}
