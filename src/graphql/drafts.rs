//! GraphQL for `content_drafts`: types, inputs that mirror the CHECKs, and resolvers
//! that go through the policy.
use async_graphql::{Context, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, Utc};
use entity::{content_drafts, trend_insights};
use rust_decimal::Decimal;
use sea_orm::ActiveValue::{NotSet, Set};
use serde_json::Value as Json;
use uuid::Uuid;

use super::analytics::{ContentPerformance, ContentPerformanceFilter, ContentPerformanceOrder};
use super::archive::{
    self, ContentPerformanceSummary, ContentPerformanceSummaryFilter, ContentPerformanceSummaryOrder,
};
use super::check;
use super::crud::{self, Page, PageArgs};
use super::filter::{table_filter, table_order};
use super::loaders;
use super::trends::{TrendContentMapping, TrendContentMappingFilter, TrendContentMappingOrder, TrendInsight};
use crate::auth::policy;
use crate::error::AppResult;
use entity::{content_performance, trend_content_mapping};

/// A new content draft.
#[derive(InputObject)]
pub struct CreateContentDraftInput {
    /// The user the row belongs to: only the service role names it; a user's rows are their own.
    pub user_id: Option<Uuid>,
    /// One of: `twitter`, `linkedin`, `instagram`.
    pub platform: String,
    /// One of: `single_tweet`, `thread`, `quote_tweet`, `linkedin_short`, `linkedin_long`, `linkedin_carousel`, `instagram_reel`, `instagram_carousel`.
    pub content_type: String,
    /// `content`.
    pub content: String,
    /// `hook`.
    pub hook: Option<String>,
    /// `hashtags`.
    pub hashtags: Option<Json>,
    /// `mentions`.
    pub mentions: Option<Json>,
    /// `media_urls`.
    pub media_urls: Option<Json>,
    /// `trend_source_id`.
    pub trend_source_id: Option<Uuid>,
    /// `voice_confidence_score`.
    pub voice_confidence_score: Option<Decimal>,
    /// `engagement_prediction`.
    pub engagement_prediction: Option<Json>,
    /// One of: `pending`, `approved`, `rejected`, `published`, `archived`.
    pub status: Option<String>,
    /// `feedback_score`.
    pub feedback_score: Option<i32>,
    /// `user_edits`.
    pub user_edits: Option<String>,
    /// `published_at`.
    pub published_at: Option<DateTime<Utc>>,
    /// `published_url`.
    pub published_url: Option<String>,
    /// `actual_performance`.
    pub actual_performance: Option<Json>,
}

/// Changes to a content draft: absent fields stay as they are; `null` clears a nullable field.
#[derive(InputObject)]
pub struct UpdateContentDraftInput {
    /// One of: `twitter`, `linkedin`, `instagram`.
    pub platform: Option<String>,
    /// One of: `single_tweet`, `thread`, `quote_tweet`, `linkedin_short`, `linkedin_long`, `linkedin_carousel`, `instagram_reel`, `instagram_carousel`.
    pub content_type: Option<String>,
    /// `content`.
    pub content: Option<String>,
    /// `hook`.
    pub hook: MaybeUndefined<String>,
    /// `hashtags`.
    pub hashtags: MaybeUndefined<Json>,
    /// `mentions`.
    pub mentions: MaybeUndefined<Json>,
    /// `media_urls`.
    pub media_urls: MaybeUndefined<Json>,
    /// `trend_source_id`.
    pub trend_source_id: MaybeUndefined<Uuid>,
    /// `voice_confidence_score`.
    pub voice_confidence_score: MaybeUndefined<Decimal>,
    /// `engagement_prediction`.
    pub engagement_prediction: MaybeUndefined<Json>,
    /// One of: `pending`, `approved`, `rejected`, `published`, `archived`.
    pub status: MaybeUndefined<String>,
    /// `feedback_score`.
    pub feedback_score: MaybeUndefined<i32>,
    /// `user_edits`.
    pub user_edits: MaybeUndefined<String>,
    /// `published_at`.
    pub published_at: MaybeUndefined<DateTime<Utc>>,
    /// `published_url`.
    pub published_url: MaybeUndefined<String>,
    /// `actual_performance`.
    pub actual_performance: MaybeUndefined<Json>,
}

