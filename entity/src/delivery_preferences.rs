//! `delivery_preferences`: How and when drafts are delivered (seed 5.1); one per user.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "delivery_preferences")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub delivery_time: Option<Time>,
    #[sea_orm(column_type = "JsonBinary")]
    pub delivery_days: Option<Json>,
    pub email_enabled: Option<bool>,
    pub whatsapp_enabled: Option<bool>,
    pub whatsapp_number: Option<String>,
    pub push_notifications_enabled: Option<bool>,
    #[sea_orm(column_type = "JsonBinary")]
    pub content_formats: Option<Json>,
    #[sea_orm(column_type = "JsonBinary")]
    pub platforms: Option<Json>,
    pub trend_alerts_enabled: Option<bool>,
    pub max_drafts_per_delivery: Option<i32>,
    pub created_at: Option<DateTimeUtc>,
    pub updated_at: Option<DateTimeUtc>,
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
