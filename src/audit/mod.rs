//! The audit trail: every sensitive change (profile, role, credits, subscription and billing,
//! sign-ins, session revocations, account deletion, and every write an admin makes on someone
//! else's data), recorded in the transaction of the change with who did it, about whom, what
//! changed (secrets never written), the request's id and the client's address. Admins and
//! support read every entry, a user the entries about their own account; nobody changes or
//! deletes one through the API. Old entries go with the `purge-audit-logs` job; an account's
//! deletion keeps, pseudonymised, the entries a billing investigation needs.
use async_graphql::Context;
use chrono::Utc;
use entity::audit_logs;
use entity::enums::ActorKind;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::auth::Viewer;
use crate::error::AppResult;

/// One audited change.
#[derive(Clone, async_graphql::SimpleObject, macros::Resource)]
#[resource(table = "audit_logs", fetch, list)]
pub struct AuditLog {
    #[graphql(flatten)]
    pub row: audit_logs::Model,
}

/// Where a request came from, put into the request's data by the transport.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    pub request_id: Option<String>,
    pub client_address: Option<String>,
}

/// Who acts.
#[derive(Clone, Copy, Debug)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: Option<Uuid>,
}

impl Actor {
    pub const SYSTEM: Actor = Actor { kind: ActorKind::System, id: None };

    pub fn of(viewer: &Viewer) -> Self {
        match viewer {
            Viewer::Anonymous => Self { kind: ActorKind::Anonymous, id: None },
            Viewer::Service => Self { kind: ActorKind::Service, id: None },
            Viewer::User { id, role, .. } => Self {
                kind: match role {
                    entity::enums::Role::Admin => ActorKind::Admin,
                    entity::enums::Role::Support => ActorKind::Support,
                    entity::enums::Role::Member => ActorKind::User,
                },
                id: Some(*id),
            },
        }
    }
}

/// Columns never written to the log, whatever the table.
const SECRETS: &[&str] = &["password_hash", "access_token", "refresh_token", "token_hash"];

/// One entry to write.
#[derive(Debug, Default)]
pub struct Entry {
    pub action: &'static str,
    pub subject: Option<Uuid>,
    pub table: Option<&'static str>,
    pub row: Option<Uuid>,
    pub before: Option<Json>,
    pub after: Option<Json>,
}

impl Entry {
    pub fn new(action: &'static str, subject: Option<Uuid>) -> Self {
        Self { action, subject, ..Default::default() }
    }

    /// The row `id` of `table` changed from `before` to `after` (either absent for a creation or
    /// a deletion): only the fields that differ are kept, secrets left out.
    pub fn change(mut self, table: &'static str, id: Uuid, before: Option<Json>, after: Option<Json>) -> Self {
        let (before, after) = changed(before, after);
        self.table = Some(table);
        self.row = Some(id);
        self.before = before;
        self.after = after;
        self
    }
}

/// The fields of two versions of a row that differ, secrets and bookkeeping left out.
fn changed(before: Option<Json>, after: Option<Json>) -> (Option<Json>, Option<Json>) {
    let object = |v: Option<Json>| match v {
        Some(Json::Object(map)) => map,
        _ => Map::new(),
    };
    let (old, new) = (object(before.clone()), object(after.clone()));
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    let (mut was, mut is) = (Map::new(), Map::new());
    for key in keys {
        if SECRETS.contains(&key.as_str()) || key == "updated_at" {
            continue;
        }
        let (a, b) = (old.get(key), new.get(key));
        if a != b {
            if let Some(a) = a {
                was.insert(key.clone(), a.clone());
            }
            if let Some(b) = b {
                is.insert(key.clone(), b.clone());
            }
        }
    }
    (before.map(|_| Json::Object(was)), after.map(|_| Json::Object(is)))
}

/// Writes `entry` on `db` (the transaction of the change).
pub async fn record(db: &impl ConnectionTrait, actor: Actor, meta: &RequestMeta, entry: Entry) -> AppResult<()> {
    audit_logs::ActiveModel {
        id: Set(Uuid::new_v4()),
        occurred_at: Set(Utc::now()),
        actor_kind: Set(actor.kind),
        actor_id: Set(actor.id),
        subject_user_id: Set(entry.subject),
        subject_pseudonym: Set(None),
        action: Set(entry.action.to_owned()),
        table_name: Set(entry.table.map(str::to_owned)),
        row_id: Set(entry.row),
        before: Set(entry.before),
        after: Set(entry.after),
        request_id: Set(meta.request_id.clone()),
        client_address: Set(meta.client_address.clone()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The actor and origin of the request `ctx` belongs to.
pub fn origin(ctx: &Context<'_>) -> (Actor, RequestMeta) {
    let actor = ctx.data::<Viewer>().map(Actor::of).unwrap_or(Actor { kind: ActorKind::Anonymous, id: None });
    (actor, ctx.data::<RequestMeta>().cloned().unwrap_or_default())
}

/// Writes `entry` for the request `ctx`, on `db`.
pub async fn record_for(ctx: &Context<'_>, db: &impl ConnectionTrait, entry: Entry) -> AppResult<()> {
    let (actor, meta) = origin(ctx);
    record(db, actor, &meta, entry).await
}

/// The actions kept, pseudonymised, when their account is deleted: what a billing
/// investigation needs.
pub const BILLING_ACTIONS: &[&str] =
    &["credits.grant", "subscription.create", "subscription.update", "subscription.delete"];

/// An account is being deleted (inside its transaction): its billing entries keep a stable
/// pseudonym instead of its id, with their before/after values dropped; its other entries go.
pub async fn forget_subject(db: &impl ConnectionTrait, user: Uuid, secret: &[u8]) -> AppResult<()> {
    let pseudonym = hex(&Sha256::new().chain_update(secret).chain_update(user.as_bytes()).finalize());
    audit_logs::Entity::update_many()
        .col_expr(audit_logs::Column::SubjectUserId, Expr::value(Option::<Uuid>::None))
        .col_expr(audit_logs::Column::SubjectPseudonym, Expr::value(pseudonym))
        .col_expr(audit_logs::Column::Before, Expr::value(Option::<Json>::None))
        .col_expr(audit_logs::Column::After, Expr::value(Option::<Json>::None))
        .filter(audit_logs::Column::SubjectUserId.eq(user))
        .filter(audit_logs::Column::Action.is_in(BILLING_ACTIONS.iter().copied()))
        .exec(db)
        .await?;
    audit_logs::Entity::delete_many().filter(audit_logs::Column::SubjectUserId.eq(user)).exec(db).await?;
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
