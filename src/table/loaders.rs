//! Per-request dataloaders: every relational lookup of a query is batched, so the number of SQL
//! statements depends on the query's shape, not on how many rows it returns. Loaders read
//! through the policy as the request's viewer, so a relation never reaches a row the viewer may
//! not read.
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

use async_graphql::Context;
use async_graphql::connection::{Connection, Edge};
use dataloader::BatchFn;
use dataloader::non_cached::Loader;
use sea_orm::sea_query::{
    Alias, Asterisk, Expr, ExprTrait as _, Func, JoinType, NullOrdering, Query, SelectStatement, WindowStatement,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait as _, DbBackend, EntityTrait, IdenStatic, ModelTrait, Order, QueryFilter,
    QuerySelect, QueryTrait as _, Value,
};
use uuid::Uuid;

use entity::table::{Table, TableFilter, TableOrder};

use super::cursor;
use super::{ConnectionTotals, OrderDirection, Page};
use crate::auth::Viewer;
use crate::auth::policy::{self, Op};
use crate::db::Reader;
use crate::error::{AppError, AppResult};

/// The most parents one batch loads for.
const MAX_BATCH: usize = 500;
/// How often a load yields before its batch is sent. The sibling fields of one list reach
/// their loads in the same poll of the request, so one yield gathers them all; every further
/// yield re-polls the whole request (the crate's default is ten).
const YIELDS: usize = 1;
/// The default page of a nested connection.
const NESTED_DEFAULT: usize = 20;

/// A loader failure, shared by every key of the batch.
#[derive(Clone, Debug)]
pub struct LoadFailed;

impl From<LoadFailed> for AppError {
    fn from(_: LoadFailed) -> Self {
        AppError::Internal
    }
}

/// The loaders of one request, created on first use and keyed by their type (a loader of
/// children also by the relation and the arguments its parents share).
pub struct Loaders {
    db: Reader,
    viewer: Viewer,
    loaders: Mutex<HashMap<(TypeId, String), Arc<dyn Any + Send + Sync>>>,
}

/// Children fetched with their parents' page ([`super::nested`]), by the key their loader would
/// have: each parent's page, taken by that parent's resolver. One operation's own (request
/// data, never a socket's), so nothing fetched outlives the operation that fetched it.
#[derive(Default)]
pub struct Fetched(Mutex<HashMap<(TypeId, String), Box<dyn Any + Send>>>);

impl Fetched {
    /// Keeps children fetched with their parents for the parents' resolvers.
    fn keep<M: Send + 'static>(&self, key: String, pages: HashMap<Uuid, ChildPage<M>>) -> AppResult<()> {
        let mut fetched = self.0.lock().map_err(|_| AppError::Internal)?;
        fetched.insert((TypeId::of::<M>(), key), Box::new(pages));
        Ok(())
    }

    /// `parent`'s page of children kept under `key`, if it was fetched with its parent.
    fn take<M: Send + 'static>(&self, key: &str, parent: Uuid) -> AppResult<Option<ChildPage<M>>> {
        let mut fetched = self.0.lock().map_err(|_| AppError::Internal)?;
        // Looked up without building a key when nothing was fetched ahead (most relations).
        if fetched.is_empty() {
            return Ok(None);
        }
        let pages = fetched.get_mut(&(TypeId::of::<M>(), key.to_owned()));
        Ok(pages.and_then(|p| p.downcast_mut::<HashMap<Uuid, ChildPage<M>>>()).and_then(|p| p.remove(&parent)))
    }
}

impl Loaders {
    pub fn new(db: Reader, viewer: Viewer) -> Self {
        Self { db, viewer, loaders: Mutex::new(HashMap::new()) }
    }

    fn get_or_insert<L: Any + Send + Sync>(&self, key: String, make: impl FnOnce() -> L) -> AppResult<Arc<L>> {
        let mut loaders = self.loaders.lock().map_err(|_| AppError::Internal)?;
        let entry = loaders.entry((TypeId::of::<L>(), key)).or_insert_with(|| Arc::new(make()));
        entry.clone().downcast::<L>().map_err(|_| AppError::Internal)
    }
}

