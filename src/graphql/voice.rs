//! GraphQL for `voice_training_data`, `voice_models`: types, inputs that mirror the CHECKs, and resolvers
//! that go through the policy.
use async_graphql::{Context, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, Utc};
use entity::{voice_models, voice_training_data};
use rust_decimal::Decimal;
use sea_orm::ActiveValue::{NotSet, Set};
use serde_json::Value as Json;
use uuid::Uuid;

use super::check;
use super::crud::{self, Page, PageArgs};
use super::filter::{table_filter, table_order};
use crate::auth::policy;
use crate::error::AppResult;

/// A new voice training sample.
#[derive(InputObject)]
pub struct CreateVoiceTrainingSampleInput {
    /// The user the row belongs to: only the service role names it; a user's rows are their own.
    pub user_id: Option<Uuid>,
    /// `sample_content`.
    pub sample_content: String,
    /// One of: `twitter`, `linkedin`, `instagram`.
    pub platform: String,
    /// `engagement_metrics`.
    pub engagement_metrics: Option<Json>,
    /// `content_features`.
    pub content_features: Option<Json>,
    /// `is_training_sample`.
    pub is_training_sample: Option<bool>,
    /// `sample_rank`.
    pub sample_rank: Option<i32>,
}

/// Changes to a voice training sample: absent fields stay as they are; `null` clears a nullable field.
#[derive(InputObject)]
pub struct UpdateVoiceTrainingSampleInput {
    /// `sample_content`.
    pub sample_content: Option<String>,
    /// One of: `twitter`, `linkedin`, `instagram`.
    pub platform: Option<String>,
    /// `engagement_metrics`.
    pub engagement_metrics: MaybeUndefined<Json>,
    /// `content_features`.
    pub content_features: MaybeUndefined<Json>,
    /// `is_training_sample`.
    pub is_training_sample: MaybeUndefined<bool>,
    /// `sample_rank`.
    pub sample_rank: MaybeUndefined<i32>,
}

impl CreateVoiceTrainingSampleInput {
    fn validate(&self) -> AppResult<()> {
        check::not_blank("sampleContent", &self.sample_content)?;
        check::one_of("platform", &self.platform, &["twitter", "linkedin", "instagram"])?;
        if let Some(v) = &self.engagement_metrics {
            check::json_object("engagementMetrics", v)?;
        }
        if let Some(v) = &self.content_features {
            check::json_object("contentFeatures", v)?;
        }
        if let Some(v) = &self.sample_rank {
            check::range_i64("sampleRank", *v, 0, i64::MAX)?;
        }
        Ok(())
    }

    fn into_row(self, owner: Uuid) -> AppResult<voice_training_data::ActiveModel> {
        Ok(voice_training_data::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(owner),
            sample_content: Set(self.sample_content),
            platform: Set(self.platform),
            engagement_metrics: self.engagement_metrics.map_or(NotSet, |v| Set(Some(v))),
            content_features: self.content_features.map_or(NotSet, |v| Set(Some(v))),
            is_training_sample: self.is_training_sample.map_or(NotSet, |v| Set(Some(v))),
            sample_rank: self.sample_rank.map_or(NotSet, |v| Set(Some(v))),
            ..Default::default()
        })
    }
}

impl UpdateVoiceTrainingSampleInput {
    fn validate(&self) -> AppResult<()> {
        if let Some(v) = &self.sample_content {
            check::not_blank("sampleContent", v)?;
        }
        if let Some(v) = &self.platform {
            check::one_of("platform", v, &["twitter", "linkedin", "instagram"])?;
        }
        if let Some(v) = self.engagement_metrics.value() {
            check::json_object("engagementMetrics", v)?;
        }
        if let Some(v) = self.content_features.value() {
            check::json_object("contentFeatures", v)?;
        }
        if let Some(v) = self.sample_rank.value() {
            check::range_i64("sampleRank", *v, 0, i64::MAX)?;
        }
        Ok(())
    }

    fn apply(self, row: &mut voice_training_data::ActiveModel) -> AppResult<()> {
        crud::set(&mut row.sample_content, self.sample_content);
        crud::set(&mut row.platform, self.platform);
        crud::patch(&mut row.engagement_metrics, self.engagement_metrics);
        crud::patch(&mut row.content_features, self.content_features);
        crud::patch(&mut row.is_training_sample, self.is_training_sample);
        crud::patch(&mut row.sample_rank, self.sample_rank);
        Ok(())
    }
}

