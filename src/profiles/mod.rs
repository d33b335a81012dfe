//! Creator profiles and platform connections.
use async_graphql::Object;
use entity::{creator_profiles, platform_connections};

/// Creator profiles (seed 2.1); one per user. `subscriptionTier` is billing state, kept by the
/// subscription.
#[derive(Clone, async_graphql::SimpleObject, macros::Resource)]
#[resource(table = "creator_profiles", fetch, list, create, update, delete)]
pub struct CreatorProfile {
    #[graphql(flatten)]
    pub row: creator_profiles::Model,
}

/// Connected social accounts (seed 2.2); tokens are sealed at rest and never exposed.
#[derive(Clone, macros::Resource)]
#[resource(table = "platform_connections", fetch, list, create, update, delete, me)]
pub struct PlatformConnection(pub platform_connections::Model);

#[Object]
impl PlatformConnection {
    #[graphql(flatten)]
    async fn columns(&self) -> &platform_connections::Model {
        &self.0
    }

    /// Whether an access token is stored (its value is never readable).
    async fn has_access_token(&self) -> bool {
        self.0.access_token.is_some()
    }

    /// Whether a refresh token is stored (its value is never readable).
    async fn has_refresh_token(&self) -> bool {
        self.0.refresh_token.is_some()
    }
}