impl CreateContentDraftInput {
    fn validate(&self) -> AppResult<()> {
        check::one_of("platform", &self.platform, &["twitter", "linkedin", "instagram"])?;
        check::one_of(
            "contentType",
            &self.content_type,
            &[
                "single_tweet",
                "thread",
                "quote_tweet",
                "linkedin_short",
                "linkedin_long",
                "linkedin_carousel",
                "instagram_reel",
                "instagram_carousel",
            ],
        )?;
        check::not_blank("content", &self.content)?;
        if let Some(v) = &self.hashtags {
            check::json_array("hashtags", v)?;
        }
        if let Some(v) = &self.mentions {
            check::json_array("mentions", v)?;
        }
        if let Some(v) = &self.media_urls {
            check::json_array("mediaUrls", v)?;
        }
        if let Some(v) = &self.voice_confidence_score {
            check::decimal("voiceConfidenceScore", *v, 3, 2, Some((0, 1)))?;
        }
        if let Some(v) = &self.engagement_prediction {
            check::json_object("engagementPrediction", v)?;
        }
        if let Some(v) = &self.status {
            check::one_of("status", v, &["pending", "approved", "rejected", "published", "archived"])?;
        }
        if let Some(v) = &self.feedback_score {
            check::range_i64("feedbackScore", *v, -1, 1)?;
        }
        if let Some(v) = &self.actual_performance {
            check::json_object("actualPerformance", v)?;
        }
        Ok(())
    }

    fn into_row(self, owner: Uuid) -> AppResult<content_drafts::ActiveModel> {
        Ok(content_drafts::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(owner),
            platform: Set(self.platform),
            content_type: Set(self.content_type),
            content: Set(self.content),
            hook: self.hook.map_or(NotSet, |v| Set(Some(v))),
            hashtags: self.hashtags.map_or(NotSet, |v| Set(Some(v))),
            mentions: self.mentions.map_or(NotSet, |v| Set(Some(v))),
            media_urls: self.media_urls.map_or(NotSet, |v| Set(Some(v))),
            trend_source_id: self.trend_source_id.map_or(NotSet, |v| Set(Some(v))),
            voice_confidence_score: self.voice_confidence_score.map_or(NotSet, |v| Set(Some(v))),
            engagement_prediction: self.engagement_prediction.map_or(NotSet, |v| Set(Some(v))),
            status: self.status.map_or(NotSet, |v| Set(Some(v))),
            feedback_score: self.feedback_score.map_or(NotSet, |v| Set(Some(v))),
            user_edits: self.user_edits.map_or(NotSet, |v| Set(Some(v))),
            published_at: self.published_at.map_or(NotSet, |v| Set(Some(v))),
            published_url: self.published_url.map_or(NotSet, |v| Set(Some(v))),
            actual_performance: self.actual_performance.map_or(NotSet, |v| Set(Some(v))),
            ..Default::default()
        })
    }
}

impl UpdateContentDraftInput {
    fn validate(&self) -> AppResult<()> {
        if let Some(v) = &self.platform {
            check::one_of("platform", v, &["twitter", "linkedin", "instagram"])?;
        }
        if let Some(v) = &self.content_type {
            check::one_of(
                "contentType",
                v,
                &[
                    "single_tweet",
                    "thread",
                    "quote_tweet",
                    "linkedin_short",
                    "linkedin_long",
                    "linkedin_carousel",
                    "instagram_reel",
                    "instagram_carousel",
                ],
            )?;
        }
        if let Some(v) = &self.content {
            check::not_blank("content", v)?;
        }
        if let Some(v) = self.hashtags.value() {
            check::json_array("hashtags", v)?;
        }
        if let Some(v) = self.mentions.value() {
            check::json_array("mentions", v)?;
        }
        if let Some(v) = self.media_urls.value() {
            check::json_array("mediaUrls", v)?;
        }
        if let Some(v) = self.voice_confidence_score.value() {
            check::decimal("voiceConfidenceScore", *v, 3, 2, Some((0, 1)))?;
        }
        if let Some(v) = self.engagement_prediction.value() {
            check::json_object("engagementPrediction", v)?;
        }
        if let Some(v) = self.status.value() {
            check::one_of("status", v, &["pending", "approved", "rejected", "published", "archived"])?;
        }
        if let Some(v) = self.feedback_score.value() {
            check::range_i64("feedbackScore", *v, -1, 1)?;
        }
        if let Some(v) = self.actual_performance.value() {
            check::json_object("actualPerformance", v)?;
        }
        Ok(())
    }

    fn apply(self, row: &mut content_drafts::ActiveModel) -> AppResult<()> {
        crud::set(&mut row.platform, self.platform);
        crud::set(&mut row.content_type, self.content_type);
        crud::set(&mut row.content, self.content);
        crud::patch(&mut row.hook, self.hook);
        crud::patch(&mut row.hashtags, self.hashtags);
        crud::patch(&mut row.mentions, self.mentions);
        crud::patch(&mut row.media_urls, self.media_urls);
        crud::patch(&mut row.trend_source_id, self.trend_source_id);
        crud::patch(&mut row.voice_confidence_score, self.voice_confidence_score);
        crud::patch(&mut row.engagement_prediction, self.engagement_prediction);
        crud::patch(&mut row.status, self.status);
        crud::patch(&mut row.feedback_score, self.feedback_score);
        crud::patch(&mut row.user_edits, self.user_edits);
        crud::patch(&mut row.published_at, self.published_at);
        crud::patch(&mut row.published_url, self.published_url);
        crud::patch(&mut row.actual_performance, self.actual_performance);
        Ok(())
    }
}

