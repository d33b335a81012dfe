//! GraphQL for `creator_analytics`, `content_performance`: types, inputs that mirror the CHECKs, and resolvers
//! that go through the policy.
use async_graphql::{Context, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{content_drafts, content_performance, creator_analytics};
use rust_decimal::Decimal;
use sea_orm::ActiveValue::{NotSet, Set};
use serde_json::Value as Json;
use uuid::Uuid;

use super::check;
use super::crud::{self, Page};
use crate::auth::policy;
use crate::error::AppResult;

/// A new creator analytic.
#[derive(InputObject)]
pub struct CreateCreatorAnalyticInput {
    /// The user the row belongs to: only the service role names it; a user's rows are their own.
    pub user_id: Option<Uuid>,
    /// `metric_date`.
    pub metric_date: NaiveDate,
    /// One of: `twitter`, `linkedin`, `instagram`, `overall`.
    pub platform: String,
    /// `drafts_generated`.
    pub drafts_generated: Option<i32>,
    /// `drafts_accepted`.
    pub drafts_accepted: Option<i32>,
    /// `drafts_rejected`.
    pub drafts_rejected: Option<i32>,
    /// `content_published`.
    pub content_published: Option<i32>,
    /// `avg_review_time_minutes`.
    pub avg_review_time_minutes: Option<Decimal>,
    /// `total_impressions`.
    pub total_impressions: Option<i64>,
    /// `total_engagements`.
    pub total_engagements: Option<i64>,
    /// `follower_count`.
    pub follower_count: Option<i32>,
    /// `engagement_rate`.
    pub engagement_rate: Option<Decimal>,
    /// `voice_confidence_avg`.
    pub voice_confidence_avg: Option<Decimal>,
    /// `trend_utilization_rate`.
    pub trend_utilization_rate: Option<Decimal>,
    /// `baseline_comparison`.
    pub baseline_comparison: Option<Json>,
}

/// Changes to a creator analytic: absent fields stay as they are; `null` clears a nullable field.
#[derive(InputObject)]
pub struct UpdateCreatorAnalyticInput {
    /// `metric_date`.
    pub metric_date: Option<NaiveDate>,
    /// One of: `twitter`, `linkedin`, `instagram`, `overall`.
    pub platform: Option<String>,
    /// `drafts_generated`.
    pub drafts_generated: MaybeUndefined<i32>,
    /// `drafts_accepted`.
    pub drafts_accepted: MaybeUndefined<i32>,
    /// `drafts_rejected`.
    pub drafts_rejected: MaybeUndefined<i32>,
    /// `content_published`.
    pub content_published: MaybeUndefined<i32>,
    /// `avg_review_time_minutes`.
    pub avg_review_time_minutes: MaybeUndefined<Decimal>,
    /// `total_impressions`.
    pub total_impressions: MaybeUndefined<i64>,
    /// `total_engagements`.
    pub total_engagements: MaybeUndefined<i64>,
    /// `follower_count`.
    pub follower_count: MaybeUndefined<i32>,
    /// `engagement_rate`.
    pub engagement_rate: MaybeUndefined<Decimal>,
    /// `voice_confidence_avg`.
    pub voice_confidence_avg: MaybeUndefined<Decimal>,
    /// `trend_utilization_rate`.
    pub trend_utilization_rate: MaybeUndefined<Decimal>,
    /// `baseline_comparison`.
    pub baseline_comparison: MaybeUndefined<Json>,
}

impl CreateCreatorAnalyticInput {
    fn validate(&self) -> AppResult<()> {
        check::one_of("platform", &self.platform, &["twitter", "linkedin", "instagram", "overall"])?;
        if let Some(v) = &self.drafts_generated {
            check::range_i64("draftsGenerated", *v, 0, i64::MAX)?;
        }
        if let Some(v) = &self.drafts_accepted {
            check::range_i64("draftsAccepted", *v, 0, i64::MAX)?;
        }
        if let Some(v) = &self.drafts_rejected {
            check::range_i64("draftsRejected", *v, 0, i64::MAX)?;
        }
        if let Some(v) = &self.content_published {
            check::range_i64("contentPublished", *v, 0, i64::MAX)?;
        }
        if let Some(v) = &self.avg_review_time_minutes {
            check::decimal("avgReviewTimeMinutes", *v, 8, 2, None)?;
        }
        if let Some(v) = &self.total_impressions {
            check::range_i64("totalImpressions", *v, 0, i64::MAX)?;
        }
        if let Some(v) = &self.total_engagements {
            check::range_i64("totalEngagements", *v, 0, i64::MAX)?;
        }
        if let Some(v) = &self.follower_count {
            check::range_i64("followerCount", *v, 0, i64::MAX)?;
        }
        if let Some(v) = &self.engagement_rate {
            check::decimal("engagementRate", *v, 5, 4, Some((0, 1)))?;
        }
        if let Some(v) = &self.voice_confidence_avg {
            check::decimal("voiceConfidenceAvg", *v, 3, 2, Some((0, 1)))?;
        }
        if let Some(v) = &self.trend_utilization_rate {
            check::decimal("trendUtilizationRate", *v, 3, 2, Some((0, 1)))?;
        }
        if let Some(v) = &self.baseline_comparison {
            check::json_object("baselineComparison", v)?;
        }
        Ok(())
    }

    fn into_row(self, owner: Uuid) -> AppResult<creator_analytics::ActiveModel> {
        Ok(creator_analytics::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(owner),
            metric_date: Set(self.metric_date),
            platform: Set(self.platform),
            drafts_generated: self.drafts_generated.map_or(NotSet, |v| Set(Some(v))),
            drafts_accepted: self.drafts_accepted.map_or(NotSet, |v| Set(Some(v))),
            drafts_rejected: self.drafts_rejected.map_or(NotSet, |v| Set(Some(v))),
            content_published: self.content_published.map_or(NotSet, |v| Set(Some(v))),
            avg_review_time_minutes: self.avg_review_time_minutes.map_or(NotSet, |v| Set(Some(v))),
            total_impressions: self.total_impressions.map_or(NotSet, |v| Set(Some(v))),
            total_engagements: self.total_engagements.map_or(NotSet, |v| Set(Some(v))),
            follower_count: self.follower_count.map_or(NotSet, |v| Set(Some(v))),
            engagement_rate: self.engagement_rate.map_or(NotSet, |v| Set(Some(v))),
            voice_confidence_avg: self.voice_confidence_avg.map_or(NotSet, |v| Set(Some(v))),
            trend_utilization_rate: self.trend_utilization_rate.map_or(NotSet, |v| Set(Some(v))),
            baseline_comparison: self.baseline_comparison.map_or(NotSet, |v| Set(Some(v))),
            ..Default::default()
        })
    }
}

