//! `creator_profiles` (seed 2.1): a creator's profile information and preferences; one per user.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "creator_profiles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub user_id: Uuid,
    pub email: String,
    pub full_name: Option<String>,
    #[sea_orm(unique)]
    pub creator_handle: Option<String>,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    /// Defaults to `UTC`.
    pub timezone: Option<String>,
    /// One of: `pending`, `training`, `completed`, `failed`. Defaults to `pending`.
    pub voice_training_status: Option<String>,
    /// One of: `free`, `creator`, `agency`, `enterprise`. Defaults to `free`.
    pub subscription_tier: Option<String>,
    /// Defaults to `false`.
    pub onboarding_completed: Option<bool>,
    /// Defaults to `{}`.
    #[sea_orm(column_type = "JsonBinary")]
    pub settings: Option<Json>,
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
