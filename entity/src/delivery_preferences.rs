//! `delivery_preferences` (seed 5.1): how and when a user's content is delivered; one per user.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "delivery_preferences")]
#[graphql(name = "DeliveryPreferenceColumns")]
#[table(name = "DeliveryPreference", label = "delivery preferences")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    #[table(owner)]
    pub user_id: Uuid,
    /// Local delivery time. Defaults to 08:00:00.
    pub delivery_time: Option<Time>,
    /// Days of week. Defaults to `["monday","tuesday","wednesday","thursday","friday"]`.
    #[sea_orm(column_type = "JsonBinary")]
    #[table(json_array, check = "crate::table::check::weekdays")]
    pub delivery_days: Option<Json>,
    /// Defaults to `true`.
    pub email_enabled: Option<bool>,
    /// Defaults to `false`.
    pub whatsapp_enabled: Option<bool>,
    pub whatsapp_number: Option<String>,
    /// Defaults to `true`.
    pub push_notifications_enabled: Option<bool>,
    /// Preferred content types. Defaults to `[]`.
    #[sea_orm(column_type = "JsonBinary")]
    #[table(json_array)]
    pub content_formats: Option<Json>,
    /// Enabled platforms. Defaults to `[]`.
    #[sea_orm(column_type = "JsonBinary")]
    #[table(json_array)]
    pub platforms: Option<Json>,
    /// Defaults to `true`.
    pub trend_alerts_enabled: Option<bool>,
    /// Defaults to 5.
    #[table(range(1, 100))]
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