impl UpdateCreatorAnalyticInput {
    fn validate(&self) -> AppResult<()> {
        if let Some(v) = &self.platform {
            check::one_of("platform", v, &["twitter", "linkedin", "instagram", "overall"])?;
        }
        if let Some(v) = self.drafts_generated.value() {
            check::range_i64("draftsGenerated", *v, 0, i64::MAX)?;
        }
        if let Some(v) = self.drafts_accepted.value() {
            check::range_i64("draftsAccepted", *v, 0, i64::MAX)?;
        }
        if let Some(v) = self.drafts_rejected.value() {
            check::range_i64("draftsRejected", *v, 0, i64::MAX)?;
        }
        if let Some(v) = self.content_published.value() {
            check::range_i64("contentPublished", *v, 0, i64::MAX)?;
        }
        if let Some(v) = self.avg_review_time_minutes.value() {
            check::decimal("avgReviewTimeMinutes", *v, 8, 2, None)?;
        }
        if let Some(v) = self.total_impressions.value() {
            check::range_i64("totalImpressions", *v, 0, i64::MAX)?;
        }
        if let Some(v) = self.total_engagements.value() {
            check::range_i64("totalEngagements", *v, 0, i64::MAX)?;
        }
        if let Some(v) = self.follower_count.value() {
            check::range_i64("followerCount", *v, 0, i64::MAX)?;
        }
        if let Some(v) = self.engagement_rate.value() {
            check::decimal("engagementRate", *v, 5, 4, Some((0, 1)))?;
        }
        if let Some(v) = self.voice_confidence_avg.value() {
            check::decimal("voiceConfidenceAvg", *v, 3, 2, Some((0, 1)))?;
        }
        if let Some(v) = self.trend_utilization_rate.value() {
            check::decimal("trendUtilizationRate", *v, 3, 2, Some((0, 1)))?;
        }
        if let Some(v) = self.baseline_comparison.value() {
            check::json_object("baselineComparison", v)?;
        }
        Ok(())
    }

