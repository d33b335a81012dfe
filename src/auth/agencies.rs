//! Which users may act for clients: the agencies with at least one accepted, active client.
//!
//! Reading drafts, analytics and performance, an agency also reaches the rows of the clients
//! who delegated them, which costs a lookup of `agency_clients` in every such statement and keeps
//! PostgreSQL from reading a user's newest rows straight off an index. Almost every user is no
//! agency; this directory lets the policy leave the lookup out for them.
//!
//! The directory only ever errs on the side of the lookup: it holds a superset of the agencies
//! (a revoked relationship leaves its agency in until the next reload, and the lookup itself
//! still decides), and it answers "maybe" for everyone until it has loaded. A relationship
//! accepted on this instance is entered before the write's response is sent; one accepted on
//! another instance arrives with its event on the bus, and a periodic reload repairs anything
//! a lost event missed.
use std::collections::HashSet;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use entity::agency_clients;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use crate::events::{Bus, Change, ChangeKind, Event};

/// How often the directory is read again from the database.
const RELOAD_EVERY: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct Agencies {
    inner: RwLock<Inner>,
}

#[derive(Default)]
struct Inner {
    loaded: bool,
    known: HashSet<Uuid>,
    /// Agencies entered since the running reload began: its snapshot may predate them.
    entered_during_reload: HashSet<Uuid>,
}

impl Agencies {
    /// Whether `user` may have clients who delegate to them: `false` only for a user known to
    /// have none.
    pub fn may_act_for_clients(&self, user: Uuid) -> bool {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        !inner.loaded || inner.known.contains(&user)
    }

    /// Takes note of a committed change: a relationship that is accepted and active makes its
    /// agency one. Other changes are ignored (ending a relationship never removes here).
    pub fn observe(&self, change: &Change) {
        if change.kind == ChangeKind::Deleted {
            return;
        }
        let Some(relationship) = change.row_of::<agency_clients::Entity>() else { return };
        if relationship.status == entity::enums::InvitationStatus::Accepted && relationship.is_active == Some(true) {
            let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
            inner.known.insert(relationship.agency_user_id);
            inner.entered_during_reload.insert(relationship.agency_user_id);
        }
    }

    /// Reads the agencies from the database, keeping any entered while the query ran.
    pub async fn reload(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        self.inner.write().unwrap_or_else(|e| e.into_inner()).entered_during_reload.clear();
        let query = Query::select()
            .distinct()
            .column(agency_clients::Column::AgencyUserId)
            .from(agency_clients::Entity)
            .and_where(Expr::col(agency_clients::Column::Status).eq("accepted"))
            .and_where(Expr::col(agency_clients::Column::IsActive).eq(true))
            .to_owned();
        let mut known = HashSet::new();
        for row in db.query_all(&query).await? {
            known.insert(row.try_get_by_index::<Uuid>(0)?);
        }
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        known.extend(inner.entered_during_reload.drain());
        inner.known = known;
        inner.loaded = true;
        Ok(())
    }

    /// [`Self::reload`], logging a failure: the directory then keeps what it knew (before its
    /// first load, every user counts as an agency).
    async fn refresh(&self, db: &DatabaseConnection) {
        if let Err(err) = self.reload(db).await {
            tracing::warn!(error = %err, "cannot load the agencies; keeping what is known");
        }
    }

    /// A directory loaded from the database and kept current: it follows the bus (changes made
    /// on other instances), reloads every minute, and at once after missing events. Its task
    /// ends with the bus. If the first load fails, every user counts as an agency until a
    /// reload succeeds.
    pub async fn start(db: DatabaseConnection, events: &Bus) -> Arc<Self> {
        let directory = Arc::new(Self::default());
        // Subscribed before the first load, so no change falls between the two.
        let mut receiver = events.subscribe();
        directory.refresh(&db).await;
        let following = Arc::clone(&directory);
        tokio::spawn(async move {
            let mut reload = tokio::time::interval_at(tokio::time::Instant::now() + RELOAD_EVERY, RELOAD_EVERY);
            loop {
                tokio::select! {
                    _ = reload.tick() => following.refresh(&db).await,
                    event = receiver.recv() => match event {
                        Ok(event) => match event.as_ref() {
                            Event::Change(change) => following.observe(change),
                            Event::Resync => reload.reset_immediately(),
                            Event::SessionsEnded { .. } | Event::AccessChanged { .. } => {}
                        },
                        Err(RecvError::Lagged(_)) => reload.reset_immediately(),
                        Err(RecvError::Closed) => break,
                    },
                }
            }
        });
        directory
    }
}
