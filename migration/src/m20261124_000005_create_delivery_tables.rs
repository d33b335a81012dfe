//! Seed section 5: `delivery_preferences` and `daily_deliveries`.
use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);

        let mut preferences = Table::create();
        preferences.table("delivery_preferences").col(ddl.id());
        user_ref(&mut preferences, "user_id", false);
        preferences
            .col(ColumnDef::new("delivery_time").time().default("08:00:00"))
            .col(json("delivery_days", r#"["monday","tuesday","wednesday","thursday","friday"]"#))
            .col(boolean("email_enabled", true))
            .col(boolean("whatsapp_enabled", false))
            .col(text("whatsapp_number"))
            .col(boolean("push_notifications_enabled", true))
            .col(json("content_formats", "[]"))
            .col(json("platforms", "[]"))
            .col(boolean("trend_alerts_enabled", true))
            .col(integer("max_drafts_per_delivery").default(5))
            .col(ddl.timestamp_now("created_at"))
            .col(ddl.timestamp_now("updated_at"));
        ddl.create_table(preferences).await?;
        ddl.unique_index("delivery_preferences_user_id_idx", "delivery_preferences", &["user_id"]).await?;
        ddl.index("delivery_preferences_delivery_time_idx", "delivery_preferences", &["delivery_time"]).await?;
        ddl.updated_at_trigger("delivery_preferences").await?;

        let mut deliveries = Table::create();
        deliveries.table("daily_deliveries").col(ddl.id());
        user_ref(&mut deliveries, "user_id", false);
        deliveries
            .col(date("delivery_date").not_null())
            .col(text_in("delivery_status", &["pending", "delivered", "failed", "skipped"]).default("pending"))
            .col(json("content_draft_ids", "[]"))
            .col(json("trend_insight_ids", "[]"))
            .col(text_in("delivery_channel", &["email", "whatsapp", "push"]))
            .col(timestamp("delivered_at"))
            .col(timestamp("opened_at"))
            .col(text("error_message"))
            .col(ddl.timestamp_now("created_at"));
        ddl.create_table(deliveries).await?;
        ddl.unique_index("daily_deliveries_user_date_idx", "daily_deliveries", &["user_id", "delivery_date"]).await?;
        ddl.index("daily_deliveries_status_idx", "daily_deliveries", &["delivery_status"]).await?;
        ddl.index("daily_deliveries_delivery_date_idx", "daily_deliveries", &["delivery_date"]).await?;
        ddl.index("daily_deliveries_delivered_at_idx", "daily_deliveries", &["delivered_at"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        Ddl::new(manager).drop_tables(&["daily_deliveries", "delivery_preferences"]).await
    }
}
