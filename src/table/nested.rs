//! Relations fetched with their parents. When the rows of a page select one list of children
//! through a registered relation (a trend's drafts), PostgreSQL sends the page and each row's
//! first children in one statement: the page as a subquery, each of its rows joined
//! `LEFT JOIN LATERAL` to its own children, ordered and cut per row. The children's resolvers
//! then find their pages ready (see [`loaders::children`]). Otherwise (SQLite, two relations
//! selected, a count asked) the children load apart, one statement per relation level.
use std::borrow::Cow;
use std::marker::PhantomData;

use async_graphql::{Context, Lookahead, OutputType, SelectionField};
use entity::table::Table;
use sea_orm::sea_query::{Alias, Asterisk, JoinType, NullOrdering, Query, SelectStatement};
use sea_orm::{Condition, ConnectionTrait, DbBackend, IdenStatic, Iterable, Order, QueryResult};
use uuid::Uuid;

use super::Reads;
use super::loaders::{self, ChildArgs};
use crate::error::AppResult;

/// The relations whose children a page fetches with its rows, by the parent's GraphQL type
/// and the field's name: schema data.
#[derive(Default)]
pub struct Relations {
    relations: Vec<(Cow<'static, str>, &'static str, Box<dyn Relation>)>,
}

impl Relations {
    /// Registers the field `field` of `P`, which lists the `E` rows (shown as `W`) whose
    /// `foreign_key` is the parent's id: its resolver calls [`loaders::children`] with that key.
    pub fn children<P, E, W>(mut self, field: &'static str, foreign_key: E::Column) -> Self
    where
        P: OutputType,
        E: Table,
        W: Reads + 'static,
    {
        let relation = ChildrenOf::<E, W> { foreign_key, _shown: PhantomData };
        self.relations.push((P::type_name(), field, Box::new(relation)));
        self
    }

    fn get(&self, parent: &str, field: &str) -> Option<&dyn Relation> {
        self.relations.iter().find(|(p, f, _)| p == parent && *f == field).map(|(_, _, r)| r.as_ref())
    }
}

/// A registered relation: what its children need to come with their parents.
trait Relation: Send + Sync {
    /// The children `field` (a selection of the relation under a page's rows) asks for, ready
    /// to be fetched along; `None` when they load apart.
    fn along(&self, ctx: &Context<'_>, field: SelectionField<'_>) -> Option<Box<dyn Along>>;
}

struct ChildrenOf<E: Table, W> {
    foreign_key: E::Column,
    _shown: PhantomData<fn() -> W>,
}

impl<E: Table, W: Reads> Relation for ChildrenOf<E, W> {
    fn along(&self, ctx: &Context<'_>, field: SelectionField<'_>) -> Option<Box<dyn Along>> {
        // Arguments that do not parse, or a spec refused, are reported by the field's resolver.
        let arguments = field.arguments().ok()?;
        let args = ChildArgs::<E>::parse(&arguments)?;
        let spec = loaders::spec::<E, W>(ctx, self.foreign_key, args, &Lookahead::from(field), &arguments).ok()?;
        Some(Box::new(loaders::Along::new(spec)?))
    }
}

/// Children being fetched with their parents' page.
pub(super) trait Along: Send {
    /// The children of the parent whose id is `parent` (a column of the outer query): a
    /// subquery to join `LATERAL`.
    fn lateral(&self, parent: (Alias, Alias)) -> SelectStatement;
    /// Orders the outer query's rows by the children's keys, the children being `child`.
    fn order(&self, outer: &mut SelectStatement, child: &Alias);
    /// Takes the child in `row` from its `first`th column on (none when they are all null).
    fn take(&mut self, parent: Uuid, row: &QueryResult, first: usize) -> Result<(), sea_orm::DbErr>;
    /// Keeps the children for their parents' resolvers.
    fn keep(self: Box<Self>, ctx: &Context<'_>) -> AppResult<()>;
}

/// The children a page of `W` rows (`page`, the page's selection) fetches with them: those of
/// the one registered relation its rows select, on PostgreSQL.
pub(super) fn along<W: OutputType>(ctx: &Context<'_>, page: &Lookahead<'_>) -> Option<Box<dyn Along>> {
    if super::reads(ctx).ok()?.get_database_backend() != DbBackend::Postgres {
        return None;
    }
    let relations = ctx.data_opt::<Relations>()?;
    // The operation keeps what it fetched ahead; without a place for it, nothing is.
    ctx.data_opt::<loaders::Fetched>()?;
    let mut nodes = page.field("edges").field("node").selection_fields();
    nodes.extend(page.field("nodes").selection_fields());
    let [node] = nodes.as_slice() else { return None };
    let parent = W::type_name();
    let mut found = None;
    for field in node.selection_set() {
        if let Some(relation) = relations.get(&parent, field.name()) {
            if found.is_some() {
                return None; // Two lists of children would multiply each other's rows.
            }
            found = Some((relation, field));
        }
    }
    let (relation, field) = found?;
    relation.along(ctx, field)
}

/// The rows of `page` (a select of `E` with its order, `order`, and its limit; without the
/// `skipped` columns, as for [`super::decoded`]) and their children (`along`), in one
/// statement: the rows, decoded; the children of the first `shown` rows (the page without the
/// row that tells there are more) are kept for their resolvers.
pub(super) async fn page_with<E: Table>(
    ctx: &Context<'_>,
    db: &impl ConnectionTrait,
    page: SelectStatement,
    order: &[(E::Column, Order, NullOrdering)],
    skipped: u64,
    shown: usize,
    mut along: Box<dyn Along>,
) -> AppResult<Vec<E::Model>> {
    let (parent, child) = (Alias::new("parent"), Alias::new("child"));
    let mut outer = Query::select();
    outer.column((parent.clone(), Asterisk)).column((child.clone(), Asterisk));
    outer.from_subquery(page, parent.clone());
    let lateral = along.lateral((parent.clone(), Alias::new(E::id_column().as_str())));
    outer.join_lateral(JoinType::LeftJoin, lateral, child.clone(), Condition::all());
    for (col, ord, nulls) in order {
        outer.order_by_with_nulls((parent.clone(), *col), ord.clone(), *nulls);
    }
    along.order(&mut outer, &child);
    let rows = db.query_all_raw(DbBackend::Postgres.build(&outer)).await?;
    // The parent's columns come first, then the child's.
    let width = E::Column::iter().count() - skipped.count_ones() as usize;
    let id_at = loaders::id_position::<E>(skipped);
    let mut parents: Vec<E::Model> = Vec::new();
    for row in &rows {
        let id: Uuid = row.try_get_by_index(id_at)?;
        // A parent's rows follow one another (the order ends with its id).
        if parents.last().map(E::id_of) != Some(id) {
            parents.push(E::decode(row, 0, skipped)?);
        }
        if parents.len() <= shown {
            along.take(id, row, width)?;
        }
    }
    along.keep(ctx)?;
    Ok(parents)
}