    fn apply(self, row: &mut creator_analytics::ActiveModel) -> AppResult<()> {
        crud::set(&mut row.metric_date, self.metric_date);
        crud::set(&mut row.platform, self.platform);
        crud::patch(&mut row.drafts_generated, self.drafts_generated);
        crud::patch(&mut row.drafts_accepted, self.drafts_accepted);
        crud::patch(&mut row.drafts_rejected, self.drafts_rejected);
        crud::patch(&mut row.content_published, self.content_published);
        crud::patch(&mut row.avg_review_time_minutes, self.avg_review_time_minutes);
        crud::patch(&mut row.total_impressions, self.total_impressions);
        crud::patch(&mut row.total_engagements, self.total_engagements);
        crud::patch(&mut row.follower_count, self.follower_count);
        crud::patch(&mut row.engagement_rate, self.engagement_rate);
        crud::patch(&mut row.voice_confidence_avg, self.voice_confidence_avg);
        crud::patch(&mut row.trend_utilization_rate, self.trend_utilization_rate);
        crud::patch(&mut row.baseline_comparison, self.baseline_comparison);
        Ok(())
    }
}

#[derive(Default)]
pub struct CreatorAnalyticQuery;

#[Object]
impl CreatorAnalyticQuery {
    /// One creator analytic by id; `NOT_FOUND` unless the caller may read it.
    async fn creator_analytic(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<creator_analytics::Model> {
        Ok(crud::get::<creator_analytics::Entity>(ctx, id).await?)
    }

    /// The creator analytics the caller may read, a page at a time.
    async fn creator_analytics(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        first: Option<i32>,
    ) -> async_graphql::Result<Page<creator_analytics::Model>> {
        crud::list::<creator_analytics::Entity>(ctx, after, first).await
    }
}

#[derive(Default)]
pub struct CreatorAnalyticMutation;

#[Object]
impl CreatorAnalyticMutation {
    /// Creates a creator analytic.
    async fn create_creator_analytic(
        &self,
        ctx: &Context<'_>,
        input: CreateCreatorAnalyticInput,
    ) -> async_graphql::Result<creator_analytics::Model> {
        input.validate()?;
        let owner = policy::required_owner(
            policy::owner_for_create::<creator_analytics::Entity>(crud::viewer(ctx)?, input.user_id)?,
            "userId",
        )?;
        let row = input.into_row(owner)?;
        Ok(crud::create::<creator_analytics::Entity>(ctx, row).await?)
    }

    /// Changes a creator analytic; `NOT_FOUND` unless the caller may change it.
    async fn update_creator_analytic(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateCreatorAnalyticInput,
    ) -> async_graphql::Result<creator_analytics::Model> {
        input.validate()?;
        Ok(crud::update::<creator_analytics::Entity>(ctx, id, |row| input.apply(row)).await?)
    }

