//! The one place that decides who may touch which row (the access matrix of `POLICY.md`).
//!
//! Resolvers never call `Entity::find()`: they ask [`scope`] for a select already narrowed to the
//! rows the viewer may see for an operation. The matrix is data ([`MATRIX`]): a table missing
//! from it is granted to the service role alone.
use std::collections::{HashMap, HashSet};

use sea_orm::sea_query::{Alias, Expr, ExprTrait, IntoCondition, Query, SelectStatement, UnionType, ValueType};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, ModelTrait, QueryFilter,
    Select,
};
use serde_json::Value as Json;
use uuid::Uuid;

use entity::table::Table;

use super::Viewer;
use crate::error::{AppError, AppResult};

/// Who an operation is granted to (the service role always is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// The user named by the row's owner column.
    Owner,
    /// The owner, or the user named by the table's client column (agency clients read).
    OwnerOrClient,
    /// Only the service role.
    Service,
}

/// What staff (admins and support) get on a table beyond what the matrix grants everyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Staff {
    /// Nothing more.
    None,
    /// Admins and support read every user's rows.
    Read,
    /// Admins and support read every user's rows; admins also change them (audited).
    Write,
}

/// What the matrix grants for each operation on a table.
#[derive(Debug, Clone, Copy)]
pub struct Access {
    pub create: Grant,
    pub read: Grant,
    pub update: Grant,
    pub delete: Grant,
    pub staff: Staff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Create,
    Read,
    Update,
    Delete,
}

const fn row(create: Grant, read: Grant, update: Grant, delete: Grant, staff: Staff) -> Access {
    Access { create, read, update, delete, staff }
}

use Grant::{Owner, OwnerOrClient, Service};
use Staff::{Read, Write};

/// The access matrix (POLICY.md): for each table, who may create, read, update and delete its
/// rows, and what staff get beyond that. The service role is granted everything everywhere; a
/// table not listed is the service role's alone. What no one gets: the values of sealed platform
/// tokens (no field shows them), other users' sessions and passwords, writes to the audit log,
/// rows created in another user's name (only the service role names the user), and deleting
/// another user's account; admins do not write drafts, sources, trends or deliveries of users.
pub const MATRIX: &[(&str, Access)] = &[
    ("creator_profiles", row(Owner, Owner, Owner, Service, Write)),
    ("platform_connections", row(Owner, Owner, Owner, Owner, Read)),
    ("content_drafts", row(Owner, Owner, Owner, Owner, Read)),
    ("voice_training_data", row(Owner, Owner, Owner, Owner, Read)),
    ("voice_models", row(Service, Owner, Service, Service, Read)),
    ("content_sources", row(Owner, Owner, Owner, Owner, Read)),
    ("trend_insights", row(Service, Owner, Service, Service, Read)),
    ("trend_content_mapping", row(Service, Owner, Service, Service, Read)),
    ("delivery_preferences", row(Owner, Owner, Owner, Service, Read)),
    ("daily_deliveries", row(Service, Owner, Service, Service, Read)),
    ("creator_analytics", row(Service, Owner, Service, Service, Read)),
    ("content_performance", row(Service, Owner, Service, Service, Read)),
    ("usage_tracking", row(Service, Owner, Service, Service, Read)),
    ("subscription_billing", row(Service, Owner, Service, Service, Write)),
    ("agency_clients", row(Owner, OwnerOrClient, Owner, Owner, Read)),
    ("ai_processing_logs", row(Service, Service, Service, Service, Read)),
    ("system_health_metrics", row(Service, Service, Service, Service, Read)),
    // The ledger is written by the server alone (no mutation writes it directly).
    ("credit_transactions", row(Service, Owner, Service, Service, Read)),
    // Retention keeps these readable by their owner; only the jobs write them.
    ("content_drafts_archive", row(Service, Owner, Service, Service, Read)),
    ("content_performance_summaries", row(Service, Owner, Service, Service, Read)),
    ("trend_content_mapping_archive", row(Service, Owner, Service, Service, Read)),
    ("credit_costs", row(Service, Service, Service, Service, Write)),
    // Roles change through `setUserRole` (admins) only; a user reads their own.
    ("user_roles", row(Service, Owner, Service, Service, Read)),
    // Written by the server in the transaction of each change; a user reads the entries about
    // their own account.
    ("audit_logs", row(Service, Owner, Service, Service, Read)),
    // Stored by the webhook route; admins and support read, admins retry.
    ("webhook_events", row(Service, Service, Service, Service, Read)),
    ("subscription_events", row(Service, Owner, Service, Service, Read)),
    // Submitted through `submitClientLog`; read by admins and support.
    ("client_logs", row(Service, Service, Service, Service, Read)),
    // Made by `generateDrafts` and moved on by its job; the owner (and an agency with
    // `read_drafts`) reads them.
    ("generations", row(Service, Owner, Service, Service, Read)),
];

