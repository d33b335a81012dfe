//! `platform_connections` (seed 2.2): social media platform connections and their authentication tokens.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::Platform;

#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "platform_connections")]
#[graphql(name = "PlatformConnectionColumns")]
#[table(name = "PlatformConnection", label = "platform connection")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[table(owner)]
    pub user_id: Uuid,
    pub platform: Platform,
    #[table(not_blank)]
    pub platform_user_id: String,
    #[table(not_blank)]
    pub platform_username: String,
    /// Encrypted access token: sealed at rest (`v1:<key id>:<base64>`); never exposed through the API.
    #[table(sealed)]
    #[graphql(skip)]
    pub access_token: Option<String>,
    /// Encrypted refresh token: sealed at rest (`v1:<key id>:<base64>`); never exposed through the API.
    #[table(sealed)]
    #[graphql(skip)]
    pub refresh_token: Option<String>,
    pub token_expires_at: Option<DateTimeUtc>,
    /// Platform-specific metadata. Defaults to `{}`.
    #[sea_orm(column_type = "JsonBinary")]
    #[table(json_object)]
    pub platform_data: Option<Json>,
    /// Defaults to `true`.
    pub is_active: Option<bool>,
    pub last_sync_at: Option<DateTimeUtc>,
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