/// `columns`' names, comma-separated: the part of a loader's key that tells its selection.
fn names<C: IdenStatic>(columns: &[C]) -> String {
    columns.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(",")
}

fn loaders<'a>(ctx: &'a Context<'_>) -> AppResult<&'a Loaders> {
    ctx.data::<Loaders>().map_err(|_| AppError::Internal)
}

/// Rows of `E` by id, as the viewer may read them.
pub struct ById<E: EntityTrait> {
    db: Reader,
    viewer: Viewer,
    /// Columns the selection does not read: not fetched.
    unread: Vec<E::Column>,
    _entity: PhantomData<fn() -> E>,
}

type ByIdLoader<E> = Loader<Uuid, Result<Option<<E as EntityTrait>::Model>, LoadFailed>, ById<E>>;

impl<E> BatchFn<Uuid, Result<Option<E::Model>, LoadFailed>> for ById<E>
where
    E: Table,
    E::Model: Clone,
{
    async fn load(&mut self, keys: &[Uuid]) -> HashMap<Uuid, Result<Option<E::Model>, LoadFailed>> {
        let backend = self.db.get_database_backend();
        let rows = match policy::scope::<E>(&self.viewer, Op::Read, backend) {
            Ok(select) => {
                let select = select.filter(E::id_column().is_in(keys.to_vec()));
                let (select, skipped) = super::without_columns(select, &self.unread);
                super::decoded::<E>(&self.db, select.build(backend), skipped).await.map_err(|err| {
                    tracing::error!(error = %err, "batch load failed");
                    LoadFailed
                })
            }
            // The viewer may not read this table at all: nothing is visible.
            Err(_) => Ok(Vec::new()),
        };
        match rows {
            Ok(rows) => {
                crate::telemetry::rows_read(rows.len());
                let mut found: HashMap<Uuid, Result<Option<E::Model>, LoadFailed>> =
                    keys.iter().map(|k| (*k, Ok(None))).collect();
                for row in rows {
                    found.insert(E::id_of(&row), Ok(Some(row)));
                }
                found
            }
            Err(failed) => keys.iter().map(|k| (*k, Err(failed.clone()))).collect(),
        }
    }
}

