//! Archiving a draft keeps its performance history (seed 003, section 11: published drafts are kept
//! for analysis, archived data moves to separate tables).
//!
//! - `content_performance_summaries.content_draft_id` no longer references `content_drafts`: a
//!   summary names a live or an archived draft, and stays when the draft moves to the archive.
//!   Deleting a draft (live or archived) still deletes its summaries, by trigger; deleting the
//!   user still deletes them through `user_id`.
//! - Summaries carry the sums and counts behind their means, so that means over several
//!   summaries (and over summaries and detail rows together) are exact.
//! - `trend_content_mapping_archive` holds the trend mappings of archived drafts, which the
//!   archive job moves with their draft.
use crate::schema::*;
use sea_orm_migration::prelude::*;

const SUMMARIES: &str = "content_performance_summaries";
/// PostgreSQL's name for the foreign key of 000013 (`<table>_<column>_fkey`).
const DRAFT_FK: &str = "content_performance_summaries_content_draft_id_fkey";
/// The columns 000013 created.
const SUMMARY_COLUMNS: [&str; 15] = [
    "id",
    "user_id",
    "content_draft_id",
    "period",
    "period_start",
    "rows_aggregated",
    "impressions",
    "likes",
    "shares",
    "comments",
    "clicks",
    "saves",
    "avg_engagement_rate",
    "avg_performance_score",
    "created_at",
];
/// The columns this migration adds: the sums and counts of the non-null rates and scores.
const SUM_COLUMNS: [&str; 4] =
    ["engagement_rate_sum", "engagement_rate_count", "performance_score_sum", "performance_score_count"];

fn sum_columns() -> [ColumnDef; 4] {
    [
        decimal("engagement_rate_sum", 14, 4).not_null().default(0).to_owned(),
        integer("engagement_rate_count").not_null().default(0).to_owned(),
        decimal("performance_score_sum", 14, 2).not_null().default(0).to_owned(),
        integer("performance_score_count").not_null().default(0).to_owned(),
    ]
}

/// The summaries table as 000013 made it (`keeps_history` false) or as this migration makes it,
/// under the name SQLite rebuilds it with.
fn summaries(ddl: &Ddl<'_, '_>, keeps_history: bool) -> TableCreateStatement {
    let mut table = Table::create();
    table.table(Alias::new(format!("{SUMMARIES}_rebuilt"))).col(ddl.id());
    user_ref(&mut table, "user_id", false);
    table
        .col(uuid("content_draft_id").not_null())
        .col(text_in("period", &["week", "month"]).not_null())
        .col(date("period_start").not_null())
        .col(integer("rows_aggregated").not_null())
        .col(big_integer("impressions").not_null())
        .col(big_integer("likes").not_null())
        .col(big_integer("shares").not_null())
        .col(big_integer("comments").not_null())
        .col(big_integer("clicks").not_null())
        .col(big_integer("saves").not_null())
        .col(decimal("avg_engagement_rate", 5, 4))
        .col(decimal("avg_performance_score", 5, 2))
        .col(ddl.timestamp_now("created_at").not_null());
    if keeps_history {
        for column in sum_columns() {
            table.col(column);
        }
    } else {
        references(&mut table, "content_draft_id", "content_drafts", true);
    }
    table.to_owned()
}

