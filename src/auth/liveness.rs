//! Whether the session behind an access token is still alive, asked for every request with a
//! user's token, over HTTP and WebSocket alike.
//!
//! An answer from the database is remembered: a live session for [`RECHECK_AFTER`], an ended
//! one for good (a revoked or expired session, or a deleted account, never comes back). Endings
//! reach the memory at once on the instance that ends a session ([`Liveness::end`]) and from the
//! event bus on the others; when events may have been missed (a lagging receiver, a listener
//! that reconnected) everything remembered as live is forgotten.
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use lru::LruCache;
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use entity::enums::Role;

use super::session;
use crate::error::AppResult;
use crate::events::{Bus, Event, EventBus};

/// How long a session found alive is believed without asking again: the bound on how late an
/// ending whose event was lost takes effect.
pub const RECHECK_AFTER: Duration = Duration::from_secs(60);

/// Sessions remembered, each way.
const CAPACITY: usize = 16 * 1024;

/// A user and the session their token names (`None`: a token without one).
type Key = (Uuid, Option<Uuid>);

pub struct Liveness {
    inner: Mutex<Inner>,
}

struct Inner {
    live: LruCache<Key, (Instant, Role)>,
    ended: LruCache<Key, ()>,
    /// Bumped by every ending: a database answer read before it may be stale and is not kept.
    generation: u64,
}

impl Default for Liveness {
    fn default() -> Self {
        let capacity = NonZeroUsize::new(CAPACITY).unwrap_or(NonZeroUsize::MIN);
        Self {
            inner: Mutex::new(Inner { live: LruCache::new(capacity), ended: LruCache::new(capacity), generation: 0 }),
        }
    }
}

impl Liveness {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The role `user`'s token naming `session_id` stands for, `None` when its session ended
    /// (see [`session::standing`]).
    pub async fn standing(
        &self,
        db: &DatabaseConnection,
        user: Uuid,
        session_id: Option<Uuid>,
    ) -> AppResult<Option<Role>> {
        let key = (user, session_id);
        let generation = {
            let mut inner = self.lock();
            if inner.ended.get(&key).is_some() {
                return Ok(None);
            }
            if let Some((at, role)) = inner.live.get(&key)
                && at.elapsed() < RECHECK_AFTER
            {
                return Ok(Some(*role));
            }
            inner.generation
        };
        let standing = session::standing(db, user, session_id).await?;
        let mut inner = self.lock();
        match standing {
            None => {
                inner.live.pop(&key);
                inner.ended.put(key, ());
            }
            Some(role) if inner.generation == generation => {
                inner.live.put(key, (Instant::now(), role));
            }
            Some(_) => {}
        }
        Ok(standing)
    }

    /// Forgets what is remembered as live of `user`'s session (`None`: all their sessions).
    fn forget(&self, user: Uuid, session_id: Option<Uuid>) {
        let mut inner = self.lock();
        inner.generation += 1;
        match session_id {
            Some(session_id) => {
                inner.live.pop(&(user, Some(session_id)));
            }
            None => {
                let keys: Vec<Key> = inner.live.iter().map(|(k, _)| *k).filter(|(u, _)| *u == user).collect();
                for key in keys {
                    inner.live.pop(&key);
                }
            }
        }
    }

    /// Reads `user`'s role again on their next request, here at once and on other instances
    /// through `events` (which also closes the user's live connections).
    pub fn access_changed(&self, events: &dyn EventBus, user: Uuid) {
        self.forget(user, None);
        events.publish(Event::AccessChanged { user_id: user });
    }

    /// Forgets every session remembered as live.
    fn forget_all(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.live.clear();
    }

    /// Ends `user`'s session (`None`: all of them) after the ending committed: here at once, on
    /// other instances through `events` (which also closes their live connections).
    pub fn end(&self, events: &dyn EventBus, user: Uuid, session_id: Option<Uuid>) {
        self.forget(user, session_id);
        events.publish(Event::SessionsEnded { user_id: user, session_id });
    }

    /// Follows the endings published by every instance, until the bus closes.
    pub fn follow(self: &Arc<Self>, events: &Bus) {
        let mut receiver = events.subscribe();
        let liveness = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                match receiver.recv().await {
                    Ok(event) => match event.as_ref() {
                        Event::SessionsEnded { user_id, session_id } => liveness.forget(*user_id, *session_id),
                        Event::AccessChanged { user_id } => liveness.forget(*user_id, None),
                        Event::Resync => liveness.forget_all(),
                        Event::Change(_) => {}
                    },
                    Err(RecvError::Lagged(_)) => liveness.forget_all(),
                    Err(RecvError::Closed) => break,
                }
            }
        });
    }
}
