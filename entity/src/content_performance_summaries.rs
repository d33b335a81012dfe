//! `content_performance_summaries`: weekly and monthly sums of performance rows older than six
//! months, which the retention job aggregates and removes. A summary names a live or an archived
//! draft (no foreign key): it stays when its draft moves to the archive, and goes (by trigger)
//! when the draft is deleted.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::SummaryPeriod;

#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "content_performance_summaries")]
#[graphql(name = "ContentPerformanceSummaryColumns")]
#[table(name = "ContentPerformanceSummary", label = "content performance summary", read_only)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[table(owner)]
    pub user_id: Uuid,
    pub content_draft_id: Uuid,
    pub period: SummaryPeriod,
    pub period_start: Date,
    pub rows_aggregated: i32,
    pub impressions: i64,
    pub likes: i64,
    pub shares: i64,
    pub comments: i64,
    pub clicks: i64,
    pub saves: i64,
    #[sea_orm(column_type = "Decimal(Some((5, 4)))")]
    pub avg_engagement_rate: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((5, 2)))")]
    pub avg_performance_score: Option<Decimal>,
    /// The sum of the rows' non-null engagement rates, and how many there were: means over
    /// several summaries are exact.
    #[sea_orm(column_type = "Decimal(Some((14, 4)))")]
    #[graphql(skip)]
    pub engagement_rate_sum: Decimal,
    #[graphql(skip)]
    pub engagement_rate_count: i32,
    /// The sum of the rows' non-null performance scores, and how many there were.
    #[sea_orm(column_type = "Decimal(Some((14, 2)))")]
    #[graphql(skip)]
    pub performance_score_sum: Decimal,
    #[graphql(skip)]
    pub performance_score_count: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    Users,
}

impl ActiveModelBehavior for ActiveModel {}
