//! Live subscriptions: every committed change of a table the caller may read, filtered with the
//! table's list filter and resolved, nested relations included, as the subscriber, and resumable
//! after a reconnect from the outbox. Each live table's subscription field (`#[resource(live)]`)
//! is a call to [`watch`].
use async_graphql::Context;
use async_graphql::futures_util::Stream;
use chrono::{DateTime, Utc};
use entity::agency_clients;
use entity::table::{RowFilter, Table, TableFilter};
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use crate::auth::Viewer;
use crate::auth::policy::{self, Delegations, Op};
use crate::error::{AppError, AppResult};
use crate::events::{Change, ChangeKind, Event, outbox};
use crate::state::AppState;

/// One change as a subscriber receives it.
pub struct Delivered<M> {
    pub kind: ChangeKind,
    pub at: DateTime<Utc>,
    pub position: Option<i64>,
    pub row: M,
}

/// The changes of `E` the viewer may read, from now on, that pass `filter`, `kinds` and `user_id`.
///
/// With `after`, the subscription resumes the events of one user (`user_id`, or the viewer):
/// the ones after that position still in the outbox come first, in order, then live ones, with
/// none twice; a gap (events lost on the way, a listener that reconnected, a subscriber that fell
/// behind) is filled from the outbox instead of ending the subscription.
///
/// Refusals (anonymous caller, a table the caller may never read, a bad filter, too many
/// subscriptions, a position no longer kept) happen before the first event. A subscriber
/// without `after` that falls more than the event buffer behind gets one `LAGGED` error and the
/// subscription ends.
#[allow(clippy::type_complexity)]
pub fn watch<E>(
    ctx: &Context<'_>,
    filter: Option<E::Filter>,
    kinds: Option<Vec<ChangeKind>>,
    user_id: Option<Uuid>,
    after: Option<i64>,
) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Delivered<E::Model>>> + use<E>>
where
    E: Table,
    E::Filter: Send + Sync + 'static,
{
    let viewer = super::viewer(ctx)?.clone();
    let state = super::state(ctx)?.clone();
    policy::allowed::<E>(&viewer, Op::Read)?;
    if let Some(filter) = &filter {
        filter.condition(state.db.get_database_backend()).map_err(AppError::from)?;
    }
    let resume = match after {
        None => None,
        Some(position) if position < 0 => return Err(AppError::bad_input("after", "must not be negative").into()),
        Some(position) => match user_id.or_else(|| viewer.user_id().ok()) {
            Some(user) => Some((user, position)),
            None => return Err(AppError::bad_input("after", "resumes one user's events: give userId").into()),
        },
    };
    let user_id = resume.map(|(user, _)| user).or(user_id);
    let slot = state.presence.subscription(&viewer)?;
    let mut events = state.events.subscribe();
    let watching = Watching::<E> { table: E::default().table_name(), filter, kinds, user_id };
    Ok(async_stream::stream! {
        let _slot = slot;
        let _open = crate::telemetry::metrics::Open::subscription();
        // Loaded after the receiver exists: no relationship change can fall in between.
        let mut delegations = match patiently(|| Delegations::load::<E>(&viewer, &state.db)).await {
            Ok(delegations) => delegations,
            Err(err) => {
                yield Err(err.into());
                return;
            }
        };
        // The user whose events resume, and the last position delivered of theirs.
        let mut resumed = None;
        if let Some((user, position)) = resume {
            // Someone else's events answer as if there were none: nothing to check, nothing read.
            if policy::may_read_owner::<E>(&viewer, Some(user), &delegations) {
                if let Err(err) = patiently(|| check_resumable(&state, user, position)).await {
                    yield Err(err.into());
                    return;
                }
                resumed = Some((user, position));
            }
        }
        let mut missed = resumed.is_some();
        loop {
            if missed && let Some((user, last)) = resumed.as_mut() {
                missed = false;
                loop {
                    let batch = match read_since(&state, *user, *last).await {
                        Ok(batch) => batch,
                        Err(err) => {
                            yield Err(err.into());
                            return;
                        }
                    };
                    let more = batch.len() as u64 == outbox::REPLAY_BATCH;
                    for change in batch {
                        *last = change.position.unwrap_or(*last).max(*last);
                        match watching.pass(&change, &viewer, &mut delegations, &state).await {
                            Ok(Some(row)) => yield Ok(delivered(&change, row)),
                            Ok(None) => {}
                            Err(err) => {
                                yield Err(err.into());
                                return;
                            }
                        }
                    }
                    if !more {
                        break;
                    }
                }
            }
            // Resuming, a quiet spell is also a look at the outbox: an instance that stopped
            // between a commit and its publication leaves events only there.
            let received = match resumed {
                Some(_) => match tokio::time::timeout(QUIET_SWEEP, events.recv()).await {
                    Ok(received) => received,
                    Err(_) => {
                        missed = true;
                        continue;
                    }
                },
                None => events.recv().await,
            };
            let event = match received {
                Ok(event) => event,
                Err(RecvError::Lagged(count)) => {
                    crate::telemetry::metrics::events_lagged(count);
                    if resumed.is_some() {
                        missed = true;
                        continue;
                    }
                    yield Err(AppError::Lagged(count).into());
                    break;
                }
                Err(RecvError::Closed) => break,
            };
            let change = match &*event {
                Event::Change(change) => change,
                // Changes of relationships (and, resuming, of rows) may have been lost: they
                // are read again.
                Event::Resync => {
                    match patiently(|| Delegations::load::<E>(&viewer, &state.db)).await {
                        Ok(reloaded) => delegations = reloaded,
                        Err(err) => {
                            yield Err(err.into());
                            break;
                        }
                    }
                    missed = resumed.is_some();
                    continue;
                }
                Event::SessionsEnded { .. } | Event::AccessChanged { .. } => continue,
            };
            if let Some((user, last)) = resumed.as_mut()
                && change.owner == Some(*user)
                && let Some(position) = change.position
            {
                if position <= *last {
                    continue; // Delivered already, from the outbox.
                }
                if position > *last + 1 {
                    missed = true; // Something came between: read it in order.
                    continue;
                }
                *last = position;
            }
            match watching.pass(change, &viewer, &mut delegations, &state).await {
                Ok(Some(row)) => yield Ok(delivered(change, row)),
                Ok(None) => {}
                Err(err) => {
                    yield Err(err.into());
                    break;
                }
            }
        }
    })
}

