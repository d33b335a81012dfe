//! Seed section 2: `creator_profiles` and `platform_connections`.
use crate::schema::*;
use sea_orm_migration::prelude::*;

const PLATFORMS: &[&str] = &["twitter", "linkedin", "instagram"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);

        let mut profiles = Table::create();
        profiles.table("creator_profiles").col(ddl.id());
        user_ref(&mut profiles, "user_id", false);
        profiles
            .col(text("email").not_null())
            .col(text("full_name"))
            .col(text("creator_handle"))
            .col(text("bio"))
            .col(text("avatar_url"))
            .col(text("timezone").default("UTC"))
            .col(text_in("voice_training_status", &["pending", "training", "completed", "failed"]).default("pending"))
            .col(text_in("subscription_tier", &["free", "creator", "agency", "enterprise"]).default("free"))
            .col(boolean("onboarding_completed", false))
            .col(json("settings", "{}"))
            .col(ddl.timestamp_now("created_at"))
            .col(ddl.timestamp_now("updated_at"));
        ddl.create_table(profiles).await?;
        ddl.unique_index("creator_profiles_user_id_idx", "creator_profiles", &["user_id"]).await?;
        ddl.unique_index("creator_profiles_creator_handle_idx", "creator_profiles", &["creator_handle"]).await?;
        ddl.index("creator_profiles_subscription_tier_idx", "creator_profiles", &["subscription_tier"]).await?;
        ddl.updated_at_trigger("creator_profiles").await?;

        let mut connections = Table::create();
        connections.table("platform_connections").col(ddl.id());
        user_ref(&mut connections, "user_id", false);
        connections
            .col(text_in("platform", PLATFORMS).not_null())
            .col(text("platform_user_id").not_null())
            .col(text("platform_username").not_null())
            .col(text("access_token"))
            .col(text("refresh_token"))
            .col(timestamp("token_expires_at"))
            .col(json("platform_data", "{}"))
            .col(boolean("is_active", true))
            .col(timestamp("last_sync_at"))
            .col(ddl.timestamp_now("created_at"))
            .col(ddl.timestamp_now("updated_at"));
        ddl.create_table(connections).await?;
        ddl.unique_index("platform_connections_user_platform_idx", "platform_connections", &["user_id", "platform"])
            .await?;
        ddl.index(
            "platform_connections_platform_user_id_idx",
            "platform_connections",
            &["platform", "platform_user_id"],
        )
        .await?;
        ddl.index("platform_connections_active_idx", "platform_connections", &["is_active"]).await?;
        ddl.updated_at_trigger("platform_connections").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        Ddl::new(manager).drop_tables(&["platform_connections", "creator_profiles"]).await
    }
}
