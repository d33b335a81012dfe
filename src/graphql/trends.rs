//! GraphQL for `content_sources`, `trend_insights`, `trend_content_mapping`: types, inputs that mirror the CHECKs, and resolvers
//! that go through the policy.
use async_graphql::{Context, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, Utc};
use entity::{content_drafts, content_sources, trend_content_mapping, trend_insights};
use rust_decimal::Decimal;
use sea_orm::ActiveValue::{NotSet, Set};
use serde_json::Value as Json;
use uuid::Uuid;

use super::check;
use super::crud::{self, Page};
use crate::auth::policy;
use crate::error::AppResult;

/// A new content source.
#[derive(InputObject)]
pub struct CreateContentSourceInput {
    /// The user the row belongs to: only the service role names it; a user's rows are their own.
    pub user_id: Option<Uuid>,
    /// One of: `twitter_handle`, `twitter_hashtag`, `linkedin_profile`, `youtube_channel`, `newsletter_rss`, `instagram_account`.
    pub source_type: String,
    /// `source_identifier`.
    pub source_identifier: String,
    /// `source_name`.
    pub source_name: String,
    /// `source_url`.
    pub source_url: Option<String>,
    /// `priority_level`.
    pub priority_level: Option<i32>,
    /// `is_active`.
    pub is_active: Option<bool>,
    /// `last_crawled_at`.
    pub last_crawled_at: Option<DateTime<Utc>>,
    /// `crawl_frequency`.
    pub crawl_frequency: Option<i64>,
    /// `source_metadata`.
    pub source_metadata: Option<Json>,
}

/// Changes to a content source: absent fields stay as they are; `null` clears a nullable field.
#[derive(InputObject)]
pub struct UpdateContentSourceInput {
    /// One of: `twitter_handle`, `twitter_hashtag`, `linkedin_profile`, `youtube_channel`, `newsletter_rss`, `instagram_account`.
    pub source_type: Option<String>,
    /// `source_identifier`.
    pub source_identifier: Option<String>,
    /// `source_name`.
    pub source_name: Option<String>,
    /// `source_url`.
    pub source_url: MaybeUndefined<String>,
    /// `priority_level`.
    pub priority_level: MaybeUndefined<i32>,
    /// `is_active`.
    pub is_active: MaybeUndefined<bool>,
    /// `last_crawled_at`.
    pub last_crawled_at: MaybeUndefined<DateTime<Utc>>,
    /// `crawl_frequency`.
    pub crawl_frequency: MaybeUndefined<i64>,
    /// `source_metadata`.
    pub source_metadata: MaybeUndefined<Json>,
}

impl CreateContentSourceInput {
    fn validate(&self) -> AppResult<()> {
        check::one_of(
            "sourceType",
            &self.source_type,
            &[
                "twitter_handle",
                "twitter_hashtag",
                "linkedin_profile",
                "youtube_channel",
                "newsletter_rss",
                "instagram_account",
            ],
        )?;
        check::not_blank("sourceIdentifier", &self.source_identifier)?;
        check::not_blank("sourceName", &self.source_name)?;
        if let Some(v) = &self.priority_level {
            check::range_i64("priorityLevel", *v, 1, 10)?;
        }
        if let Some(v) = &self.crawl_frequency {
            check::range_i64("crawlFrequency", *v, 1, i64::MAX)?;
        }
        if let Some(v) = &self.source_metadata {
            check::json_object("sourceMetadata", v)?;
        }
        Ok(())
    }

    fn into_row(self, owner: Uuid) -> AppResult<content_sources::ActiveModel> {
        Ok(content_sources::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(owner),
            source_type: Set(self.source_type),
            source_identifier: Set(self.source_identifier),
            source_name: Set(self.source_name),
            source_url: self.source_url.map_or(NotSet, |v| Set(Some(v))),
            priority_level: self.priority_level.map_or(NotSet, |v| Set(Some(v))),
            is_active: self.is_active.map_or(NotSet, |v| Set(Some(v))),
            last_crawled_at: self.last_crawled_at.map_or(NotSet, |v| Set(Some(v))),
            crawl_frequency: self.crawl_frequency.map_or(NotSet, |v| Set(Some(v))),
            source_metadata: self.source_metadata.map_or(NotSet, |v| Set(Some(v))),
            ..Default::default()
        })
    }
}

