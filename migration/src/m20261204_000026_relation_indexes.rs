//! Indexes behind the nested lists: a parent's children, as the API reads them. A relation
//! page asks for the children of one parent that belong to the viewer, in the page's order,
//! cut by a limit (`… WHERE fk = parent AND user_id = viewer ORDER BY … LIMIT n`). With only
//! one index on the foreign key and one on the owner, PostgreSQL combines both bitmaps, visits
//! every matching row and sorts them. Each index below leads with the foreign key, then the
//! owner, then the relation's usual order, so a page is read straight off the index. Each
//! replaces the single-column index on its foreign key, whose lookups it serves as well.
//!
//! The same holds for a user's trends, newest first (the list's usual order).
use crate::schema::*;
use sea_orm_migration::prelude::*;

/// (table, index replaced, new index, its columns with `{newest}` for `created_at` newest first)
const INDEXES: &[(&str, &str, &str, &str)] = &[
    (
        "content_drafts",
        "content_drafts_trend_source_idx",
        "content_drafts_trend_source_user_created_idx",
        "trend_source_id, user_id, {newest}, id",
    ),
    (
        "content_performance",
        "content_performance_content_draft_idx",
        "content_performance_content_draft_user_idx",
        "content_draft_id, user_id, id",
    ),
    (
        "trend_content_mapping",
        "trend_content_mapping_trend_idx",
        "trend_content_mapping_trend_user_idx",
        "trend_id, user_id, id",
    ),
    (
        "trend_content_mapping",
        "trend_content_mapping_content_idx",
        "trend_content_mapping_content_user_idx",
        "content_draft_id, user_id, id",
    ),
    ("trend_insights", "trend_insights_user_id_idx", "trend_insights_user_id_created_at_idx", "user_id, {newest}, id"),
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);
        // SQLite sorts nulls first, so its descending order already puts them last; it has no
        // NULLS clause in index definitions.
        let newest = if ddl.is_postgres() { "created_at DESC NULLS LAST" } else { "created_at DESC" };
        for (table, old, new, columns) in INDEXES {
            let columns = columns.replace("{newest}", newest);
            ddl.raw(&format!("CREATE INDEX {new} ON {table} ({columns})")).await?;
            ddl.raw(&format!("DROP INDEX {old}")).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);
        for (table, old, new, columns) in INDEXES {
            let column = columns.split(',').next().unwrap_or_default();
            ddl.raw(&format!("CREATE INDEX {old} ON {table} ({column})")).await?;
            ddl.raw(&format!("DROP INDEX {new}")).await?;
        }
        Ok(())
    }
}
