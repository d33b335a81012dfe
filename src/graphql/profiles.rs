//! GraphQL for `creator_profiles`, `platform_connections`: types, inputs that mirror the CHECKs, and resolvers
//! that go through the policy.
use async_graphql::{Context, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, Utc};
use entity::{creator_profiles, platform_connections};
use sea_orm::ActiveValue::{NotSet, Set};
use serde_json::Value as Json;
use uuid::Uuid;

use super::check;
use super::crud::{self, Page, PageArgs};
use super::filter::{table_filter, table_order};
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
        crud::patch(&mut row.onboarding_completed, self.onboarding_completed);
        crud::patch(&mut row.settings, self.settings);
        Ok(())
    }
}

/// Creator profiles (seed 2.1): one per user.
#[derive(Clone)]
pub struct CreatorProfile(pub creator_profiles::Model);

impl From<creator_profiles::Model> for CreatorProfile {
    fn from(row: creator_profiles::Model) -> Self {
        Self(row)
    }
}

#[Object]
impl CreatorProfile {
    /// The row's id.
    async fn id(&self) -> Uuid {
        self.0.id
    }

    /// The user the row belongs to.
    async fn user_id(&self) -> Uuid {
        self.0.user_id
    }

    /// `email`.
    async fn email(&self) -> &str {
        &self.0.email
    }

    /// `full_name`.
    async fn full_name(&self) -> Option<&str> {
        self.0.full_name.as_deref()
    }

    /// `creator_handle`.
    async fn creator_handle(&self) -> Option<&str> {
        self.0.creator_handle.as_deref()
    }

    /// `bio`.
    async fn bio(&self) -> Option<&str> {
        self.0.bio.as_deref()
    }

    /// `avatar_url`.
    async fn avatar_url(&self) -> Option<&str> {
        self.0.avatar_url.as_deref()
    }

    /// `timezone`.
    async fn timezone(&self) -> Option<&str> {
        self.0.timezone.as_deref()
    }

    /// One of: `pending`, `training`, `completed`, `failed`.
    async fn voice_training_status(&self) -> Option<&str> {
        self.0.voice_training_status.as_deref()
    }

    /// One of: `free`, `creator`, `agency`, `enterprise`: the subscription's tier, shown here
    /// read-only (it changes with the subscription, on the billing side).
    async fn subscription_tier(&self) -> Option<&str> {
        self.0.subscription_tier.as_deref()
    }

    /// `onboarding_completed`.
    async fn onboarding_completed(&self) -> Option<bool> {
        self.0.onboarding_completed
    }

    /// `settings`.
    async fn settings(&self) -> Option<&Json> {
        self.0.settings.as_ref()
    }

    /// When the row was created.
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        self.0.created_at
    }

    /// When the row last changed (kept by the database).
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.0.updated_at
    }
}

table_filter! {
    /// Conditions on creator profiles; fields combine with AND.
    CreatorProfileFilter for creator_profiles {
        id ("id"): UuidFilter => Id,
        user_id ("userId"): UuidFilter => UserId,
        email ("email"): StringFilter => Email,
        full_name ("fullName"): StringFilter => FullName,
        creator_handle ("creatorHandle"): StringFilter => CreatorHandle,
        bio ("bio"): StringFilter => Bio,
        avatar_url ("avatarUrl"): StringFilter => AvatarUrl,
        timezone ("timezone"): StringFilter => Timezone,
        voice_training_status ("voiceTrainingStatus"): StringFilter => VoiceTrainingStatus,
        subscription_tier ("subscriptionTier"): StringFilter => SubscriptionTier,
        onboarding_completed ("onboardingCompleted"): BooleanFilter => OnboardingCompleted,
        settings ("settings"): JsonFilter => Settings,
        created_at ("createdAt"): DateTimeFilter => CreatedAt,
        updated_at ("updatedAt"): DateTimeFilter => UpdatedAt,
    }
}

table_order! {
    /// One sort key of creator profiles; ties are broken by id.
    CreatorProfileOrder, CreatorProfileOrderField for creator_profiles {
        Id, UserId, Email, FullName, CreatorHandle, Bio, AvatarUrl, Timezone, VoiceTrainingStatus, SubscriptionTier, OnboardingCompleted, CreatedAt, UpdatedAt,
    }
}

#[derive(Default)]
pub struct CreatorProfileQuery;