fn access<E: Table>() -> Access {
    let table = E::default().table_name();
    MATRIX.iter().find(|(t, _)| *t == table).map_or(row(Service, Service, Service, Service, Staff::None), |(_, a)| *a)
}

/// Whether the viewer reaches every row of `E` for `op` as staff: admins and support read the
/// tables staff read, admins change those staff write.
pub fn staff_reaches<E: Table>(viewer: &Viewer, op: Op) -> bool {
    match (op, access::<E>().staff) {
        (_, Staff::None) => false,
        (Op::Read, _) => viewer.is_staff(),
        (Op::Update, Staff::Write) => viewer.is_admin(),
        _ => false,
    }
}

/// What the matrix grants on `E` for `op`.
fn grant<E: Table>(op: Op) -> Grant {
    let access = access::<E>();
    match op {
        Op::Create => access.create,
        Op::Read => access.read,
        Op::Update => access.update,
        Op::Delete => access.delete,
    }
}

/// The permission that lets an agency do `op` on a client's rows of `table`.
fn delegated_permission(table: &str, op: Op) -> Option<&'static str> {
    match (table, op) {
        ("content_drafts" | "generations", Op::Read) => Some("read_drafts"),
        ("content_drafts", Op::Update | Op::Delete) => Some("write_drafts"),
        ("creator_analytics" | "content_performance", Op::Read) => Some("read_analytics"),
        _ => None,
    }
}

/// The rights a `permissions` object grants: those set to `true`, in the form
/// `consented_permissions` stores them (`{"read_drafts": true}`).
pub fn granted_rights(permissions: Option<&Json>) -> serde_json::Map<String, Json> {
    permissions
        .and_then(Json::as_object)
        .map(|rights| {
            rights
                .iter()
                .filter(|(_, granted)| **granted == Json::Bool(true))
                .map(|(right, _)| (right.clone(), Json::Bool(true)))
                .collect()
        })
        .unwrap_or_default()
}

/// The relationships that delegate `permission` to `agency` now: accepted, active, and with the
/// right among those the client consented to. What the agency asks for (`permissions`) beyond
/// the consent delegates nothing.
fn delegating_relationships(agency: Uuid, permission: &'static str, backend: DbBackend) -> SelectStatement {
    let consented = match backend {
        DbBackend::Postgres => Expr::cust_with_values("(consented_permissions ->> $1) = 'true'", [permission]),
        _ => Expr::cust_with_values("json_extract(consented_permissions, '$.' || ?) = 1", [permission]),
    };
    Query::select()
        .from(Alias::new("agency_clients"))
        .and_where(Expr::col(Alias::new("agency_user_id")).eq(agency))
        .and_where(Expr::col(Alias::new("status")).eq("accepted"))
        .and_where(Expr::col(Alias::new("is_active")).eq(true))
        .and_where(consented)
        .to_owned()
}

