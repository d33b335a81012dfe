//! Billing: usage records, the subscription with its credit balances, and the credit ledger
//! that moves them.
pub mod credits;
pub mod ledger;
pub mod lifecycle;
pub mod stripe;
pub mod usage;

use entity::{subscription_billing, usage_tracking};

/// Credits consumed per action (seed 7.1).
#[derive(Clone, async_graphql::SimpleObject, macros::Resource)]
#[resource(table = "usage_tracking", fetch, list, create, update, delete, me, live)]
pub struct UsageTracking {
    #[graphql(flatten)]
    pub row: usage_tracking::Model,
}

/// Subscription, credit balance and allowance (seed 7.2); one per user.
#[derive(Clone, async_graphql::SimpleObject, macros::Resource)]
#[resource(table = "subscription_billing", fetch, list, create, update, delete, live)]
pub struct SubscriptionBilling {
    #[graphql(flatten)]
    pub row: subscription_billing::Model,
}
