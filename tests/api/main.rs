//! The integration suite: one binary, a fresh database per test.
//! Runs on SQLite by default and on PostgreSQL when `TEST_DATABASE_URL` is set.
mod accounts;
mod agencies;
mod avatars;
mod cancellation;
mod cli;
mod constraints;
mod credit_buckets;
mod credits;
mod dashboards;
mod database;
mod fixtures;
mod helpers;
mod hostile;
mod http;
mod jobs;
mod limits;
mod lists;
mod live;
mod operations;
mod ownership;
mod privacy;
mod relations;
mod schema_sdl;
mod sessions;
mod voice;
mod ws_client;
