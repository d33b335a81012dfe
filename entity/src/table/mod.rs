//! What every table shares, whatever it stores: its metadata ([`Table`]), the inputs that write
//! it ([`Creates`], [`Updates`]), its list filter and order, and the checks that mirror its
//! CHECK constraints. `#[derive(Table)]` on a model writes the per-table part; this module is
//! the vocabulary it writes in. Who may touch which row is not decided here but by the server's
//! policy, which reads the metadata.
pub mod check;
mod filter;

use async_graphql::{InputType, MaybeUndefined};
use sea_orm::{ActiveValue, Condition, DbBackend, EntityTrait};
use uuid::Uuid;

pub use filter::{BooleanFilter, ColumnFilter, EqFilter, Filterable, JsonFilter, OrderedFilter, StringFilter, like};

/// A value a client sent that a column cannot take: `field` names it as the client wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// A table of the API: its names, its key columns, its filter and order inputs.
pub trait Table: EntityTrait<Model: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned> {
    /// The singular name used in messages, e.g. `content draft`.
    const LABEL: &'static str;
    /// The list filter.
    type Filter: TableFilter + RowFilter<Self::Model> + InputType;
    /// One key of the list order.
    type Order: TableOrder<Self> + InputType;
    /// The primary key column.
    fn id_column() -> Self::Column;
    /// The column naming the owning user (`user_id`; `agency_user_id` for agencies); `None` for
    /// tables no user owns.
    fn owner_column() -> Option<Self::Column>;
    /// The column naming a second user who may read (the agency's client).
    fn client_column() -> Option<Self::Column>;
    /// The primary key of a row.
    fn id_of(model: &Self::Model) -> Uuid;
    /// A row whose columns were selected by position from the `first`th on, in declaration
    /// order, leaving out each nullable column whose bit (its position among all columns) is
    /// set in `skipped`: those come back `None`. Reading by position spares the lookup of every
    /// column by name, and a column left out is neither sent nor decoded.
    fn decode(row: &sea_orm::QueryResult, first: usize, skipped: u64) -> Result<Self::Model, sea_orm::DbErr>;
}

/// Told each row a write refers to, so that it can be checked before the write.
pub trait Referee {
    fn reference<T: Table>(&mut self, field: &'static str, id: Uuid);
}

/// A create input of table `E`.
pub trait Creates<E: EntityTrait>: Sized {
    /// The GraphQL name of the owner field (empty when the table has none).
    const OWNER_FIELD: &'static str;
    /// The owner the caller named, if any.
    fn owner(&self) -> Option<Uuid>;
    /// The checks of the table's CHECK constraints.
    fn validate(&self) -> Result<(), Invalid>;
    /// The rows the input refers to.
    fn references<R: Referee>(&self, r: &mut R);
    /// The values of the columns stored sealed, to be sealed before the row is built.
    fn sealed(&mut self) -> Vec<&mut String>;
    /// The row to insert, for `owner`.
    fn into_row(self, owner: Option<Uuid>) -> Result<E::ActiveModel, Invalid>;
}

/// An update input of table `E`.
pub trait Updates<E: EntityTrait>: Sized {
    /// The checks of the table's CHECK constraints, on the fields given.
    fn validate(&self) -> Result<(), Invalid>;
    /// The rows the input refers to.
    fn references<R: Referee>(&self, r: &mut R);
    /// The values of the columns stored sealed, to be sealed before they are written.
    fn sealed(&mut self) -> Vec<&mut String>;
    /// Writes the given fields into the row.
    fn apply(self, row: &mut E::ActiveModel);
}

/// Sort direction.
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq, Default, Debug)]
pub enum OrderDirection {
    #[default]
    Asc,
    Desc,
}

/// A table's order input: one column and a direction.
pub trait TableOrder<E: EntityTrait> {
    fn key(&self) -> (E::Column, OrderDirection);
}

/// A table's filter input.
pub trait TableFilter {
    fn condition(&self, backend: DbBackend) -> Result<Condition, Invalid>;
}

/// A table filter applied to a row in memory (live events), with the meaning of its SQL.
pub trait RowFilter<M> {
    fn matches(&self, row: &M) -> bool;
}

/// A table filter's own conditions combined with its `and`, `or` and `not` parts.
pub fn combine<F: TableFilter>(
    mut all: Condition,
    and: &Option<Vec<F>>,
    or: &Option<Vec<F>>,
    not: &Option<Box<F>>,
    backend: DbBackend,
) -> Result<Condition, Invalid> {
    if let Some(filters) = and {
        for f in filters {
            all = all.add(f.condition(backend)?);
        }
    }
    if let Some(filters) = or {
        let mut any = Condition::any();
        for f in filters {
            any = any.add(f.condition(backend)?);
        }
        all = all.add(any);
    }
    if let Some(f) = not {
        all = all.add(f.condition(backend)?.not());
    }
    Ok(all)
}

/// Sets a NOT NULL column when the patch names it.
pub fn set<T: Into<sea_orm::Value>>(slot: &mut ActiveValue<T>, value: Option<T>) {
    if let Some(value) = value {
        *slot = ActiveValue::Set(value);
    }
}

/// Sets or clears a nullable column when the patch names it.
pub fn patch<T>(slot: &mut ActiveValue<Option<T>>, value: MaybeUndefined<T>)
where
    Option<T>: Into<sea_orm::Value>,
{
    match value {
        MaybeUndefined::Value(v) => *slot = ActiveValue::Set(Some(v)),
        MaybeUndefined::Null => *slot = ActiveValue::Set(None),
        MaybeUndefined::Undefined => {}
    }
}
