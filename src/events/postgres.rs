//! The bus shared by every instance on one PostgreSQL database: events go out with `NOTIFY` and
//! come back to every instance (this one included) through a `LISTEN` connection.
//!
//! Events are sent after their commit, a batch per statement; a change too large for `NOTIFY`
//! is sent as its owner and position, and listeners load it from the outbox. A lost listening
//! connection is re-established, listening resumes, and subscribers are told to read what they
//! may have missed from the outbox.
use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc, oneshot};
use uuid::Uuid;

use super::local::LocalBus;
use super::outbox::{self, MAX_NOTIFY_BYTES};
use super::{Event, EventBus};
use crate::config::Config;

/// Events waiting to be sent; beyond this the database is not keeping up and events are dropped.
const PENDING: usize = 10_000;
/// Most events sent in one statement.
const BATCH: usize = 256;

/// What a notification carries: an event, or where in the outbox a change too large to carry
/// is.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Wire {
    Stored { user: Uuid, position: i64 },
    Event(Event),
}

pub struct PgBus {
    local: LocalBus,
    /// `creatorpulse-events <instance> <channel>`.
    name: String,
    pending: mpsc::Sender<Event>,
    _stop: oneshot::Sender<()>,
}

impl PgBus {
    /// Starts listening on the configured channel, then returns the bus.
    pub async fn start(db: DatabaseConnection, config: &Config) -> Result<Self, String> {
        let channel = config.events_channel.clone();
        let options: PgConnectOptions =
            config.database_url.parse().map_err(|_| "the database URL is not a PostgreSQL URL".to_owned())?;
        // The instance first: PostgreSQL cuts a name at 63 bytes.
        let instance = Uuid::new_v4().simple().to_string();
        let name = format!("creatorpulse-events {} {channel}", &instance[..8]);
        let name: String = name.char_indices().take_while(|(at, c)| at + c.len_utf8() <= 63).map(|(_, c)| c).collect();
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(config.connect_timeout())
            .connect_lazy_with(options.application_name(&name));
        let listener = listen(&pool, &channel).await?;

        let local = LocalBus::new(config.event_buffer);
        let (pending, waiting) = mpsc::channel(PENDING);
        let (stop, stopped) = oneshot::channel();
        // The notifications go out one batch at a time, on a connection of their own that is
        // handed back without a round trip. A batch whose connection turns out to be lost (a
        // database restart) is sent again on a new one, as the database's pool would have found
        // it gone before sending. Only a connection lost mid-answer can repeat a batch: a
        // subscriber following positions drops the repeat, and a missed batch would be worse.
        let sender = crate::db::Reader::new(&db, 1, config.connect_timeout())
            .await
            .map_err(|err| format!("cannot prepare the events' connection: {err}"))?;
        tokio::spawn(send_loop(sender, channel.clone(), waiting));
        tokio::spawn(listen_loop(
            Listening { listener: Some(listener), pool, channel: channel.clone() },
            db,
            local.sender(),
            stopped,
        ));
        Ok(Self { local, name, pending, _stop: stop })
    }
}

impl EventBus for PgBus {
    fn publish(&self, event: Event) {
        crate::telemetry::metrics::event_published();
        if self.pending.try_send(event).is_err() {
            crate::telemetry::metrics::events_dropped(1);
            tracing::error!("too many events wait to be sent: an event was dropped");
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.local.subscribe()
    }

    fn receivers(&self) -> usize {
        self.local.receivers()
    }

    fn connection_name(&self) -> Option<&str> {
        Some(&self.name)
    }
}

/// Sends the events published after their commit in order: whatever is waiting goes out in one
/// statement, one `NOTIFY` per event, so that a burst costs a round trip per batch.
async fn send_loop(db: crate::db::Reader, channel: String, mut pending: mpsc::Receiver<Event>) {
    let mut batch = Vec::with_capacity(BATCH);
    while pending.recv_many(&mut batch, BATCH).await > 0 {
        let mut payloads = Vec::with_capacity(batch.len());
        for event in batch.drain(..) {
            let Ok(payload) = serde_json::to_string(&event) else { continue };
            if payload.len() <= MAX_NOTIFY_BYTES {
                payloads.push(payload);
                continue;
            }
            match &event {
                Event::Change(super::Change { owner: Some(user), position: Some(position), .. }) => {
                    let stored = Wire::Stored { user: *user, position: *position };
                    payloads.extend(serde_json::to_string(&stored).ok());
                }
                _ => {
                    crate::telemetry::metrics::events_dropped(1);
                    tracing::error!(bytes = payload.len(), "an event is too large for a notification: it was dropped");
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
        if let Err(err) = db.query_all_raw(crate::db::statement(&db, sql, values)).await {
            crate::telemetry::metrics::events_dropped(count as u64);
            tracing::error!(error = %err, events = count, "cannot send events: they were dropped");
        }
    }
}

/// A new listening connection on `channel`.
async fn listen(pool: &sea_orm::sqlx::PgPool, channel: &str) -> Result<PgListener, String> {
    let mut listener = PgListener::connect_with(pool).await.map_err(|err| format!("cannot listen: {err}"))?;
    listener.listen(channel).await.map_err(|err| format!("cannot listen on {channel}: {err}"))?;
    Ok(listener)
}

struct Listening {
    /// `None` while a lost connection is being replaced (its pool holds one connection).
    listener: Option<PgListener>,
    pool: sea_orm::sqlx::PgPool,
    channel: String,
}

/// Receives every instance's events and hands them to this instance's subscribers.
///
/// A lost connection is replaced by a new one, tried every half second; once it listens,
/// subscribers are told to read what they may have missed ([`Event::Resync`]): whatever
/// committed before that moment is in the outbox, whatever commits after it is notified.
async fn listen_loop(
    mut listening: Listening,
    db: DatabaseConnection,
    local: broadcast::Sender<Arc<Event>>,
    mut stopped: oneshot::Receiver<()>,
) {
    loop {
        let Some(listener) = listening.listener.as_mut() else { return };
        let received = tokio::select! {
            _ = &mut stopped => return,
            received = listener.try_recv() => received,
        };
        match received {
            Ok(Some(notification)) => {
                let event = match serde_json::from_str::<Wire>(notification.payload()) {
                    Ok(Wire::Event(event)) => Some(event),
                    Ok(Wire::Stored { user, position }) => match outbox::load(&db, user, position).await {
                        Ok(change) => change.map(Event::Change),
                        Err(err) => {
                            tracing::error!(error = %err, "cannot load a recorded event");
                            None
                        }
                    },
                    Err(_) => None,
                };
                match event {
                    Some(event) => {
                        let _ = local.send(Arc::new(event));
                    }
                    None => tracing::warn!("an event notification could not be read"),
                }
            }
            // The connection was lost: what is sent until a new one listens is not heard.
            Ok(None) | Err(_) => {
                tracing::warn!("the event listener lost its database connection; reconnecting");
                listening.listener = None;
                loop {
                    tokio::select! {
                        _ = &mut stopped => return,
                        _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                    }
                    match listen(&listening.pool, &listening.channel).await {
                        Ok(listener) => {
                            listening.listener = Some(listener);
                            break;
                        }
                        Err(err) => {
                            tracing::warn!(error = %err, "the event listener cannot reach the database; retrying")
                        }
                    }
                }
                tracing::info!("the event listener listens again");
                let _ = local.send(Arc::new(Event::Resync));
            }
        }
    }
}