/// Samples of the creator's own writing (seed 4.2).
#[derive(Clone)]
pub struct VoiceTrainingSample(pub voice_training_data::Model);

impl From<voice_training_data::Model> for VoiceTrainingSample {
    fn from(row: voice_training_data::Model) -> Self {
        Self(row)
    }
}

#[Object]
impl VoiceTrainingSample {
    /// The row's id.
    async fn id(&self) -> Uuid {
        self.0.id
    }

    /// The user the row belongs to.
    async fn user_id(&self) -> Uuid {
        self.0.user_id
    }

    /// `sample_content`.
    async fn sample_content(&self) -> &str {
        &self.0.sample_content
    }

    /// One of: `twitter`, `linkedin`, `instagram`.
    async fn platform(&self) -> &str {
        &self.0.platform
    }

    /// `engagement_metrics`.
    async fn engagement_metrics(&self) -> Option<&Json> {
        self.0.engagement_metrics.as_ref()
    }

    /// `content_features`.
    async fn content_features(&self) -> Option<&Json> {
        self.0.content_features.as_ref()
    }

    /// `is_training_sample`.
    async fn is_training_sample(&self) -> Option<bool> {
        self.0.is_training_sample
    }

    /// `sample_rank`.
    async fn sample_rank(&self) -> Option<i32> {
        self.0.sample_rank
    }

    /// When the row was created.
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        self.0.created_at
    }
}

table_filter! {
    /// Conditions on voice training samples; fields combine with AND.
    VoiceTrainingSampleFilter for voice_training_data {
        id ("id"): UuidFilter => Id,
        user_id ("userId"): UuidFilter => UserId,
        sample_content ("sampleContent"): StringFilter => SampleContent,
        platform ("platform"): StringFilter => Platform,
        engagement_metrics ("engagementMetrics"): JsonFilter => EngagementMetrics,
        content_features ("contentFeatures"): JsonFilter => ContentFeatures,
        is_training_sample ("isTrainingSample"): BooleanFilter => IsTrainingSample,
        sample_rank ("sampleRank"): IntFilter => SampleRank,
        created_at ("createdAt"): DateTimeFilter => CreatedAt,
    }
}

table_order! {
    /// One sort key of voice training samples; ties are broken by id.
    VoiceTrainingSampleOrder, VoiceTrainingSampleOrderField for voice_training_data {
        Id, UserId, SampleContent, Platform, IsTrainingSample, SampleRank, CreatedAt,
    }
}

#[derive(Default)]
pub struct VoiceTrainingSampleQuery;

