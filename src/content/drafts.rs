//! Content drafts: the object with its relations; columns, inputs, filter and order come from
//! the entity (`#[derive(Table)]`), root fields from `#[derive(Resource)]`.
use async_graphql::{Context, Object};
use entity::{
    content_drafts, content_performance, content_performance_summaries, trend_content_mapping, trend_insights,
};
use uuid::Uuid;

use super::archive::ContentPerformanceSummary;
use super::performance::ContentPerformance;
use super::trends::{TrendContentMapping, TrendInsight};
use crate::table::nested::Relations;
use crate::table::{Page, loaders};

/// A draft's children: their key.
const TREND_MAPPINGS: trend_content_mapping::Column = trend_content_mapping::Column::ContentDraftId;
const PERFORMANCE: content_performance::Column = content_performance::Column::ContentDraftId;
const SUMMARIES: content_performance_summaries::Column = content_performance_summaries::Column::ContentDraftId;

/// The relations a page of drafts fetches with its rows ([`crate::table::nested`]).
pub fn relations(relations: Relations) -> Relations {
    relations
        .children::<ContentDraft, trend_content_mapping::Entity, TrendContentMapping>("trendMappings", TREND_MAPPINGS)
        .children::<ContentDraft, content_performance::Entity, ContentPerformance>("performance", PERFORMANCE)
        .children::<ContentDraft, content_performance_summaries::Entity, ContentPerformanceSummary>(
            "performanceSummaries",
            SUMMARIES,
        )
}

/// AI-generated drafts in the creator's voice (seed 4.1).
#[derive(Clone, macros::Resource)]
#[resource(table = "content_drafts", fetch, list, create, update, delete, me, live)]
#[resource(reads(
    trend_source = "trend_source_id",
    trend_mappings = "id",
    performance = "id",
    performance_summaries = "id"
))]
pub struct ContentDraft(pub content_drafts::Model);

#[Object]
impl ContentDraft {
    #[graphql(flatten)]
    async fn columns(&self) -> &content_drafts::Model {
        &self.0
    }

    /// The trend this draft was written from.
    async fn trend_source(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<TrendInsight>> {
        loaders::one::<trend_insights::Entity, TrendInsight>(ctx, self.0.trend_source_id).await
    }

    /// The trends mapped to this draft.
    #[graphql(complexity = "crate::table::page_complexity(first, None, child_complexity)")]
    async fn trend_mappings(
        &self,
        ctx: &Context<'_>,
        filter: Option<Box<trend_content_mapping::Filter>>,
        order_by: Option<Vec<trend_content_mapping::Order>>,
        first: Option<i32>,
        #[graphql(desc = "The edges after this cursor (an edge's `cursor` of this list with the same ordering).")]
        after: Option<String>,
        #[graphql(desc = "The edges before this cursor (an edge's `cursor` of this list with the same ordering).")]
        before: Option<String>,
    ) -> async_graphql::Result<Page<TrendContentMapping>> {
        let key = TREND_MAPPINGS;
        loaders::children::<trend_content_mapping::Entity, _>(
            ctx, key, self.0.id, filter, order_by, first, after, before,
        )
        .await
    }

    /// How this draft performed once published.
    #[graphql(complexity = "crate::table::page_complexity(first, None, child_complexity)")]
    async fn performance(
        &self,
        ctx: &Context<'_>,
        filter: Option<Box<content_performance::Filter>>,
        order_by: Option<Vec<content_performance::Order>>,
        first: Option<i32>,
        #[graphql(desc = "The edges after this cursor (an edge's `cursor` of this list with the same ordering).")]
        after: Option<String>,
        #[graphql(desc = "The edges before this cursor (an edge's `cursor` of this list with the same ordering).")]
        before: Option<String>,
    ) -> async_graphql::Result<Page<ContentPerformance>> {
        let key = PERFORMANCE;
        loaders::children::<content_performance::Entity, _>(ctx, key, self.0.id, filter, order_by, first, after, before)
            .await
    }

    /// Weekly and monthly summaries of its performance rows older than six months.
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

/// The performance summaries of a draft, live or archived (archiving keeps the id).
pub async fn summaries_of(
    ctx: &Context<'_>,
    draft: Uuid,
    filter: Option<Box<content_performance_summaries::Filter>>,
    order_by: Option<Vec<content_performance_summaries::Order>>,
    first: Option<i32>,
    after: Option<String>,
    before: Option<String>,
) -> async_graphql::Result<Page<ContentPerformanceSummary>> {
    loaders::children::<content_performance_summaries::Entity, _>(
        ctx, SUMMARIES, draft, filter, order_by, first, after, before,
    )
    .await
}
