//! Seed section 7: `usage_tracking` and `subscription_billing`.
use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);

        let mut usage = Table::create();
        usage.table("usage_tracking").col(ddl.id());
        user_ref(&mut usage, "user_id", false);
        usage
            .col(date("usage_date").not_null())
            .col(
                text_in(
                    "action_type",
                    &["draft_generated", "draft_accepted", "draft_rejected", "trend_analyzed", "voice_training"],
                )
                .not_null(),
            )
            .col(text_in("platform", &["twitter", "linkedin", "instagram"]))
            .col(decimal("credits_consumed", 8, 2).default(1.0))
            .col(json("metadata", "{}"))
            .col(ddl.timestamp_now("created_at"));
        ddl.create_table(usage).await?;
        ddl.index("usage_tracking_user_date_idx", "usage_tracking", &["user_id", "usage_date"]).await?;
        ddl.index("usage_tracking_action_type_idx", "usage_tracking", &["action_type"]).await?;
        ddl.index("usage_tracking_created_at_idx", "usage_tracking", &["created_at"]).await?;

        let mut billing = Table::create();
        billing.table("subscription_billing").col(ddl.id());
        user_ref(&mut billing, "user_id", false);
        billing
            .col(text("stripe_customer_id").unique_key())
            .col(text("stripe_subscription_id").unique_key())
            .col(text_in("subscription_status", &["active", "past_due", "canceled", "unpaid", "trialing"]).not_null())
            .col(timestamp("current_period_start"))
            .col(timestamp("current_period_end"))
            .col(decimal("credit_balance", 10, 2).default(0.0))
            .col(decimal("monthly_credit_limit", 10, 2))
            .col(decimal("overage_rate", 6, 4))
            .col(json("billing_metadata", "{}"))
            .col(ddl.timestamp_now("created_at"))
            .col(ddl.timestamp_now("updated_at"));
        ddl.create_table(billing).await?;
        ddl.unique_index("subscription_billing_user_id_idx", "subscription_billing", &["user_id"]).await?;
        ddl.index("subscription_billing_stripe_customer_idx", "subscription_billing", &["stripe_customer_id"]).await?;
        ddl.index("subscription_billing_stripe_subscription_idx", "subscription_billing", &["stripe_subscription_id"])
            .await?;
        ddl.index("subscription_billing_status_idx", "subscription_billing", &["subscription_status"]).await?;
        ddl.updated_at_trigger("subscription_billing").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        Ddl::new(manager).drop_tables(&["subscription_billing", "usage_tracking"]).await
    }
}
