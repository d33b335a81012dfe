//! Seed section 4.1 and 4.2: `content_sources` and `trend_insights` (created before the
//! content tables because `content_drafts.trend_source_id` references trends).
use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);

        let mut sources = Table::create();
        sources.table("content_sources").col(ddl.id());
        user_ref(&mut sources, "user_id", false);
        sources
            .col(
                text_in(
                    "source_type",
                    &[
                        "twitter_handle",
                        "twitter_hashtag",
                        "linkedin_profile",
                        "youtube_channel",
                        "newsletter_rss",
                        "instagram_account",
                    ],
                )
                .not_null(),
            )
            .col(text("source_identifier").not_null())
            .col(text("source_name").not_null())
            .col(text("source_url"))
            .col(integer("priority_level").default(5).check(Expr::col("priority_level").between(1, 10)))
            .col(boolean("is_active", true))
            .col(timestamp("last_crawled_at"))
            // The seed's `interval DEFAULT '1 hour'`, in seconds.
            .col(big_integer("crawl_frequency").default(3600).check(Expr::col("crawl_frequency").gt(0)))
            .col(json("source_metadata", "{}"))
            .col(ddl.timestamp_now("created_at"))
            .col(ddl.timestamp_now("updated_at"));
        ddl.create_table(sources).await?;
        ddl.index("content_sources_user_id_idx", "content_sources", &["user_id"]).await?;
        ddl.index("content_sources_type_idx", "content_sources", &["source_type"]).await?;
        ddl.index("content_sources_active_idx", "content_sources", &["is_active"]).await?;
        ddl.index("content_sources_priority_idx", "content_sources", &["priority_level"]).await?;
        ddl.index("content_sources_last_crawled_idx", "content_sources", &["last_crawled_at"]).await?;
        ddl.updated_at_trigger("content_sources").await?;

        let mut trends = Table::create();
        trends.table("trend_insights").col(ddl.id());
        user_ref(&mut trends, "user_id", false);
        trends
            .col(text("trend_topic").not_null())
            .col(text("trend_description").not_null())
            .col(decimal("confidence_score", 3, 2).not_null())
            .col(decimal("momentum_score", 5, 2))
            .col(integer("source_count").not_null())
            .col(timestamp("peak_prediction"))
            .col(json("relevant_keywords", "[]"))
            .col(json("source_evidence", "[]"))
            .col(json("content_opportunities", "[]"))
            .col(text("trend_category"))
            .col(json("geographic_data", "{}"))
            .col(text_in("status", &["active", "declining", "expired"]).default("active"))
            .col(timestamp("expires_at"))
            .col(ddl.timestamp_now("created_at"))
            .col(ddl.timestamp_now("updated_at"));
        ddl.create_table(trends).await?;
        ddl.index("trend_insights_user_id_idx", "trend_insights", &["user_id"]).await?;
        ddl.index("trend_insights_confidence_idx", "trend_insights", &["confidence_score"]).await?;
        ddl.index("trend_insights_momentum_idx", "trend_insights", &["momentum_score"]).await?;
        ddl.index("trend_insights_status_idx", "trend_insights", &["status"]).await?;
        ddl.index("trend_insights_created_at_idx", "trend_insights", &["created_at"]).await?;
        ddl.index("trend_insights_expires_at_idx", "trend_insights", &["expires_at"]).await?;
        ddl.updated_at_trigger("trend_insights").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        Ddl::new(manager).drop_tables(&["trend_insights", "content_sources"]).await
    }
}
