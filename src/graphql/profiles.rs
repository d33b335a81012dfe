//! GraphQL for `creator_profiles`, `platform_connections`: types, inputs that mirror the CHECKs, and resolvers
//! that go through the policy.
use async_graphql::{Context, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, Utc};
use entity::{creator_profiles, platform_connections};
use sea_orm::ActiveValue::{NotSet, Set};
use serde_json::Value as Json;
use uuid::Uuid;

use super::check;
use super::crud::{self, Page};
use crate::auth::policy;
use crate::crypto::Cipher;
use crate::error::AppResult;

/// A new creator profile.
#[derive(InputObject)]
pub struct CreateCreatorProfileInput {
    /// The user the row belongs to: only the service role names it; a user's rows are their own.
    pub user_id: Option<Uuid>,
    /// `email`.
    pub email: String,
    /// `full_name`.
    pub full_name: Option<String>,
    /// `creator_handle`.
    pub creator_handle: Option<String>,
    /// `bio`.
    pub bio: Option<String>,
    /// `avatar_url`.
    pub avatar_url: Option<String>,
    /// `timezone`.
    pub timezone: Option<String>,
    /// One of: `pending`, `training`, `completed`, `failed`.
    pub voice_training_status: Option<String>,
    /// One of: `free`, `creator`, `agency`, `enterprise`.
    pub subscription_tier: Option<String>,
    /// `onboarding_completed`.
    pub onboarding_completed: Option<bool>,
    /// `settings`.
    pub settings: Option<Json>,
}

/// Changes to a creator profile: absent fields stay as they are; `null` clears a nullable field.
#[derive(InputObject)]
pub struct UpdateCreatorProfileInput {
    /// `email`.
    pub email: Option<String>,
    /// `full_name`.
    pub full_name: MaybeUndefined<String>,
    /// `creator_handle`.
    pub creator_handle: MaybeUndefined<String>,
    /// `bio`.
    pub bio: MaybeUndefined<String>,
    /// `avatar_url`.
    pub avatar_url: MaybeUndefined<String>,
    /// `timezone`.
    pub timezone: MaybeUndefined<String>,
    /// One of: `pending`, `training`, `completed`, `failed`.
    pub voice_training_status: MaybeUndefined<String>,
    /// One of: `free`, `creator`, `agency`, `enterprise`.
    pub subscription_tier: MaybeUndefined<String>,
    /// `onboarding_completed`.
    pub onboarding_completed: MaybeUndefined<bool>,
    /// `settings`.
    pub settings: MaybeUndefined<Json>,
}

impl CreateCreatorProfileInput {
    fn validate(&self) -> AppResult<()> {
        check::not_blank("email", &self.email)?;
        check::email("email", &self.email)?;
        if let Some(v) = &self.voice_training_status {
            check::one_of("voiceTrainingStatus", v, &["pending", "training", "completed", "failed"])?;
        }
        if let Some(v) = &self.subscription_tier {
            check::one_of("subscriptionTier", v, &["free", "creator", "agency", "enterprise"])?;
        }
        if let Some(v) = &self.settings {
            check::json_object("settings", v)?;
        }
        Ok(())
    }

    fn into_row(self, owner: Uuid) -> AppResult<creator_profiles::ActiveModel> {
        Ok(creator_profiles::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(owner),
            email: Set(self.email),
            full_name: self.full_name.map_or(NotSet, |v| Set(Some(v))),
            creator_handle: self.creator_handle.map_or(NotSet, |v| Set(Some(v))),
            bio: self.bio.map_or(NotSet, |v| Set(Some(v))),
            avatar_url: self.avatar_url.map_or(NotSet, |v| Set(Some(v))),
            timezone: self.timezone.map_or(NotSet, |v| Set(Some(v))),
            voice_training_status: self.voice_training_status.map_or(NotSet, |v| Set(Some(v))),
            subscription_tier: self.subscription_tier.map_or(NotSet, |v| Set(Some(v))),
            onboarding_completed: self.onboarding_completed.map_or(NotSet, |v| Set(Some(v))),
            settings: self.settings.map_or(NotSet, |v| Set(Some(v))),
            ..Default::default()
        })
    }
}

impl UpdateCreatorProfileInput {
    fn validate(&self) -> AppResult<()> {
        if let Some(v) = &self.email {
            check::not_blank("email", v)?;
            check::email("email", v)?;
        }
        if let Some(v) = self.voice_training_status.value() {
            check::one_of("voiceTrainingStatus", v, &["pending", "training", "completed", "failed"])?;
        }
        if let Some(v) = self.subscription_tier.value() {
            check::one_of("subscriptionTier", v, &["free", "creator", "agency", "enterprise"])?;
        }
        if let Some(v) = self.settings.value() {
            check::json_object("settings", v)?;
        }
        Ok(())
    }

