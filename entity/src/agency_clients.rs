//! `agency_clients` (seed 8.1): agency-client relationships and the agency's permissions; one per pair.
//! Both foreign keys reference `users`, so there is no `Related<users::Entity>`: join through
//! `Relation::AgencyUser` or `Relation::ClientUser`.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::InvitationStatus;

/// The rights an agency may ask for over a client (`permissions`).
pub const PERMISSIONS: &[&str] = &["read_drafts", "write_drafts", "read_analytics"];

#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "agency_clients")]
#[graphql(name = "AgencyClientColumns")]
#[table(name = "AgencyClient", label = "agency client", client = "client_user_id")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The agency (`users.id`). Never changes (a trigger refuses it).
    #[table(owner)]
    pub agency_user_id: Uuid,
    /// The client creator (`users.id`). Never changes (a trigger refuses it): another client is
    /// another relationship, with its own consent.
    #[table(create_only)]
    pub client_user_id: Uuid,
    #[table(not_blank)]
    pub client_name: String,
    pub client_brand: Option<String>,
    /// What the agency asks to do for the client. Defaults to `{}`. Only the part the client
    /// consented to is delegated: see `consented_permissions`.
    #[sea_orm(column_type = "JsonBinary")]
    #[table(check = "crate::table::check::permissions")]
    pub permissions: Option<Json>,
    /// Percentage of agency credits.
    #[sea_orm(column_type = "Decimal(Some((5, 2)))")]
    pub billing_allocation: Option<Decimal>,
    /// Defaults to `true`.
    pub is_active: Option<bool>,
    pub created_at: Option<DateTimeUtc>,
    pub updated_at: Option<DateTimeUtc>,
    /// Delegation holds only once the client accepted
    /// and while the relationship is active.
    #[table(read_only)]
    pub status: InvitationStatus,
    /// When the client last accepted (a first invitation, or rights widened since).
    #[table(read_only)]
    pub accepted_at: Option<DateTimeUtc>,
    /// When the client revoked the agency's access.
    #[table(read_only)]
    pub revoked_at: Option<DateTimeUtc>,
    /// The rights the client consented to, as an object of the rights set to `true`; `None`
    /// until the client accepts and after it revokes. The database keeps it within
    /// `permissions` on every write, so narrowing applies at once and widening waits for the
    /// client to accept again. Delegation reads this column, never `permissions`.
    #[sea_orm(column_type = "JsonBinary")]
    #[table(read_only)]
    pub consented_permissions: Option<Json>,
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