/// The user whose work the viewer asks for: themselves when `requested` is `None` or their own
/// id, a client who delegates `permission` to them now, or (the service role) any existing user.
/// Anyone else is `NOT_FOUND`, as a user that does not exist.
pub async fn acting_for(
    db: &impl sea_orm::ConnectionTrait,
    viewer: &Viewer,
    requested: Option<Uuid>,
    permission: &'static str,
) -> AppResult<Uuid> {
    match (viewer, requested) {
        (Viewer::Anonymous, _) => Err(AppError::Unauthenticated),
        (Viewer::Service, None) => Err(AppError::bad_input("userId", "the service role names the user it acts for")),
        (Viewer::Service, Some(user)) => match user_exists(db, user).await? {
            true => Ok(user),
            false => Err(AppError::NotFound("user")),
        },
        (Viewer::User { id, .. }, None) => Ok(*id),
        (Viewer::User { id, .. }, Some(user)) if user == *id => Ok(user),
        (Viewer::User { id, .. }, Some(client)) => {
            let backend = db.get_database_backend();
            let relationship = delegating_relationships(*id, permission, backend)
                .column(Alias::new("id"))
                .and_where(Expr::col(Alias::new("client_user_id")).eq(client))
                .limit(1)
                .to_owned();
            match db.query_one(&relationship).await? {
                Some(_) => Ok(client),
                None => Err(AppError::NotFound("user")),
            }
        }
    }
}

/// The clients who delegate `permission` to `agency` now (see [`delegating_relationships`]).
fn delegating_clients(agency: Uuid, permission: &'static str, backend: DbBackend) -> SelectStatement {
    delegating_relationships(agency, permission, backend).column(Alias::new("client_user_id")).to_owned()
}

/// Refuses callers the matrix grants `op` on `E` to nobody of their kind.
pub fn allowed<E: Table>(viewer: &Viewer, op: Op) -> AppResult<()> {
    if staff_reaches::<E>(viewer, op) {
        return Ok(());
    }
    match (viewer, grant::<E>(op)) {
        (Viewer::Service, _) => Ok(()),
        (Viewer::Anonymous, _) => Err(AppError::Unauthenticated),
        (Viewer::User { .. }, Grant::Service) => Err(AppError::Forbidden),
        (Viewer::User { .. }, _) if E::owner_column().is_none() => Err(AppError::Forbidden),
        (Viewer::User { .. }, _) => Ok(()),
    }
}

/// The rows of `E` the viewer may see for `op`, as a condition; `None` means every row. An
/// agency also reaches the rows of clients whose active relationship with it is accepted and
/// whose consent covers the matching right.
///
/// Refusals happen before any row is looked at, so they never depend on which rows exist.
pub fn condition<E: Table>(viewer: &Viewer, op: Op, backend: DbBackend) -> AppResult<Option<Condition>> {
    allowed::<E>(viewer, op)?;
    if staff_reaches::<E>(viewer, op) {
        return Ok(None);
    }
    match viewer {
        Viewer::Service => Ok(None),
        Viewer::Anonymous => Err(AppError::Unauthenticated),
        Viewer::User { id, may_act_for_clients, .. } => match grant::<E>(op) {
            Grant::Service => Err(AppError::Forbidden),
            Grant::Owner => {
                let owner = E::owner_column().ok_or(AppError::Forbidden)?;
                Ok(Some(match delegated_permission(E::default().table_name(), op) {
                    // `owner IN (me UNION ALL my delegating clients)`, not `owner = me OR owner IN
                    // (…)`: the OR form keeps PostgreSQL from using the owner index. A user known
                    // to be no agency gets `owner = me`, which also lets an index ordered by
                    // owner then time serve a page without sorting.
                    Some(permission) if *may_act_for_clients => {
                        let mut users = Query::select().expr(Expr::val(*id)).to_owned();
                        users.union(UnionType::All, delegating_clients(*id, permission, backend));
                        owner.in_subquery(users).into_condition()
                    }
                    _ => owner.eq(*id).into_condition(),
                }))
            }
            Grant::OwnerOrClient => {
                let mut any = Condition::any().add(E::owner_column().ok_or(AppError::Forbidden)?.eq(*id));
                if let Some(client) = E::client_column() {
                    any = any.add(client.eq(*id));
                }
                Ok(Some(any))
            }
        },
    }
}

