//! The bus shared by every instance on one PostgreSQL database: events go out with `NOTIFY` and
//! come back to every instance (this one included) through a `LISTEN` connection.
//!
//! A payload larger than `NOTIFY` takes is stored in `event_payloads` and only its id is sent;
//! listeners load it. A lost listening connection is re-established and listening resumes.
use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::Deserialize;
use tokio::sync::{broadcast, mpsc, oneshot};
use uuid::Uuid;

use super::local::LocalBus;
use super::{Event, EventBus};
use crate::config::Config;

/// `NOTIFY` refuses payloads from 8,000 bytes; larger ones are stored and referenced.
const MAX_NOTIFY_BYTES: usize = 7_900;
/// Events waiting to be sent; beyond this the database is not keeping up and events are dropped.
const OUTBOX: usize = 10_000;
/// Most events sent in one statement.
const BATCH: usize = 256;
/// How long a stored payload is kept for listeners to load it.
const STORED_FOR_SECS: i64 = 3_600;

/// What a notification carries: the event, or where a large one is stored.
#[derive(Deserialize)]
#[serde(untagged)]
enum Wire {
    Stored { stored: Uuid },
    Event(Event),
}

pub struct PgBus {
    local: LocalBus,
    outbox: mpsc::Sender<Event>,
    _stop: oneshot::Sender<()>,
}

impl PgBus {
    /// Starts listening on the configured channel, then returns the bus.
    pub async fn start(db: DatabaseConnection, config: &Config) -> Result<Self, String> {
        let channel = config.events_channel.clone();
        let options: PgConnectOptions =
            config.database_url.parse().map_err(|_| "the database URL is not a PostgreSQL URL".to_owned())?;
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(config.connect_timeout())
            .connect_lazy_with(options.application_name(&format!("creatorpulse-events {channel}")));
        let mut listener = PgListener::connect_with(&pool).await.map_err(|err| format!("cannot listen: {err}"))?;
        listener.listen(&channel).await.map_err(|err| format!("cannot listen on {channel}: {err}"))?;

        let local = LocalBus::new(config.event_buffer);
        let (outbox, pending) = mpsc::channel(OUTBOX);
        let (stop, stopped) = oneshot::channel();
        tokio::spawn(send_loop(db.clone(), channel, pending));
        tokio::spawn(listen_loop(listener, db, local.sender(), stopped));
        Ok(Self { local, outbox, _stop: stop })
    }
}

impl EventBus for PgBus {
    fn publish(&self, event: Event) {
        crate::telemetry::metrics::event_published();
        if self.outbox.try_send(event).is_err() {
            crate::telemetry::metrics::events_dropped(1);
            tracing::error!("the event outbox is full: an event was dropped");
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.local.subscribe()
    }

    fn receivers(&self) -> usize {
        self.local.receivers()
    }
}

fn statement(sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// Sends the outbox in order: whatever is waiting goes out in one statement, one `NOTIFY` per
/// event, so that a burst of writes costs a round trip per batch, not per event.
async fn send_loop(db: DatabaseConnection, channel: String, mut pending: mpsc::Receiver<Event>) {
    let mut batch = Vec::with_capacity(BATCH);
    while pending.recv_many(&mut batch, BATCH).await > 0 {
        let mut payloads = Vec::with_capacity(batch.len());
        for event in batch.drain(..) {
            let Ok(payload) = serde_json::to_string(&event) else { continue };
            if payload.len() <= MAX_NOTIFY_BYTES {
                payloads.push(payload);
                continue;
            }
            match store(&db, payload).await {
                Ok(id) => payloads.push(serde_json::json!({ "stored": id }).to_string()),
                Err(err) => {
                    crate::telemetry::metrics::events_dropped(1);
                    tracing::error!(error = %err, "cannot store a large event: it was dropped");
                }
            }
        }
        if payloads.is_empty() {
            continue;
        }
        let count = payloads.len();
        let sql = "SELECT pg_notify($1, payload) FROM jsonb_array_elements_text($2::jsonb) \
                   WITH ORDINALITY AS sent(payload, n) ORDER BY n";
        let values = vec![channel.clone().into(), serde_json::Value::from(payloads).to_string().into()];
        if let Err(err) = db.execute_raw(statement(sql, values)).await {
            crate::telemetry::metrics::events_dropped(count as u64);
            tracing::error!(error = %err, events = count, "cannot send events: they were dropped");
        }
    }
}

async fn store(db: &DatabaseConnection, payload: String) -> Result<Uuid, sea_orm::DbErr> {
    let id = Uuid::new_v4();
    db.execute_raw(statement(
        "DELETE FROM event_payloads WHERE created_at < now() - make_interval(secs => $1)",
        vec![(STORED_FOR_SECS as f64).into()],
    ))
    .await?;
    db.execute_raw(statement(
        "INSERT INTO event_payloads (id, payload, created_at) VALUES ($1, $2, now())",
        vec![id.into(), payload.into()],
    ))
    .await?;
    Ok(id)
}

async fn load(db: &DatabaseConnection, id: Uuid) -> Option<Event> {
    let row = db.query_one_raw(statement("SELECT payload FROM event_payloads WHERE id = $1", vec![id.into()])).await;
    match row {
        Ok(Some(row)) => row.try_get_by_index::<String>(0).ok().and_then(|p| serde_json::from_str(&p).ok()),
        Ok(None) => None,
        Err(err) => {
            tracing::error!(error = %err, "cannot load a stored event");
            None
        }
    }
}

/// Receives every instance's events and hands them to this instance's subscribers.
async fn listen_loop(
    mut listener: PgListener,
    db: DatabaseConnection,
    local: broadcast::Sender<Arc<Event>>,
    mut stopped: oneshot::Receiver<()>,
) {
    loop {
        let received = tokio::select! {
            _ = &mut stopped => return,
            received = listener.try_recv() => received,
        };
        match received {
            Ok(Some(notification)) => {
                let event = match serde_json::from_str::<Wire>(notification.payload()) {
                    Ok(Wire::Event(event)) => Some(event),
                    Ok(Wire::Stored { stored }) => load(&db, stored).await,
                    Err(_) => None,
                };
                match event {
                    Some(event) => {
                        let _ = local.send(Arc::new(event));
                    }
                    None => tracing::warn!("an event notification could not be read"),
                }
            }
            // The connection was lost and has been re-established; what was sent meanwhile is lost.
            Ok(None) => {
                tracing::warn!("the event listener reconnected to the database");
                let _ = local.send(Arc::new(Event::Resync));
            }
            Err(err) => {
                tracing::warn!(error = %err, "the event listener cannot reach the database; retrying");
                tokio::select! {
                    _ = &mut stopped => return,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }
}
