//! Seed section 9: `ai_processing_logs` and `system_health_metrics`.
use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);

        let mut logs = Table::create();
        logs.table("ai_processing_logs").col(ddl.id());
        // Nullable, yet purged with its user (seed section 11: complete deletion).
        user_ref(&mut logs, "user_id", true);
        logs.col(
            text_in(
                "processing_type",
                &["content_generation", "trend_analysis", "voice_training", "performance_prediction"],
            )
            .not_null(),
        )
        .col(ColumnDef::new("input_data").json_binary().not_null())
        .col(ColumnDef::new("output_data").json_binary())
        .col(text("model_version"))
        .col(integer("processing_time_ms"))
        .col(integer("tokens_consumed"))
        .col(text_in("status", &["pending", "completed", "failed", "timeout"]).default("pending"))
        .col(text("error_message"))
        .col(ColumnDef::new("webhook_response").json_binary())
        .col(ddl.timestamp_now("created_at"))
        .col(timestamp("completed_at"));
        ddl.create_table(logs).await?;
        ddl.index("ai_processing_logs_user_id_idx", "ai_processing_logs", &["user_id"]).await?;
        ddl.index("ai_processing_logs_type_idx", "ai_processing_logs", &["processing_type"]).await?;
        ddl.index("ai_processing_logs_status_idx", "ai_processing_logs", &["status"]).await?;
        ddl.index("ai_processing_logs_created_at_idx", "ai_processing_logs", &["created_at"]).await?;

        ddl.create_table(
            Table::create()
                .table("system_health_metrics")
                .col(ddl.id())
                .col(text("metric_name").not_null())
                .col(decimal("metric_value", 12, 4).not_null())
                .col(text("metric_unit"))
                .col(json("tags", "{}"))
                .col(ddl.timestamp_now("recorded_at"))
                .to_owned(),
        )
        .await?;
        ddl.index("system_health_metrics_name_idx", "system_health_metrics", &["metric_name"]).await?;
        ddl.index("system_health_metrics_recorded_at_idx", "system_health_metrics", &["recorded_at"]).await?;
        ddl.index("system_health_metrics_name_time_idx", "system_health_metrics", &["metric_name", "recorded_at"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        Ddl::new(manager).drop_tables(&["system_health_metrics", "ai_processing_logs"]).await
    }
}
