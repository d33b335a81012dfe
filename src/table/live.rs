//! Live subscriptions: every committed change of a table the caller may read, filtered with the
//! table's list filter and resolved, nested relations included, as the subscriber. Each live
//! table's subscription field (`#[resource(live)]`) is a call to [`watch`].
use async_graphql::Context;
use async_graphql::futures_util::Stream;
use chrono::{DateTime, Utc};
use entity::agency_clients;
use entity::table::{RowFilter, Table, TableFilter};
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use crate::auth::policy::{self, Delegations, Op};
use crate::error::AppError;
use crate::events::{ChangeKind, Event};

/// The changes of `E` the viewer may read, from now on, that pass `filter`, `kinds` and `user_id`.
///
/// Refusals (anonymous caller, a table the caller may never read, a bad filter, too many
/// subscriptions) happen here, before the first event. A subscriber that falls more than the
/// event buffer behind gets one `LAGGED` error and the subscription ends.
#[allow(clippy::type_complexity)]
pub fn watch<E>(
    ctx: &Context<'_>,
    filter: Option<E::Filter>,
    kinds: Option<Vec<ChangeKind>>,
    user_id: Option<Uuid>,
) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<(ChangeKind, DateTime<Utc>, E::Model)>> + use<E>>
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
    let slot = state.presence.subscription(&viewer)?;
    let mut events = state.events.subscribe();
    let table = E::default().table_name();
    Ok(async_stream::stream! {
        let _slot = slot;
        let _open = crate::telemetry::metrics::Open::subscription();
        // Loaded after the receiver exists: no relationship change can fall in between.
        let mut delegations = match Delegations::load::<E>(&viewer, &state.db).await {
            Ok(delegations) => delegations,
            Err(err) => {
                yield Err(err.into());
                return;
            }
        };
        loop {
            let event = match events.recv().await {
                Ok(event) => event,
                Err(RecvError::Lagged(missed)) => {
                    crate::telemetry::metrics::events_lagged(missed);
                    yield Err(AppError::Lagged(missed).into());
                    break;
                }
                Err(RecvError::Closed) => break,
            };
            let change = match &*event {
                Event::Change(change) => change,
                // Changes of relationships may have been lost: they are read again.
                Event::Resync => {
                    match Delegations::load::<E>(&viewer, &state.db).await {
                        Ok(reloaded) => delegations = reloaded,
                        Err(err) => {
                            yield Err(err.into());
                            break;
                        }
                    }
                    continue;
                }
                Event::SessionsEnded { .. } | Event::AccessChanged { .. } => continue,
            };
            if let Some(relationship) = change.row_of::<agency_clients::Entity>() {
                delegations.apply(&relationship, change.kind == ChangeKind::Deleted);
                continue;
            }
            if change.table != table
                || kinds.as_ref().is_some_and(|k| !k.contains(&change.kind))
                || user_id.is_some_and(|u| change.owner != Some(u))
            {
                continue;
            }
            // Most events on a busy instance are other users': drop them before decoding.
            if !policy::may_read_owner::<E>(&viewer, change.owner, &delegations) {
                continue;
            }
            let Some(row) = change.row_of::<E>() else { continue };
            if !policy::may_read_row::<E>(&viewer, &row, &delegations) {
                continue;
            }
            if filter.as_ref().is_some_and(|f| !f.matches(&row)) {
                continue;
            }
            // An agency's row of a client: the relationship may have ended (or narrowed) in a
            // commit whose event has not arrived yet; the database answers as for HTTP.
            match delegations.confirm(change.owner, &state.db).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(err) => {
                    yield Err(err.into());
                    break;
                }
            }
            crate::telemetry::metrics::event_delivered();
            yield Ok((change.kind, change.at, row));
        }
    })
}
