//! Stripe's webhook: `POST /webhooks/stripe`.
//!
//! A delivery is verified as Stripe specifies (HMAC-SHA256 of `timestamp.payload` with the
//! endpoint's secret, any of several `v1` signatures, a tolerance window against replays, several
//! secrets while one is rotated), stored raw in `webhook_events` (one row per event id), claimed
//! by one atomic statement, and applied in one transaction with its billing, ledger, lifecycle
//! and audit rows, which also marks it processed. A second delivery of the same event, on any
//! instance, finds it claimed or processed and changes nothing. An event older than the last one
//! applied to a subscription leaves the subscription as it is.
use chrono::{DateTime, Utc};
use entity::enums::{ActorKind, BillingStatus, SubscriptionEventKind, Tier, WebhookStatus};
use entity::{subscription_billing, subscription_events, webhook_events};
use hmac::{Hmac, Mac};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter, Set,
};
use serde_json::Value as Json;
use sha2::Sha256;
use uuid::Uuid;

use super::ledger::{self, Credit};
use crate::audit::{self, Actor, Entry, RequestMeta};
use crate::error::{AppError, AppResult};
use crate::events::{self, ChangeKind};
use crate::state::AppState;

/// Why a delivery was refused before anything was stored.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// No endpoint secret is configured: the route is off.
    NotConfigured,
    /// Missing, malformed, wrong or expired signature.
    Signature,
    /// Not a Stripe event.
    Malformed,
}

/// What became of an accepted delivery.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Processed,
    /// Already processed or being processed elsewhere: nothing done.
    Duplicate,
    /// A type this server does not act on, stored and marked ignored.
    Ignored,
}

/// Checks `header` (`Stripe-Signature`) against `payload` with any of `secrets`, at `now`.
pub fn verify(header: &str, payload: &[u8], secrets: &[String], tolerance_secs: i64, now: i64) -> Result<(), Refused> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", sig)) => signatures.push(sig),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(Refused::Signature)?;
    if (now - timestamp).abs() > tolerance_secs {
        return Err(Refused::Signature);
    }
    for secret in secrets {
        for signature in &signatures {
            let Some(expected) = unhex(signature) else { continue };
            let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { continue };
            mac.update(timestamp.to_string().as_bytes());
            mac.update(b".");
            mac.update(payload);
            // `verify_slice` compares in constant time.
            if mac.verify_slice(&expected).is_ok() {
                return Ok(());
            }
        }
    }
    Err(Refused::Signature)
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// Receives one delivery: verified, stored, claimed, applied.
pub async fn receive(
    state: &AppState,
    signature: Option<&str>,
    payload: &[u8],
    meta: &RequestMeta,
) -> Result<AppResult<Outcome>, Refused> {
    let secrets: Vec<String> = state.config.stripe_webhook_secrets.iter().map(|s| s.expose().to_owned()).collect();
    if secrets.is_empty() {
        return Err(Refused::NotConfigured);
    }
    let tolerance = state.config.stripe_webhook_tolerance as i64;
    verify(signature.ok_or(Refused::Signature)?, payload, &secrets, tolerance, Utc::now().timestamp())?;
    let event: Json = serde_json::from_slice(payload).map_err(|_| Refused::Malformed)?;
    let (Some(id), Some(kind), Some(created)) =
        (event["id"].as_str(), event["type"].as_str(), event["created"].as_i64())
    else {
        return Err(Refused::Malformed);
    };
    if !id.starts_with("evt_") {
        return Err(Refused::Malformed);
    }
    Ok(store_and_apply(state, id, kind, created, &event, meta).await)
}

async fn store_and_apply(
    state: &AppState,
    id: &str,
    kind: &str,
    created: i64,
    event: &Json,
    meta: &RequestMeta,
) -> AppResult<Outcome> {
    let db = &state.db;
    let row = webhook_events::ActiveModel {
        id: Set(Uuid::new_v4()),
        provider: Set("stripe".into()),
        event_id: Set(id.to_owned()),
        event_type: Set(kind.to_owned()),
        provider_created: Set(created),
        payload: Set(event.clone()),
        status: Set(WebhookStatus::Received),
        attempts: Set(0),
        last_error: Set(None),
        received_at: Set(Utc::now()),
        processed_at: Set(None),
        updated_at: Set(Utc::now()),
    };
    webhook_events::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([webhook_events::Column::Provider, webhook_events::Column::EventId])
                .do_nothing()
                .to_owned(),
        )
        .try_insert()
        .exec(db)
        .await?;
    process(state, id, meta).await
}