    /// Deletes a creator analytic; `NOT_FOUND` unless the caller may delete it.
    async fn delete_creator_analytic(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Uuid> {
        Ok(crud::delete::<creator_analytics::Entity>(ctx, id).await?)
    }
}

/// A new content performance.
#[derive(InputObject)]
pub struct CreateContentPerformanceInput {
    /// The user the row belongs to: only the service role names it; a user's rows are their own.
    pub user_id: Option<Uuid>,
    /// `content_draft_id`.
    pub content_draft_id: Uuid,
    /// `platform_post_id`.
    pub platform_post_id: Option<String>,
    /// `impressions`.
    pub impressions: Option<i64>,
    /// `likes`.
    pub likes: Option<i32>,
    /// `shares`.
    pub shares: Option<i32>,
    /// `comments`.
    pub comments: Option<i32>,
    /// `clicks`.
    pub clicks: Option<i32>,
    /// `saves`.
    pub saves: Option<i32>,
    /// `engagement_rate`.
    pub engagement_rate: Option<Decimal>,
    /// `reach`.
    pub reach: Option<i64>,
    /// `video_views`.
    pub video_views: Option<i64>,
    /// `performance_score`.
    pub performance_score: Option<Decimal>,
    /// `vs_prediction_accuracy`.
    pub vs_prediction_accuracy: Option<Decimal>,
    /// `last_updated_at`.
    pub last_updated_at: Option<DateTime<Utc>>,
}

/// Changes to a content performance: absent fields stay as they are; `null` clears a nullable field.
#[derive(InputObject)]
pub struct UpdateContentPerformanceInput {
    /// `content_draft_id`.
    pub content_draft_id: Option<Uuid>,
    /// `platform_post_id`.
    pub platform_post_id: MaybeUndefined<String>,
    /// `impressions`.
    pub impressions: MaybeUndefined<i64>,
    /// `likes`.
    pub likes: MaybeUndefined<i32>,
    /// `shares`.
    pub shares: MaybeUndefined<i32>,
    /// `comments`.
    pub comments: MaybeUndefined<i32>,
    /// `clicks`.
    pub clicks: MaybeUndefined<i32>,
    /// `saves`.
    pub saves: MaybeUndefined<i32>,
    /// `engagement_rate`.
    pub engagement_rate: MaybeUndefined<Decimal>,
    /// `reach`.
    pub reach: MaybeUndefined<i64>,
    /// `video_views`.
    pub video_views: MaybeUndefined<i64>,
    /// `performance_score`.
    pub performance_score: MaybeUndefined<Decimal>,
    /// `vs_prediction_accuracy`.
    pub vs_prediction_accuracy: MaybeUndefined<Decimal>,
    /// `last_updated_at`.
    pub last_updated_at: MaybeUndefined<DateTime<Utc>>,
}

impl CreateContentPerformanceInput {
    fn validate(&self) -> AppResult<()> {
        if let Some(v) = &self.impressions {
            check::range_i64("impressions", *v, 0, i64::MAX)?;
        }
        if let Some(v) = &self.likes {
            check::range_i64("likes", *v, 0, i64::MAX)?;
        }
        if let Some(v) = &self.shares {
            check::range_i64("shares", *v, 0, i64::MAX)?;
        }
        if let Some(v) = &self.comments {
            check::range_i64("comments", *v, 0, i64::MAX)?;
        }
        if let Some(v) = &self.clicks {
            check::range_i64("clicks", *v, 0, i64::MAX)?;
        }
        if let Some(v) = &self.saves {
            check::range_i64("saves", *v, 0, i64::MAX)?;
        }
        if let Some(v) = &self.engagement_rate {
            check::decimal("engagementRate", *v, 5, 4, Some((0, 1)))?;
        }
        if let Some(v) = &self.reach {
            check::range_i64("reach", *v, 0, i64::MAX)?;
        }
        if let Some(v) = &self.video_views {
            check::range_i64("videoViews", *v, 0, i64::MAX)?;
        }
        if let Some(v) = &self.performance_score {
            check::decimal("performanceScore", *v, 5, 2, None)?;
        }
        if let Some(v) = &self.vs_prediction_accuracy {
            check::decimal("vsPredictionAccuracy", *v, 3, 2, Some((0, 1)))?;
        }
        Ok(())
    }

    fn into_row(self, owner: Uuid) -> AppResult<content_performance::ActiveModel> {
        Ok(content_performance::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(owner),
            content_draft_id: Set(self.content_draft_id),
            platform_post_id: self.platform_post_id.map_or(NotSet, |v| Set(Some(v))),
            impressions: self.impressions.map_or(NotSet, |v| Set(Some(v))),
            likes: self.likes.map_or(NotSet, |v| Set(Some(v))),
            shares: self.shares.map_or(NotSet, |v| Set(Some(v))),
            comments: self.comments.map_or(NotSet, |v| Set(Some(v))),
            clicks: self.clicks.map_or(NotSet, |v| Set(Some(v))),
            saves: self.saves.map_or(NotSet, |v| Set(Some(v))),
            engagement_rate: self.engagement_rate.map_or(NotSet, |v| Set(Some(v))),
            reach: self.reach.map_or(NotSet, |v| Set(Some(v))),
            video_views: self.video_views.map_or(NotSet, |v| Set(Some(v))),
            performance_score: self.performance_score.map_or(NotSet, |v| Set(Some(v))),
            vs_prediction_accuracy: self.vs_prediction_accuracy.map_or(NotSet, |v| Set(Some(v))),
            last_updated_at: self.last_updated_at.map_or(NotSet, |v| Set(Some(v))),
            ..Default::default()
        })
    }
}

impl UpdateContentPerformanceInput {
    fn validate(&self) -> AppResult<()> {
        if let Some(v) = self.impressions.value() {
            check::range_i64("impressions", *v, 0, i64::MAX)?;
        }
        if let Some(v) = self.likes.value() {
            check::range_i64("likes", *v, 0, i64::MAX)?;
        }
        if let Some(v) = self.shares.value() {
            check::range_i64("shares", *v, 0, i64::MAX)?;
        }
        if let Some(v) = self.comments.value() {
            check::range_i64("comments", *v, 0, i64::MAX)?;
        }
        if let Some(v) = self.clicks.value() {
            check::range_i64("clicks", *v, 0, i64::MAX)?;
        }
        if let Some(v) = self.saves.value() {
            check::range_i64("saves", *v, 0, i64::MAX)?;
        }
        if let Some(v) = self.engagement_rate.value() {
            check::decimal("engagementRate", *v, 5, 4, Some((0, 1)))?;
        }
        if let Some(v) = self.reach.value() {
            check::range_i64("reach", *v, 0, i64::MAX)?;
        }
        if let Some(v) = self.video_views.value() {
            check::range_i64("videoViews", *v, 0, i64::MAX)?;
        }
        if let Some(v) = self.performance_score.value() {
            check::decimal("performanceScore", *v, 5, 2, None)?;
        }
        if let Some(v) = self.vs_prediction_accuracy.value() {
            check::decimal("vsPredictionAccuracy", *v, 3, 2, Some((0, 1)))?;
        }
        Ok(())
    }