impl UpdateContentSourceInput {
    fn validate(&self) -> AppResult<()> {
        if let Some(v) = &self.source_type {
            check::one_of(
                "sourceType",
                v,
                &[
                    "twitter_handle",
                    "twitter_hashtag",
                    "linkedin_profile",
                    "youtube_channel",
                    "newsletter_rss",
                    "instagram_account",
                ],
            )?;
        }
        if let Some(v) = &self.source_identifier {
            check::not_blank("sourceIdentifier", v)?;
        }
        if let Some(v) = &self.source_name {
            check::not_blank("sourceName", v)?;
        }
        if let Some(v) = self.priority_level.value() {
            check::range_i64("priorityLevel", *v, 1, 10)?;
        }
        if let Some(v) = self.crawl_frequency.value() {
            check::range_i64("crawlFrequency", *v, 1, i64::MAX)?;
        }
        if let Some(v) = self.source_metadata.value() {
            check::json_object("sourceMetadata", v)?;
        }
        Ok(())
    }

    fn apply(self, row: &mut content_sources::ActiveModel) -> AppResult<()> {
        crud::set(&mut row.source_type, self.source_type);
        crud::set(&mut row.source_identifier, self.source_identifier);
        crud::set(&mut row.source_name, self.source_name);
        crud::patch(&mut row.source_url, self.source_url);
        crud::patch(&mut row.priority_level, self.priority_level);
        crud::patch(&mut row.is_active, self.is_active);
        crud::patch(&mut row.last_crawled_at, self.last_crawled_at);
        crud::patch(&mut row.crawl_frequency, self.crawl_frequency);
        crud::patch(&mut row.source_metadata, self.source_metadata);
        Ok(())
    }
}

#[derive(Default)]
pub struct ContentSourceQuery;

#[Object]
impl ContentSourceQuery {
    /// One content source by id; `NOT_FOUND` unless the caller may read it.
    async fn content_source(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<content_sources::Model> {
        Ok(crud::get::<content_sources::Entity>(ctx, id).await?)
    }

    /// The content sources the caller may read, a page at a time.
    async fn content_sources(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        first: Option<i32>,
    ) -> async_graphql::Result<Page<content_sources::Model>> {
        crud::list::<content_sources::Entity>(ctx, after, first).await
    }
}

#[derive(Default)]
pub struct ContentSourceMutation;

#[Object]
impl ContentSourceMutation {
    /// Creates a content source.
    async fn create_content_source(
        &self,
        ctx: &Context<'_>,
        input: CreateContentSourceInput,
    ) -> async_graphql::Result<content_sources::Model> {
        input.validate()?;
        let owner = policy::required_owner(
            policy::owner_for_create::<content_sources::Entity>(crud::viewer(ctx)?, input.user_id)?,
            "userId",
        )?;
        let row = input.into_row(owner)?;
        Ok(crud::create::<content_sources::Entity>(ctx, row).await?)
    }

    /// Changes a content source; `NOT_FOUND` unless the caller may change it.
    async fn update_content_source(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateContentSourceInput,
    ) -> async_graphql::Result<content_sources::Model> {
        input.validate()?;
        Ok(crud::update::<content_sources::Entity>(ctx, id, |row| input.apply(row)).await?)
    }

