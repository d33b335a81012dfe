//! Seed section 6: `creator_analytics` and `content_performance`.
use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);

        let mut analytics = Table::create();
        analytics.table("creator_analytics").col(ddl.id());
        user_ref(&mut analytics, "user_id", false);
        analytics
            .col(date("metric_date").not_null())
            .col(text_in("platform", &["twitter", "linkedin", "instagram", "overall"]).not_null())
            .col(integer("drafts_generated").default(0))
            .col(integer("drafts_accepted").default(0))
            .col(integer("drafts_rejected").default(0))
            .col(integer("content_published").default(0))
            .col(decimal("avg_review_time_minutes", 8, 2))
            .col(big_integer("total_impressions").default(0))
            .col(big_integer("total_engagements").default(0))
            .col(integer("follower_count"))
            .col(decimal("engagement_rate", 5, 4))
            .col(decimal("voice_confidence_avg", 3, 2))
            .col(decimal("trend_utilization_rate", 3, 2))
            .col(json("baseline_comparison", "{}"))
            .col(ddl.timestamp_now("created_at"))
            .col(ddl.timestamp_now("updated_at"));
        ddl.create_table(analytics).await?;
        ddl.index("creator_analytics_user_date_idx", "creator_analytics", &["user_id", "metric_date"]).await?;
        ddl.index("creator_analytics_platform_idx", "creator_analytics", &["platform"]).await?;
        ddl.index("creator_analytics_metric_date_idx", "creator_analytics", &["metric_date"]).await?;
        ddl.updated_at_trigger("creator_analytics").await?;

        let mut performance = Table::create();
        performance.table("content_performance").col(ddl.id());
        user_ref(&mut performance, "user_id", false);
        performance
            .col(uuid("content_draft_id").not_null())
            .col(text("platform_post_id"))
            .col(big_integer("impressions").default(0))
            .col(integer("likes").default(0))
            .col(integer("shares").default(0))
            .col(integer("comments").default(0))
            .col(integer("clicks").default(0))
            .col(integer("saves").default(0))
            .col(decimal("engagement_rate", 5, 4))
            .col(big_integer("reach"))
            .col(big_integer("video_views"))
            .col(decimal("performance_score", 5, 2))
            .col(decimal("vs_prediction_accuracy", 3, 2))
            .col(ddl.timestamp_now("last_updated_at"))
            .col(ddl.timestamp_now("created_at"));
        references(&mut performance, "content_draft_id", "content_drafts", true);
        ddl.create_table(performance).await?;
        ddl.index("content_performance_user_id_idx", "content_performance", &["user_id"]).await?;
        ddl.index("content_performance_content_draft_idx", "content_performance", &["content_draft_id"]).await?;
        ddl.index("content_performance_score_idx", "content_performance", &["performance_score"]).await?;
        ddl.index("content_performance_engagement_rate_idx", "content_performance", &["engagement_rate"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        Ddl::new(manager).drop_tables(&["content_performance", "creator_analytics"]).await
    }
}
