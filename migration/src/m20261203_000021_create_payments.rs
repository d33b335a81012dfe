//! Payments and lifecycle (seeds 001, 004): `webhook_events`, the ledger of Stripe deliveries,
//! each processed once; `subscription_events`, what happened to a subscription and when;
//! `client_logs`, what client apps report; and on `subscription_billing` the cancellation flag
//! and the time of the last Stripe change applied, so a late event cannot roll state back.
use crate::schema::*;
use sea_orm_migration::prelude::*;

pub const WEBHOOK_STATUSES: &[&str] = &["received", "processing", "processed", "failed", "ignored"];
pub const SUBSCRIPTION_EVENTS: &[&str] =
    &["created", "renewed", "upgraded", "downgraded", "canceled", "expired", "payment_failed", "reactivated"];
pub const LOG_LEVELS: &[&str] = &["debug", "info", "warn", "error", "feedback"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);

        let mut webhooks = Table::create();
        webhooks
            .table("webhook_events")
            .col(ddl.id())
            .col(text("provider").not_null().default("stripe").to_owned())
            .col(text("event_id").not_null())
            .col(text("event_type").not_null())
            .col(big_integer("provider_created").not_null())
            .col(ColumnDef::new("payload").json_binary().not_null())
            .col(text_in("status", WEBHOOK_STATUSES).not_null().default("received").to_owned())
            .col(integer("attempts").not_null().default(0).to_owned())
            .col(text("last_error"))
            .col(ddl.timestamp_now("received_at").not_null().to_owned())
            .col(timestamp("processed_at"))
            .col(ddl.timestamp_now("updated_at").not_null().to_owned());
        ddl.create_table(webhooks).await?;
        ddl.unique_index("webhook_events_event_id_key", "webhook_events", &["provider", "event_id"]).await?;
        ddl.index("webhook_events_status_idx", "webhook_events", &["status", "received_at"]).await?;
        ddl.updated_at_trigger("webhook_events").await?;

        let mut events = Table::create();
        events.table("subscription_events").col(ddl.id());
        user_ref(&mut events, "user_id", false);
        events
            .col(text_in("kind", SUBSCRIPTION_EVENTS).not_null())
            .col(text("tier_before"))
            .col(text("tier_after"))
            .col(text("status_before"))
            .col(text("status_after"))
            .col(text("provider_event_id"))
            .col(ddl.timestamp_now("occurred_at").not_null().to_owned());
        ddl.create_table(events).await?;
        ddl.index("subscription_events_user_idx", "subscription_events", &["user_id", "occurred_at"]).await?;

        let mut logs = Table::create();
        logs.table("client_logs").col(ddl.id());
        user_ref(&mut logs, "user_id", true);
        logs.col(text_in("level", LOG_LEVELS).not_null())
            .col(text("message").not_null())
            .col(ColumnDef::new("context").json_binary())
            .col(text("app_version"))
            .col(text("platform"))
            .col(text("client_address"))
            .col(ddl.timestamp_now("created_at").not_null().to_owned());
        ddl.create_table(logs).await?;
        ddl.index("client_logs_user_idx", "client_logs", &["user_id", "created_at"]).await?;
        ddl.index("client_logs_created_at_idx", "client_logs", &["created_at"]).await?;

        let add = |col: ColumnDef| Table::alter().table("subscription_billing").add_column(col).to_owned();
        manager.alter_table(add(boolean("cancel_at_period_end", false).not_null().to_owned())).await?;
        manager.alter_table(add(big_integer("provider_updated_at"))).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);
        for col in ["cancel_at_period_end", "provider_updated_at"] {
            manager.alter_table(Table::alter().table("subscription_billing").drop_column(col).to_owned()).await?;
        }
        ddl.drop_tables(&["client_logs", "subscription_events", "webhook_events"]).await
    }
}