    /// Deletes a content source; `NOT_FOUND` unless the caller may delete it.
    async fn delete_content_source(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Uuid> {
        Ok(crud::delete::<content_sources::Entity>(ctx, id).await?)
    }
}

/// A new trend insight.
#[derive(InputObject)]
pub struct CreateTrendInsightInput {
    /// The user the row belongs to: only the service role names it; a user's rows are their own.
    pub user_id: Option<Uuid>,
    /// `trend_topic`.
    pub trend_topic: String,
    /// `trend_description`.
    pub trend_description: String,
    /// `confidence_score`.
    pub confidence_score: Decimal,
    /// `momentum_score`.
    pub momentum_score: Option<Decimal>,
    /// `source_count`.
    pub source_count: i32,
    /// `peak_prediction`.
    pub peak_prediction: Option<DateTime<Utc>>,
    /// `relevant_keywords`.
    pub relevant_keywords: Option<Json>,
    /// `source_evidence`.
    pub source_evidence: Option<Json>,
    /// `content_opportunities`.
    pub content_opportunities: Option<Json>,
    /// `trend_category`.
    pub trend_category: Option<String>,
    /// `geographic_data`.
    pub geographic_data: Option<Json>,
    /// One of: `active`, `declining`, `expired`.
    pub status: Option<String>,
    /// `expires_at`.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Changes to a trend insight: absent fields stay as they are; `null` clears a nullable field.
#[derive(InputObject)]
pub struct UpdateTrendInsightInput {
    /// `trend_topic`.
    pub trend_topic: Option<String>,
    /// `trend_description`.
    pub trend_description: Option<String>,
    /// `confidence_score`.
    pub confidence_score: Option<Decimal>,
    /// `momentum_score`.
    pub momentum_score: MaybeUndefined<Decimal>,
    /// `source_count`.
    pub source_count: Option<i32>,
    /// `peak_prediction`.
    pub peak_prediction: MaybeUndefined<DateTime<Utc>>,
    /// `relevant_keywords`.
    pub relevant_keywords: MaybeUndefined<Json>,
    /// `source_evidence`.
    pub source_evidence: MaybeUndefined<Json>,
    /// `content_opportunities`.
    pub content_opportunities: MaybeUndefined<Json>,
    /// `trend_category`.
    pub trend_category: MaybeUndefined<String>,
    /// `geographic_data`.
    pub geographic_data: MaybeUndefined<Json>,
    /// One of: `active`, `declining`, `expired`.
    pub status: MaybeUndefined<String>,
    /// `expires_at`.
    pub expires_at: MaybeUndefined<DateTime<Utc>>,
}

impl CreateTrendInsightInput {
    fn validate(&self) -> AppResult<()> {
        check::not_blank("trendTopic", &self.trend_topic)?;
        check::not_blank("trendDescription", &self.trend_description)?;
        check::decimal("confidenceScore", self.confidence_score, 3, 2, Some((0, 1)))?;
        if let Some(v) = &self.momentum_score {
            check::decimal("momentumScore", *v, 5, 2, None)?;
        }
        check::range_i64("sourceCount", self.source_count, 0, i64::MAX)?;
        if let Some(v) = &self.relevant_keywords {
            check::json_array("relevantKeywords", v)?;
        }
        if let Some(v) = &self.source_evidence {
            check::json_array("sourceEvidence", v)?;
        }
        if let Some(v) = &self.content_opportunities {
            check::json_array("contentOpportunities", v)?;
        }
        if let Some(v) = &self.geographic_data {
            check::json_object("geographicData", v)?;
        }
        if let Some(v) = &self.status {
            check::one_of("status", v, &["active", "declining", "expired"])?;
        }
        Ok(())
    }

    fn into_row(self, owner: Uuid) -> AppResult<trend_insights::ActiveModel> {
        Ok(trend_insights::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(owner),
            trend_topic: Set(self.trend_topic),
            trend_description: Set(self.trend_description),
            confidence_score: Set(self.confidence_score),
            momentum_score: self.momentum_score.map_or(NotSet, |v| Set(Some(v))),
            source_count: Set(self.source_count),
            peak_prediction: self.peak_prediction.map_or(NotSet, |v| Set(Some(v))),
            relevant_keywords: self.relevant_keywords.map_or(NotSet, |v| Set(Some(v))),
            source_evidence: self.source_evidence.map_or(NotSet, |v| Set(Some(v))),
            content_opportunities: self.content_opportunities.map_or(NotSet, |v| Set(Some(v))),
            trend_category: self.trend_category.map_or(NotSet, |v| Set(Some(v))),
            geographic_data: self.geographic_data.map_or(NotSet, |v| Set(Some(v))),
            status: self.status.map_or(NotSet, |v| Set(Some(v))),
            expires_at: self.expires_at.map_or(NotSet, |v| Set(Some(v))),
            ..Default::default()
        })
    }
}

impl UpdateTrendInsightInput {
    fn validate(&self) -> AppResult<()> {
        if let Some(v) = &self.trend_topic {
            check::not_blank("trendTopic", v)?;
        }
        if let Some(v) = &self.trend_description {
            check::not_blank("trendDescription", v)?;
        }
        if let Some(v) = &self.confidence_score {
            check::decimal("confidenceScore", *v, 3, 2, Some((0, 1)))?;
        }
        if let Some(v) = self.momentum_score.value() {
            check::decimal("momentumScore", *v, 5, 2, None)?;
        }
        if let Some(v) = &self.source_count {
            check::range_i64("sourceCount", *v, 0, i64::MAX)?;
        }
        if let Some(v) = self.relevant_keywords.value() {
            check::json_array("relevantKeywords", v)?;
        }
        if let Some(v) = self.source_evidence.value() {
            check::json_array("sourceEvidence", v)?;
        }
        if let Some(v) = self.content_opportunities.value() {
            check::json_array("contentOpportunities", v)?;
        }
        if let Some(v) = self.geographic_data.value() {
            check::json_object("geographicData", v)?;
        }
        if let Some(v) = self.status.value() {
            check::one_of("status", v, &["active", "declining", "expired"])?;
        }
        Ok(())
    }

