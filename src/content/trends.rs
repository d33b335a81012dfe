//! Trends: the sources watched, the trends found, and which trends inspired which drafts.
use async_graphql::{Context, Object};
use entity::{content_drafts, content_sources, trend_content_mapping, trend_insights};

use super::drafts::ContentDraft;
use crate::table::nested::Relations;
use crate::table::{Page, loaders};

/// A trend's drafts, and its mappings: the children's key.
const DRAFTS: content_drafts::Column = content_drafts::Column::TrendSourceId;
const MAPPINGS: trend_content_mapping::Column = trend_content_mapping::Column::TrendId;

/// The relations a page of trends fetches with its rows ([`crate::table::nested`]).
pub fn relations(relations: Relations) -> Relations {
    relations
        .children::<TrendInsight, content_drafts::Entity, ContentDraft>("drafts", DRAFTS)
        .children::<TrendInsight, trend_content_mapping::Entity, TrendContentMapping>("mappings", MAPPINGS)
}

/// Sources a creator follows for trends (seed 3.1).
#[derive(Clone, async_graphql::SimpleObject, macros::Resource)]
#[resource(table = "content_sources", fetch, list, create, update, delete, me)]
pub struct ContentSource {
    #[graphql(flatten)]
    pub row: content_sources::Model,
}

/// Trends detected for a creator (seed 3.2).
#[derive(Clone, macros::Resource)]
#[resource(table = "trend_insights", fetch, list, create, update, delete, me, live)]
#[resource(reads(drafts = "id", mappings = "id", mapped_drafts = "id"))]
pub struct TrendInsight(pub trend_insights::Model);

#[Object]
impl TrendInsight {
    #[graphql(flatten)]
    async fn columns(&self) -> &trend_insights::Model {
        &self.0
    }

    /// Drafts written from this trend.
    #[graphql(complexity = "crate::table::page_complexity(first, None, child_complexity)")]
    async fn drafts(
        &self,
        ctx: &Context<'_>,
        filter: Option<Box<content_drafts::Filter>>,
        order_by: Option<Vec<content_drafts::Order>>,
        first: Option<i32>,
        #[graphql(desc = "The edges after this cursor (an edge's `cursor` of this list with the same ordering).")]
        after: Option<String>,
        #[graphql(desc = "The edges before this cursor (an edge's `cursor` of this list with the same ordering).")]
        before: Option<String>,
    ) -> async_graphql::Result<Page<ContentDraft>> {
        loaders::children::<content_drafts::Entity, _>(ctx, DRAFTS, self.0.id, filter, order_by, first, after, before)
            .await
    }

    /// The drafts mapped to this trend, with their relevance.
    #[graphql(complexity = "crate::table::page_complexity(first, None, child_complexity)")]
    async fn mappings(
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
        loaders::children::<trend_content_mapping::Entity, _>(
            ctx, MAPPINGS, self.0.id, filter, order_by, first, after, before,
        )
        .await
    }

    /// The drafts mapped to this trend.
    #[graphql(complexity = "crate::table::page_complexity(first, None, child_complexity)")]
    async fn mapped_drafts(&self, ctx: &Context<'_>, first: Option<i32>) -> async_graphql::Result<Vec<ContentDraft>> {
        let key = trend_content_mapping::Column::TrendId;
        let mappings: Page<TrendContentMapping> =
            loaders::children::<trend_content_mapping::Entity, _>(ctx, key, self.0.id, None, None, first, None, None)
                .await?;
        let ids = mappings.edges.iter().map(|edge| edge.node.0.content_draft_id).collect();
        loaders::many::<content_drafts::Entity, ContentDraft>(ctx, ids).await
    }
}

/// Which trends inspired which drafts (seed 3.3).
#[derive(Clone, macros::Resource)]
#[resource(table = "trend_content_mapping", fetch, list, create, update, delete)]
#[resource(reads(trend = "trend_id", content_draft = "content_draft_id"))]
pub struct TrendContentMapping(pub trend_content_mapping::Model);

#[Object]
impl TrendContentMapping {
    #[graphql(flatten)]
    async fn columns(&self) -> &trend_content_mapping::Model {
        &self.0
    }

    /// The mapped trend.
    async fn trend(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<TrendInsight>> {
        loaders::one::<trend_insights::Entity, TrendInsight>(ctx, Some(self.0.trend_id)).await
    }

    /// The mapped draft.
    async fn content_draft(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ContentDraft>> {
        loaders::one::<content_drafts::Entity, ContentDraft>(ctx, Some(self.0.content_draft_id)).await
    }
}
