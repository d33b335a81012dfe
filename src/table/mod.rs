//! The generic paths every table goes through: fetch, list (filter, order, cursor pages),
//! create, update and delete, always via the policy. `#[derive(Resource)]` writes a table's
//! root fields as calls into these functions; relations batch through [`loaders`] and live
//! subscriptions run through [`live`].
pub mod cursor;
pub mod live;
pub mod loaders;
pub mod nested;

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, OutputType, SimpleObject};
use entity::table::{Creates, Referee, Table, TableFilter, TableOrder, Updates};
use sea_orm::sea_query::{Expr, NullOrdering, SelectStatement};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, IdenStatic, IntoActiveModel, Iterable, ModelTrait, Order, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};
use uuid::Uuid;

pub use entity::table::OrderDirection;

use crate::audit;
use crate::auth::Viewer;
use crate::auth::policy::{self, Op};
use crate::error::{AppError, AppResult};
use crate::events::{self, ChangeKind};
use crate::state::AppState;

/// Page size when `first` is not given.
pub const DEFAULT_PAGE_SIZE: usize = 20;

/// Extra fields of every connection.
#[derive(SimpleObject)]
pub struct ConnectionTotals {
    /// How many rows match in all; computed only when selected.
    pub total_count: Option<u64>,
}

pub type Page<T> = Connection<cursor::Cursor, T, ConnectionTotals, EmptyFields>;

/// Relay paging arguments.
#[derive(Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

pub fn viewer<'a>(ctx: &'a Context<'_>) -> AppResult<&'a Viewer> {
    ctx.data::<Viewer>().map_err(|_| AppError::Unauthenticated)
}

pub fn state<'a>(ctx: &'a Context<'_>) -> AppResult<&'a AppState> {
    ctx.data::<AppState>().map_err(|_| AppError::Internal)
}

pub fn db<'a>(ctx: &'a Context<'_>) -> AppResult<&'a DatabaseConnection> {
    Ok(&state(ctx)?.db)
}

/// What reads go through (see [`crate::db::Reader`]).
pub fn reads<'a>(ctx: &'a Context<'_>) -> AppResult<&'a crate::db::Reader> {
    Ok(&state(ctx)?.reads)
}

/// One row by id, or `NOT_FOUND` (the same for a row that exists but is not the viewer's).
pub async fn fetch<E: Table>(ctx: &Context<'_>, id: Uuid) -> AppResult<E::Model> {
    let row = policy::scope_one::<E>(viewer(ctx)?, Op::Read, id, db(ctx)?.get_database_backend())?
        .one(reads(ctx)?)
        .await?
        .ok_or(AppError::NotFound(E::LABEL))?;
    crate::telemetry::rows_read(1);
    Ok(row)
}

/// What the fields of a table's GraphQL type that are not its columns read of its row, as
/// `(field, column)` pairs (`#[resource(reads(field = "column", …))]`). A page whose selection
/// has a field not named here, and not a column, fetches every column.
pub trait Reads {
    const READS: &'static [(&'static str, &'static str)];
}

/// Which rows a list starts from.
#[derive(Clone, Copy)]
pub enum Rows {
    /// Every row the viewer may read: their own, and those of clients who delegate to them.
    Readable,
    /// The viewer's own rows and no one else's (what `me` lists): a client's rows are reached
    /// through the relationship instead.
    Own,
}