/// Claims the stored event `id` (received, or failed before) and applies it; what happened.
pub async fn process(state: &AppState, id: &str, meta: &RequestMeta) -> AppResult<Outcome> {
    let db = &state.db;
    // The claim: one statement, so two deliveries (or instances) cannot both win it.
    let claimed = webhook_events::Entity::update_many()
        .col_expr(webhook_events::Column::Status, Expr::value(WebhookStatus::Processing))
        .col_expr(webhook_events::Column::Attempts, Expr::col(webhook_events::Column::Attempts).add(1))
        .filter(webhook_events::Column::Provider.eq("stripe"))
        .filter(webhook_events::Column::EventId.eq(id))
        .filter(webhook_events::Column::Status.is_in([WebhookStatus::Received, WebhookStatus::Failed]))
        .exec(db)
        .await?
        .rows_affected;
    if claimed == 0 {
        return Ok(Outcome::Duplicate);
    }
    let stored = webhook_events::Entity::find()
        .filter(webhook_events::Column::Provider.eq("stripe"))
        .filter(webhook_events::Column::EventId.eq(id))
        .one(db)
        .await?
        .ok_or(AppError::Internal)?;
    let txn = crate::db::write_txn(db).await?;
    let applied = apply(&txn, &stored, meta).await;
    let (status, outcome, published) = match applied {
        Ok(Applied::Done(published)) => (WebhookStatus::Processed, Outcome::Processed, published),
        Ok(Applied::Ignored) => (WebhookStatus::Ignored, Outcome::Ignored, Vec::new()),
        Err(err) => {
            let _ = txn.rollback().await;
            let message = format!("{err:?}");
            tracing::warn!(event = id, error = %message, "webhook event failed");
            let mut failed = stored.into_active_model();
            failed.status = Set(WebhookStatus::Failed);
            failed.last_error = Set(Some(message));
            failed.update(db).await?;
            return Err(err);
        }
    };
    let mut done = stored.into_active_model();
    done.status = Set(status);
    done.last_error = Set(None);
    done.processed_at = Set(Some(Utc::now()));
    done.update(&txn).await?;
    events::outbox::commit(txn, state.events.as_ref(), published).await?;
    Ok(outcome)
}

enum Applied {
    /// Applied; the live events to publish after the commit.
    Done(Vec<events::Change>),
    Ignored,
}

/// The account an event is about: `metadata.user_id` or `client_reference_id` (set when the
/// checkout was created), else the subscription that carries the event's customer.
async fn account_of(txn: &DatabaseTransaction, object: &Json) -> AppResult<Option<Uuid>> {
    let named = object["metadata"]["user_id"].as_str().or(object["client_reference_id"].as_str());
    if let Some(user) = named.and_then(|u| Uuid::parse_str(u).ok()) {
        return Ok(Some(user));
    }
    let Some(customer) = object["customer"].as_str() else { return Ok(None) };
    Ok(subscription_billing::Entity::find()
        .filter(subscription_billing::Column::StripeCustomerId.eq(customer))
        .one(txn)
        .await?
        .map(|s| s.user_id))
}