#[Object]
impl VoiceTrainingSampleQuery {
    /// One voice training sample by id; `NOT_FOUND` unless the caller may read it.
    async fn voice_training_sample(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<VoiceTrainingSample> {
        Ok(crud::get::<voice_training_data::Entity>(ctx, id).await?.into())
    }

    /// The voice training samples the caller may read, a page at a time.
    #[graphql(complexity = "crud::page_complexity(first, last, child_complexity)")]
    async fn voice_training_samples(
        &self,
        ctx: &Context<'_>,
        filter: Option<VoiceTrainingSampleFilter>,
        order_by: Option<Vec<VoiceTrainingSampleOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<VoiceTrainingSample>> {
        let args = PageArgs { first, after, last, before };
        crud::list::<voice_training_data::Entity, VoiceTrainingSample, _, _>(ctx, filter, order_by, args).await
    }
}

#[derive(Default)]
pub struct VoiceTrainingSampleMutation;

#[Object]
impl VoiceTrainingSampleMutation {
    /// Creates a voice training sample.
    async fn create_voice_training_sample(
        &self,
        ctx: &Context<'_>,
        input: CreateVoiceTrainingSampleInput,
    ) -> async_graphql::Result<VoiceTrainingSample> {
        input.validate()?;
        let owner = policy::required_owner(
            policy::owner_for_create::<voice_training_data::Entity>(crud::viewer(ctx)?, input.user_id, "userId")?,
            "userId",
        )?;
        let row = input.into_row(owner)?;
        Ok(crud::create::<voice_training_data::Entity>(ctx, row).await?.into())
    }

    /// Changes a voice training sample; `NOT_FOUND` unless the caller may change it.
    async fn update_voice_training_sample(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateVoiceTrainingSampleInput,
    ) -> async_graphql::Result<VoiceTrainingSample> {
        input.validate()?;
        Ok(crud::update::<voice_training_data::Entity>(ctx, id, |row| input.apply(row)).await?.into())
    }

    /// Deletes a voice training sample; `NOT_FOUND` unless the caller may delete it.
    async fn delete_voice_training_sample(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Uuid> {
        Ok(crud::delete::<voice_training_data::Entity>(ctx, id).await?)
    }
}

/// A new voice model.
#[derive(InputObject)]
pub struct CreateVoiceModelInput {
    /// The user the row belongs to (only the service role creates these rows, and must name the user).
    pub user_id: Option<Uuid>,
    /// `model_version`.
    pub model_version: String,
    /// `model_config`.
    pub model_config: Json,
    /// `training_data_count`.
    pub training_data_count: i32,
    /// `validation_score`.
    pub validation_score: Option<Decimal>,
    /// `is_active`.
    pub is_active: Option<bool>,
    /// `training_started_at`.
    pub training_started_at: Option<DateTime<Utc>>,
    /// `training_completed_at`.
    pub training_completed_at: Option<DateTime<Utc>>,
}

/// Changes to a voice model: absent fields stay as they are; `null` clears a nullable field.
#[derive(InputObject)]
pub struct UpdateVoiceModelInput {
    /// `model_version`.
    pub model_version: Option<String>,
    /// `model_config`.
    pub model_config: Option<Json>,
    /// `training_data_count`.
    pub training_data_count: Option<i32>,
    /// `validation_score`.
    pub validation_score: MaybeUndefined<Decimal>,
    /// `is_active`.
    pub is_active: MaybeUndefined<bool>,
    /// `training_started_at`.
    pub training_started_at: MaybeUndefined<DateTime<Utc>>,
    /// `training_completed_at`.
    pub training_completed_at: MaybeUndefined<DateTime<Utc>>,
}

impl CreateVoiceModelInput {
    fn validate(&self) -> AppResult<()> {
        check::not_blank("modelVersion", &self.model_version)?;
        check::range_i64("trainingDataCount", self.training_data_count, 0, i64::MAX)?;
        if let Some(v) = &self.validation_score {
            check::decimal("validationScore", *v, 5, 4, Some((0, 1)))?;
        }
        Ok(())
    }

    fn into_row(self, owner: Uuid) -> AppResult<voice_models::ActiveModel> {
        Ok(voice_models::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(owner),
            model_version: Set(self.model_version),
            model_config: Set(self.model_config),
            training_data_count: Set(self.training_data_count),
            validation_score: self.validation_score.map_or(NotSet, |v| Set(Some(v))),
            is_active: self.is_active.map_or(NotSet, |v| Set(Some(v))),
            training_started_at: self.training_started_at.map_or(NotSet, |v| Set(Some(v))),
            training_completed_at: self.training_completed_at.map_or(NotSet, |v| Set(Some(v))),
            ..Default::default()
        })
    }
}

impl UpdateVoiceModelInput {
    fn validate(&self) -> AppResult<()> {
        if let Some(v) = &self.model_version {
            check::not_blank("modelVersion", v)?;
        }
        if let Some(v) = &self.training_data_count {
            check::range_i64("trainingDataCount", *v, 0, i64::MAX)?;
        }
        if let Some(v) = self.validation_score.value() {
            check::decimal("validationScore", *v, 5, 4, Some((0, 1)))?;
        }
        Ok(())
    }

    fn apply(self, row: &mut voice_models::ActiveModel) -> AppResult<()> {
        crud::set(&mut row.model_version, self.model_version);
        crud::set(&mut row.model_config, self.model_config);
        crud::set(&mut row.training_data_count, self.training_data_count);
        crud::patch(&mut row.validation_score, self.validation_score);
        crud::patch(&mut row.is_active, self.is_active);
        crud::patch(&mut row.training_started_at, self.training_started_at);
        crud::patch(&mut row.training_completed_at, self.training_completed_at);
        Ok(())
    }
}

/// Trained voice models; at most one active per user (seed 4.3).
#[derive(Clone)]
pub struct VoiceModel(pub voice_models::Model);

impl From<voice_models::Model> for VoiceModel {
    fn from(row: voice_models::Model) -> Self {
        Self(row)
    }
}

#[Object]
impl VoiceModel {
    /// The row's id.
    async fn id(&self) -> Uuid {
        self.0.id
    }

    /// The user the row belongs to.
    async fn user_id(&self) -> Uuid {
        self.0.user_id
    }

    /// `model_version`.
    async fn model_version(&self) -> &str {
        &self.0.model_version
    }

    /// `model_config`.
    async fn model_config(&self) -> &Json {
        &self.0.model_config
    }

    /// `training_data_count`.
    async fn training_data_count(&self) -> i32 {
        self.0.training_data_count
    }

    /// `validation_score`.
    async fn validation_score(&self) -> Option<Decimal> {
        self.0.validation_score
    }

    /// `is_active`.
    async fn is_active(&self) -> Option<bool> {
        self.0.is_active
    }

    /// `training_started_at`.
    async fn training_started_at(&self) -> Option<DateTime<Utc>> {
        self.0.training_started_at
    }

    /// `training_completed_at`.
    async fn training_completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.training_completed_at
    }

    /// When the row was created.
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        self.0.created_at
    }
}