    fn apply(self, row: &mut creator_profiles::ActiveModel) -> AppResult<()> {
        crud::set(&mut row.email, self.email);
        crud::patch(&mut row.full_name, self.full_name);
        crud::patch(&mut row.creator_handle, self.creator_handle);
        crud::patch(&mut row.bio, self.bio);
        crud::patch(&mut row.avatar_url, self.avatar_url);
        crud::patch(&mut row.timezone, self.timezone);
        crud::patch(&mut row.voice_training_status, self.voice_training_status);
        crud::patch(&mut row.subscription_tier, self.subscription_tier);
        crud::patch(&mut row.onboarding_completed, self.onboarding_completed);
        crud::patch(&mut row.settings, self.settings);
        Ok(())
    }
}

#[derive(Default)]
pub struct CreatorProfileQuery;

#[Object]
impl CreatorProfileQuery {
    /// One creator profile by id; `NOT_FOUND` unless the caller may read it.
    async fn creator_profile(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<creator_profiles::Model> {
        Ok(crud::get::<creator_profiles::Entity>(ctx, id).await?)
    }

    /// The creator profiles the caller may read, a page at a time.
    async fn creator_profiles(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        first: Option<i32>,
    ) -> async_graphql::Result<Page<creator_profiles::Model>> {
        crud::list::<creator_profiles::Entity>(ctx, after, first).await
    }
}

#[derive(Default)]
pub struct CreatorProfileMutation;

#[Object]
impl CreatorProfileMutation {
    /// Creates a creator profile.
    async fn create_creator_profile(
        &self,
        ctx: &Context<'_>,
        input: CreateCreatorProfileInput,
    ) -> async_graphql::Result<creator_profiles::Model> {
        input.validate()?;
        let owner = policy::required_owner(
            policy::owner_for_create::<creator_profiles::Entity>(crud::viewer(ctx)?, input.user_id)?,
            "userId",
        )?;
        let row = input.into_row(owner)?;
        Ok(crud::create::<creator_profiles::Entity>(ctx, row).await?)
    }

    /// Changes a creator profile; `NOT_FOUND` unless the caller may change it.
    async fn update_creator_profile(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateCreatorProfileInput,
    ) -> async_graphql::Result<creator_profiles::Model> {
        input.validate()?;
        Ok(crud::update::<creator_profiles::Entity>(ctx, id, |row| input.apply(row)).await?)
    }

    /// Deletes a creator profile; `NOT_FOUND` unless the caller may delete it.
    async fn delete_creator_profile(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Uuid> {
        Ok(crud::delete::<creator_profiles::Entity>(ctx, id).await?)
    }
}

/// A new platform connection.
#[derive(InputObject)]
pub struct CreatePlatformConnectionInput {
    /// The user the row belongs to: only the service role names it; a user's rows are their own.
    pub user_id: Option<Uuid>,
    /// One of: `twitter`, `linkedin`, `instagram`.
    pub platform: String,
    /// `platform_user_id`.
    pub platform_user_id: String,
    /// `platform_username`.
    pub platform_username: String,
    /// Stored encrypted; never readable back.
    pub access_token: Option<String>,
    /// Stored encrypted; never readable back.
    pub refresh_token: Option<String>,
    /// `token_expires_at`.
    pub token_expires_at: Option<DateTime<Utc>>,
    /// `platform_data`.
    pub platform_data: Option<Json>,
    /// `is_active`.
    pub is_active: Option<bool>,
    /// `last_sync_at`.
    pub last_sync_at: Option<DateTime<Utc>>,
}

/// Changes to a platform connection: absent fields stay as they are; `null` clears a nullable field.
#[derive(InputObject)]
pub struct UpdatePlatformConnectionInput {
    /// One of: `twitter`, `linkedin`, `instagram`.
    pub platform: Option<String>,
    /// `platform_user_id`.
    pub platform_user_id: Option<String>,
    /// `platform_username`.
    pub platform_username: Option<String>,
    /// Stored encrypted; never readable back.
    pub access_token: MaybeUndefined<String>,
    /// Stored encrypted; never readable back.
    pub refresh_token: MaybeUndefined<String>,
    /// `token_expires_at`.
    pub token_expires_at: MaybeUndefined<DateTime<Utc>>,
    /// `platform_data`.
    pub platform_data: MaybeUndefined<Json>,
    /// `is_active`.
    pub is_active: MaybeUndefined<bool>,
    /// `last_sync_at`.
    pub last_sync_at: MaybeUndefined<DateTime<Utc>>,
}

impl CreatePlatformConnectionInput {
    fn validate(&self) -> AppResult<()> {
        check::one_of("platform", &self.platform, &["twitter", "linkedin", "instagram"])?;
        check::not_blank("platformUserId", &self.platform_user_id)?;
        check::not_blank("platformUsername", &self.platform_username)?;
        if let Some(v) = &self.platform_data {
            check::json_object("platformData", v)?;
        }
        Ok(())
    }