async fn summary_indexes(ddl: &Ddl<'_, '_>) -> Result<(), DbErr> {
    ddl.unique_index(
        "content_performance_summaries_key_idx",
        SUMMARIES,
        &["content_draft_id", "period", "period_start"],
    )
    .await?;
    ddl.index("content_performance_summaries_user_idx", SUMMARIES, &["user_id"]).await
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    // SQLite rebuilds a table here: all or nothing.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);

        for column in sum_columns() {
            manager.alter_table(Table::alter().table(SUMMARIES).add_column(column).to_owned()).await?;
        }
        // Summaries made before: their means stand for every row they sum.
        ddl.raw(&format!(
            "UPDATE {SUMMARIES} SET \
             engagement_rate_sum = ROUND(COALESCE(avg_engagement_rate, 0) * rows_aggregated, 4), \
             engagement_rate_count = CASE WHEN avg_engagement_rate IS NULL THEN 0 ELSE rows_aggregated END, \
             performance_score_sum = ROUND(COALESCE(avg_performance_score, 0) * rows_aggregated, 2), \
             performance_score_count = CASE WHEN avg_performance_score IS NULL THEN 0 ELSE rows_aggregated END"
        ))
        .await?;
        if ddl.is_postgres() {
            ddl.raw(&format!("ALTER TABLE {SUMMARIES} DROP CONSTRAINT {DRAFT_FK}")).await?;
        } else {
            let columns: Vec<&str> = SUMMARY_COLUMNS.iter().chain(SUM_COLUMNS.iter()).copied().collect();
            ddl.rebuild_sqlite_table(SUMMARIES, summaries(&ddl, true), &columns).await?;
            summary_indexes(&ddl).await?;
        }

        // Deleting a draft deletes its summaries, unless the draft moved to the archive (the
        // archive job copies it there before deleting it, in the same transaction).
        if ddl.is_postgres() {
            ddl.raw(
                "CREATE OR REPLACE FUNCTION delete_performance_summaries() RETURNS TRIGGER AS $$
                 BEGIN
                     IF TG_TABLE_NAME = 'content_drafts'
                        AND EXISTS (SELECT 1 FROM content_drafts_archive WHERE id = OLD.id) THEN
                         RETURN OLD;
                     END IF;
                     DELETE FROM content_performance_summaries WHERE content_draft_id = OLD.id;
                     RETURN OLD;
                 END;
                 $$ language 'plpgsql'",
            )
            .await?;
            for table in ["content_drafts", "content_drafts_archive"] {
                ddl.raw(&format!(
                    "CREATE TRIGGER delete_{table}_performance_summaries AFTER DELETE ON {table} \
                     FOR EACH ROW EXECUTE FUNCTION delete_performance_summaries()"
                ))
                .await?;
            }
        } else {
            ddl.raw(
                "CREATE TRIGGER delete_content_drafts_performance_summaries AFTER DELETE ON content_drafts \
                 FOR EACH ROW WHEN NOT EXISTS (SELECT 1 FROM content_drafts_archive WHERE id = OLD.id) \
                 BEGIN DELETE FROM content_performance_summaries WHERE content_draft_id = OLD.id; END",
            )
            .await?;
            ddl.raw(
                "CREATE TRIGGER delete_content_drafts_archive_performance_summaries AFTER DELETE ON content_drafts_archive \
                 FOR EACH ROW BEGIN DELETE FROM content_performance_summaries WHERE content_draft_id = OLD.id; END",
            )
            .await?;
        }

        // The columns of trend_content_mapping, with the same foreign keys but the draft's, which
        // names the archived draft; indexed by owner and draft only.
        let mut mappings = Table::create();
        mappings.table("trend_content_mapping_archive").col(ColumnDef::new("id").uuid().not_null().primary_key());
        user_ref(&mut mappings, "user_id", false);
        mappings
            .col(uuid("trend_id").not_null())
            .col(uuid("content_draft_id").not_null())
            .col(decimal("relevance_score", 3, 2))
            .col(timestamp("created_at"))
            .col(ddl.timestamp_now("archived_at").not_null());
        references(&mut mappings, "trend_id", "trend_insights", true);
        references(&mut mappings, "content_draft_id", "content_drafts_archive", true);
        ddl.create_table(mappings).await?;
        ddl.index("trend_content_mapping_archive_user_id_idx", "trend_content_mapping_archive", &["user_id"]).await?;
        ddl.index("trend_content_mapping_archive_content_idx", "trend_content_mapping_archive", &["content_draft_id"])
            .await
    }

    /// Loses what only this migration keeps: the mappings of archived drafts and their summaries.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);
        ddl.drop_tables(&["trend_content_mapping_archive"]).await?;
        for table in ["content_drafts", "content_drafts_archive"] {
            let on = if ddl.is_postgres() { format!(" ON {table}") } else { String::new() };
            ddl.raw(&format!("DROP TRIGGER IF EXISTS delete_{table}_performance_summaries{on}")).await?;
        }
        if ddl.is_postgres() {
            ddl.raw("DROP FUNCTION IF EXISTS delete_performance_summaries()").await?;
        }
        ddl.raw(&format!("DELETE FROM {SUMMARIES} WHERE content_draft_id NOT IN (SELECT id FROM content_drafts)"))
            .await?;
        if ddl.is_postgres() {
            ddl.raw(&format!(
                "ALTER TABLE {SUMMARIES} ADD CONSTRAINT {DRAFT_FK} FOREIGN KEY (content_draft_id) \
                 REFERENCES content_drafts (id) ON DELETE CASCADE"
            ))
            .await?;
            for column in SUM_COLUMNS {
                manager.alter_table(Table::alter().table(SUMMARIES).drop_column(column).to_owned()).await?;
            }
            Ok(())
        } else {
            ddl.rebuild_sqlite_table(SUMMARIES, summaries(&ddl, false), &SUMMARY_COLUMNS).await?;
            summary_indexes(&ddl).await
        }
    }
}
