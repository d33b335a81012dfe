//! What the payment provider changed, as the API shows it: each subscription's lifecycle events
//! (the user reads their own, live too), and the webhook ledger (admins and support read it,
//! admins retry a failed event).
use async_graphql::{Context, Object};
use entity::{subscription_events, webhook_events};

use super::stripe::{self, Outcome};
use crate::auth::Viewer;
use crate::error::AppError;
use crate::table;

/// One change in a subscription's life: created, renewed, upgraded, downgraded, canceled,
/// expired, a failed payment, reactivated; with the tier and status before and after.
#[derive(Clone, async_graphql::SimpleObject, macros::Resource)]
#[resource(table = "subscription_events", fetch, list, me, live)]
pub struct SubscriptionEvent {
    #[graphql(flatten)]
    pub row: subscription_events::Model,
}

/// A delivery of the payment provider's webhook, stored as received.
#[derive(Clone, async_graphql::SimpleObject, macros::Resource)]
#[resource(table = "webhook_events", fetch, list)]
pub struct WebhookEvent {
    #[graphql(flatten)]
    pub row: webhook_events::Model,
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Processes a failed webhook event again (admins). `NOT_FOUND` for an unknown event id;
    /// an event processed already is left as it is.
    async fn retry_webhook_event(&self, ctx: &Context<'_>, event_id: String) -> async_graphql::Result<WebhookEvent> {
        let viewer = table::viewer(ctx)?;
        if !viewer.is_admin() && !matches!(viewer, Viewer::Service) {
            return Err(match viewer {
                Viewer::Anonymous => AppError::Unauthenticated,
                _ => AppError::Forbidden,
            }
            .into());
        }
        let state = table::state(ctx)?;
        if stripe::stored(&state.db, &event_id).await?.is_none() {
            return Err(AppError::NotFound("webhook event").into());
        }
        let (_, meta) = crate::audit::origin(ctx);
        // A failure is recorded on the event (`lastError`), which is the answer.
        let _: Result<Outcome, AppError> = stripe::retry(state, &event_id, &meta).await;
        let row = stripe::stored(&state.db, &event_id).await?.ok_or(AppError::NotFound("webhook event"))?;
        Ok(row.into())
    }
}