/// A page of `rows` that match `filter`, in `order` then id order.
pub async fn list<E, W>(
    ctx: &Context<'_>,
    rows: Rows,
    filter: Option<E::Filter>,
    order: Option<Vec<E::Order>>,
    args: PageArgs,
) -> async_graphql::Result<Page<W>>
where
    E: Table,
    W: From<E::Model> + OutputType + Reads,
{
    let mut select = match rows {
        Rows::Readable => policy::scope::<E>(viewer(ctx)?, Op::Read, db(ctx)?.get_database_backend())?,
        Rows::Own => policy::own::<E>(viewer(ctx)?)?,
    };
    let db = reads(ctx)?;
    let backend = db.get_database_backend();
    if let Some(filter) = filter {
        select = select.filter(filter.condition(backend).map_err(AppError::from)?);
    }
    let mut keys: Vec<(E::Column, OrderDirection)> = order.unwrap_or_default().iter().map(TableOrder::key).collect();
    if keys.len() > 5 {
        return Err(AppError::bad_input("orderBy", "takes at most 5 keys").into());
    }
    keys.push((E::id_column(), OrderDirection::Asc));
    let fingerprint: std::sync::Arc<str> = cursor::fingerprint::<E>(&keys).into();
    let (limit, forward) = match (args.first, args.last) {
        (Some(_), Some(_)) => return Err(AppError::bad_input("last", "cannot be combined with `first`").into()),
        (Some(n), None) => (page_size("first", n, state(ctx)?.config.max_page_size)?, true),
        (None, Some(n)) => (page_size("last", n, state(ctx)?.config.max_page_size)?, false),
        (None, None) => (DEFAULT_PAGE_SIZE, args.before.is_none()),
    };
    let look_ahead = ctx.look_ahead();
    let (mut select, skipped) = without_columns(select, &unread_columns::<E, W>(&look_ahead, &keys));
    let after = args.after.as_deref().map(|c| cursor::decode(c, &fingerprint, &keys, "after")).transpose()?;
    let before = args.before.as_deref().map(|c| cursor::decode(c, &fingerprint, &keys, "before")).transpose()?;
    let total_count = if look_ahead.field("totalCount").exists() {
        Some(select.clone().count(db).await.map_err(AppError::from)?)
    } else {
        None
    };
    if let Some(values) = &after {
        select = select.filter(cursor::beyond(&keys, values, true));
    }
    if let Some(values) = &before {
        select = select.filter(cursor::beyond(&keys, values, false));
    }
    let mut order = Vec::with_capacity(keys.len());
    for (col, dir) in &keys {
        let ascending = (*dir == OrderDirection::Asc) == forward;
        let (ord, nulls) = match (ascending, forward) {
            (true, true) => (Order::Asc, NullOrdering::Last),
            (false, true) => (Order::Desc, NullOrdering::Last),
            (true, false) => (Order::Asc, NullOrdering::First),
            (false, false) => (Order::Desc, NullOrdering::First),
        };
        select = select.order_by_with_nulls(*col, ord.clone(), nulls);
        order.push((*col, ord, nulls));
    }
    let select = select.limit(limit as u64 + 1);
    // The rows' children come along when the database allows (see [`nested`]).
    let mut rows = match nested::along::<W>(ctx, &look_ahead) {
        Some(along) => nested::page_with::<E>(ctx, db, select.into_query(), &order, skipped, limit, along).await?,
        None => decoded::<E>(db, select.build(backend), skipped).await.map_err(AppError::from)?,
    };
    crate::telemetry::rows_read(rows.len());
    let more = rows.len() > limit;
    rows.truncate(limit);
    if !forward {
        rows.reverse();
    }
    let (has_previous, has_next) = if forward { (after.is_some(), more) } else { (more, before.is_some()) };
    let mut connection = Connection::with_additional_fields(has_previous, has_next, ConnectionTotals { total_count });
    for row in rows {
        let values: Vec<sea_orm::Value> = keys.iter().map(|(col, _)| row.get(*col)).collect();
        connection.edges.push(Edge::new(cursor::Cursor::new(fingerprint.clone(), values), W::from(row)));
    }
    Ok(connection)
}

/// `select` without the `unread` columns, and their bits for [`Table::decode`]: they are not
/// fetched, PostgreSQL sends less and nothing is decoded for them (they come back `None` and
/// are never shown).
pub(crate) fn without_columns<E: Table>(select: sea_orm::Select<E>, unread: &[E::Column]) -> (sea_orm::Select<E>, u64) {
    if unread.is_empty() {
        return (select, 0);
    }
    let (mut select, mut skipped) = (select.select_only(), 0u64);
    for (i, col) in E::Column::iter().enumerate() {
        match unread.iter().any(|u| u.as_str() == col.as_str()) {
            true => skipped |= 1 << i,
            false => select = select.column(col),
        }
    }
    (select, skipped)
}

