//! `agency_clients` (seed 8.1): agency-client relationships and the agency's permissions; one per pair.
//! Both foreign keys reference `users`, so there is no `Related<users::Entity>`: join through
//! `Relation::AgencyUser` or `Relation::ClientUser`.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "agency_clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The agency (`users.id`).
    pub agency_user_id: Uuid,
    /// The client creator (`users.id`).
    pub client_user_id: Uuid,
    pub client_name: String,
    pub client_brand: Option<String>,
    /// What agency can do for client. Defaults to `{}`.
    #[sea_orm(column_type = "JsonBinary")]
    pub permissions: Option<Json>,
    /// Percentage of agency credits.
    #[sea_orm(column_type = "Decimal(Some((5, 2)))")]
    pub billing_allocation: Option<Decimal>,
    /// Defaults to `true`.
    pub is_active: Option<bool>,
    pub created_at: Option<DateTimeUtc>,
    pub updated_at: Option<DateTimeUtc>,
    /// One of: `invited`, `accepted`, `revoked`. Delegation holds only once the client accepted
    /// and while the relationship is active.
    pub status: String,
    /// When the client accepted.
    pub accepted_at: Option<DateTimeUtc>,
    /// When the client revoked the agency's access.
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::AgencyUserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    AgencyUser,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::ClientUserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    ClientUser,
}

impl ActiveModelBehavior for ActiveModel {}
