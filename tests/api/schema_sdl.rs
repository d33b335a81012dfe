//! `schema.graphql` is the SDL the server serves; regenerate with `UPDATE_SCHEMA=1`.
use creatorpulse::graphql::{build_schema, sdl};
use creatorpulse::state::AppState;

use crate::helpers::{TestDb, test_config};

#[tokio::test]
async fn schema_graphql_matches_the_served_schema() {
    let test = TestDb::migrated().await;
    let state = AppState::new(test.db.clone(), test_config(&test)).await.expect("valid settings");
    let served = build_schema(state).sdl();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &served).expect("write schema.graphql");
    }

    let committed = std::fs::read_to_string(path).expect("schema.graphql exists");

    assert_eq!(served, sdl(), "the exported SDL and the served schema differ");
    assert!(committed == served, "schema.graphql is stale: run `UPDATE_SCHEMA=1 cargo test schema_graphql`");
}