    fn into_row(self, owner: Uuid, cipher: &Cipher) -> AppResult<platform_connections::ActiveModel> {
        Ok(platform_connections::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(owner),
            platform: Set(self.platform),
            platform_user_id: Set(self.platform_user_id),
            platform_username: Set(self.platform_username),
            access_token: self.access_token.map(|t| cipher.seal(&t)).transpose()?.map_or(NotSet, |t| Set(Some(t))),
            refresh_token: self.refresh_token.map(|t| cipher.seal(&t)).transpose()?.map_or(NotSet, |t| Set(Some(t))),
            token_expires_at: self.token_expires_at.map_or(NotSet, |v| Set(Some(v))),
            platform_data: self.platform_data.map_or(NotSet, |v| Set(Some(v))),
            is_active: self.is_active.map_or(NotSet, |v| Set(Some(v))),
            last_sync_at: self.last_sync_at.map_or(NotSet, |v| Set(Some(v))),
            ..Default::default()
        })
    }
}

impl UpdatePlatformConnectionInput {
    fn validate(&self) -> AppResult<()> {
        if let Some(v) = &self.platform {
            check::one_of("platform", v, &["twitter", "linkedin", "instagram"])?;
        }
        if let Some(v) = &self.platform_user_id {
            check::not_blank("platformUserId", v)?;
        }
        if let Some(v) = &self.platform_username {
            check::not_blank("platformUsername", v)?;
        }
        if let Some(v) = self.platform_data.value() {
            check::json_object("platformData", v)?;
        }
        Ok(())
    }

    fn apply(self, row: &mut platform_connections::ActiveModel, cipher: &Cipher) -> AppResult<()> {
        crud::set(&mut row.platform, self.platform);
        crud::set(&mut row.platform_user_id, self.platform_user_id);
        crud::set(&mut row.platform_username, self.platform_username);
        crud::patch(&mut row.access_token, self.access_token.map_value(|t| cipher.seal(&t)).transpose()?);
        crud::patch(&mut row.refresh_token, self.refresh_token.map_value(|t| cipher.seal(&t)).transpose()?);
        crud::patch(&mut row.token_expires_at, self.token_expires_at);
        crud::patch(&mut row.platform_data, self.platform_data);
        crud::patch(&mut row.is_active, self.is_active);
        crud::patch(&mut row.last_sync_at, self.last_sync_at);
        Ok(())
    }
}

#[derive(Default)]
pub struct PlatformConnectionQuery;

#[Object]
impl PlatformConnectionQuery {
    /// One platform connection by id; `NOT_FOUND` unless the caller may read it.
    async fn platform_connection(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<platform_connections::Model> {
        Ok(crud::get::<platform_connections::Entity>(ctx, id).await?)
    }

    /// The platform connections the caller may read, a page at a time.
    async fn platform_connections(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        first: Option<i32>,
    ) -> async_graphql::Result<Page<platform_connections::Model>> {
        crud::list::<platform_connections::Entity>(ctx, after, first).await
    }
}

#[derive(Default)]
pub struct PlatformConnectionMutation;

#[Object]
impl PlatformConnectionMutation {
    /// Creates a platform connection.
    async fn create_platform_connection(
        &self,
        ctx: &Context<'_>,
        input: CreatePlatformConnectionInput,
    ) -> async_graphql::Result<platform_connections::Model> {
        input.validate()?;
        let owner = policy::required_owner(
            policy::owner_for_create::<platform_connections::Entity>(crud::viewer(ctx)?, input.user_id)?,
            "userId",
        )?;
        let row = input.into_row(owner, &crud::state(ctx)?.cipher)?;
        Ok(crud::create::<platform_connections::Entity>(ctx, row).await?)
    }

    /// Changes a platform connection; `NOT_FOUND` unless the caller may change it.
    async fn update_platform_connection(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdatePlatformConnectionInput,
    ) -> async_graphql::Result<platform_connections::Model> {
        input.validate()?;
        let cipher = crud::state(ctx)?.cipher.clone();
        Ok(crud::update::<platform_connections::Entity>(ctx, id, |row| input.apply(row, &cipher)).await?)
    }

    /// Deletes a platform connection; `NOT_FOUND` unless the caller may delete it.
    async fn delete_platform_connection(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Uuid> {
        Ok(crud::delete::<platform_connections::Entity>(ctx, id).await?)
    }
}
