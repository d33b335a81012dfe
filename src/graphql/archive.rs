//! What retention keeps: archived drafts with their trend, trend mappings and performance
//! summaries, readable by their owner.
use async_graphql::{Context, Object};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    content_drafts, content_drafts_archive, content_performance_summaries, trend_content_mapping_archive,
    trend_insights,
};
use rust_decimal::Decimal;
use serde_json::Value as Json;
use uuid::Uuid;

use super::crud::{self, Page, PageArgs};
use super::drafts::ContentDraft;
use super::filter::{table_filter, table_order};
use super::loaders;
use super::trends::TrendInsight;

/// A draft the retention job archived.
pub struct ArchivedContentDraft(pub content_drafts_archive::Model);

impl From<content_drafts_archive::Model> for ArchivedContentDraft {
    fn from(row: content_drafts_archive::Model) -> Self {
        Self(row)
    }
}

#[Object]
impl ArchivedContentDraft {
    /// The draft's id (unchanged by archiving).
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// The owner.
    async fn user_id(&self) -> Uuid {
        self.0.user_id
    }
    /// `twitter`, `linkedin` or `instagram`.
    async fn platform(&self) -> &str {
        &self.0.platform
    }
    /// The draft's format.
    async fn content_type(&self) -> &str {
        &self.0.content_type
    }
    /// The text.
    async fn content(&self) -> &str {
        &self.0.content
    }
    /// The opening hook.
    async fn hook(&self) -> Option<&str> {
        self.0.hook.as_deref()
    }
    /// Hashtags, a JSON array.
    async fn hashtags(&self) -> Option<&Json> {
        self.0.hashtags.as_ref()
    }
    /// The trend it was written from.
    async fn trend_source_id(&self) -> Option<Uuid> {
        self.0.trend_source_id
    }
    /// The status when archived (`rejected` or `published`).
    async fn status(&self) -> Option<&str> {
        self.0.status.as_deref()
    }
    /// When it was published.
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }
    /// Where it was published.
    async fn published_url(&self) -> Option<&str> {
        self.0.published_url.as_deref()
    }
    /// When the draft was created.
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        self.0.created_at
    }
    /// When it was archived.
    async fn archived_at(&self) -> DateTime<Utc> {
        self.0.archived_at
    }

    /// The trend it was written from.
    async fn trend_source(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<TrendInsight>> {
        loaders::one::<trend_insights::Entity, TrendInsight>(ctx, self.0.trend_source_id).await
    }

    /// The trends it was mapped to, archived with it.
    #[graphql(complexity = "crud::page_complexity(first, None, child_complexity)")]
    async fn trend_mappings(
        &self,
        ctx: &Context<'_>,
        filter: Option<ArchivedTrendContentMappingFilter>,
        order_by: Option<Vec<ArchivedTrendContentMappingOrder>>,
        first: Option<i32>,
    ) -> async_graphql::Result<Page<ArchivedTrendContentMapping>> {
        loaders::children::<trend_content_mapping_archive::Entity, ArchivedTrendContentMapping, _, _>(
            ctx,
            trend_content_mapping_archive::Column::ContentDraftId,
            self.0.id,
            filter,
            order_by,
            first,
        )
        .await
    }

    /// Its weekly and monthly performance summaries, made before or after it was archived.
    #[graphql(complexity = "crud::page_complexity(first, None, child_complexity)")]
    async fn performance_summaries(
        &self,
        ctx: &Context<'_>,
        filter: Option<ContentPerformanceSummaryFilter>,
        order_by: Option<Vec<ContentPerformanceSummaryOrder>>,
        first: Option<i32>,
    ) -> async_graphql::Result<Page<ContentPerformanceSummary>> {
        summaries_of_draft(ctx, self.0.id, filter, order_by, first).await
    }
}

