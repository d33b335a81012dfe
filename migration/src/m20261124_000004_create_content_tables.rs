//! Seed section 3 and 4.3: `content_drafts`, `voice_training_data`, `voice_models` and
//! `trend_content_mapping`.
use crate::schema::*;
use sea_orm_migration::prelude::*;

pub const PLATFORMS: &[&str] = &["twitter", "linkedin", "instagram"];
pub const CONTENT_TYPES: &[&str] = &[
    "single_tweet",
    "thread",
    "quote_tweet",
    "linkedin_short",
    "linkedin_long",
    "linkedin_carousel",
    "instagram_reel",
    "instagram_carousel",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);

        let mut drafts = Table::create();
        drafts.table("content_drafts").col(ddl.id());
        user_ref(&mut drafts, "user_id", false);
        drafts
            .col(text_in("platform", PLATFORMS).not_null())
            .col(text_in("content_type", CONTENT_TYPES).not_null())
            .col(text("content").not_null())
            .col(text("hook"))
            .col(json("hashtags", "[]"))
            .col(json("mentions", "[]"))
            .col(json("media_urls", "[]"))
            .col(uuid("trend_source_id"))
            .col(decimal("voice_confidence_score", 3, 2).default(0.0))
            .col(json("engagement_prediction", "{}"))
            .col(text_in("status", &["pending", "approved", "rejected", "published", "archived"]).default("pending"))
            .col(integer("feedback_score").check(Expr::col("feedback_score").is_in([-1, 0, 1])))
            .col(text("user_edits"))
            .col(timestamp("published_at"))
            .col(text("published_url"))
            .col(json("actual_performance", "{}"))
            .col(ddl.timestamp_now("created_at"))
            .col(ddl.timestamp_now("updated_at"));
        references(&mut drafts, "trend_source_id", "trend_insights", false);
        ddl.create_table(drafts).await?;
        ddl.index("content_drafts_user_id_idx", "content_drafts", &["user_id"]).await?;
        ddl.index("content_drafts_platform_idx", "content_drafts", &["platform"]).await?;
        ddl.index("content_drafts_status_idx", "content_drafts", &["status"]).await?;
        ddl.index("content_drafts_created_at_idx", "content_drafts", &["created_at"]).await?;
        ddl.index("content_drafts_feedback_score_idx", "content_drafts", &["feedback_score"]).await?;
        ddl.index("content_drafts_trend_source_idx", "content_drafts", &["trend_source_id"]).await?;
        ddl.updated_at_trigger("content_drafts").await?;

        let mut voice_data = Table::create();
        voice_data.table("voice_training_data").col(ddl.id());
        user_ref(&mut voice_data, "user_id", false);
        voice_data
            .col(text("sample_content").not_null())
            .col(text_in("platform", PLATFORMS).not_null())
            .col(json("engagement_metrics", "{}"))
            .col(json("content_features", "{}"))
            .col(boolean("is_training_sample", true))
            .col(integer("sample_rank"))
            .col(ddl.timestamp_now("created_at"));
        ddl.create_table(voice_data).await?;
        ddl.index("voice_training_data_user_id_idx", "voice_training_data", &["user_id"]).await?;
        ddl.index("voice_training_data_platform_idx", "voice_training_data", &["platform"]).await?;
        ddl.index("voice_training_data_training_sample_idx", "voice_training_data", &["is_training_sample"]).await?;
        ddl.index("voice_training_data_rank_idx", "voice_training_data", &["sample_rank"]).await?;

        let mut models = Table::create();
        models.table("voice_models").col(ddl.id());
        user_ref(&mut models, "user_id", false);
        models
            .col(text("model_version").not_null())
            .col(ColumnDef::new("model_config").json_binary().not_null())
            .col(integer("training_data_count").not_null())
            .col(decimal("validation_score", 5, 4))
            .col(boolean("is_active", false))
            .col(timestamp("training_started_at"))
            .col(timestamp("training_completed_at"))
            .col(ddl.timestamp_now("created_at"));
        ddl.create_table(models).await?;
        ddl.index("voice_models_user_id_idx", "voice_models", &["user_id"]).await?;
        ddl.index("voice_models_active_idx", "voice_models", &["is_active"]).await?;
        ddl.index("voice_models_version_idx", "voice_models", &["model_version"]).await?;

        let mut mapping = Table::create();
        mapping.table("trend_content_mapping").col(ddl.id());
        user_ref(&mut mapping, "user_id", false);
        mapping
            .col(uuid("trend_id").not_null())
            .col(uuid("content_draft_id").not_null())
            .col(decimal("relevance_score", 3, 2))
            .col(ddl.timestamp_now("created_at"));
        references(&mut mapping, "trend_id", "trend_insights", true);
        references(&mut mapping, "content_draft_id", "content_drafts", true);
        ddl.create_table(mapping).await?;
        ddl.index("trend_content_mapping_user_id_idx", "trend_content_mapping", &["user_id"]).await?;
        ddl.index("trend_content_mapping_trend_idx", "trend_content_mapping", &["trend_id"]).await?;
        ddl.index("trend_content_mapping_content_idx", "trend_content_mapping", &["content_draft_id"]).await?;
        ddl.index("trend_content_mapping_relevance_idx", "trend_content_mapping", &["relevance_score"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        Ddl::new(manager)
            .drop_tables(&["trend_content_mapping", "voice_models", "voice_training_data", "content_drafts"])
            .await
    }
}
