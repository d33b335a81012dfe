//! What retention keeps: archived drafts with their trend, trend mappings and performance
//! summaries, readable by their owner.
use async_graphql::{Context, Object};
use entity::{
    content_drafts, content_drafts_archive, content_performance_summaries, trend_content_mapping_archive,
    trend_insights,
};

use super::drafts::{ContentDraft, summaries_of};
use super::trends::TrendInsight;
use crate::table::{Page, loaders};

/// A draft the retention job archived (its id is unchanged by archiving).
#[derive(Clone, macros::Resource)]
#[resource(table = "content_drafts_archive", fetch, list)]
#[resource(reads(trend_source = "trend_source_id", trend_mappings = "id", performance_summaries = "id"))]
pub struct ArchivedContentDraft(pub content_drafts_archive::Model);

#[Object]
impl ArchivedContentDraft {
    #[graphql(flatten)]
    async fn columns(&self) -> &content_drafts_archive::Model {
        &self.0
    }

    /// The trend it was written from.
    async fn trend_source(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<TrendInsight>> {
        loaders::one::<trend_insights::Entity, TrendInsight>(ctx, self.0.trend_source_id).await
    }

    /// The trends it was mapped to, archived with it.
    #[graphql(complexity = "crate::table::page_complexity(first, None, child_complexity)")]
    async fn trend_mappings(
        &self,
        ctx: &Context<'_>,
        filter: Option<Box<trend_content_mapping_archive::Filter>>,
        order_by: Option<Vec<trend_content_mapping_archive::Order>>,
        first: Option<i32>,
        #[graphql(desc = "The edges after this cursor (an edge's `cursor` of this list with the same ordering).")]
        after: Option<String>,
        #[graphql(desc = "The edges before this cursor (an edge's `cursor` of this list with the same ordering).")]
        before: Option<String>,
    ) -> async_graphql::Result<Page<ArchivedTrendContentMapping>> {
        let key = trend_content_mapping_archive::Column::ContentDraftId;
        loaders::children::<trend_content_mapping_archive::Entity, _>(
            ctx, key, self.0.id, filter, order_by, first, after, before,
        )
        .await
    }

    /// Its weekly and monthly performance summaries, made before or after it was archived.
    #[graphql(complexity = "crate::table::page_complexity(first, None, child_complexity)")]
    async fn performance_summaries(
        &self,
        ctx: &Context<'_>,
        filter: Option<Box<content_performance_summaries::Filter>>,
        order_by: Option<Vec<content_performance_summaries::Order>>,
        first: Option<i32>,
        #[graphql(desc = "The edges after this cursor (an edge's `cursor` of this list with the same ordering).")]
        after: Option<String>,
        #[graphql(desc = "The edges before this cursor (an edge's `cursor` of this list with the same ordering).")]
        before: Option<String>,
    ) -> async_graphql::Result<Page<ContentPerformanceSummary>> {
        summaries_of(ctx, self.0.id, filter, order_by, first, after, before).await
    }
}

/// A trend mapping archived with its draft.
#[derive(Clone, macros::Resource)]
#[resource(table = "trend_content_mapping_archive", reads(trend = "trend_id", content_draft = "content_draft_id"))]
pub struct ArchivedTrendContentMapping(pub trend_content_mapping_archive::Model);

#[Object]
impl ArchivedTrendContentMapping {
    #[graphql(flatten)]
    async fn columns(&self) -> &trend_content_mapping_archive::Model {
        &self.0
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

/// A week's or a month's performance of one draft, summarised from rows older than six months.
#[derive(Clone, macros::Resource)]
#[resource(table = "content_performance_summaries", list, plural = "contentPerformanceSummaries")]
#[resource(reads(content_draft = "content_draft_id", archived_content_draft = "content_draft_id"))]
pub struct ContentPerformanceSummary(pub content_performance_summaries::Model);

#[Object]
impl ContentPerformanceSummary {
    #[graphql(flatten)]
    async fn columns(&self) -> &content_performance_summaries::Model {
        &self.0
    }

    /// The draft, while it is live.
    async fn content_draft(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ContentDraft>> {
        loaders::one::<content_drafts::Entity, ContentDraft>(ctx, Some(self.0.content_draft_id)).await
    }

    /// The draft, once archived.
    async fn archived_content_draft(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ArchivedContentDraft>> {
        loaders::one::<content_drafts_archive::Entity, ArchivedContentDraft>(ctx, Some(self.0.content_draft_id)).await
    }
}