fn delivered<M>(change: &Change, row: M) -> Delivered<M> {
    crate::telemetry::metrics::event_delivered();
    Delivered { kind: change.kind, at: change.at, position: change.position, row }
}

/// How long a resuming subscriber hears nothing before it looks at the outbox itself.
const QUIET_SWEEP: std::time::Duration = std::time::Duration::from_secs(10);

/// How long a resuming subscriber waits for an unreachable database before it ends.
const REPLAY_PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

/// `user`'s recorded changes after `position` ([`outbox::since`]), tried again while the
/// database cannot be reached.
async fn read_since(state: &AppState, user: Uuid, position: i64) -> AppResult<Vec<Change>> {
    patiently(|| async { outbox::since(&state.db, user, position).await.map_err(AppError::from) }).await
}

/// `attempt`, tried again every half second while the database cannot be reached, for up to
/// [`REPLAY_PATIENCE`]: a live subscription outlasts a database restart.
async fn patiently<T, F, Fut>(mut attempt: F) -> AppResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = AppResult<T>>,
{
    let deadline = tokio::time::Instant::now() + REPLAY_PATIENCE;
    loop {
        match attempt().await {
            Err(AppError::Unavailable) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
            done => return done,
        }
    }
}

/// Refuses to resume `user`'s events after `position` when the outbox no longer has all of
/// them, or when no event of theirs has that position yet.
async fn check_resumable(state: &AppState, user: Uuid, position: i64) -> AppResult<()> {
    let (oldest, latest) = outbox::bounds(&state.db, user).await?;
    if position > latest {
        return Err(AppError::bad_input("after", format!("no event has this position yet (the latest is {latest})")));
    }
    let oldest = oldest.unwrap_or(latest + 1);
    if position + 1 < oldest {
        return Err(AppError::EventsExpired(oldest));
    }
    Ok(())
}

/// What one subscription lets through.
struct Watching<E: Table> {
    table: &'static str,
    filter: Option<E::Filter>,
    kinds: Option<Vec<ChangeKind>>,
    user_id: Option<Uuid>,
}

impl<E: Table> Watching<E> {
    /// The row of `change` if the subscriber sees it. Changes of agency relationships update
    /// `delegations` (and are not themselves delivered unless this is their table).
    async fn pass(
        &self,
        change: &Change,
        viewer: &Viewer,
        delegations: &mut Delegations,
        state: &AppState,
    ) -> AppResult<Option<E::Model>> {
        if let Some(relationship) = change.row_of::<agency_clients::Entity>() {
            delegations.apply(&relationship, change.kind == ChangeKind::Deleted);
            return Ok(None);
        }
        if change.table != self.table
            || self.kinds.as_ref().is_some_and(|k| !k.contains(&change.kind))
            || self.user_id.is_some_and(|u| change.owner != Some(u))
        {
            return Ok(None);
        }
        // Most events on a busy instance are other users': drop them before decoding.
        if !policy::may_read_owner::<E>(viewer, change.owner, delegations) {
            return Ok(None);
        }
        let Some(row) = change.row_of::<E>() else { return Ok(None) };
        if !policy::may_read_row::<E>(viewer, &row, delegations) {
            return Ok(None);
        }
        if self.filter.as_ref().is_some_and(|f| !f.matches(&row)) {
            return Ok(None);
        }
        // An agency's row of a client: the relationship may have ended (or narrowed) in a
        // commit whose event has not arrived yet; the database answers as for HTTP.
        match patiently(|| delegations.confirm(change.owner, &state.db)).await? {
            true => Ok(Some(row)),
            false => Ok(None),
        }
    }
}