/// AI-generated drafts in the creator's voice (seed 4.1).
#[derive(Clone)]
pub struct ContentDraft(pub content_drafts::Model);

impl From<content_drafts::Model> for ContentDraft {
    fn from(row: content_drafts::Model) -> Self {
        Self(row)
    }
}

#[Object]
impl ContentDraft {
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

    /// One of: `single_tweet`, `thread`, `quote_tweet`, `linkedin_short`, `linkedin_long`, `linkedin_carousel`, `instagram_reel`, `instagram_carousel`.
    async fn content_type(&self) -> &str {
        &self.0.content_type
    }

    /// `content`.
    async fn content(&self) -> &str {
        &self.0.content
    }

    /// `hook`.
    async fn hook(&self) -> Option<&str> {
        self.0.hook.as_deref()
    }

    /// `hashtags`.
    async fn hashtags(&self) -> Option<&Json> {
        self.0.hashtags.as_ref()
    }

    /// `mentions`.
    async fn mentions(&self) -> Option<&Json> {
        self.0.mentions.as_ref()
    }

    /// `media_urls`.
    async fn media_urls(&self) -> Option<&Json> {
        self.0.media_urls.as_ref()
    }

    /// `trend_source_id`.
    async fn trend_source_id(&self) -> Option<Uuid> {
        self.0.trend_source_id
    }

    /// `voice_confidence_score`.
    async fn voice_confidence_score(&self) -> Option<Decimal> {
        self.0.voice_confidence_score
    }

    /// `engagement_prediction`.
    async fn engagement_prediction(&self) -> Option<&Json> {
        self.0.engagement_prediction.as_ref()
    }

    /// One of: `pending`, `approved`, `rejected`, `published`, `archived`.
    async fn status(&self) -> Option<&str> {
        self.0.status.as_deref()
    }

    /// `feedback_score`.
    async fn feedback_score(&self) -> Option<i32> {
        self.0.feedback_score
    }

    /// `user_edits`.
    async fn user_edits(&self) -> Option<&str> {
        self.0.user_edits.as_deref()
    }

    /// `published_at`.
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }

    /// `published_url`.
    async fn published_url(&self) -> Option<&str> {
        self.0.published_url.as_deref()
    }

    /// `actual_performance`.
    async fn actual_performance(&self) -> Option<&Json> {
        self.0.actual_performance.as_ref()
    }

    /// When the row was created.
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        self.0.created_at
    }

    /// When the row last changed (kept by the database).
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.0.updated_at
    }

    /// The trend this draft was written from.
    async fn trend_source(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<TrendInsight>> {
        loaders::one::<trend_insights::Entity, TrendInsight>(ctx, self.0.trend_source_id).await
    }

    /// The trends mapped to this draft.
    #[graphql(complexity = "crud::page_complexity(first, None, child_complexity)")]
    async fn trend_mappings(
        &self,
        ctx: &Context<'_>,
        filter: Option<TrendContentMappingFilter>,
        order_by: Option<Vec<TrendContentMappingOrder>>,
        first: Option<i32>,
    ) -> async_graphql::Result<Page<TrendContentMapping>> {
        loaders::children::<trend_content_mapping::Entity, TrendContentMapping, _, _>(
            ctx,
            trend_content_mapping::Column::ContentDraftId,
            self.0.id,
            filter,
            order_by,
            first,
        )
        .await
    }

    /// How this draft performed once published.
    #[graphql(complexity = "crud::page_complexity(first, None, child_complexity)")]
    async fn performance(
        &self,
        ctx: &Context<'_>,
        filter: Option<ContentPerformanceFilter>,
        order_by: Option<Vec<ContentPerformanceOrder>>,
        first: Option<i32>,
    ) -> async_graphql::Result<Page<ContentPerformance>> {
        loaders::children::<content_performance::Entity, ContentPerformance, _, _>(
            ctx,
            content_performance::Column::ContentDraftId,
            self.0.id,
            filter,
            order_by,
            first,
        )
        .await
    }

    /// Weekly and monthly summaries of its performance rows older than six months.
    #[graphql(complexity = "crud::page_complexity(first, None, child_complexity)")]
    async fn performance_summaries(
        &self,
        ctx: &Context<'_>,
        filter: Option<ContentPerformanceSummaryFilter>,
        order_by: Option<Vec<ContentPerformanceSummaryOrder>>,
        first: Option<i32>,
    ) -> async_graphql::Result<Page<ContentPerformanceSummary>> {
        archive::summaries_of_draft(ctx, self.0.id, filter, order_by, first).await
    }
}

