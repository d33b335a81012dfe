//! Retention (seed 003, section 11): an archive of drafts with reduced indexing, weekly and
//! monthly summaries of old performance rows, and the record of every job run.
use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);

        // The columns of content_drafts, without their CHECKs and foreign keys but the owner's,
        // and with one index instead of five.
        let mut archive = Table::create();
        archive.table("content_drafts_archive").col(ColumnDef::new("id").uuid().not_null().primary_key());
        user_ref(&mut archive, "user_id", false);
        archive
            .col(text("platform").not_null())
            .col(text("content_type").not_null())
            .col(text("content").not_null())
            .col(text("hook"))
            .col(json("hashtags", "[]"))
            .col(json("mentions", "[]"))
            .col(json("media_urls", "[]"))
            .col(uuid("trend_source_id"))
            .col(decimal("voice_confidence_score", 3, 2))
            .col(json("engagement_prediction", "{}"))
            .col(text("status"))
            .col(integer("feedback_score"))
            .col(text("user_edits"))
            .col(timestamp("published_at"))
            .col(text("published_url"))
            .col(json("actual_performance", "{}"))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .col(ddl.timestamp_now("archived_at").not_null());
        ddl.create_table(archive).await?;
        ddl.index("content_drafts_archive_user_id_idx", "content_drafts_archive", &["user_id"]).await?;
        // Archived rows keep the draft's own `updated_at`; should one ever change, it moves.
        ddl.updated_at_trigger("content_drafts_archive").await?;

        let mut summaries = Table::create();
        summaries.table("content_performance_summaries").col(ddl.id());
        user_ref(&mut summaries, "user_id", false);
        summaries
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
        references(&mut summaries, "content_draft_id", "content_drafts", true);
        ddl.create_table(summaries).await?;
        ddl.unique_index(
            "content_performance_summaries_key_idx",
            "content_performance_summaries",
            &["content_draft_id", "period", "period_start"],
        )
        .await?;
        ddl.index("content_performance_summaries_user_idx", "content_performance_summaries", &["user_id"]).await?;

        ddl.create_table(
            Table::create()
                .table("job_runs")
                .col(ddl.id())
                .col(text("job").not_null())
                // The schedule slot (or `manual:<id>`): one run per job and slot, whatever the
                // number of server instances.
                .col(text("slot").not_null())
                .col(text_in("status", &["running", "completed", "failed"]).not_null().default("running"))
                .col(big_integer("rows_affected").not_null().default(0))
                .col(big_integer("duration_ms"))
                .col(text("error_message"))
                .col(ddl.timestamp_now("started_at").not_null())
                .col(timestamp("finished_at"))
                .to_owned(),
        )
        .await?;
        ddl.unique_index("job_runs_job_slot_idx", "job_runs", &["job", "slot"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        Ddl::new(manager).drop_tables(&["job_runs", "content_performance_summaries", "content_drafts_archive"]).await
    }
}