/// The viewer's own rows of `E` and no one else's: what `me` lists. Unlike [`scope`], it leaves
/// out the rows an agency reaches by delegation (those are a client's, reached through the
/// relationship) and has no meaning for the service role.
pub fn own<E: Table>(viewer: &Viewer) -> AppResult<Select<E>> {
    allowed::<E>(viewer, Op::Read)?;
    let owner = E::owner_column().ok_or(AppError::Forbidden)?;
    Ok(E::find().filter(owner.eq(viewer.user_id()?)))
}

/// A select of the rows of `E` the viewer may see for `op`.
pub fn scope<E: Table>(viewer: &Viewer, op: Op, backend: DbBackend) -> AppResult<Select<E>> {
    let select = E::find();
    Ok(match condition::<E>(viewer, op, backend)? {
        Some(cond) => select.filter(cond),
        None => select,
    })
}

/// A select of the one row `id`, if the viewer may see it for `op`.
pub fn scope_one<E: Table>(viewer: &Viewer, op: Op, id: Uuid, backend: DbBackend) -> AppResult<Select<E>> {
    Ok(scope::<E>(viewer, op, backend)?.filter(E::id_column().eq(id)))
}

/// The user a new row belongs to. Users create only their own rows and never name another;
/// the service role names the user it acts for (`None` only where a row may have no user).
pub fn owner_for_create<E: Table>(viewer: &Viewer, requested: Option<Uuid>, field: &str) -> AppResult<Option<Uuid>> {
    allowed::<E>(viewer, Op::Create)?;
    match (viewer, requested) {
        (Viewer::Service, requested) => Ok(requested),
        (Viewer::User { id, .. }, None) => Ok(Some(*id)),
        (Viewer::User { id, .. }, Some(user)) if user == *id => Ok(Some(*id)),
        (Viewer::User { .. }, Some(_)) => Err(AppError::bad_input(field, "only the service role may set it")),
        (Viewer::Anonymous, _) => Err(AppError::Unauthenticated),
    }
}

/// The owner a row must have: the service role has to name it.
pub fn required_owner(owner: Option<Uuid>, field: &str) -> AppResult<Uuid> {
    owner.ok_or_else(|| AppError::bad_input(field, "the service role must name the user"))
}

/// A referenced row: it must exist, be readable by the viewer, and belong to `owner` (the
/// referencing row's user); otherwise it is `NOT_FOUND`, as if it did not exist.
pub fn reference<E: Table>(viewer: &Viewer, id: Uuid, owner: Uuid, backend: DbBackend) -> AppResult<Select<E>> {
    let column = E::owner_column().ok_or(AppError::NotFound(E::LABEL))?;
    Ok(scope_one::<E>(viewer, Op::Read, id, backend)?.filter(column.eq(owner)))
}

/// The clients whose rows of one table an agency may read by delegation, as a live subscription
/// sees them: loaded once when it starts, then kept current from the `agency_clients` changes
/// that arrive with the other events. Every change of a relationship (acceptance, a change of
/// its rights, deactivation, revocation, deletion) applies to that relationship alone, in
/// either direction.
///
/// The memory only ever narrows what a subscriber receives: a row it places with a delegating
/// client is still [`confirmed`](Self::confirm) against the database before it is sent, because
/// events of different instances (and of concurrent requests) may arrive in another order than
/// their commits.
pub struct Delegations {
    permission: Option<&'static str>,
    agency: Option<Uuid>,
    /// Each delegating relationship, with its client.
    relationships: HashMap<Uuid, Uuid>,
    /// The clients of `relationships`.
    clients: HashSet<Uuid>,
}

impl Delegations {
    /// The relationships that delegate reading `E` to the viewer now (none for non-agencies and
    /// tables without a delegated right).
    pub async fn load<E: Table>(viewer: &Viewer, db: &DatabaseConnection) -> AppResult<Self> {
        let permission = delegated_permission(E::default().table_name(), Op::Read);
        let agency = match viewer {
            Viewer::User { id, .. } => Some(*id),
            _ => None,
        };
        let mut relationships = HashMap::new();
        if let (Some(permission), Some(agency)) = (permission, agency) {
            let query = delegating_relationships(agency, permission, db.get_database_backend())
                .columns([Alias::new("id"), Alias::new("client_user_id")])
                .to_owned();
            for row in db.query_all(&query).await? {
                relationships.insert(row.try_get_by_index::<Uuid>(0)?, row.try_get_by_index::<Uuid>(1)?);
            }
        }
        let clients = relationships.values().copied().collect();
        Ok(Self { permission, agency, relationships, clients })
    }

