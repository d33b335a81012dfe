//! The GraphQL schema: one builder used by the server and by the SDL export.
use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema, SchemaBuilder, SimpleObject};

use crate::app::AppState;
use crate::db::DatabaseKind;

pub type AppSchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// The schema without runtime data: what `creatorpulse schema` prints.
pub fn schema_builder() -> SchemaBuilder<Query, EmptyMutation, EmptySubscription> {
    Schema::build(Query, EmptyMutation, EmptySubscription)
}

/// The served schema, with the server's state and configured protections.
pub fn build_schema(state: AppState) -> AppSchema {
    let mut builder = schema_builder();
    if !state.config.introspection {
        builder = builder.disable_introspection();
    }
    builder.data(state).finish()
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}

pub struct Query;

/// Facts about the running server.
#[derive(SimpleObject)]
pub struct ServerInfo {
    /// The server's version.
    pub version: &'static str,
    /// The database the server is connected to.
    pub database_kind: DatabaseKind,
}

#[Object]
impl Query {
    /// Facts about the running server.
    async fn server_info(&self, ctx: &async_graphql::Context<'_>) -> ServerInfo {
        let state = ctx.data_unchecked::<AppState>();
        ServerInfo { version: env!("CARGO_PKG_VERSION"), database_kind: DatabaseKind::of(&state.db) }
    }
}
