//! Creator profiles (with their avatars, [`avatars`]) and platform connections.
pub mod avatars;

use async_graphql::{ComplexObject, Context, Object};
use entity::{creator_profiles, platform_connections};

/// Creator profiles (seed 2.1); one per user. `subscriptionTier` is billing state, kept by the
/// subscription.
#[derive(Clone, async_graphql::SimpleObject, macros::Resource)]
#[graphql(complex)]
#[resource(table = "creator_profiles", fetch, list, create, update, delete)]
pub struct CreatorProfile {
    #[graphql(flatten)]
    pub row: creator_profiles::Model,
}

#[ComplexObject]
impl CreatorProfile {
    /// The avatar: a short-lived URL signed by this server (`uploadAvatar`; valid for
    /// `AVATAR_URL_TTL_MINUTES`, read the profile again for a fresh one), or, while none is
    /// uploaded, the link the profile had before uploads existed; null without either.
    async fn avatar_url(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        if self.row.avatar_content_type.is_none() {
            return Ok(self.row.avatar_url.clone());
        }
        let state = crate::table::state(ctx)?;
        Ok(Some(state.avatars.url(self.row.user_id, chrono::Utc::now().timestamp())))
    }
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
