//! Live events: one event per committed change, written in the change's transaction (the
//! [`outbox`]), fanned out to the subscribers of every server instance.
//!
//! [`EventBus`] is the one seam. [`local::LocalBus`] broadcasts inside the process (a single
//! instance, the SQLite default); [`postgres::PgBus`] sends every event through PostgreSQL's
//! `LISTEN/NOTIFY`, so that a change made through one instance reaches the subscribers of all.
pub mod local;
pub mod outbox;
pub mod postgres;
pub mod writes;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::ValueType;
use sea_orm::{DatabaseConnection, DbBackend, ModelTrait};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::config::Config;
use entity::table::Table;

/// What happened to a row.
#[derive(async_graphql::Enum, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Created,
    Updated,
    Deleted,
}

/// A committed change of one row.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Change {
    /// The table, e.g. `content_drafts`.
    pub table: String,
    pub kind: ChangeKind,
    /// The user the row belongs to (its owner column); `None` for rows no user owns.
    pub owner: Option<Uuid>,
    /// The row as it is after the change (as it was, for a deletion).
    pub row: Json,
    /// When the change was made.
    pub at: DateTime<Utc>,
    /// Its place among the owner's events (from 1, without gaps); given when it is recorded in
    /// the outbox, `None` for rows no user owns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
}

impl Change {
    /// The change of `model`, a row of `E`.
    pub fn of<E: Table>(kind: ChangeKind, model: &E::Model) -> Option<Self>
    where
        E::Model: Serialize,
    {
        let row = match serde_json::to_value(model) {
            Ok(row) => row,
            Err(err) => {
                tracing::error!(error = %err, table = E::default().table_name(), "cannot serialize a changed row");
                return None;
            }
        };
        let owner = E::owner_column().and_then(|col| <Uuid as ValueType>::try_from(model.get(col)).ok());
        Some(Self { table: E::default().table_name().to_owned(), kind, owner, row, at: Utc::now(), position: None })
    }

    /// The row, if this is a change of `E`.
    pub fn row_of<E: Table>(&self) -> Option<E::Model>
    where
        E::Model: DeserializeOwned,
    {
        if self.table != E::default().table_name() {
            return None;
        }
        serde_json::from_value(self.row.clone()).ok()
    }
}

/// What travels on the bus.
#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A row changed.
    Change(Change),
    /// Sessions ended: one (`session_id`) at sign-out, all of a user's (`None`) when the account
    /// is deleted. Their live connections close.
    SessionsEnded { user_id: Uuid, session_id: Option<Uuid> },
    /// A user's role changed: what is remembered of their access is read again, and their live
    /// connections close (a client reconnects with its new rights).
    AccessChanged { user_id: Uuid },
    /// Events may have been lost (the listening connection was re-established): whatever a
    /// subscriber keeps from past events should be read again. Sent by an instance to itself.
    Resync,
}

/// Carries events from the writers to the subscribers.
pub trait EventBus: Send + Sync {
    /// Publishes an event that has committed (a change recorded in the [`outbox`], or a session
    /// ending). It never waits for subscribers: a subscriber that falls behind by more than the
    /// buffer is told that it lagged.
    fn publish(&self, event: Event);

    /// Every event published from now on, by this or (for a shared bus) any other instance.
    fn subscribe(&self) -> broadcast::Receiver<Arc<Event>>;

    /// How many receivers listen on this instance now (a connection holds one, and one more per
    /// subscription).
    fn receivers(&self) -> usize;

    /// The name the bus's own database connection shows (PostgreSQL's `application_name`),
    /// one per instance, so that an operator can tell the instances' listeners apart.
    fn connection_name(&self) -> Option<&str> {
        None
    }
}

/// The bus a server uses.
pub type Bus = Arc<dyn EventBus>;

/// The change of each row of `E` in `rows`, to record with [`outbox::record`].
pub fn changes<'a, E: Table>(kind: ChangeKind, rows: impl IntoIterator<Item = &'a E::Model>) -> Vec<Change>
where
    E::Model: Serialize + 'a,
{
    rows.into_iter().filter_map(|row| Change::of::<E>(kind, row)).collect()
}

/// The bus for `db`: `LISTEN/NOTIFY` on PostgreSQL, in-process otherwise. On PostgreSQL the
/// listener is listening when this returns.
pub async fn connect(db: &DatabaseConnection, config: &Config) -> Result<Bus, String> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let bus = postgres::PgBus::start(db.clone(), config).await?;
            Ok(Arc::new(bus))
        }
        _ => Ok(Arc::new(local::LocalBus::new(config.event_buffer))),
    }
}
