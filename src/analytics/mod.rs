//! Analytics: the creator's daily figures, and the dashboards' sums over them.
pub mod dashboards;

use entity::creator_analytics;

/// Daily analytics per platform (seed 6.1).
#[derive(Clone, async_graphql::SimpleObject, macros::Resource)]
#[resource(table = "creator_analytics", fetch, list, create, update, delete, me, live)]
pub struct CreatorAnalytic {
    #[graphql(flatten)]
    pub row: creator_analytics::Model,
}
