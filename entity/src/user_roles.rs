//! `user_roles` (seed 001): who is an admin or in support. The source of truth for roles; the
//! `ADMIN_EMAILS` setting only bootstraps it.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::Role;

/// A user's role, when it is more than `member`.
#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "user_roles")]
#[graphql(name = "UserRoleColumns")]
#[table(name = "UserRole", label = "user role", read_only)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The user (one row per user at most).
    #[sea_orm(unique)]
    #[table(owner)]
    pub user_id: Uuid,
    pub role: Role,
    /// The admin who granted it; none for a bootstrapped admin.
    pub granted_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
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