#[Object]
impl CreatorProfileQuery {
    /// One creator profile by id; `NOT_FOUND` unless the caller may read it.
    async fn creator_profile(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<CreatorProfile> {
        Ok(crud::get::<creator_profiles::Entity>(ctx, id).await?.into())
    }

    /// The creator profiles the caller may read, a page at a time.
    #[graphql(complexity = "crud::page_complexity(first, last, child_complexity)")]
    async fn creator_profiles(
        &self,
        ctx: &Context<'_>,
        filter: Option<CreatorProfileFilter>,
        order_by: Option<Vec<CreatorProfileOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<CreatorProfile>> {
        let args = PageArgs { first, after, last, before };
        crud::list::<creator_profiles::Entity, CreatorProfile, _, _>(ctx, filter, order_by, args).await
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
    ) -> async_graphql::Result<CreatorProfile> {
        input.validate()?;
        let owner = policy::required_owner(
            policy::owner_for_create::<creator_profiles::Entity>(crud::viewer(ctx)?, input.user_id, "userId")?,
            "userId",
        )?;
        let row = input.into_row(owner)?;
        Ok(crud::create::<creator_profiles::Entity>(ctx, row).await?.into())
    }

    /// Changes a creator profile; `NOT_FOUND` unless the caller may change it.
    async fn update_creator_profile(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateCreatorProfileInput,
    ) -> async_graphql::Result<CreatorProfile> {
        input.validate()?;
        Ok(crud::update::<creator_profiles::Entity>(ctx, id, |row| input.apply(row)).await?.into())
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

/// Connected social accounts (seed 2.2); tokens are sealed at rest and never exposed.
#[derive(Clone)]
pub struct PlatformConnection(pub platform_connections::Model);

impl From<platform_connections::Model> for PlatformConnection {
    fn from(row: platform_connections::Model) -> Self {
        Self(row)
    }
}

#[Object]
impl PlatformConnection {
    /// The row's id.
    async fn id(&self) -> Uuid {
        self.0.id
    }

    /// The user the row belongs to.
    async fn user_id(&self) -> Uuid {
        self.0.user_id
    }

    /// One of: `twitter`, `linkedin`, `instagram`.
    async fn platform(&self) -> &str {
        &self.0.platform
    }

    /// `platform_user_id`.
    async fn platform_user_id(&self) -> &str {
        &self.0.platform_user_id
    }

    /// `platform_username`.
    async fn platform_username(&self) -> &str {
        &self.0.platform_username
    }

    /// `token_expires_at`.
    async fn token_expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.token_expires_at
    }

    /// `platform_data`.
    async fn platform_data(&self) -> Option<&Json> {
        self.0.platform_data.as_ref()
    }

    /// `is_active`.
    async fn is_active(&self) -> Option<bool> {
        self.0.is_active
    }

    /// `last_sync_at`.
    async fn last_sync_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_sync_at
    }

    /// When the row was created.
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        self.0.created_at
    }

    /// When the row last changed (kept by the database).
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.0.updated_at
    }

    /// Whether a access token is stored (its value is never readable).
    async fn has_access_token(&self) -> bool {
        self.0.access_token.is_some()
    }

    /// Whether a refresh token is stored (its value is never readable).
    async fn has_refresh_token(&self) -> bool {
        self.0.refresh_token.is_some()
    }
}

table_filter! {
    /// Conditions on platform connections; fields combine with AND.
    PlatformConnectionFilter for platform_connections {
        id ("id"): UuidFilter => Id,
        user_id ("userId"): UuidFilter => UserId,
        platform ("platform"): StringFilter => Platform,
        platform_user_id ("platformUserId"): StringFilter => PlatformUserId,
        platform_username ("platformUsername"): StringFilter => PlatformUsername,
        token_expires_at ("tokenExpiresAt"): DateTimeFilter => TokenExpiresAt,
        platform_data ("platformData"): JsonFilter => PlatformData,
        is_active ("isActive"): BooleanFilter => IsActive,
        last_sync_at ("lastSyncAt"): DateTimeFilter => LastSyncAt,
        created_at ("createdAt"): DateTimeFilter => CreatedAt,
        updated_at ("updatedAt"): DateTimeFilter => UpdatedAt,
    }
}

table_order! {
    /// One sort key of platform connections; ties are broken by id.
    PlatformConnectionOrder, PlatformConnectionOrderField for platform_connections {
        Id, UserId, Platform, PlatformUserId, PlatformUsername, TokenExpiresAt, IsActive, LastSyncAt, CreatedAt, UpdatedAt,
    }
}

#[derive(Default)]
pub struct PlatformConnectionQuery;

#[Object]
impl PlatformConnectionQuery {
    /// One platform connection by id; `NOT_FOUND` unless the caller may read it.
    async fn platform_connection(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<PlatformConnection> {
        Ok(crud::get::<platform_connections::Entity>(ctx, id).await?.into())
    }

    /// The platform connections the caller may read, a page at a time.
    #[graphql(complexity = "crud::page_complexity(first, last, child_complexity)")]
    async fn platform_connections(
        &self,
        ctx: &Context<'_>,
        filter: Option<PlatformConnectionFilter>,
        order_by: Option<Vec<PlatformConnectionOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<PlatformConnection>> {
        let args = PageArgs { first, after, last, before };
        crud::list::<platform_connections::Entity, PlatformConnection, _, _>(ctx, filter, order_by, args).await
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
    ) -> async_graphql::Result<PlatformConnection> {
        input.validate()?;
        let owner = policy::required_owner(
            policy::owner_for_create::<platform_connections::Entity>(crud::viewer(ctx)?, input.user_id, "userId")?,
            "userId",
        )?;
        let row = input.into_row(owner, &crud::state(ctx)?.cipher)?;
        Ok(crud::create::<platform_connections::Entity>(ctx, row).await?.into())
    }

    /// Changes a platform connection; `NOT_FOUND` unless the caller may change it.
    async fn update_platform_connection(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdatePlatformConnectionInput,
    ) -> async_graphql::Result<PlatformConnection> {
        input.validate()?;
        let cipher = crud::state(ctx)?.cipher.clone();
        Ok(crud::update::<platform_connections::Entity>(ctx, id, |row| input.apply(row, &cipher)).await?.into())
    }

    /// Deletes a platform connection; `NOT_FOUND` unless the caller may delete it.
    async fn delete_platform_connection(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Uuid> {
        Ok(crud::delete::<platform_connections::Entity>(ctx, id).await?)
    }
}