table_filter! {
    /// Conditions on voice models; fields combine with AND.
    VoiceModelFilter for voice_models {
        id ("id"): UuidFilter => Id,
        user_id ("userId"): UuidFilter => UserId,
        model_version ("modelVersion"): StringFilter => ModelVersion,
        model_config ("modelConfig"): JsonFilter => ModelConfig,
        training_data_count ("trainingDataCount"): IntFilter => TrainingDataCount,
        validation_score ("validationScore"): DecimalFilter => ValidationScore,
        is_active ("isActive"): BooleanFilter => IsActive,
        training_started_at ("trainingStartedAt"): DateTimeFilter => TrainingStartedAt,
        training_completed_at ("trainingCompletedAt"): DateTimeFilter => TrainingCompletedAt,
        created_at ("createdAt"): DateTimeFilter => CreatedAt,
    }
}

table_order! {
    /// One sort key of voice models; ties are broken by id.
    VoiceModelOrder, VoiceModelOrderField for voice_models {
        Id, UserId, ModelVersion, TrainingDataCount, ValidationScore, IsActive, TrainingStartedAt, TrainingCompletedAt, CreatedAt,
    }
}

#[derive(Default)]
pub struct VoiceModelQuery;

#[Object]
impl VoiceModelQuery {
    /// One voice model by id; `NOT_FOUND` unless the caller may read it.
    async fn voice_model(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<VoiceModel> {
        Ok(crud::get::<voice_models::Entity>(ctx, id).await?.into())
    }

    /// The voice models the caller may read, a page at a time.
    #[graphql(complexity = "crud::page_complexity(first, last, child_complexity)")]
    async fn voice_models(
        &self,
        ctx: &Context<'_>,
        filter: Option<VoiceModelFilter>,
        order_by: Option<Vec<VoiceModelOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<VoiceModel>> {
        let args = PageArgs { first, after, last, before };
        crud::list::<voice_models::Entity, VoiceModel, _, _>(ctx, filter, order_by, args).await
    }
}

#[derive(Default)]
pub struct VoiceModelMutation;

#[Object]
impl VoiceModelMutation {
    /// Creates a voice model.
    async fn create_voice_model(
        &self,
        ctx: &Context<'_>,
        input: CreateVoiceModelInput,
    ) -> async_graphql::Result<VoiceModel> {
        input.validate()?;
        let owner = policy::required_owner(
            policy::owner_for_create::<voice_models::Entity>(crud::viewer(ctx)?, input.user_id, "userId")?,
            "userId",
        )?;
        let row = input.into_row(owner)?;
        Ok(crud::create::<voice_models::Entity>(ctx, row).await?.into())
    }

    /// Changes a voice model; `NOT_FOUND` unless the caller may change it.
    async fn update_voice_model(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateVoiceModelInput,
    ) -> async_graphql::Result<VoiceModel> {
        input.validate()?;
        Ok(crud::update::<voice_models::Entity>(ctx, id, |row| input.apply(row)).await?.into())
    }

    /// Deletes a voice model; `NOT_FOUND` unless the caller may delete it.
    async fn delete_voice_model(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Uuid> {
        Ok(crud::delete::<voice_models::Entity>(ctx, id).await?)
    }
}