/// The performance summaries of the draft `id`, live or archived: a summary names either.
pub async fn summaries_of_draft(
    ctx: &Context<'_>,
    id: Uuid,
    filter: Option<ContentPerformanceSummaryFilter>,
    order_by: Option<Vec<ContentPerformanceSummaryOrder>>,
    first: Option<i32>,
) -> async_graphql::Result<Page<ContentPerformanceSummary>> {
    loaders::children::<content_performance_summaries::Entity, ContentPerformanceSummary, _, _>(
        ctx,
        content_performance_summaries::Column::ContentDraftId,
        id,
        filter,
        order_by,
        first,
    )
    .await
}

table_filter! {
    /// Conditions on archived drafts; fields combine with AND.
    ArchivedContentDraftFilter for content_drafts_archive {
        id ("id"): UuidFilter => Id,
        platform ("platform"): StringFilter => Platform,
        status ("status"): StringFilter => Status,
        content ("content"): StringFilter => Content,
        created_at ("createdAt"): DateTimeFilter => CreatedAt,
        archived_at ("archivedAt"): DateTimeFilter => ArchivedAt,
    }
}

table_order! {
    /// One sort key of archived drafts; ties are broken by id.
    ArchivedContentDraftOrder, ArchivedContentDraftOrderField for content_drafts_archive {
        Id, Platform, Status, CreatedAt, PublishedAt, ArchivedAt,
    }
}

/// A trend mapping of an archived draft, moved to the archive with it.
pub struct ArchivedTrendContentMapping(pub trend_content_mapping_archive::Model);

impl From<trend_content_mapping_archive::Model> for ArchivedTrendContentMapping {
    fn from(row: trend_content_mapping_archive::Model) -> Self {
        Self(row)
    }
}

