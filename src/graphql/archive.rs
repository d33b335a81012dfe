//! What retention keeps: archived drafts and performance summaries, readable by their owner.
use async_graphql::{Context, Object};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{content_drafts_archive, content_performance_summaries};
use rust_decimal::Decimal;
use serde_json::Value as Json;
use uuid::Uuid;

use super::crud::{self, Page, PageArgs};
use super::filter::{table_filter, table_order};

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