/// The rows `statement` selects (every column of `E` in order but the `skipped` ones, see
/// [`without_columns`]), decoded by position.
pub(crate) async fn decoded<E: Table>(
    db: &impl ConnectionTrait,
    statement: sea_orm::Statement,
    skipped: u64,
) -> Result<Vec<E::Model>, sea_orm::DbErr> {
    db.query_all_raw(statement).await?.iter().map(|row| E::decode(row, 0, skipped)).collect()
}

/// The nullable columns of `E` that the page's selection does not read. A relation reads the
/// column its type names in [`Reads`]; any other field that is not a column may need any
/// column, so then none is left out. The order keys are read (the cursors carry them).
pub(crate) fn unread_columns<E: Table, W: Reads>(
    look_ahead: &async_graphql::Lookahead<'_>,
    keys: &[(E::Column, OrderDirection)],
) -> Vec<E::Column> {
    let mut unread = unread_by::<E, W>([look_ahead.field("edges").field("node"), look_ahead.field("nodes")]);
    unread.retain(|col| !keys.iter().any(|(k, _)| k.as_str() == col.as_str()));
    unread
}

/// The nullable columns of `E` that the selection of the current field, an object of `E` or a
/// list of them, does not read (as [`unread_columns`] for a page).
pub(crate) fn unread_by_field<E: Table, W: Reads>(ctx: &Context<'_>) -> Vec<E::Column> {
    unread_by::<E, W>([ctx.look_ahead()])
}

/// The nullable columns of `E` that no field selected at `levels` (each an object of `E`) reads.
fn unread_by<'a, E: Table, W: Reads>(levels: impl IntoIterator<Item = async_graphql::Lookahead<'a>>) -> Vec<E::Column> {
    let mut read = Vec::new();
    for level in levels {
        for field in level.selection_fields() {
            for child in field.selection_set() {
                if child.name() == "__typename" {
                    continue;
                }
                let name = snake_case(child.name());
                let name = match W::READS.iter().find(|(field, _)| *field == child.name()) {
                    Some((_, column)) => column,
                    None => name.as_str(),
                };
                match E::Column::iter().find(|c| c.as_str() == name) {
                    Some(col) => read.push(col),
                    None => return Vec::new(),
                }
            }
        }
    }
    E::Column::iter().filter(|col| col.def().is_null() && !read.iter().any(|r| r.as_str() == col.as_str())).collect()
}

fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The complexity of a list field: its page size times the cost of one row.
pub fn page_complexity(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let rows = first.or(last).map_or(DEFAULT_PAGE_SIZE, |n| usize::try_from(n).unwrap_or(0)).max(1);
    rows.saturating_mul(child_complexity).saturating_add(1)
}

/// A requested page size, refused (never truncated) above `max`.
pub fn page_size(field: &str, n: i32, max: usize) -> AppResult<usize> {
    match usize::try_from(n) {
        Err(_) => Err(AppError::bad_input(field, "must not be negative")),
        Ok(n) if n > max => Err(AppError::bad_input(field, format!("must be at most {max}"))),
        Ok(n) => Ok(n),
    }
}

/// Records the change of `row` in `txn` (the write's transaction, see [`events::outbox`]),
/// commits it and publishes the change ([`published`]).
pub async fn commit<E: Table>(
    ctx: &Context<'_>,
    txn: DatabaseTransaction,
    kind: ChangeKind,
    row: &E::Model,
) -> AppResult<()> {
    let changes = events::outbox::record(&txn, events::changes::<E>(kind, [row])).await?;
    txn.commit().await?;
    published(state(ctx)?, changes);
    Ok(())
}

