//! `daily_deliveries` (seed 5.2): daily content deliveries to users; one per user and day.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{DeliveryChannel, DeliveryStatus};

#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "daily_deliveries")]
#[graphql(name = "DailyDeliveryColumns")]
#[table(name = "DailyDelivery", label = "daily delivery")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[table(owner)]
    pub user_id: Uuid,
    pub delivery_date: Date,
    /// Defaults to `pending`.
    pub delivery_status: Option<DeliveryStatus>,
    /// Array of delivered draft IDs. Defaults to `[]`.
    #[sea_orm(column_type = "JsonBinary")]
    #[table(references_many = "content_drafts")]
    pub content_draft_ids: Option<Json>,
    /// Array of included trend IDs. Defaults to `[]`.
    #[sea_orm(column_type = "JsonBinary")]
    #[table(references_many = "trend_insights")]
    pub trend_insight_ids: Option<Json>,
    pub delivery_channel: Option<DeliveryChannel>,
    pub delivered_at: Option<DateTimeUtc>,
    pub opened_at: Option<DateTimeUtc>,
    pub error_message: Option<String>,
    pub created_at: Option<DateTimeUtc>,
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

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Users.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