    fn apply(self, row: &mut trend_insights::ActiveModel) -> AppResult<()> {
        crud::set(&mut row.trend_topic, self.trend_topic);
        crud::set(&mut row.trend_description, self.trend_description);
        crud::set(&mut row.confidence_score, self.confidence_score);
        crud::patch(&mut row.momentum_score, self.momentum_score);
        crud::set(&mut row.source_count, self.source_count);
        crud::patch(&mut row.peak_prediction, self.peak_prediction);
        crud::patch(&mut row.relevant_keywords, self.relevant_keywords);
        crud::patch(&mut row.source_evidence, self.source_evidence);
        crud::patch(&mut row.content_opportunities, self.content_opportunities);
        crud::patch(&mut row.trend_category, self.trend_category);
        crud::patch(&mut row.geographic_data, self.geographic_data);
        crud::patch(&mut row.status, self.status);
        crud::patch(&mut row.expires_at, self.expires_at);
        Ok(())
    }
}

#[derive(Default)]
pub struct TrendInsightQuery;

#[Object]
impl TrendInsightQuery {
    /// One trend insight by id; `NOT_FOUND` unless the caller may read it.
    async fn trend_insight(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<trend_insights::Model> {
        Ok(crud::get::<trend_insights::Entity>(ctx, id).await?)
    }

    /// The trend insights the caller may read, a page at a time.
    async fn trend_insights(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        first: Option<i32>,
    ) -> async_graphql::Result<Page<trend_insights::Model>> {
        crud::list::<trend_insights::Entity>(ctx, after, first).await
    }
}

#[derive(Default)]
pub struct TrendInsightMutation;

#[Object]
impl TrendInsightMutation {
    /// Creates a trend insight.
    async fn create_trend_insight(
        &self,
        ctx: &Context<'_>,
        input: CreateTrendInsightInput,
    ) -> async_graphql::Result<trend_insights::Model> {
        input.validate()?;
        let owner = policy::required_owner(
            policy::owner_for_create::<trend_insights::Entity>(crud::viewer(ctx)?, input.user_id)?,
            "userId",
        )?;
        let row = input.into_row(owner)?;
        Ok(crud::create::<trend_insights::Entity>(ctx, row).await?)
    }

    /// Changes a trend insight; `NOT_FOUND` unless the caller may change it.
    async fn update_trend_insight(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateTrendInsightInput,
    ) -> async_graphql::Result<trend_insights::Model> {
        input.validate()?;
        Ok(crud::update::<trend_insights::Entity>(ctx, id, |row| input.apply(row)).await?)
    }

    /// Deletes a trend insight; `NOT_FOUND` unless the caller may delete it.
    async fn delete_trend_insight(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Uuid> {
        Ok(crud::delete::<trend_insights::Entity>(ctx, id).await?)
    }
}

/// A new trend content mapping.
#[derive(InputObject)]
pub struct CreateTrendContentMappingInput {
    /// The user the row belongs to: only the service role names it; a user's rows are their own.
    pub user_id: Option<Uuid>,
    /// `trend_id`.
    pub trend_id: Uuid,
    /// `content_draft_id`.
    pub content_draft_id: Uuid,
    /// `relevance_score`.
    pub relevance_score: Option<Decimal>,
}

/// Changes to a trend content mapping: absent fields stay as they are; `null` clears a nullable field.
#[derive(InputObject)]
pub struct UpdateTrendContentMappingInput {
    /// `trend_id`.
    pub trend_id: Option<Uuid>,
    /// `content_draft_id`.
    pub content_draft_id: Option<Uuid>,
    /// `relevance_score`.
    pub relevance_score: MaybeUndefined<Decimal>,
}

impl CreateTrendContentMappingInput {
    fn validate(&self) -> AppResult<()> {
        if let Some(v) = &self.relevance_score {
            check::decimal("relevanceScore", *v, 3, 2, Some((0, 1)))?;
        }
        Ok(())
    }

