//! Live subscriptions: every committed change of a table the caller may read, filtered with the
//! table's list filter and resolved, nested relations included, as the subscriber.
use async_graphql::futures_util::Stream;
use async_graphql::{Context, OutputType, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use super::analytics::{ContentPerformance, ContentPerformanceFilter, CreatorAnalytic, CreatorAnalyticFilter};
use super::billing::{SubscriptionBilling, SubscriptionBillingFilter, UsageTracking, UsageTrackingFilter};
use super::credits::{CreditTransaction, CreditTransactionFilter};
use super::crud;
use super::delivery::{DailyDelivery, DailyDeliveryFilter};
use super::drafts::{ContentDraft, ContentDraftFilter};
use super::filter::{RowFilter, TableFilter};
use super::system::{AiProcessingLog, AiProcessingLogFilter};
use super::trends::{TrendInsight, TrendInsightFilter};
use super::voice::{VoiceModel, VoiceModelFilter};
use crate::auth::policy::{self, Delegations, Guarded, Op};
use crate::error::AppError;
use crate::events::{ChangeKind, Event};
use entity::agency_clients;

/// One change of a row, as its subscriber may see it.
#[derive(SimpleObject)]
#[graphql(concrete(name = "ContentDraftEvent", params(ContentDraft)))]
#[graphql(concrete(name = "TrendInsightEvent", params(TrendInsight)))]
#[graphql(concrete(name = "DailyDeliveryEvent", params(DailyDelivery)))]
#[graphql(concrete(name = "UsageTrackingEvent", params(UsageTracking)))]
#[graphql(concrete(name = "CreditTransactionEvent", params(CreditTransaction)))]
#[graphql(concrete(name = "SubscriptionBillingEvent", params(SubscriptionBilling)))]
#[graphql(concrete(name = "VoiceModelEvent", params(VoiceModel)))]
#[graphql(concrete(name = "CreatorAnalyticEvent", params(CreatorAnalytic)))]
#[graphql(concrete(name = "ContentPerformanceEvent", params(ContentPerformance)))]
#[graphql(concrete(name = "AiProcessingLogEvent", params(AiProcessingLog)))]
pub struct RowEvent<T: OutputType> {
    /// What happened to the row.
    pub kind: ChangeKind,
    /// When the change was published, right after its commit.
    pub occurred_at: DateTime<Utc>,
    /// The row after the change (as it was, for a deletion).
    pub node: T,
}

/// The changes of `E` the viewer may read, from now on, that pass `filter`, `kinds` and `user_id`.
///
/// Refusals (anonymous caller, a table the caller may never read, a bad filter, too many
/// subscriptions) happen here, before the first event. A subscriber that falls more than the
/// event buffer behind gets one `LAGGED` error and the subscription ends.
pub fn watch<E, W, F>(
    ctx: &Context<'_>,
    filter: Option<F>,
    kinds: Option<Vec<ChangeKind>>,
    user_id: Option<Uuid>,
) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<RowEvent<W>>> + use<E, W, F>>
where
    E: Guarded,
    E::Model: DeserializeOwned + Send + Sync,
    W: From<E::Model> + OutputType,
    F: TableFilter + RowFilter<E::Model> + Send + Sync + 'static,
{
    let viewer = crud::viewer(ctx)?.clone();
    let state = crud::state(ctx)?.clone();
    policy::allowed::<E>(&viewer, Op::Read)?;
    if let Some(filter) = &filter {
        filter.condition(state.db.get_database_backend())?;
    }
    let slot = state.presence.subscription(&viewer)?;
    let mut events = state.events.subscribe();
    let table = E::default().table_name();
    Ok(async_stream::stream! {
        let _slot = slot;
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
                Event::SessionsEnded { .. } => continue,
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
            yield Ok(RowEvent { kind: change.kind, occurred_at: change.at, node: W::from(row) });
        }
    })
}

/// Declares the subscription root: one field per live table.
macro_rules! subscriptions {
    ($($(#[$doc:meta])* $field:ident: $table:ident => $ty:ty, $filter:ty;)*) => {
        /// The subscription root: live changes of the rows the caller may read.
        #[derive(Default)]
        pub struct Subscription;

        #[Subscription]
        impl Subscription {
            $(
                $(#[$doc])*
                async fn $field(
                    &self,
                    ctx: &Context<'_>,
                    #[graphql(desc = "Only changed rows that match, as the list filter would decide.")]
                    filter: Option<$filter>,
                    #[graphql(desc = "Only these kinds of change (all by default).")]
                    kinds: Option<Vec<ChangeKind>>,
                    #[graphql(desc = "Only rows of this user (the service role sees every user's otherwise).")]
                    user_id: Option<Uuid>,
                ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<RowEvent<$ty>>>> {
                    watch::<entity::$table::Entity, $ty, $filter>(ctx, filter, kinds, user_id)
                }
            )*
        }
    };
}

subscriptions! {
    /// Drafts created, changed or deleted.
    content_draft_events: content_drafts => ContentDraft, ContentDraftFilter;
    /// New and changed trend insights.
    trend_insight_events: trend_insights => TrendInsight, TrendInsightFilter;
    /// Daily deliveries created and their status changes.
    daily_delivery_events: daily_deliveries => DailyDelivery, DailyDeliveryFilter;
    /// Usage recorded.
    usage_tracking_events: usage_tracking => UsageTracking, UsageTrackingFilter;
    /// Credit balance changes: every ledger entry, with the balance after it.
    credit_transaction_events: credit_transactions => CreditTransaction, CreditTransactionFilter;
    /// Subscription changes (plan, period, status).
    subscription_billing_events: subscription_billing => SubscriptionBilling, SubscriptionBillingFilter;
    /// Voice models: training progress, activation and deactivation.
    voice_model_events: voice_models => VoiceModel, VoiceModelFilter;
    /// Analytics snapshots recorded or updated.
    creator_analytic_events: creator_analytics => CreatorAnalytic, CreatorAnalyticFilter;
    /// Performance of published drafts recorded or updated.
    content_performance_events: content_performance => ContentPerformance, ContentPerformanceFilter;
    /// AI processing runs, e.g. completed ones with `filter: { status: { eq: "completed" } }`
    /// (service role).
    ai_processing_log_events: ai_processing_logs => AiProcessingLog, AiProcessingLogFilter;
}