    fn apply(self, row: &mut content_performance::ActiveModel) -> AppResult<()> {
        crud::set(&mut row.content_draft_id, self.content_draft_id);
        crud::patch(&mut row.platform_post_id, self.platform_post_id);
        crud::patch(&mut row.impressions, self.impressions);
        crud::patch(&mut row.likes, self.likes);
        crud::patch(&mut row.shares, self.shares);
        crud::patch(&mut row.comments, self.comments);
        crud::patch(&mut row.clicks, self.clicks);
        crud::patch(&mut row.saves, self.saves);
        crud::patch(&mut row.engagement_rate, self.engagement_rate);
        crud::patch(&mut row.reach, self.reach);
        crud::patch(&mut row.video_views, self.video_views);
        crud::patch(&mut row.performance_score, self.performance_score);
        crud::patch(&mut row.vs_prediction_accuracy, self.vs_prediction_accuracy);
        crud::patch(&mut row.last_updated_at, self.last_updated_at);
        Ok(())
    }
}

#[derive(Default)]
pub struct ContentPerformanceQuery;

#[Object]
impl ContentPerformanceQuery {
    /// One content performance by id; `NOT_FOUND` unless the caller may read it.
    async fn content_performance(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<content_performance::Model> {
        Ok(crud::get::<content_performance::Entity>(ctx, id).await?)
    }

    /// The content performances the caller may read, a page at a time.
    async fn content_performances(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        first: Option<i32>,
    ) -> async_graphql::Result<Page<content_performance::Model>> {
        crud::list::<content_performance::Entity>(ctx, after, first).await
    }
}

#[derive(Default)]
pub struct ContentPerformanceMutation;

#[Object]
impl ContentPerformanceMutation {
    /// Creates a content performance.
    async fn create_content_performance(
        &self,
        ctx: &Context<'_>,
        input: CreateContentPerformanceInput,
    ) -> async_graphql::Result<content_performance::Model> {
        input.validate()?;
        let owner = policy::required_owner(
            policy::owner_for_create::<content_performance::Entity>(crud::viewer(ctx)?, input.user_id)?,
            "userId",
        )?;
        crud::ensure_reference::<content_drafts::Entity>(ctx, input.content_draft_id, owner).await?;
        let row = input.into_row(owner)?;
        Ok(crud::create::<content_performance::Entity>(ctx, row).await?)
    }

    /// Changes a content performance; `NOT_FOUND` unless the caller may change it.
    async fn update_content_performance(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateContentPerformanceInput,
    ) -> async_graphql::Result<content_performance::Model> {
        input.validate()?;
        let owner = crud::owner_for_update::<content_performance::Entity>(ctx, id, |row| row.user_id).await?;
        if let Some(target) = input.content_draft_id {
            crud::ensure_reference::<content_drafts::Entity>(ctx, target, owner).await?;
        }
        Ok(crud::update::<content_performance::Entity>(ctx, id, |row| input.apply(row)).await?)
    }

    /// Deletes a content performance; `NOT_FOUND` unless the caller may delete it.
    async fn delete_content_performance(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Uuid> {
        Ok(crud::delete::<content_performance::Entity>(ctx, id).await?)
    }
}
