//! How published drafts performed.
use async_graphql::{Context, Object};
use entity::{content_drafts, content_performance};

use super::drafts::ContentDraft;
use crate::table::loaders;

/// How published drafts performed (seed 6.2).
#[derive(Clone, macros::Resource)]
#[resource(table = "content_performance", fetch, list, create, update, delete, me, live)]
#[resource(reads(content_draft = "content_draft_id"))]
pub struct ContentPerformance(pub content_performance::Model);

#[Object]
impl ContentPerformance {
    #[graphql(flatten)]
    async fn columns(&self) -> &content_performance::Model {
        &self.0
    }

    /// The draft that performed.
    async fn content_draft(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ContentDraft>> {
        loaders::one::<content_drafts::Entity, ContentDraft>(ctx, Some(self.0.content_draft_id)).await
    }
}