async fn apply(txn: &DatabaseTransaction, stored: &webhook_events::Model, meta: &RequestMeta) -> AppResult<Applied> {
    let object = &stored.payload["data"]["object"];
    let actor = Actor { kind: ActorKind::Service, id: None };
    let handled = matches!(
        stored.event_type.as_str(),
        "checkout.session.completed"
            | "customer.subscription.created"
            | "customer.subscription.updated"
            | "customer.subscription.deleted"
            | "invoice.paid"
            | "invoice.payment_failed"
    );
    if !handled {
        return Ok(Applied::Ignored);
    }
    let user = account_of(txn, object).await?.ok_or(AppError::NotFound("account of the event"))?;
    let mut published = Vec::new();
    match stored.event_type.as_str() {
        "checkout.session.completed" => {
            // A credit purchase: the credits of the checkout's metadata, once per payment.
            let credits = object["metadata"]["credits"]
                .as_str()
                .and_then(|c| c.parse::<Decimal>().ok())
                .or_else(|| object["metadata"]["credits"].as_i64().map(Decimal::from));
            let Some(credits) = credits else { return Ok(Applied::Ignored) };
            let payment = object["payment_intent"].as_str().or(object["id"].as_str()).unwrap_or(&stored.event_id);
            let credited = ledger::credit_in(txn, user, credits, Credit::TopUp, Some(payment)).await?;
            if credited.new {
                let mut entry = ledger::credit_entry(user, &credited.transaction);
                entry.action = "credits.purchase";
                audit::record(txn, actor, meta, entry).await?;
                if let Some(change) = events::Change::of::<entity::credit_transactions::Entity>(
                    ChangeKind::Created,
                    &credited.transaction,
                ) {
                    published.push(change);
                }
            }
            link_customer(txn, user, object["customer"].as_str()).await?;
        }
        "customer.subscription.created" | "customer.subscription.updated" | "customer.subscription.deleted" => {
            let deleted = stored.event_type == "customer.subscription.deleted";
            apply_subscription(txn, stored, (user, object, deleted), (actor, meta), &mut published).await?;
        }
        "invoice.paid" => {
            let period = &object["lines"]["data"][0]["period"];
            let (Some(start), Some(end)) = (timestamp(&period["start"]), timestamp(&period["end"])) else {
                return Ok(Applied::Ignored);
            };
            let rows = ledger::reset_allowance_in(txn, user, start, end).await?;
            if !rows.is_empty() {
                lifecycle(txn, user, SubscriptionEventKind::Renewed, None, &mut published, &stored.event_id).await?;
            }
            for row in &rows {
                if let Some(change) =
                    events::Change::of::<entity::credit_transactions::Entity>(ChangeKind::Created, row)
                {
                    published.push(change);
                }
            }
        }
        "invoice.payment_failed" => {
            let before = subscription_of(txn, user).await?;
            let mut row = before.clone().into_active_model();
            row.subscription_status = Set(BillingStatus::PastDue);
            let after = row.update(txn).await?;
            let states = Some((&before, &after));
            lifecycle(txn, user, SubscriptionEventKind::PaymentFailed, states, &mut published, &stored.event_id)
                .await?;
            audit_subscription(txn, actor, meta, &before, &after).await?;
            published.extend(events::Change::of::<subscription_billing::Entity>(ChangeKind::Updated, &after));
        }
        _ => return Ok(Applied::Ignored),
    }
    Ok(Applied::Done(published))
}

fn timestamp(value: &Json) -> Option<DateTime<Utc>> {
    value.as_i64().and_then(|t| DateTime::from_timestamp(t, 0))
}

async fn subscription_of(txn: &DatabaseTransaction, user: Uuid) -> AppResult<subscription_billing::Model> {
    subscription_billing::Entity::find()
        .filter(subscription_billing::Column::UserId.eq(user))
        .one(txn)
        .await?
        .ok_or(AppError::NotFound("subscription"))
}

async fn link_customer(txn: &DatabaseTransaction, user: Uuid, customer: Option<&str>) -> AppResult<()> {
    let Some(customer) = customer else { return Ok(()) };
    subscription_billing::Entity::update_many()
        .col_expr(subscription_billing::Column::StripeCustomerId, Expr::value(customer))
        .filter(subscription_billing::Column::UserId.eq(user))
        .filter(subscription_billing::Column::StripeCustomerId.is_null())
        .exec(txn)
        .await?;
    Ok(())
}

/// Stripe's status as the seed's.
fn status_of(stripe: &str) -> BillingStatus {
    match stripe {
        "active" => BillingStatus::Active,
        "trialing" => BillingStatus::Trialing,
        "past_due" => BillingStatus::PastDue,
        "canceled" | "incomplete_expired" => BillingStatus::Canceled,
        _ => BillingStatus::Unpaid,
    }
}

/// The tier a subscription object names: `metadata.tier`, else its price's `lookup_key`
/// starting with a tier's name (`creator_monthly`).
fn tier_of(object: &Json) -> Option<Tier> {
    let named = object["metadata"]["tier"]
        .as_str()
        .or(object["items"]["data"][0]["price"]["lookup_key"].as_str())?
        .to_ascii_lowercase();
    [Tier::Enterprise, Tier::Agency, Tier::Creator, Tier::Free].into_iter().find(|t| {
        let name = serde_json::to_value(t).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        named.starts_with(&name)
    })
}

fn rank(tier: Tier) -> u8 {
    match tier {
        Tier::Free => 0,
        Tier::Creator => 1,
        Tier::Agency => 2,
        Tier::Enterprise => 3,
    }
}

