//! The work the server does on its own time (seed 003's content generation and voice training):
//! `jobs`, a durable queue shared by every instance (claimed with a lease, retried with backoff,
//! timed out, dead after its attempts); `generations`, what a client asked to be drafted and how
//! far it got; `credit_reservations`, credits held for work in progress until it is settled
//! with what was used or released.
use crate::m20261124_000004_create_content_tables::{CONTENT_TYPES, PLATFORMS};
use crate::schema::*;
use sea_orm_migration::prelude::*;

pub const JOB_STATUSES: &[&str] = &["queued", "running", "completed", "failed", "timeout", "cancelled", "dead"];
pub const JOB_QUEUES: &[&str] = &["generation", "voice_training", "crawl", "delivery", "maintenance"];
pub const GENERATION_STATUSES: &[&str] = &["queued", "running", "completed", "failed", "timeout", "cancelled"];
pub const RESERVATION_STATUSES: &[&str] = &["held", "settled", "released"];
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);

        let mut jobs = Table::create();
        jobs.table("jobs").col(ddl.id());
        user_ref(&mut jobs, "user_id", true);
        jobs.col(text_in("queue", JOB_QUEUES).not_null())
            .col(ColumnDef::new("payload").json_binary().not_null())
            .col(text_in("status", JOB_STATUSES).not_null().default("queued").to_owned())
            .col(integer("attempts").not_null().default(0).check(Expr::col("attempts").gte(0)).to_owned())
            .col(integer("max_attempts").not_null().default(3).check(Expr::col("max_attempts").gte(1)).to_owned())
            .col(ddl.timestamp_now("run_at").not_null().to_owned())
            .col(text("locked_by"))
            .col(timestamp("locked_until"))
            .col(text("last_error"))
            .col(ddl.timestamp_now("created_at").not_null().to_owned())
            .col(ddl.timestamp_now("updated_at").not_null().to_owned())
            .col(timestamp("finished_at"));
        ddl.create_table(jobs).await?;
        ddl.index("jobs_ready_idx", "jobs", &["status", "run_at"]).await?;
        ddl.index("jobs_user_idx", "jobs", &["user_id"]).await?;
        ddl.updated_at_trigger("jobs").await?;

        let mut generations = Table::create();
        generations.table("generations").col(ddl.id());
        user_ref(&mut generations, "user_id", false);
        generations
            .col(uuid("requested_by"))
            .col(text_in("platform", PLATFORMS).not_null())
            .col(text_in("content_type", CONTENT_TYPES).not_null())
            .col(uuid("trend_insight_id"))
            .col(integer("requested_count").not_null().check(Expr::col("requested_count").between(1, 10)).to_owned())
            .col(text("instructions"))
            .col(text_in("status", GENERATION_STATUSES).not_null().default("queued").to_owned())
            .col(decimal("credits_reserved", 10, 2).not_null().check(Expr::col("credits_reserved").gte(0)).to_owned())
            .col(decimal("credits_used", 10, 2).check(Expr::col("credits_used").gte(0)).to_owned())
            .col(integer("drafts_written").not_null().default(0).check(Expr::col("drafts_written").gte(0)).to_owned())
            .col(integer("tokens_used").not_null().default(0).check(Expr::col("tokens_used").gte(0)).to_owned())
            .col(text("error_code"))
            .col(text("error_message"))
            .col(boolean("cancel_requested", false).not_null().to_owned())
            .col(timestamp("deadline").not_null())
            .col(ddl.timestamp_now("created_at").not_null().to_owned())
            .col(ddl.timestamp_now("updated_at").not_null().to_owned())
            .col(timestamp("started_at"))
            .col(timestamp("finished_at"));
        references(&mut generations, "trend_insight_id", "trend_insights", false);
        ddl.create_table(generations).await?;
        ddl.index("generations_user_idx", "generations", &["user_id", "created_at"]).await?;
        ddl.updated_at_trigger("generations").await?;

        let mut reservations = Table::create();
        reservations.table("credit_reservations").col(ddl.id());
        user_ref(&mut reservations, "user_id", false);
        reservations
            .col(uuid("job_id").not_null())
            .col(decimal("amount", 10, 2).not_null().check(Expr::col("amount").gte(0)).to_owned())
            .col(text_in("status", RESERVATION_STATUSES).not_null().default("held").to_owned())
            .col(timestamp("expires_at").not_null())
            .col(ddl.timestamp_now("created_at").not_null().to_owned())
            .col(timestamp("closed_at"));
        ddl.create_table(reservations).await?;
        ddl.unique_index("credit_reservations_job_key", "credit_reservations", &["job_id"]).await?;
        ddl.index("credit_reservations_held_idx", "credit_reservations", &["user_id", "status"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        Ddl::new(manager).drop_tables(&["credit_reservations", "generations", "jobs"]).await
    }
}
