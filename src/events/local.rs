//! The in-process bus: a bounded broadcast channel.
use std::sync::Arc;

use tokio::sync::broadcast;

use super::{Event, EventBus};

/// Fans events out to the subscribers of this process. Each subscriber may fall at most
/// `capacity` events behind; memory is bounded by the channel, whatever the subscribers do.
pub struct LocalBus {
    sender: broadcast::Sender<Arc<Event>>,
}

impl LocalBus {
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(1));
        Self { sender }
    }

    /// The channel's sender, for buses that receive events from elsewhere.
    pub(super) fn sender(&self) -> broadcast::Sender<Arc<Event>> {
        self.sender.clone()
    }
}

impl EventBus for LocalBus {
    fn publish(&self, event: Event) {
        crate::telemetry::metrics::event_published();
        // An error only means that nobody is subscribed.
        let _ = self.sender.send(Arc::new(event));
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.sender.subscribe()
    }

    fn receivers(&self) -> usize {
        self.sender.receiver_count()
    }
}