/// The loader of rows of `E` by id for the current field's selection: fields that select
/// alike share it (and its statement), and the columns none of them reads are not fetched.
fn by_id_loader<E, W>(ctx: &Context<'_>) -> AppResult<Arc<ByIdLoader<E>>>
where
    E: Table,
    E::Model: Clone + Send + Sync,
    W: super::Reads,
{
    let loaders = loaders(ctx)?;
    let unread = super::unread_by_field::<E, W>(ctx);
    loaders.get_or_insert(names(&unread), || {
        Loader::new(ById::<E> { db: loaders.db.clone(), viewer: loaders.viewer.clone(), unread, _entity: PhantomData })
            .with_max_batch_size(MAX_BATCH)
            .with_yield_count(YIELDS)
    })
}

/// One row of `E` by id, batched; `None` when absent or not readable.
pub async fn one<E, W>(ctx: &Context<'_>, id: Option<Uuid>) -> async_graphql::Result<Option<W>>
where
    E: Table,
    E::Model: Clone + Send + Sync,
    W: From<E::Model> + super::Reads,
{
    let Some(id) = id else { return Ok(None) };
    let loader = by_id_loader::<E, W>(ctx)?;
    // Boxed: every field future of the parent's type is as large as its largest field.
    let row = Box::pin(loader.try_load(id)).await.map_err(|_| AppError::Internal)?.map_err(AppError::from)?;
    Ok(row.map(W::from))
}

/// Several rows of `E` by id, batched, in the given order; unreadable ids are left out.
pub async fn many<E, W>(ctx: &Context<'_>, ids: Vec<Uuid>) -> async_graphql::Result<Vec<W>>
where
    E: Table,
    E::Model: Clone + Send + Sync,
    W: From<E::Model> + super::Reads,
{
    let loader = by_id_loader::<E, W>(ctx)?;
    let mut found = Box::pin(loader.try_load_many(ids.clone())).await.map_err(|_| AppError::Internal)?;
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(result) = found.remove(&id)
            && let Some(row) = result.map_err(AppError::from)?
        {
            rows.push(W::from(row));
        }
    }
    Ok(rows)
}

/// The children of many parents through one foreign key, filtered and ordered alike.
pub struct Children<E: EntityTrait> {
    db: Reader,
    viewer: Viewer,
    foreign_key: E::Column,
    condition: Condition,
    /// The rows between the cursors (not applied to the totals).
    bounds: Option<Condition>,
    keys: Vec<(E::Column, OrderDirection)>,
    /// Columns the selection does not read: not fetched.
    unread: Vec<E::Column>,
    limit: usize,
    count: bool,
}

/// A parent's first children, whether more exist, and (when asked) how many match in all.
#[derive(Clone)]
pub struct ChildPage<M> {
    rows: Vec<M>,
    more: bool,
    total: Option<u64>,
}

type ChildrenLoader<E> = Loader<Uuid, Result<ChildPage<<E as EntityTrait>::Model>, LoadFailed>, Children<E>>;

impl<E> Children<E>
where
    E: Table,
    E::Model: Clone,
{
    /// The rows the viewer may read that match; `None` when the viewer may not read `E` at all.
    fn matching(&self) -> Option<sea_orm::Select<E>> {
        let scoped = policy::scope::<E>(&self.viewer, Op::Read, self.db.get_database_backend()).ok()?;
        Some(scoped.filter(self.condition.clone()))
    }

    /// The `matching` rows between the cursors, without the unread columns, and those
    /// columns' bits.
    fn bounded(&self, matching: sea_orm::Select<E>) -> (sea_orm::Select<E>, u64) {
        let select = match &self.bounds {
            Some(bounds) => matching.filter(bounds.clone()),
            None => matching,
        };
        super::without_columns(select, &self.unread)
    }

    /// How many children are read per parent: the page and one more, which tells whether there
    /// are more.
    fn fetch_limit(&self) -> u64 {
        u64::try_from(self.limit).unwrap_or(u64::MAX - 1) + 1
    }

    /// Adds `row`, a child of `parent`, to its page (or notes that the page has more).
    fn push(&self, pages: &mut HashMap<Uuid, ChildPage<E::Model>>, parent: Uuid, row: Option<E::Model>) {
        let page = pages.entry(parent).or_insert_with(|| ChildPage { rows: Vec::new(), more: false, total: None });
        match row {
            Some(row) if page.rows.len() < self.limit => page.rows.push(row),
            Some(_) => page.more = true,
            None => {}
        }
    }

    async fn fetch(&self, parents: &[Uuid]) -> Result<HashMap<Uuid, ChildPage<E::Model>>, sea_orm::DbErr> {
        if parents.is_empty() {
            return Ok(HashMap::new());
        }
        let Some(matching) = self.matching() else {
            return Ok(HashMap::new());
        };
        let among = self.foreign_key.is_in(parents.to_vec());
        let mut totals: HashMap<Uuid, u64> = HashMap::new();
        if self.count {
            // The totals are not bounded by the cursors.
            let counted: Vec<(Option<Uuid>, i64)> = matching
                .clone()
                .filter(among.clone())
                .select_only()
                .column(self.foreign_key)
                .column_as(Expr::expr(Func::count(Expr::col(self.foreign_key))), "total")
                .group_by(self.foreign_key)
                .into_tuple()
                .all(&self.db)
                .await?;
            totals = counted.into_iter().filter_map(|(k, n)| Some((k?, n as u64))).collect();
        }
        let (select, skipped) = self.bounded(matching);
        // Each parent's first `limit + 1` children, cut per parent inside the database: the
        // page size bounds the rows read, however many children a parent has.
        let limit = self.fetch_limit();
        let statement = match self.db.get_database_backend() {
            DbBackend::Postgres => self.lateral(select, parents, limit),
            backend => backend.build(&self.numbered(select.filter(among), limit)),
        };
        let mut pages: HashMap<Uuid, ChildPage<E::Model>> = HashMap::new();
        let rows = super::decoded::<E>(&self.db, statement, skipped).await?;
        crate::telemetry::rows_read(rows.len());
        for row in rows {
            let Value::Uuid(Some(parent)) = row.get(self.foreign_key) else { continue };
            self.push(&mut pages, parent, Some(row));
        }
        for parent in parents {
            self.push(&mut pages, *parent, None);
            if self.count
                && let Some(page) = pages.get_mut(parent)
            {
                page.total = Some(totals.get(parent).copied().unwrap_or(0));
            }
        }
        Ok(pages)
    }

    /// The first `limit` rows of `select` whose foreign key is `parent` (a column of an outer
    /// query), in order: a subquery to join `LATERAL`.
    fn of_parent(&self, select: sea_orm::Select<E>, parent: (Alias, Alias), limit: u64) -> SelectStatement {
        let mut children = select.filter(Expr::col(self.foreign_key).equals(parent)).into_query();
        for (col, dir) in &self.keys {
            let ord = if *dir == OrderDirection::Asc { Order::Asc } else { Order::Desc };
            children.order_by_with_nulls(*col, ord, NullOrdering::Last);
        }
        children.limit(limit);
        children
    }

    /// Orders the rows of `outer` by the children's keys, the children being `child`.
    fn order_outer(&self, outer: &mut SelectStatement, child: &Alias) {
        for (col, dir) in &self.keys {
            let ord = if *dir == OrderDirection::Asc { Order::Asc } else { Order::Desc };
            outer.order_by_with_nulls((child.clone(), *col), ord, NullOrdering::Last);
        }
    }

    /// PostgreSQL: the parents as a list of values, each joined `LATERAL` to its own children,
    /// ordered and cut by a `LIMIT` one parent at a time.
    fn lateral(&self, select: sea_orm::Select<E>, parents: &[Uuid], limit: u64) -> sea_orm::Statement {
        let (list, parent) = (Alias::new("parents"), Alias::new("column1"));
        // Each parent once: a parent listed twice would have its children twice.
        let mut parents = parents.to_vec();
        parents.sort_unstable();
        parents.dedup();
        let children = self.of_parent(select, (list.clone(), parent), limit);
        let child = Alias::new("child");
        let mut outer = Query::select();
        outer.column((child.clone(), Asterisk));
        outer.from_values(parents, list);
        outer.order_by((child.clone(), self.foreign_key), Order::Asc);
        self.order_outer(&mut outer, &child);
        outer.join_lateral(JoinType::InnerJoin, children, child, Condition::all());
        DbBackend::Postgres.build(&outer)
    }

    /// Elsewhere: the children numbered per parent by a window function, the first `limit` kept.
    fn numbered(&self, select: sea_orm::Select<E>, limit: u64) -> sea_orm::sea_query::SelectStatement {
        let mut window = WindowStatement::partition_by(self.foreign_key);
        let mut outer = Query::select();
        outer.column(Asterisk).order_by(self.foreign_key, Order::Asc);
        for (col, dir) in &self.keys {
            let ord = if *dir == OrderDirection::Asc { Order::Asc } else { Order::Desc };
            window.order_by_with_nulls(*col, ord.clone(), NullOrdering::Last);
            outer.order_by_with_nulls(*col, ord, NullOrdering::Last);
        }
        let rank = Alias::new("nth_child");
        let mut ranked = select.into_query();
        ranked.expr_window_as(Func::cust(Alias::new("ROW_NUMBER")), window, rank.clone());
        outer.from_subquery(ranked, Alias::new("ranked")).and_where(Expr::col(rank).lte(limit));
        outer
    }
}

impl<E> BatchFn<Uuid, Result<ChildPage<E::Model>, LoadFailed>> for Children<E>
where
    E: Table,
    E::Model: Clone,
{
    async fn load(&mut self, parents: &[Uuid]) -> HashMap<Uuid, Result<ChildPage<E::Model>, LoadFailed>> {
        match self.fetch(parents).await {
            Ok(pages) => pages.into_iter().map(|(k, v)| (k, Ok(v))).collect(),
            Err(err) => {
                tracing::error!(error = %err, "batch load failed");
                parents.iter().map(|k| (*k, Err(LoadFailed))).collect()
            }
        }
    }
}

/// The arguments of a connection of children.
pub(super) struct ChildArgs<E: Table> {
    pub filter: Option<Box<E::Filter>>,
    pub order: Option<Vec<E::Order>>,
    pub first: Option<i32>,
    pub after: Option<String>,
    pub before: Option<String>,
}

impl<E: Table> ChildArgs<E> {
    /// The arguments of a selected field, as its resolver will be given them; `None` when one
    /// does not parse (the resolver then reports it).
    pub(super) fn parse(arguments: &[(async_graphql::Name, async_graphql::Value)]) -> Option<Self> {
        use async_graphql::InputType;
        fn arg<T: InputType>(arguments: &[(async_graphql::Name, async_graphql::Value)], name: &str) -> Option<T> {
            T::parse(arguments.iter().find(|(n, _)| n.as_str() == name).map(|(_, v)| v.clone())).ok()
        }
        if arguments.iter().any(|(n, _)| !["filter", "orderBy", "first", "after", "before"].contains(&n.as_str())) {
            return None;
        }
        Some(Self {
            filter: arg(arguments, "filter")?,
            order: arg(arguments, "orderBy")?,
            first: arg(arguments, "first")?,
            after: arg(arguments, "after")?,
            before: arg(arguments, "before")?,
        })
    }
}

/// What one selection of a relation asks of each parent's children: how to load them, and
/// the key under which every parent of one list shares them.
pub(super) struct ChildSpec<E: EntityTrait> {
    pub children: Children<E>,
    /// The relation, the arguments and the columns read.
    pub key: String,
    fingerprint: Arc<str>,
    has_previous: bool,
    before_given: bool,
}

/// The children through `foreign_key` that `args` ask for, with the columns `selection` (the
/// connection's own selection) reads; `arguments` are the field's, as written (they key it).
pub(super) fn spec<E, W>(
    ctx: &Context<'_>,
    foreign_key: E::Column,
    args: ChildArgs<E>,
    selection: &async_graphql::Lookahead<'_>,
    arguments: &[(async_graphql::Name, async_graphql::Value)],
) -> AppResult<ChildSpec<E>>
where
    E: Table,
    W: super::Reads,
{
    let limit = match args.first {
        None => NESTED_DEFAULT,
        Some(n) => super::page_size("first", n, super::state(ctx)?.config.max_page_size)?,
    };
    let loaders = loaders(ctx)?;
    let backend = loaders.db.get_database_backend();
    let condition = match &args.filter {
        Some(filter) => filter.condition(backend)?,
        None => Condition::all(),
    };
    let mut keys: Vec<(E::Column, OrderDirection)> =
        args.order.unwrap_or_default().iter().map(TableOrder::key).collect();
    keys.push((E::id_column(), OrderDirection::Asc));
    let fingerprint: Arc<str> = cursor::fingerprint::<E>(&keys).into();
    // Cursors bound the rows read (not the totals): after one, before another, or both.
    let mut bounds: Option<Condition> = None;
    for (token, field, forward) in [(&args.after, "after", true), (&args.before, "before", false)] {
        if let Some(token) = token.as_deref() {
            let beyond = cursor::beyond(&keys, &cursor::decode(token, &fingerprint, &keys, field)?, forward);
            bounds = Some(bounds.unwrap_or_else(Condition::all).add(beyond));
        }
    }
    let count = selection.field("totalCount").exists();
    // The parents' key is read: it groups the rows.
    let mut unread = super::unread_columns::<E, W>(selection, &keys);
    unread.retain(|col| col.as_str() != foreign_key.as_str());
    let key = format!("{}:{:?}:{}", foreign_key.as_str(), arguments, names(&unread));
    Ok(ChildSpec {
        children: Children {
            db: loaders.db.clone(),
            viewer: loaders.viewer.clone(),
            foreign_key,
            condition,
            bounds,
            keys,
            unread,
            limit,
            count,
        },
        key,
        fingerprint,
        has_previous: args.after.is_some(),
        before_given: args.before.is_some(),
    })
}

/// A parent's children through `foreign_key` as a connection: `filter`, `orderBy`, `first`,
/// `after` and `before` apply per parent; all parents of one list are loaded by one statement
/// (or came with the parents' page, see [`super::nested`]).
pub async fn children<E, W>(
    ctx: &Context<'_>,
    foreign_key: E::Column,
    parent: Uuid,
    filter: Option<Box<E::Filter>>,
    order: Option<Vec<E::Order>>,
    first: Option<i32>,
    after: Option<String>,
    before: Option<String>,
) -> async_graphql::Result<Page<W>>
where
    E: Table,
    W: From<E::Model> + async_graphql::OutputType + super::Reads,
{
    let args = ChildArgs { filter, order, first, after, before };
    let spec = spec::<E, W>(ctx, foreign_key, args, &ctx.look_ahead(), &ctx.field().arguments()?)?;
    let ChildSpec { children, key, fingerprint, has_previous, before_given } = spec;
    let keys = children.keys.clone();
    let loaders = loaders(ctx)?;
    let fetched = match ctx.data_opt::<Fetched>() {
        Some(fetched) => fetched.take::<E::Model>(&key, parent)?,
        None => None,
    };
    let page = match fetched {
        Some(page) => page,
        None => {
            // Every parent of one list asks with the same arguments and selection: they share a loader.
            let loader: Arc<ChildrenLoader<E>> = loaders
                .get_or_insert(key, || Loader::new(children).with_max_batch_size(MAX_BATCH).with_yield_count(YIELDS))?;
            Box::pin(loader.try_load(parent)).await.map_err(|_| AppError::Internal)?.map_err(AppError::from)?
        }
    };
    let mut connection = Connection::with_additional_fields(
        has_previous,
        page.more || before_given,
        ConnectionTotals { total_count: page.total },
    );
    for row in page.rows {
        let values: Vec<Value> = keys.iter().map(|(col, _)| row.get(*col)).collect();
        connection.edges.push(Edge::new(cursor::Cursor::new(fingerprint.clone(), values), W::from(row)));
    }
    Ok(connection)
}

/// Children fetched with their parents' page: the subquery of each parent's children, then
/// each row's child, kept for the parents' resolvers when done ([`super::nested`]).
pub(super) struct Along<E: Table> {
    spec: ChildSpec<E>,
    select: sea_orm::Select<E>,
    skipped: u64,
    pages: HashMap<Uuid, ChildPage<E::Model>>,
}

impl<E: Table> Along<E> {
    /// `None` when the children are loaded apart: they are counted (a statement of its own),
    /// or the viewer may not read them at all.
    pub(super) fn new(spec: ChildSpec<E>) -> Option<Self> {
        if spec.children.count {
            return None;
        }
        let (select, skipped) = spec.children.bounded(spec.children.matching()?);
        Some(Self { spec, select, skipped, pages: HashMap::new() })
    }
}

impl<E: Table> super::nested::Along for Along<E> {
    fn lateral(&self, parent: (Alias, Alias)) -> SelectStatement {
        let children = &self.spec.children;
        children.of_parent(self.select.clone(), parent, children.fetch_limit())
    }

    fn order(&self, outer: &mut SelectStatement, child: &Alias) {
        self.spec.children.order_outer(outer, child);
    }

    fn take(&mut self, parent: Uuid, row: &sea_orm::QueryResult, first: usize) -> Result<(), sea_orm::DbErr> {
        // A parent without children has its row once, the child's columns all null.
        let child = match row.try_get_by_index::<Option<Uuid>>(first + id_position::<E>(self.skipped))? {
            Some(_) => Some(E::decode(row, first, self.skipped)?),
            None => None,
        };
        self.spec.children.push(&mut self.pages, parent, child);
        Ok(())
    }

    fn keep(self: Box<Self>, ctx: &Context<'_>) -> AppResult<()> {
        let Self { spec, pages, .. } = *self;
        crate::telemetry::rows_read(pages.values().map(|p| p.rows.len()).sum());
        ctx.data::<Fetched>().map_err(|_| AppError::Internal)?.keep(spec.key, pages)
    }
}

/// Where the id is among `E`'s columns selected without the `skipped` ones (the id itself is
/// never left out: it is not nullable).
pub(super) fn id_position<E: Table>(skipped: u64) -> usize {
    use sea_orm::Iterable;
    let at = E::Column::iter().position(|c| c.as_str() == E::id_column().as_str()).unwrap_or(0);
    (0..at).filter(|i| skipped & (1 << i) == 0).count()
}
