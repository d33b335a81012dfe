//! `creator_profiles` (seed 2.1): a creator's profile information and preferences; one per user.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{AvatarContentType, Tier, TrainingStatus};

#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "creator_profiles")]
#[graphql(name = "CreatorProfileColumns")]
#[table(name = "CreatorProfile", label = "creator profile")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    #[table(owner)]
    pub user_id: Uuid,
    #[table(not_blank, check = "crate::table::check::email")]
    pub email: String,
    pub full_name: Option<String>,
    #[sea_orm(unique)]
    pub creator_handle: Option<String>,
    pub bio: Option<String>,
    /// A link set by clients before avatars were uploaded; read-only, cleared by an upload. The
    /// profile's `avatarUrl` shows it while no avatar is uploaded.
    #[graphql(skip)]
    pub avatar_url: Option<String>,
    /// An IANA time zone (`Europe/Berlin`); deliveries come at `deliveryTime` in it. Defaults to `UTC`.
    #[table(check = "crate::table::check::timezone")]
    pub timezone: Option<String>,
    /// Defaults to `pending`.
    pub voice_training_status: Option<TrainingStatus>,
    /// Defaults to `free`.
    #[table(read_only)]
    pub subscription_tier: Option<Tier>,
    /// Defaults to `false`.
    pub onboarding_completed: Option<bool>,
    /// Defaults to `{}`.
    #[sea_orm(column_type = "JsonBinary")]
    #[table(json_object)]
    pub settings: Option<Json>,
    pub created_at: Option<DateTimeUtc>,
    pub updated_at: Option<DateTimeUtc>,
    /// The format of the uploaded avatar (`uploadAvatar`), judged by its bytes; null without
    /// one.
    #[table(read_only)]
    pub avatar_content_type: Option<AvatarContentType>,
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