/// Publishes committed changes to live subscribers. The agency directory takes note first, so
/// a relationship accepted here counts from this request's response on.
fn published(state: &AppState, changes: Vec<events::Change>) {
    for change in &changes {
        state.agencies.observe(change);
    }
    events::outbox::deliver(state.events.as_ref(), changes);
}

/// Creates a row from a create input: checked, owned, its references checked, its sealed
/// columns sealed, then inserted.
#[tracing::instrument(skip_all, fields(table = E::LABEL))]
pub async fn create<E, I>(ctx: &Context<'_>, mut input: I) -> AppResult<E::Model>
where
    E: Table,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelBehavior + Send,
    I: Creates<E>,
{
    input.validate()?;
    let owner = policy::owner_for_create::<E>(viewer(ctx)?, input.owner(), I::OWNER_FIELD)?;
    check_references(ctx, owner, |r| input.references(r)).await?;
    for value in input.sealed() {
        *value = state(ctx)?.cipher.seal(value)?;
    }
    insert::<E>(ctx, input.into_row(owner)?).await
}

/// Inserts a row the policy allows the viewer to create.
pub async fn insert<E>(ctx: &Context<'_>, row: E::ActiveModel) -> AppResult<E::Model>
where
    E: Table,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelBehavior + Send,
{
    policy::condition::<E>(viewer(ctx)?, Op::Create, db(ctx)?.get_database_backend())?;
    // The insert returns the stored row (`RETURNING`), defaults and BEFORE triggers applied.
    if in_one_statement::<E>(ctx, ChangeKind::Created)? {
        let mut insert = E::insert(row).into_query();
        insert.returning_all();
        return written_in_one::<E>(ctx, ChangeKind::Created, DbBackend::Postgres.build(&insert), None).await;
    }
    let txn = crate::db::write_txn(db(ctx)?).await?;
    let model = row.insert(&txn).await?;
    audit_write::<E>(ctx, &txn, ChangeKind::Created, None, Some(&model)).await?;
    commit::<E>(ctx, txn, ChangeKind::Created, &model).await?;
    Ok(model)
}

/// Whether the viewer's `kind` write of `E` goes out as one guarded statement with its event
/// ([`events::writes`]): on PostgreSQL, when nothing about it is audited.
fn in_one_statement<E: Table>(ctx: &Context<'_>, kind: ChangeKind) -> AppResult<bool> {
    Ok(events::outbox::writes_in_one_statement(db(ctx)?)
        && audited_action::<E>(kind).is_none()
        && !viewer(ctx)?.is_admin())
}

/// The one row `write` wrote, with its event (see [`in_one_statement`]); `NOT_FOUND` when the
/// viewer may not write it or it does not exist.
async fn written_in_one<E: Table>(
    ctx: &Context<'_>,
    kind: ChangeKind,
    write: sea_orm::Statement,
    key: Option<Uuid>,
) -> AppResult<E::Model> {
    let state = state(ctx)?;
    // One statement in a transaction of its own, combined with others that wait (see
    // [`events::writes`]).
    let write = events::writes::Write::of::<E>(kind, write, key, viewer(ctx)?.user_id().ok());
    let written = events::writes::write_one_with_events::<E>(&state.writes, write).await?;
    let (row, change) = written.ok_or(AppError::NotFound(E::LABEL))?;
    published(state, vec![change]);
    Ok(row)
}

/// Whether an update names rows it refers to (which are checked before it is written).
fn refers_to_rows<E: Table, I: Updates<E>>(input: &I) -> bool {
    struct Count(usize);
    impl Referee for Count {
        fn reference<T: Table>(&mut self, _field: &'static str, _id: Uuid) {
            self.0 += 1;
        }
    }
    let mut count = Count(0);
    input.references(&mut count);
    count.0 > 0
}

/// The audit action of every write of `kind` on `E`, whoever makes it.
fn audited_action<E: Table>(kind: ChangeKind) -> Option<&'static str> {
    match (E::default().table_name(), kind) {
        ("creator_profiles", ChangeKind::Created) => Some("profile.create"),
        ("creator_profiles", ChangeKind::Updated) => Some("profile.update"),
        ("creator_profiles", ChangeKind::Deleted) => Some("profile.delete"),
        ("subscription_billing", ChangeKind::Created) => Some("subscription.create"),
        ("subscription_billing", ChangeKind::Updated) => Some("subscription.update"),
        ("subscription_billing", ChangeKind::Deleted) => Some("subscription.delete"),
        _ => None,
    }
}

/// Records a write in the audit log, on `txn` (the write's transaction), when it is audited: a
/// write on an audited table, or an admin's write on another user's row.
async fn audit_write<E: Table>(
    ctx: &Context<'_>,
    txn: &impl ConnectionTrait,
    kind: ChangeKind,
    before: Option<&E::Model>,
    after: Option<&E::Model>,
) -> AppResult<()> {
    let Some(row) = after.or(before) else { return Ok(()) };
    let owner = E::owner_column().and_then(|col| <Uuid as sea_orm::sea_query::ValueType>::try_from(row.get(col)).ok());
    let viewer = viewer(ctx)?;
    let action = match audited_action::<E>(kind) {
        Some(action) => action,
        None if viewer.is_admin() && owner != viewer.user_id().ok() => "admin.write",
        None => return Ok(()),
    };
    let json = |m: Option<&E::Model>| m.and_then(|m| serde_json::to_value(m).ok());
    let entry =
        audit::Entry::new(action, owner).change(E::default().table_name(), E::id_of(row), json(before), json(after));
    audit::record_for(ctx, txn, entry).await
}

/// Changes a row with an update input: checked, its references checked against the row's
/// owner, its sealed columns sealed, then written in one transaction.
#[tracing::instrument(skip_all, fields(table = E::LABEL))]
pub async fn update<E, I>(ctx: &Context<'_>, id: Uuid, mut input: I) -> AppResult<E::Model>
where
    E: Table,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelBehavior + Send,
    I: Updates<E>,
{
    input.validate()?;
    for value in input.sealed() {
        *value = state(ctx)?.cipher.seal(value)?;
    }
    if in_one_statement::<E>(ctx, ChangeKind::Updated)? && !refers_to_rows(&input) {
        let mut active = <E::ActiveModel as ActiveModelTrait>::default();
        input.apply(&mut active);
        if !active.is_changed() {
            let select = policy::scope_one::<E>(viewer(ctx)?, Op::Update, id, DbBackend::Postgres)?;
            return select.one(db(ctx)?).await?.ok_or(AppError::NotFound(E::LABEL));
        }
        let mut update = E::update_many().set(active).filter(E::id_column().eq(id));
        if let Some(condition) = policy::condition::<E>(viewer(ctx)?, Op::Update, DbBackend::Postgres)? {
            update = update.filter(condition);
        }
        let mut update = update.into_query();
        update.returning_all();
        return written_in_one::<E>(ctx, ChangeKind::Updated, DbBackend::Postgres.build(&update), Some(id)).await;
    }
    modify::<E, _, _>(ctx, id, async |row| {
        let owner =
            E::owner_column().and_then(|col| <Uuid as sea_orm::sea_query::ValueType>::try_from(row.get(col)).ok());
        check_references(ctx, owner, |r| input.references(r)).await?;
        Ok(move |active: &mut E::ActiveModel| input.apply(active))
    })
    .await
}

/// Changes a row the viewer may update, in one transaction: `prepare` sees the row as stored
/// (to check what the change refers to) and returns the change. The row is read once and
/// written back with `RETURNING`.
pub async fn modify<E, P, F>(ctx: &Context<'_>, id: Uuid, prepare: P) -> AppResult<E::Model>
where
    E: Table,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelBehavior + Send,
    P: AsyncFnOnce(&E::Model) -> AppResult<F>,
    F: FnOnce(&mut E::ActiveModel),
{
    let select = policy::scope_one::<E>(viewer(ctx)?, Op::Update, id, db(ctx)?.get_database_backend())?;
    let txn = crate::db::write_txn(db(ctx)?).await?;
    let row = select.one(&txn).await?.ok_or(AppError::NotFound(E::LABEL))?;
    let change = prepare(&row).await?;
    let mut active = row.clone().into_active_model();
    change(&mut active);
    if !active.is_changed() {
        txn.commit().await?;
        return Ok(row);
    }
    let model = active.update(&txn).await?;
    audit_write::<E>(ctx, &txn, ChangeKind::Updated, Some(&row), Some(&model)).await?;
    commit::<E>(ctx, txn, ChangeKind::Updated, &model).await?;
    Ok(model)
}

/// Deletes a row the viewer may delete; `NOT_FOUND` otherwise.
pub async fn delete<E: Table>(ctx: &Context<'_>, id: Uuid) -> AppResult<Uuid> {
    if in_one_statement::<E>(ctx, ChangeKind::Deleted)? {
        let mut delete = E::delete_many().filter(E::id_column().eq(id));
        if let Some(condition) = policy::condition::<E>(viewer(ctx)?, Op::Delete, DbBackend::Postgres)? {
            delete = delete.filter(condition);
        }
        let mut delete = delete.into_query();
        delete.returning_all();
        written_in_one::<E>(ctx, ChangeKind::Deleted, DbBackend::Postgres.build(&delete), Some(id)).await?;
        return Ok(id);
    }
    let select = policy::scope_one::<E>(viewer(ctx)?, Op::Delete, id, db(ctx)?.get_database_backend())?;
    let txn = crate::db::write_txn(db(ctx)?).await?;
    let row = select.one(&txn).await?.ok_or(AppError::NotFound(E::LABEL))?;
    E::delete_many().filter(E::id_column().eq(id)).exec(&txn).await?;
    audit_write::<E>(ctx, &txn, ChangeKind::Deleted, Some(&row), None).await?;
    commit::<E>(ctx, txn, ChangeKind::Deleted, &row).await?;
    Ok(id)
}

/// The rows a write refers to, as selects the viewer may read and that belong to the owner.
struct References<'a> {
    viewer: &'a Viewer,
    owner: Option<Uuid>,
    backend: DbBackend,
    checks: Vec<(&'static str, SelectStatement)>,
    refused: Option<AppError>,
}

impl Referee for References<'_> {
    fn reference<T: Table>(&mut self, _field: &'static str, id: Uuid) {
        let select = match self.owner {
            Some(owner) => policy::reference::<T>(self.viewer, id, owner, self.backend),
            None => policy::scope_one::<T>(self.viewer, Op::Read, id, self.backend),
        };
        match select {
            Ok(select) => self.checks.push((T::LABEL, select.select_only().expr(Expr::val(1)).into_query())),
            Err(err) => self.refused = self.refused.take().or(Some(err)),
        }
    }
}

/// Checks that every row a write refers to exists, may be read by the viewer and belongs to
/// `owner` (the written row's user); otherwise `NOT_FOUND`, as if it did not exist.
async fn check_references(
    ctx: &Context<'_>,
    owner: Option<Uuid>,
    visit: impl FnOnce(&mut References<'_>),
) -> AppResult<()> {
    let db = db(ctx)?;
    let mut refs = References {
        viewer: viewer(ctx)?,
        owner,
        backend: db.get_database_backend(),
        checks: Vec::new(),
        refused: None,
    };
    visit(&mut refs);
    if let Some(err) = refs.refused {
        return Err(err);
    }
    for (label, query) in refs.checks {
        if db.query_one(&query).await?.is_none() {
            return Err(AppError::NotFound(label));
        }
    }
    Ok(())
}

/// An agency's client must be another existing user.
pub async fn ensure_client(ctx: &Context<'_>, client: Uuid, agency: Uuid) -> AppResult<()> {
    if client == agency {
        return Err(AppError::bad_input("clientUserId", "an agency cannot be its own client"));
    }
    match policy::user_exists(db(ctx)?, client).await? {
        true => Ok(()),
        false => Err(AppError::NotFound("user")),
    }
}