    fn into_row(self, owner: Uuid) -> AppResult<trend_content_mapping::ActiveModel> {
        Ok(trend_content_mapping::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(owner),
            trend_id: Set(self.trend_id),
            content_draft_id: Set(self.content_draft_id),
            relevance_score: self.relevance_score.map_or(NotSet, |v| Set(Some(v))),
            ..Default::default()
        })
    }
}

impl UpdateTrendContentMappingInput {
    fn validate(&self) -> AppResult<()> {
        if let Some(v) = self.relevance_score.value() {
            check::decimal("relevanceScore", *v, 3, 2, Some((0, 1)))?;
        }
        Ok(())
    }

    fn apply(self, row: &mut trend_content_mapping::ActiveModel) -> AppResult<()> {
        crud::set(&mut row.trend_id, self.trend_id);
        crud::set(&mut row.content_draft_id, self.content_draft_id);
        crud::patch(&mut row.relevance_score, self.relevance_score);
        Ok(())
    }
}

#[derive(Default)]
pub struct TrendContentMappingQuery;

#[Object]
impl TrendContentMappingQuery {
    /// One trend content mapping by id; `NOT_FOUND` unless the caller may read it.
    async fn trend_content_mapping(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<trend_content_mapping::Model> {
        Ok(crud::get::<trend_content_mapping::Entity>(ctx, id).await?)
    }

    /// The trend content mappings the caller may read, a page at a time.
    async fn trend_content_mappings(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        first: Option<i32>,
    ) -> async_graphql::Result<Page<trend_content_mapping::Model>> {
        crud::list::<trend_content_mapping::Entity>(ctx, after, first).await
    }
}

#[derive(Default)]
pub struct TrendContentMappingMutation;

#[Object]
impl TrendContentMappingMutation {
    /// Creates a trend content mapping.
    async fn create_trend_content_mapping(
        &self,
        ctx: &Context<'_>,
        input: CreateTrendContentMappingInput,
    ) -> async_graphql::Result<trend_content_mapping::Model> {
        input.validate()?;
        let owner = policy::required_owner(
            policy::owner_for_create::<trend_content_mapping::Entity>(crud::viewer(ctx)?, input.user_id)?,
            "userId",
        )?;
        crud::ensure_reference::<trend_insights::Entity>(ctx, input.trend_id, owner).await?;
        crud::ensure_reference::<content_drafts::Entity>(ctx, input.content_draft_id, owner).await?;
        let row = input.into_row(owner)?;
        Ok(crud::create::<trend_content_mapping::Entity>(ctx, row).await?)
    }

    /// Changes a trend content mapping; `NOT_FOUND` unless the caller may change it.
    async fn update_trend_content_mapping(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateTrendContentMappingInput,
    ) -> async_graphql::Result<trend_content_mapping::Model> {
        input.validate()?;
        let owner = crud::owner_for_update::<trend_content_mapping::Entity>(ctx, id, |row| row.user_id).await?;
        if let Some(target) = input.trend_id {
            crud::ensure_reference::<trend_insights::Entity>(ctx, target, owner).await?;
        }
        if let Some(target) = input.content_draft_id {
            crud::ensure_reference::<content_drafts::Entity>(ctx, target, owner).await?;
        }
        Ok(crud::update::<trend_content_mapping::Entity>(ctx, id, |row| input.apply(row)).await?)
    }

    /// Deletes a trend content mapping; `NOT_FOUND` unless the caller may delete it.
    async fn delete_trend_content_mapping(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Uuid> {
        Ok(crud::delete::<trend_content_mapping::Entity>(ctx, id).await?)
    }
}
