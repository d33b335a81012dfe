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
use super::crud::{self, Page, PageArgs};
use super::drafts::ContentDraft;
use super::filter::{table_filter, table_order};
use super::loaders;
use crate::auth::policy;
use crate::error::AppResult;

/// A new creator analytic.
#[derive(InputObject)]
pub struct CreateCreatorAnalyticInput {
    /// The user the row belongs to (only the service role creates these rows, and must name the user).
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

/// Daily analytics per platform (seed 6.1).
#[derive(Clone)]
pub struct CreatorAnalytic(pub creator_analytics::Model);

impl From<creator_analytics::Model> for CreatorAnalytic {
    fn from(row: creator_analytics::Model) -> Self {
        Self(row)
    }
}

#[Object]
impl CreatorAnalytic {
    /// The row's id.
    async fn id(&self) -> Uuid {
        self.0.id
    }

    /// The user the row belongs to.
    async fn user_id(&self) -> Uuid {
        self.0.user_id
    }

    /// `metric_date`.
    async fn metric_date(&self) -> NaiveDate {
        self.0.metric_date
    }

    /// One of: `twitter`, `linkedin`, `instagram`, `overall`.
    async fn platform(&self) -> &str {
        &self.0.platform
    }

    /// `drafts_generated`.
    async fn drafts_generated(&self) -> Option<i32> {
        self.0.drafts_generated
    }

    /// `drafts_accepted`.
    async fn drafts_accepted(&self) -> Option<i32> {
        self.0.drafts_accepted
    }

    /// `drafts_rejected`.
    async fn drafts_rejected(&self) -> Option<i32> {
        self.0.drafts_rejected
    }

    /// `content_published`.
    async fn content_published(&self) -> Option<i32> {
        self.0.content_published
    }

    /// `avg_review_time_minutes`.
    async fn avg_review_time_minutes(&self) -> Option<Decimal> {
        self.0.avg_review_time_minutes
    }

    /// `total_impressions`.
    async fn total_impressions(&self) -> Option<i64> {
        self.0.total_impressions
    }

    /// `total_engagements`.
    async fn total_engagements(&self) -> Option<i64> {
        self.0.total_engagements
    }

    /// `follower_count`.
    async fn follower_count(&self) -> Option<i32> {
        self.0.follower_count
    }

    /// `engagement_rate`.
    async fn engagement_rate(&self) -> Option<Decimal> {
        self.0.engagement_rate
    }

    /// `voice_confidence_avg`.
    async fn voice_confidence_avg(&self) -> Option<Decimal> {
        self.0.voice_confidence_avg
    }

    /// `trend_utilization_rate`.
    async fn trend_utilization_rate(&self) -> Option<Decimal> {
        self.0.trend_utilization_rate
    }