    /// Applies a committed change of one relationship (`deleted` for a deletion).
    pub fn apply(&mut self, relationship: &entity::agency_clients::Model, deleted: bool) {
        let (Some(permission), Some(agency)) = (self.permission, self.agency) else { return };
        let delegates = !deleted
            && relationship.agency_user_id == agency
            && relationship.status == entity::enums::InvitationStatus::Accepted
            && relationship.is_active == Some(true)
            && relationship.consented_permissions.as_ref().and_then(|p| p.get(permission)) == Some(&Json::Bool(true));
        let changed = if delegates {
            self.relationships.insert(relationship.id, relationship.client_user_id) != Some(relationship.client_user_id)
        } else {
            self.relationships.remove(&relationship.id).is_some()
        };
        if changed {
            self.clients = self.relationships.values().copied().collect();
        }
    }

    /// Whether a row of `owner` that the memory lets through still reaches the viewer, asked of
    /// the database when it would reach the viewer by delegation (the same question an HTTP
    /// read asks); `true` at once for the viewer's own rows and for viewers who act for no one.
    pub async fn confirm(&self, owner: Option<Uuid>, db: &DatabaseConnection) -> AppResult<bool> {
        let (Some(permission), Some(agency), Some(owner)) = (self.permission, self.agency, owner) else {
            return Ok(true);
        };
        if owner == agency {
            return Ok(true);
        }
        let query = delegating_clients(agency, permission, db.get_database_backend())
            .and_where(Expr::col(Alias::new("client_user_id")).eq(owner))
            .limit(1)
            .to_owned();
        Ok(db.query_one(&query).await?.is_some())
    }
}

/// Whether the viewer may read `row` of `E`, a row already in hand (a live event): the same
/// decision as [`condition`] for [`Op::Read`], with the relationships as the subscription knows
/// them; a delegated row is then [confirmed](Delegations::confirm).
pub fn may_read_row<E: Table>(viewer: &Viewer, row: &E::Model, delegations: &Delegations) -> bool {
    if allowed::<E>(viewer, Op::Read).is_err() {
        return false;
    }
    if staff_reaches::<E>(viewer, Op::Read) {
        return true;
    }
    let Viewer::User { id, .. } = viewer else { return viewer.is_service() };
    let user_of = |col: Option<E::Column>| col.and_then(|c| <Uuid as ValueType>::try_from(row.get(c)).ok());
    let owner = user_of(E::owner_column());
    match grant::<E>(Op::Read) {
        Grant::Service => false,
        Grant::OwnerOrClient => owner == Some(*id) || user_of(E::client_column()) == Some(*id),
        Grant::Owner => may_read_owner::<E>(viewer, owner, delegations),
    }
}

/// Whether the viewer could read a row of `E` owned by `owner`: a test on the owner alone, cheap
/// enough to run before a live event's row is decoded. [`may_read_row`] decides.
pub fn may_read_owner<E: Table>(viewer: &Viewer, owner: Option<Uuid>, delegations: &Delegations) -> bool {
    if staff_reaches::<E>(viewer, Op::Read) {
        return true;
    }
    match (viewer, grant::<E>(Op::Read)) {
        (Viewer::User { id, .. }, Grant::Owner) => {
            owner.is_some_and(|owner| owner == *id || delegations.clients.contains(&owner))
        }
        _ => true,
    }
}

/// Whether a user account exists (agencies name their clients by user id).
pub async fn user_exists(db: &impl sea_orm::ConnectionTrait, id: Uuid) -> AppResult<bool> {
    Ok(entity::users::Entity::find_by_id(id).one(db).await?.is_some())
}
