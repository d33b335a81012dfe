//! `me`: the caller's account and the entry to all of their data.
use async_graphql::{Context, MergedObject, Object};
use entity::table::Table;
use entity::{creator_profiles, delivery_preferences, subscription_billing};

use super::User;
use crate::analytics::CreatorAnalyticMine;
use crate::auth::policy;
use crate::billing::credits::CreditTransactionMine;
use crate::billing::lifecycle::SubscriptionEventMine;
use crate::billing::{SubscriptionBilling, UsageTrackingMine};
use crate::content::drafts::ContentDraftMine;
use crate::content::performance::ContentPerformanceMine;
use crate::content::trends::{ContentSourceMine, TrendInsightMine};
use crate::delivery::{DailyDeliveryMine, DeliveryPreference};
use crate::error::AppError;
use crate::generation::GenerationMine;
use crate::profiles::{CreatorProfile, PlatformConnectionMine};
use crate::table;
use crate::voice::{VoiceModelMine, VoiceTrainingSampleMine};

/// The signed-in user and everything they own. Every list is theirs alone: an agency reaches
/// its clients' rows through the relationship (`agencyClient { clientDrafts }`) or the
/// top-level lists, never here.
#[derive(MergedObject)]
pub struct Me(Account, MyRows);

impl Me {
    pub fn new(user: User) -> Self {
        Self(Account(user), MyRows::default())
    }
}

/// The lists of the caller's own rows, one per table.
#[derive(MergedObject, Default)]
struct MyRows(
    PlatformConnectionMine,
    ContentSourceMine,
    TrendInsightMine,
    ContentDraftMine,
    VoiceTrainingSampleMine,
    VoiceModelMine,
    DailyDeliveryMine,
    CreatorAnalyticMine,
    ContentPerformanceMine,
    UsageTrackingMine,
    CreditTransactionMine,
    SubscriptionEventMine,
    GenerationMine,
);

/// The caller's account and their one-per-user rows.
pub struct Account(User);

#[Object]
impl Account {
    /// The caller's account.
    async fn user(&self) -> &User {
        &self.0
    }

    /// The caller's creator profile.
    async fn profile(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<CreatorProfile>> {
        own_one::<creator_profiles::Entity, CreatorProfile>(ctx).await
    }

    /// The caller's delivery preferences.
    async fn delivery_preference(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<DeliveryPreference>> {
        own_one::<delivery_preferences::Entity, DeliveryPreference>(ctx).await
    }

    /// The caller's subscription, credit balance and allowance.
    async fn subscription(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<SubscriptionBilling>> {
        own_one::<subscription_billing::Entity, SubscriptionBilling>(ctx).await
    }
}

/// The caller's one row of a one-per-user table.
async fn own_one<E, W>(ctx: &Context<'_>) -> async_graphql::Result<Option<W>>
where
    E: Table,
    W: From<E::Model>,
{
    let row = policy::own::<E>(table::viewer(ctx)?)?.one(table::db(ctx)?).await.map_err(AppError::from)?;
    Ok(row.map(W::from))
}