    /// `baseline_comparison`.
    async fn baseline_comparison(&self) -> Option<&Json> {
        self.0.baseline_comparison.as_ref()
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
    /// Conditions on creator analytics; fields combine with AND.
    CreatorAnalyticFilter for creator_analytics {
        id ("id"): UuidFilter => Id,
        user_id ("userId"): UuidFilter => UserId,
        metric_date ("metricDate"): DateFilter => MetricDate,
        platform ("platform"): StringFilter => Platform,
        drafts_generated ("draftsGenerated"): IntFilter => DraftsGenerated,
        drafts_accepted ("draftsAccepted"): IntFilter => DraftsAccepted,
        drafts_rejected ("draftsRejected"): IntFilter => DraftsRejected,
        content_published ("contentPublished"): IntFilter => ContentPublished,
        avg_review_time_minutes ("avgReviewTimeMinutes"): DecimalFilter => AvgReviewTimeMinutes,
        total_impressions ("totalImpressions"): BigIntFilter => TotalImpressions,
        total_engagements ("totalEngagements"): BigIntFilter => TotalEngagements,
        follower_count ("followerCount"): IntFilter => FollowerCount,
        engagement_rate ("engagementRate"): DecimalFilter => EngagementRate,
        voice_confidence_avg ("voiceConfidenceAvg"): DecimalFilter => VoiceConfidenceAvg,
        trend_utilization_rate ("trendUtilizationRate"): DecimalFilter => TrendUtilizationRate,
        baseline_comparison ("baselineComparison"): JsonFilter => BaselineComparison,
        created_at ("createdAt"): DateTimeFilter => CreatedAt,
        updated_at ("updatedAt"): DateTimeFilter => UpdatedAt,
    }
}

table_order! {
    /// One sort key of creator analytics; ties are broken by id.
    CreatorAnalyticOrder, CreatorAnalyticOrderField for creator_analytics {
        Id, UserId, MetricDate, Platform, DraftsGenerated, DraftsAccepted, DraftsRejected, ContentPublished, AvgReviewTimeMinutes, TotalImpressions, TotalEngagements, FollowerCount, EngagementRate, VoiceConfidenceAvg, TrendUtilizationRate, CreatedAt, UpdatedAt,
    }
}

#[derive(Default)]
pub struct CreatorAnalyticQuery;

#[Object]
impl CreatorAnalyticQuery {
    /// One creator analytic by id; `NOT_FOUND` unless the caller may read it.
    async fn creator_analytic(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<CreatorAnalytic> {
        Ok(crud::get::<creator_analytics::Entity>(ctx, id).await?.into())
    }

    /// The creator analytics the caller may read, a page at a time.
    #[graphql(complexity = "crud::page_complexity(first, last, child_complexity)")]
    async fn creator_analytics(
        &self,
        ctx: &Context<'_>,
        filter: Option<CreatorAnalyticFilter>,
        order_by: Option<Vec<CreatorAnalyticOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<CreatorAnalytic>> {
        let args = PageArgs { first, after, last, before };
        crud::list::<creator_analytics::Entity, CreatorAnalytic, _, _>(ctx, filter, order_by, args).await
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
    ) -> async_graphql::Result<CreatorAnalytic> {
        input.validate()?;
        let owner = policy::required_owner(
            policy::owner_for_create::<creator_analytics::Entity>(crud::viewer(ctx)?, input.user_id, "userId")?,
            "userId",
        )?;
        let row = input.into_row(owner)?;
        Ok(crud::create::<creator_analytics::Entity>(ctx, row).await?.into())
    }

    /// Changes a creator analytic; `NOT_FOUND` unless the caller may change it.
    async fn update_creator_analytic(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateCreatorAnalyticInput,
    ) -> async_graphql::Result<CreatorAnalytic> {
        input.validate()?;
        Ok(crud::update::<creator_analytics::Entity>(ctx, id, |row| input.apply(row)).await?.into())
    }

    /// Deletes a creator analytic; `NOT_FOUND` unless the caller may delete it.
    async fn delete_creator_analytic(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Uuid> {
        Ok(crud::delete::<creator_analytics::Entity>(ctx, id).await?)
    }
}

/// A new content performance.
#[derive(InputObject)]
pub struct CreateContentPerformanceInput {
    /// The user the row belongs to (only the service role creates these rows, and must name the user).
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

/// How published drafts performed (seed 6.2).
#[derive(Clone)]
pub struct ContentPerformance(pub content_performance::Model);

impl From<content_performance::Model> for ContentPerformance {
    fn from(row: content_performance::Model) -> Self {
        Self(row)
    }
}

#[Object]
impl ContentPerformance {
    /// The row's id.
    async fn id(&self) -> Uuid {
        self.0.id
    }

    /// The user the row belongs to.
    async fn user_id(&self) -> Uuid {
        self.0.user_id
    }

    /// `content_draft_id`.
    async fn content_draft_id(&self) -> Uuid {
        self.0.content_draft_id
    }

    /// `platform_post_id`.
    async fn platform_post_id(&self) -> Option<&str> {
        self.0.platform_post_id.as_deref()
    }

    /// `impressions`.
    async fn impressions(&self) -> Option<i64> {
        self.0.impressions
    }

    /// `likes`.
    async fn likes(&self) -> Option<i32> {
        self.0.likes
    }

    /// `shares`.
    async fn shares(&self) -> Option<i32> {
        self.0.shares
    }

    /// `comments`.
    async fn comments(&self) -> Option<i32> {
        self.0.comments
    }

    /// `clicks`.
    async fn clicks(&self) -> Option<i32> {
        self.0.clicks
    }

    /// `saves`.
    async fn saves(&self) -> Option<i32> {
        self.0.saves
    }

    /// `engagement_rate`.
    async fn engagement_rate(&self) -> Option<Decimal> {
        self.0.engagement_rate
    }

    /// `reach`.
    async fn reach(&self) -> Option<i64> {
        self.0.reach
    }

    /// `video_views`.
    async fn video_views(&self) -> Option<i64> {
        self.0.video_views
    }

    /// `performance_score`.
    async fn performance_score(&self) -> Option<Decimal> {
        self.0.performance_score
    }

    /// `vs_prediction_accuracy`.
    async fn vs_prediction_accuracy(&self) -> Option<Decimal> {
        self.0.vs_prediction_accuracy
    }

    /// `last_updated_at`.
    async fn last_updated_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_updated_at
    }

    /// When the row was created.
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        self.0.created_at
    }

    /// The draft that performed.
    async fn content_draft(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ContentDraft>> {
        loaders::one::<content_drafts::Entity, ContentDraft>(ctx, Some(self.0.content_draft_id)).await
    }
}

table_filter! {
    /// Conditions on content performances; fields combine with AND.
    ContentPerformanceFilter for content_performance {
        id ("id"): UuidFilter => Id,
        user_id ("userId"): UuidFilter => UserId,
        content_draft_id ("contentDraftId"): UuidFilter => ContentDraftId,
        platform_post_id ("platformPostId"): StringFilter => PlatformPostId,
        impressions ("impressions"): BigIntFilter => Impressions,
        likes ("likes"): IntFilter => Likes,
        shares ("shares"): IntFilter => Shares,
        comments ("comments"): IntFilter => Comments,
        clicks ("clicks"): IntFilter => Clicks,
        saves ("saves"): IntFilter => Saves,
        engagement_rate ("engagementRate"): DecimalFilter => EngagementRate,
        reach ("reach"): BigIntFilter => Reach,
        video_views ("videoViews"): BigIntFilter => VideoViews,
        performance_score ("performanceScore"): DecimalFilter => PerformanceScore,
        vs_prediction_accuracy ("vsPredictionAccuracy"): DecimalFilter => VsPredictionAccuracy,
        last_updated_at ("lastUpdatedAt"): DateTimeFilter => LastUpdatedAt,
        created_at ("createdAt"): DateTimeFilter => CreatedAt,
    }
}

table_order! {
    /// One sort key of content performances; ties are broken by id.
    ContentPerformanceOrder, ContentPerformanceOrderField for content_performance {
        Id, UserId, ContentDraftId, PlatformPostId, Impressions, Likes, Shares, Comments, Clicks, Saves, EngagementRate, Reach, VideoViews, PerformanceScore, VsPredictionAccuracy, LastUpdatedAt, CreatedAt,
    }
}

#[derive(Default)]
pub struct ContentPerformanceQuery;

#[Object]
impl ContentPerformanceQuery {
    /// One content performance by id; `NOT_FOUND` unless the caller may read it.
    async fn content_performance(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<ContentPerformance> {
        Ok(crud::get::<content_performance::Entity>(ctx, id).await?.into())
    }

    /// The content performances the caller may read, a page at a time.
    #[graphql(complexity = "crud::page_complexity(first, last, child_complexity)")]
    async fn content_performances(
        &self,
        ctx: &Context<'_>,
        filter: Option<ContentPerformanceFilter>,
        order_by: Option<Vec<ContentPerformanceOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<ContentPerformance>> {
        let args = PageArgs { first, after, last, before };
        crud::list::<content_performance::Entity, ContentPerformance, _, _>(ctx, filter, order_by, args).await
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
    ) -> async_graphql::Result<ContentPerformance> {
        input.validate()?;
        let owner = policy::required_owner(
            policy::owner_for_create::<content_performance::Entity>(crud::viewer(ctx)?, input.user_id, "userId")?,
            "userId",
        )?;
        crud::ensure_reference::<content_drafts::Entity>(ctx, input.content_draft_id, owner).await?;
        let row = input.into_row(owner)?;
        Ok(crud::create::<content_performance::Entity>(ctx, row).await?.into())
    }

    /// Changes a content performance; `NOT_FOUND` unless the caller may change it.
    async fn update_content_performance(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateContentPerformanceInput,
    ) -> async_graphql::Result<ContentPerformance> {
        input.validate()?;
        let owner = crud::owner_for_update::<content_performance::Entity>(ctx, id, |row| row.user_id).await?;
        if let Some(target) = input.content_draft_id {
            crud::ensure_reference::<content_drafts::Entity>(ctx, target, owner).await?;
        }
        Ok(crud::update::<content_performance::Entity>(ctx, id, |row| input.apply(row)).await?.into())
    }

    /// Deletes a content performance; `NOT_FOUND` unless the caller may delete it.
    async fn delete_content_performance(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Uuid> {
        Ok(crud::delete::<content_performance::Entity>(ctx, id).await?)
    }
}