table_filter! {
    /// Conditions on content drafts; fields combine with AND.
    ContentDraftFilter for content_drafts {
        id ("id"): UuidFilter => Id,
        user_id ("userId"): UuidFilter => UserId,
        platform ("platform"): StringFilter => Platform,
        content_type ("contentType"): StringFilter => ContentType,
        content ("content"): StringFilter => Content,
        hook ("hook"): StringFilter => Hook,
        hashtags ("hashtags"): JsonFilter => Hashtags,
        mentions ("mentions"): JsonFilter => Mentions,
        media_urls ("mediaUrls"): JsonFilter => MediaUrls,
        trend_source_id ("trendSourceId"): UuidFilter => TrendSourceId,
        voice_confidence_score ("voiceConfidenceScore"): DecimalFilter => VoiceConfidenceScore,
        engagement_prediction ("engagementPrediction"): JsonFilter => EngagementPrediction,
        status ("status"): StringFilter => Status,
        feedback_score ("feedbackScore"): IntFilter => FeedbackScore,
        user_edits ("userEdits"): StringFilter => UserEdits,
        published_at ("publishedAt"): DateTimeFilter => PublishedAt,
        published_url ("publishedUrl"): StringFilter => PublishedUrl,
        actual_performance ("actualPerformance"): JsonFilter => ActualPerformance,
        created_at ("createdAt"): DateTimeFilter => CreatedAt,
        updated_at ("updatedAt"): DateTimeFilter => UpdatedAt,
    }
}

table_order! {
    /// One sort key of content drafts; ties are broken by id.
    ContentDraftOrder, ContentDraftOrderField for content_drafts {
        Id, UserId, Platform, ContentType, Content, Hook, TrendSourceId, VoiceConfidenceScore, Status, FeedbackScore, UserEdits, PublishedAt, PublishedUrl, CreatedAt, UpdatedAt,
    }
}

#[derive(Default)]
pub struct ContentDraftQuery;

#[Object]
impl ContentDraftQuery {
    /// One content draft by id; `NOT_FOUND` unless the caller may read it.
    async fn content_draft(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<ContentDraft> {
        Ok(crud::get::<content_drafts::Entity>(ctx, id).await?.into())
    }

    /// The content drafts the caller may read, a page at a time.
    #[graphql(complexity = "crud::page_complexity(first, last, child_complexity)")]
    async fn content_drafts(
        &self,
        ctx: &Context<'_>,
        filter: Option<ContentDraftFilter>,
        order_by: Option<Vec<ContentDraftOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<ContentDraft>> {
        let args = PageArgs { first, after, last, before };
        crud::list::<content_drafts::Entity, ContentDraft, _, _>(ctx, filter, order_by, args).await
    }
}

#[derive(Default)]
pub struct ContentDraftMutation;

#[Object]
impl ContentDraftMutation {
    /// Creates a content draft.
    async fn create_content_draft(
        &self,
        ctx: &Context<'_>,
        input: CreateContentDraftInput,
    ) -> async_graphql::Result<ContentDraft> {
        input.validate()?;
        let owner = policy::required_owner(
            policy::owner_for_create::<content_drafts::Entity>(crud::viewer(ctx)?, input.user_id, "userId")?,
            "userId",
        )?;
        if let Some(id) = input.trend_source_id {
            crud::ensure_reference::<trend_insights::Entity>(ctx, id, owner).await?;
        }
        let row = input.into_row(owner)?;
        Ok(crud::create::<content_drafts::Entity>(ctx, row).await?.into())
    }

    /// Changes a content draft; `NOT_FOUND` unless the caller may change it.
    async fn update_content_draft(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateContentDraftInput,
    ) -> async_graphql::Result<ContentDraft> {
        input.validate()?;
        let owner = crud::owner_for_update::<content_drafts::Entity>(ctx, id, |row| row.user_id).await?;
        if let Some(target) = input.trend_source_id.value().copied() {
            crud::ensure_reference::<trend_insights::Entity>(ctx, target, owner).await?;
        }
        Ok(crud::update::<content_drafts::Entity>(ctx, id, |row| input.apply(row)).await?.into())
    }

    /// Deletes a content draft; `NOT_FOUND` unless the caller may delete it.
    async fn delete_content_draft(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Uuid> {
        Ok(crud::delete::<content_drafts::Entity>(ctx, id).await?)
    }
}
