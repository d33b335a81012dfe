//! Who is connected: live connections and subscriptions per user, under configured limits.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use uuid::Uuid;

use crate::auth::Viewer;
use crate::error::{AppError, AppResult};

#[derive(Default, Clone, Copy)]
struct Counts {
    connections: usize,
    subscriptions: usize,
}

/// Per-user counts of open connections and running subscriptions. The service role (internal
/// tools) is not limited.
pub struct Presence {
    counts: Mutex<HashMap<Uuid, Counts>>,
    max_connections: usize,
    max_subscriptions: usize,
}

#[derive(Clone, Copy)]
enum Kind {
    Connection,
    Subscription,
}

/// A held connection or subscription; dropping it gives the place back.
pub struct Slot {
    presence: Arc<Presence>,
    user: Uuid,
    kind: Kind,
}

impl Presence {
    pub fn new(max_connections: usize, max_subscriptions: usize) -> Self {
        Self { counts: Mutex::new(HashMap::new()), max_connections, max_subscriptions }
    }

    /// Takes a connection place for the viewer, or `LIMIT_EXCEEDED`.
    pub fn connection(self: &Arc<Self>, viewer: &Viewer) -> AppResult<Option<Slot>> {
        self.take(viewer, Kind::Connection)
    }

    /// Takes a subscription place for the viewer, or `LIMIT_EXCEEDED`.
    pub fn subscription(self: &Arc<Self>, viewer: &Viewer) -> AppResult<Option<Slot>> {
        self.take(viewer, Kind::Subscription)
    }

    fn take(self: &Arc<Self>, viewer: &Viewer, kind: Kind) -> AppResult<Option<Slot>> {
        let Viewer::User { id, .. } = viewer else { return Ok(None) };
        let mut counts = self.counts.lock().map_err(|_| AppError::Internal)?;
        let entry = counts.entry(*id).or_default();
        let (count, max, what) = match kind {
            Kind::Connection => (&mut entry.connections, self.max_connections, "live connections"),
            Kind::Subscription => (&mut entry.subscriptions, self.max_subscriptions, "subscriptions"),
        };
        if *count >= max {
            return Err(AppError::LimitExceeded(format!("a user may hold at most {max} {what} at once")));
        }
        *count += 1;
        Ok(Some(Slot { presence: self.clone(), user: *id, kind }))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let Ok(mut counts) = self.presence.counts.lock() else { return };
        if let Some(entry) = counts.get_mut(&self.user) {
            match self.kind {
                Kind::Connection => entry.connections = entry.connections.saturating_sub(1),
                Kind::Subscription => entry.subscriptions = entry.subscriptions.saturating_sub(1),
            }
            if entry.connections == 0 && entry.subscriptions == 0 {
                counts.remove(&self.user);
            }
        }
    }
}