async fn apply_subscription(
    txn: &DatabaseTransaction,
    stored: &webhook_events::Model,
    (user, object, deleted): (Uuid, &Json, bool),
    (actor, meta): (Actor, &RequestMeta),
    published: &mut Vec<events::Change>,
) -> AppResult<()> {
    let before = subscription_of(txn, user).await?;
    // A late event (older than the change already applied) rolls nothing back.
    if before.provider_updated_at.is_some_and(|applied| applied > stored.provider_created) {
        return Ok(());
    }
    let mut row = before.clone().into_active_model();
    row.provider_updated_at = Set(Some(stored.provider_created));
    row.stripe_subscription_id =
        Set(object["id"].as_str().map(str::to_owned).or(before.stripe_subscription_id.clone()));
    if let Some(customer) = object["customer"].as_str() {
        row.stripe_customer_id = Set(Some(customer.to_owned()));
    }
    let status = if deleted { BillingStatus::Canceled } else { status_of(object["status"].as_str().unwrap_or("")) };
    row.subscription_status = Set(status);
    let tier = if deleted { Some(Tier::Free) } else { tier_of(object) };
    if let Some(tier) = tier {
        row.tier = Set(tier);
    }
    if let Some(credits) = object["metadata"]["monthly_credits"].as_str().and_then(|c| c.parse::<Decimal>().ok()) {
        row.monthly_credit_limit = Set(Some(credits));
    }
    if let (Some(start), Some(end)) =
        (timestamp(&object["current_period_start"]), timestamp(&object["current_period_end"]))
    {
        row.current_period_start = Set(Some(start));
        row.current_period_end = Set(Some(end));
    }
    row.cancel_at_period_end = Set(object["cancel_at_period_end"].as_bool().unwrap_or(false));
    let after = row.update(txn).await?;
    let kind = match stored.event_type.as_str() {
        "customer.subscription.created" => Some(SubscriptionEventKind::Created),
        "customer.subscription.deleted" => Some(SubscriptionEventKind::Expired),
        _ if after.subscription_status == BillingStatus::Canceled
            && before.subscription_status != BillingStatus::Canceled =>
        {
            Some(SubscriptionEventKind::Canceled)
        }
        _ if before.subscription_status == BillingStatus::Canceled
            && after.subscription_status != BillingStatus::Canceled =>
        {
            Some(SubscriptionEventKind::Reactivated)
        }
        _ if rank(after.tier) > rank(before.tier) => Some(SubscriptionEventKind::Upgraded),
        _ if rank(after.tier) < rank(before.tier) => Some(SubscriptionEventKind::Downgraded),
        _ if after.cancel_at_period_end && !before.cancel_at_period_end => Some(SubscriptionEventKind::Canceled),
        _ => None,
    };
    if let Some(kind) = kind {
        lifecycle(txn, user, kind, Some((&before, &after)), published, &stored.event_id).await?;
    }
    audit_subscription(txn, actor, meta, &before, &after).await?;
    published.extend(events::Change::of::<subscription_billing::Entity>(ChangeKind::Updated, &after));
    Ok(())
}

async fn audit_subscription(
    txn: &DatabaseTransaction,
    actor: Actor,
    meta: &RequestMeta,
    before: &subscription_billing::Model,
    after: &subscription_billing::Model,
) -> AppResult<()> {
    let entry = Entry::new("subscription.update", Some(after.user_id)).change(
        "subscription_billing",
        after.id,
        serde_json::to_value(before).ok(),
        serde_json::to_value(after).ok(),
    );
    audit::record(txn, actor, meta, entry).await
}

/// Records a lifecycle event (and, through the caller, streams it).
async fn lifecycle(
    txn: &DatabaseTransaction,
    user: Uuid,
    kind: SubscriptionEventKind,
    states: Option<(&subscription_billing::Model, &subscription_billing::Model)>,
    published: &mut Vec<events::Change>,
    provider_event: &str,
) -> AppResult<()> {
    let text = |v: Option<Json>| v.and_then(|v| v.as_str().map(str::to_owned));
    let (tier_before, tier_after, status_before, status_after) = match states {
        Some((b, a)) => (
            text(serde_json::to_value(b.tier).ok()),
            text(serde_json::to_value(a.tier).ok()),
            text(serde_json::to_value(b.subscription_status).ok()),
            text(serde_json::to_value(a.subscription_status).ok()),
        ),
        None => (None, None, None, None),
    };
    let row = subscription_events::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(user),
        kind: Set(kind),
        tier_before: Set(tier_before),
        tier_after: Set(tier_after),
        status_before: Set(status_before),
        status_after: Set(status_after),
        provider_event_id: Set(Some(provider_event.to_owned())),
        occurred_at: Set(Utc::now()),
    }
    .insert(txn)
    .await?;
    published.extend(events::Change::of::<subscription_events::Entity>(ChangeKind::Created, &row));
    Ok(())
}

/// Used by the admin retry: a failed event is claimed and applied again.
pub async fn retry(state: &AppState, event_id: &str, meta: &RequestMeta) -> AppResult<Outcome> {
    process(state, event_id, meta).await
}

/// The stored event `id`, if any.
pub async fn stored(db: &impl ConnectionTrait, id: &str) -> AppResult<Option<webhook_events::Model>> {
    Ok(webhook_events::Entity::find().filter(webhook_events::Column::EventId.eq(id)).one(db).await?)
}
