//! `webhook_events` (seed 001): every accepted delivery of a payment provider's webhook, stored
//! raw, processed once.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::WebhookStatus;

/// A payment provider's event, as delivered.
#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "webhook_events")]
#[graphql(name = "WebhookEventColumns")]
#[table(name = "WebhookEvent", label = "webhook event", read_only)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `stripe`.
    pub provider: String,
    /// The provider's event id (`evt_…`): one row per event.
    pub event_id: String,
    /// e.g. `checkout.session.completed`.
    pub event_type: String,
    /// When the provider created the event (Unix seconds): the order of changes.
    pub provider_created: i64,
    /// The event as delivered.
    #[sea_orm(column_type = "JsonBinary")]
    pub payload: Json,
    pub status: WebhookStatus,
    /// How many times processing was tried.
    pub attempts: i32,
    /// Why the last try failed.
    pub last_error: Option<String>,
    pub received_at: DateTimeUtc,
    pub processed_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
