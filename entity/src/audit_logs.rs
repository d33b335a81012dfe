//! `audit_logs` (seed 001): every sensitive change, written in the transaction of the change.
//! Nobody changes or deletes an entry through the API; retention deletes old ones.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::ActorKind;

/// One audited change.
#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "audit_logs")]
#[graphql(name = "AuditLogColumns")]
#[table(name = "AuditLog", label = "audit log entry", read_only)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub occurred_at: DateTimeUtc,
    pub actor_kind: ActorKind,
    /// The user who acted (none for the service role, jobs and anonymous callers).
    pub actor_id: Option<Uuid>,
    /// The account the change is about; none once that account is deleted.
    #[table(owner)]
    pub subject_user_id: Option<Uuid>,
    /// A stable pseudonym of a deleted account, on the entries kept for billing investigations.
    pub subject_pseudonym: Option<String>,
    /// What happened, e.g. `profile.update`, `role.change`, `credits.grant`, `sign_in.failure`.
    pub action: String,
    /// The table of the changed row.
    pub table_name: Option<String>,
    /// The changed row.
    pub row_id: Option<Uuid>,
    /// The changed fields before the change (secrets never written).
    #[sea_orm(column_type = "JsonBinary")]
    pub before: Option<Json>,
    /// The changed fields after the change.
    #[sea_orm(column_type = "JsonBinary")]
    pub after: Option<Json>,
    /// The request's `x-request-id`.
    pub request_id: Option<String>,
    /// The caller's address (from the configured trusted header behind a proxy).
    pub client_address: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