#[Object]
impl ArchivedTrendContentMapping {
    /// The mapping's id (unchanged by archiving).
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// The owner.
    async fn user_id(&self) -> Uuid {
        self.0.user_id
    }
    /// The mapped trend.
    async fn trend_id(&self) -> Uuid {
        self.0.trend_id
    }
    /// The archived draft.
    async fn content_draft_id(&self) -> Uuid {
        self.0.content_draft_id
    }
    /// How well the draft matched the trend.
    async fn relevance_score(&self) -> Option<Decimal> {
        self.0.relevance_score
    }
    /// When the mapping was created.
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        self.0.created_at
    }
    /// When it was archived.
    async fn archived_at(&self) -> DateTime<Utc> {
        self.0.archived_at
    }
    /// The mapped trend.
    async fn trend(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<TrendInsight>> {
        loaders::one::<trend_insights::Entity, TrendInsight>(ctx, Some(self.0.trend_id)).await
    }
    /// The archived draft.
    async fn content_draft(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ArchivedContentDraft>> {
        loaders::one::<content_drafts_archive::Entity, ArchivedContentDraft>(ctx, Some(self.0.content_draft_id)).await
    }
}

table_filter! {
    /// Conditions on archived trend mappings; fields combine with AND.
    ArchivedTrendContentMappingFilter for trend_content_mapping_archive {
        id ("id"): UuidFilter => Id,
        trend_id ("trendId"): UuidFilter => TrendId,
        relevance_score ("relevanceScore"): DecimalFilter => RelevanceScore,
        created_at ("createdAt"): DateTimeFilter => CreatedAt,
    }
}

table_order! {
    /// One sort key of archived trend mappings; ties are broken by id.
    ArchivedTrendContentMappingOrder, ArchivedTrendContentMappingOrderField for trend_content_mapping_archive {
        Id, TrendId, RelevanceScore, CreatedAt,
    }
}

/// Weekly or monthly sums of a draft's old performance rows.
pub struct ContentPerformanceSummary(pub content_performance_summaries::Model);

impl From<content_performance_summaries::Model> for ContentPerformanceSummary {
    fn from(row: content_performance_summaries::Model) -> Self {
        Self(row)
    }
}

#[Object]
impl ContentPerformanceSummary {
    /// The summary's id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// The draft that performed.
    async fn content_draft_id(&self) -> Uuid {
        self.0.content_draft_id
    }
    /// `week` or `month`.
    async fn period(&self) -> &str {
        &self.0.period
    }
    /// The first day of the period (weeks start on Monday).
    async fn period_start(&self) -> NaiveDate {
        self.0.period_start
    }
    /// How many detail rows it sums.
    async fn rows_aggregated(&self) -> i32 {
        self.0.rows_aggregated
    }
    async fn impressions(&self) -> i64 {
        self.0.impressions
    }
    async fn likes(&self) -> i64 {
        self.0.likes
    }
    async fn shares(&self) -> i64 {
        self.0.shares
    }
    async fn comments(&self) -> i64 {
        self.0.comments
    }
    async fn clicks(&self) -> i64 {
        self.0.clicks
    }
    async fn saves(&self) -> i64 {
        self.0.saves
    }
    /// The mean engagement rate of the rows.
    async fn avg_engagement_rate(&self) -> Option<Decimal> {
        self.0.avg_engagement_rate
    }
    /// The mean performance score of the rows.
    async fn avg_performance_score(&self) -> Option<Decimal> {
        self.0.avg_performance_score
    }
    /// The draft, while it is not archived.
    async fn content_draft(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ContentDraft>> {
        loaders::one::<content_drafts::Entity, ContentDraft>(ctx, Some(self.0.content_draft_id)).await
    }
    /// The draft, once it is archived.
    async fn archived_content_draft(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ArchivedContentDraft>> {
        loaders::one::<content_drafts_archive::Entity, ArchivedContentDraft>(ctx, Some(self.0.content_draft_id)).await
    }
}

table_filter! {
    /// Conditions on performance summaries; fields combine with AND.
    ContentPerformanceSummaryFilter for content_performance_summaries {
        content_draft_id ("contentDraftId"): UuidFilter => ContentDraftId,
        period ("period"): StringFilter => Period,
        period_start ("periodStart"): DateFilter => PeriodStart,
    }
}

table_order! {
    /// One sort key of performance summaries; ties are broken by id.
    ContentPerformanceSummaryOrder, ContentPerformanceSummaryOrderField for content_performance_summaries {
        Id, Period, PeriodStart, Impressions, Likes,
    }
}

#[derive(Default)]
pub struct ArchiveQuery;

#[Object]
impl ArchiveQuery {
    /// One archived draft by id; `NOT_FOUND` unless the caller may read it.
    async fn archived_content_draft(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<ArchivedContentDraft> {
        Ok(crud::get::<content_drafts_archive::Entity>(ctx, id).await?.into())
    }

    /// The caller's archived drafts (every user's for the service role).
    #[graphql(complexity = "crud::page_complexity(first, last, child_complexity)")]
    async fn archived_content_drafts(
        &self,
        ctx: &Context<'_>,
        filter: Option<ArchivedContentDraftFilter>,
        order_by: Option<Vec<ArchivedContentDraftOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<ArchivedContentDraft>> {
        let args = PageArgs { first, after, last, before };
        crud::list::<content_drafts_archive::Entity, ArchivedContentDraft, _, _>(ctx, filter, order_by, args).await
    }

    /// The caller's performance summaries (every user's for the service role).
    #[graphql(complexity = "crud::page_complexity(first, last, child_complexity)")]
    async fn content_performance_summaries(
        &self,
        ctx: &Context<'_>,
        filter: Option<ContentPerformanceSummaryFilter>,
        order_by: Option<Vec<ContentPerformanceSummaryOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<ContentPerformanceSummary>> {
        let args = PageArgs { first, after, last, before };
        crud::list::<content_performance_summaries::Entity, ContentPerformanceSummary, _, _>(
            ctx, filter, order_by, args,
        )
        .await
    }
}
