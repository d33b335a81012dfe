//! Typed list filters: one operator input per column type, turned into SQL conditions that mean
//! the same on PostgreSQL and SQLite.
use async_graphql::InputObject;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ColumnTrait, Condition, DbBackend, Value};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// The most values an `in` or `notIn` list may hold.
const MAX_IN_VALUES: usize = 500;

fn check_list<T>(field: &str, values: &[T]) -> AppResult<()> {
    if values.len() > MAX_IN_VALUES {
        return Err(AppError::bad_input(field, format!("`in` takes at most {MAX_IN_VALUES} values")));
    }
    Ok(())
}

macro_rules! ordered_filter {
    ($(#[$doc:meta])* $name:ident, $ty:ty) => {
        $(#[$doc])*
        #[derive(InputObject, Default, Clone)]
        pub struct $name {
            /// Equal to.
            pub eq: Option<$ty>,
            /// Not equal to (rows where the column is null do not match).
            pub ne: Option<$ty>,
            /// One of.
            #[graphql(name = "in")]
            pub in_: Option<Vec<$ty>>,
            /// None of.
            pub not_in: Option<Vec<$ty>>,
            /// Is (or, with `false`, is not) null.
            pub is_null: Option<bool>,
            /// Less than.
            pub lt: Option<$ty>,
            /// Less than or equal to.
            pub lte: Option<$ty>,
            /// Greater than.
            pub gt: Option<$ty>,
            /// Greater than or equal to.
            pub gte: Option<$ty>,
        }

        impl $name {
            pub fn condition(&self, field: &str, col: impl ColumnTrait) -> AppResult<Condition> {
                let mut c = Condition::all();
                if let Some(v) = &self.eq { c = c.add(col.eq(v.clone())); }
                if let Some(v) = &self.ne { c = c.add(col.ne(v.clone())); }
                if let Some(v) = &self.in_ { check_list(field, v)?; c = c.add(col.is_in(v.clone())); }
                if let Some(v) = &self.not_in { check_list(field, v)?; c = c.add(col.is_not_in(v.clone())); }
                if let Some(v) = self.is_null { c = c.add(if v { col.is_null() } else { col.is_not_null() }); }
                if let Some(v) = &self.lt { c = c.add(col.lt(v.clone())); }
                if let Some(v) = &self.lte { c = c.add(col.lte(v.clone())); }
                if let Some(v) = &self.gt { c = c.add(col.gt(v.clone())); }
                if let Some(v) = &self.gte { c = c.add(col.gte(v.clone())); }
                Ok(c)
            }

            /// The same test on a value in memory (live events), with SQL's meaning of null.
            pub fn matches(&self, value: Value) -> bool {
                let v = <$ty as sea_orm::sea_query::ValueType>::try_from(value).ok();
                let has = |test: &dyn Fn(&$ty) -> bool| v.as_ref().is_some_and(test);
                self.is_null.is_none_or(|want| want == v.is_none())
                    && self.eq.as_ref().is_none_or(|x| has(&|v| v == x))
                    && self.ne.as_ref().is_none_or(|x| has(&|v| v != x))
                    && self.in_.as_ref().is_none_or(|xs| has(&|v| xs.contains(v)))
                    && self.not_in.as_ref().is_none_or(|xs| has(&|v| !xs.contains(v)))
                    && self.lt.as_ref().is_none_or(|x| has(&|v| v < x))
                    && self.lte.as_ref().is_none_or(|x| has(&|v| v <= x))
                    && self.gt.as_ref().is_none_or(|x| has(&|v| v > x))
                    && self.gte.as_ref().is_none_or(|x| has(&|v| v >= x))
            }
        }
    };
}

ordered_filter!(/// Conditions on an integer column.
    IntFilter, i32);
ordered_filter!(/// Conditions on a 64-bit integer column.
    BigIntFilter, i64);
ordered_filter!(/// Conditions on a decimal column.
    DecimalFilter, Decimal);
ordered_filter!(/// Conditions on a timestamp column.
    DateTimeFilter, DateTime<Utc>);
ordered_filter!(/// Conditions on a date column.
    DateFilter, NaiveDate);
ordered_filter!(/// Conditions on a time-of-day column.
    TimeFilter, NaiveTime);

/// Conditions on an id column.
#[derive(InputObject, Default, Clone)]
pub struct UuidFilter {
    /// Equal to.
    pub eq: Option<Uuid>,
    /// Not equal to.
    pub ne: Option<Uuid>,
    /// One of.
    #[graphql(name = "in")]
    pub in_: Option<Vec<Uuid>>,
    /// None of.
    pub not_in: Option<Vec<Uuid>>,
    /// Is (or, with `false`, is not) null.
    pub is_null: Option<bool>,
}

impl UuidFilter {
    pub fn condition(&self, field: &str, col: impl ColumnTrait) -> AppResult<Condition> {
        let mut c = Condition::all();
        if let Some(v) = self.eq {
            c = c.add(col.eq(v));
        }
        if let Some(v) = self.ne {
            c = c.add(col.ne(v));
        }
        if let Some(v) = &self.in_ {
            check_list(field, v)?;
            c = c.add(col.is_in(v.clone()));
        }
        if let Some(v) = &self.not_in {
            check_list(field, v)?;
            c = c.add(col.is_not_in(v.clone()));
        }
        if let Some(v) = self.is_null {
            c = c.add(if v { col.is_null() } else { col.is_not_null() });
        }
        Ok(c)
    }

    /// The same test on a value in memory (live events), with SQL's meaning of null.
    pub fn matches(&self, value: Value) -> bool {
        let v = <Uuid as sea_orm::sea_query::ValueType>::try_from(value).ok();
        self.is_null.is_none_or(|want| want == v.is_none())
            && self.eq.is_none_or(|x| v == Some(x))
            && self.ne.is_none_or(|x| v.is_some_and(|v| v != x))
            && self.in_.as_ref().is_none_or(|xs| v.is_some_and(|v| xs.contains(&v)))
            && self.not_in.as_ref().is_none_or(|xs| v.is_some_and(|v| !xs.contains(&v)))
    }
}

/// Conditions on a boolean column.
#[derive(InputObject, Default, Clone)]
pub struct BooleanFilter {
    /// Equal to.
    pub eq: Option<bool>,
    /// Is (or, with `false`, is not) null.
    pub is_null: Option<bool>,
}

impl BooleanFilter {
    pub fn condition(&self, _field: &str, col: impl ColumnTrait) -> AppResult<Condition> {
        let mut c = Condition::all();
        if let Some(v) = self.eq {
            c = c.add(col.eq(v));
        }
        if let Some(v) = self.is_null {
            c = c.add(if v { col.is_null() } else { col.is_not_null() });
        }
        Ok(c)
    }

    /// The same test on a value in memory (live events), with SQL's meaning of null.
    pub fn matches(&self, value: Value) -> bool {
        let v = <bool as sea_orm::sea_query::ValueType>::try_from(value).ok();
        self.is_null.is_none_or(|want| want == v.is_none()) && self.eq.is_none_or(|x| v == Some(x))
    }
}

/// Conditions on a text column.
#[derive(InputObject, Default, Clone)]
pub struct StringFilter {
    /// Equal to.
    pub eq: Option<String>,
    /// Not equal to.
    pub ne: Option<String>,
    /// One of.
    #[graphql(name = "in")]
    pub in_: Option<Vec<String>>,
    /// None of.
    pub not_in: Option<Vec<String>>,
    /// Is (or, with `false`, is not) null.
    pub is_null: Option<bool>,
    /// Contains this text (case-sensitive).
    pub contains: Option<String>,
    /// Starts with this text (case-sensitive).
    pub starts_with: Option<String>,
    /// Matches this SQL `LIKE` pattern (`%` any run, `_` one character), ignoring case.
    pub like: Option<String>,
}

impl StringFilter {
    pub fn condition(&self, field: &str, col: impl ColumnTrait, backend: DbBackend) -> AppResult<Condition> {
        let mut c = Condition::all();
        if let Some(v) = &self.eq {
            c = c.add(col.eq(v.clone()));
        }
        if let Some(v) = &self.ne {
            c = c.add(col.ne(v.clone()));
        }
        if let Some(v) = &self.in_ {
            check_list(field, v)?;
            c = c.add(col.is_in(v.clone()));
        }
        if let Some(v) = &self.not_in {
            check_list(field, v)?;
            c = c.add(col.is_not_in(v.clone()));
        }
        if let Some(v) = self.is_null {
            c = c.add(if v { col.is_null() } else { col.is_not_null() });
        }
        if let Some(v) = &self.contains {
            // `LIKE` ignores case on SQLite, so containment is a position test on both.
            let position = match backend {
                DbBackend::Postgres => Func::cust("strpos").arg(Expr::col(col.as_column_ref())).arg(v.clone()),
                _ => Func::cust("instr").arg(Expr::col(col.as_column_ref())).arg(v.clone()),
            };
            c = c.add(Expr::expr(position).gt(0));
        }
        if let Some(v) = &self.starts_with {
            let len = i32::try_from(v.chars().count()).unwrap_or(i32::MAX);
            let prefix = Func::cust("substr").arg(Expr::col(col.as_column_ref())).arg(1).arg(len);
            c = c.add(Expr::expr(prefix).eq(v.clone()));
        }
        if let Some(v) = &self.like {
            let lowered = Expr::expr(Func::lower(Expr::col(col.as_column_ref())));
            c = c.add(lowered.like(v.to_lowercase()));
        }
        Ok(c)
    }

    /// The same test on a value in memory (live events), with SQL's meaning of null.
    pub fn matches(&self, value: Value) -> bool {
        let v = <String as sea_orm::sea_query::ValueType>::try_from(value).ok();
        let has = |test: &dyn Fn(&str) -> bool| v.as_deref().is_some_and(test);
        self.is_null.is_none_or(|want| want == v.is_none())
            && self.eq.as_ref().is_none_or(|x| has(&|v| v == x))
            && self.ne.as_ref().is_none_or(|x| has(&|v| v != x))
            && self.in_.as_ref().is_none_or(|xs| has(&|v| xs.iter().any(|x| x == v)))
            && self.not_in.as_ref().is_none_or(|xs| has(&|v| xs.iter().all(|x| x != v)))
            && self.contains.as_ref().is_none_or(|x| has(&|v| v.contains(x.as_str())))
            && self.starts_with.as_ref().is_none_or(|x| has(&|v| v.starts_with(x.as_str())))
            && self.like.as_ref().is_none_or(|x| has(&|v| like(&v.to_lowercase(), &x.to_lowercase())))
    }
}

/// SQL `LIKE`: `%` matches any run of characters, `_` any one character.
fn like(text: &str, pattern: &str) -> bool {
    let (text, pattern): (Vec<char>, Vec<char>) = (text.chars().collect(), pattern.chars().collect());
    let (mut t, mut p) = (0, 0);
    let mut retry: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('%') => {
                retry = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '_' || c == text[t] => {
                t += 1;
                p += 1;
            }
            _ => match retry {
                Some((rp, rt)) => {
                    retry = Some((rp, rt + 1));
                    p = rp + 1;
                    t = rt + 1;
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '%')
}

/// Conditions on a JSON column.
#[derive(InputObject, Default, Clone)]
pub struct JsonFilter {
    /// Is (or, with `false`, is not) null.
    pub is_null: Option<bool>,
    /// The column is a JSON array holding every one of these values (e.g. `["#ai"]`).
    pub contains: Option<Json>,
}

impl JsonFilter {
    pub fn condition(&self, field: &str, col: impl ColumnTrait, backend: DbBackend) -> AppResult<Condition> {
        let mut c = Condition::all();
        if let Some(v) = self.is_null {
            c = c.add(if v { col.is_null() } else { col.is_not_null() });
        }
        if let Some(wanted) = &self.contains {
            let items = wanted
                .as_array()
                .filter(|items| items.iter().all(|i| i.is_string() || i.is_number() || i.is_boolean()))
                .ok_or_else(|| {
                    AppError::bad_input(field, "`contains` takes an array of strings, numbers or booleans")
                })?;
            check_list(field, items)?;
            for item in items {
                c = c.add(json_array_holds(&col, item, backend));
            }
        }
        Ok(c)
    }
}

impl JsonFilter {
    /// The same test on a value in memory (live events), with SQL's meaning of null.
    pub fn matches(&self, value: Value) -> bool {
        let v = <Json as sea_orm::sea_query::ValueType>::try_from(value).ok();
        let same = |a: &Json, b: &Json| match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        };
        self.is_null.is_none_or(|want| want == v.is_none())
            && self.contains.as_ref().is_none_or(|wanted| {
                let (Some(items), Some(wanted)) = (v.as_ref().and_then(Json::as_array), wanted.as_array()) else {
                    return false;
                };
                wanted.iter().all(|w| items.iter().any(|i| same(i, w)))
            })
    }
}

fn json_array_holds(col: &impl ColumnTrait, item: &Json, backend: DbBackend) -> Expr {
    let column = col.as_column_ref();
    match backend {
        DbBackend::Postgres => Expr::cust_with_exprs(
            "$1 @> $2::jsonb",
            [Expr::col(column), Expr::val(Json::Array(vec![item.clone()]).to_string())],
        ),
        _ => {
            let value: Value = match item {
                Json::String(s) => s.clone().into(),
                Json::Bool(b) => (*b).into(),
                Json::Number(n) if n.is_i64() => n.as_i64().into(),
                Json::Number(n) => n.as_f64().into(),
                _ => Value::String(None),
            };
            Expr::cust_with_exprs(
                "EXISTS (SELECT 1 FROM json_each(?) WHERE json_each.value = ?)",
                [Expr::col(column), Expr::val(value)],
            )
        }
    }
}

/// A table's filter input.
pub trait TableFilter {
    fn condition(&self, backend: DbBackend) -> AppResult<Condition>;
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
) -> AppResult<Condition> {
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

/// One column's operator input.
pub trait ColumnFilter {
    fn apply(&self, field: &str, col: impl ColumnTrait, backend: DbBackend) -> AppResult<Condition>;
    /// Whether a column's value passes, as the SQL condition would decide.
    fn test(&self, value: Value) -> bool;
}

macro_rules! column_filter {
    ($($name:ident),*) => {$(
        impl ColumnFilter for $name {
            fn apply(&self, field: &str, col: impl ColumnTrait, _backend: DbBackend) -> AppResult<Condition> {
                self.condition(field, col)
            }
            fn test(&self, value: Value) -> bool {
                self.matches(value)
            }
        }
    )*};
}

column_filter!(
    IntFilter,
    BigIntFilter,
    DecimalFilter,
    DateTimeFilter,
    DateFilter,
    TimeFilter,
    UuidFilter,
    BooleanFilter
);

impl ColumnFilter for StringFilter {
    fn apply(&self, field: &str, col: impl ColumnTrait, backend: DbBackend) -> AppResult<Condition> {
        self.condition(field, col, backend)
    }
    fn test(&self, value: Value) -> bool {
        self.matches(value)
    }
}

impl ColumnFilter for JsonFilter {
    fn apply(&self, field: &str, col: impl ColumnTrait, backend: DbBackend) -> AppResult<Condition> {
        self.condition(field, col, backend)
    }
    fn test(&self, value: Value) -> bool {
        self.matches(value)
    }
}

/// Declares a table's filter input: one optional operator input per column, plus `and`, `or`
/// and `not`.
macro_rules! table_filter {
    ($(#[$doc:meta])* $name:ident for $table:ident { $($field:ident ($gql:literal): $kind:ident => $col:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(async_graphql::InputObject, Default)]
        pub struct $name {
            $(pub $field: Option<$crate::graphql::filter::$kind>,)*
            /// Every one of these holds.
            pub and: Option<Vec<$name>>,
            /// At least one of these holds.
            pub or: Option<Vec<$name>>,
            /// This does not hold.
            pub not: Option<Box<$name>>,
        }

        impl $crate::graphql::filter::TableFilter for $name {
            fn condition(&self, backend: sea_orm::DbBackend) -> $crate::error::AppResult<sea_orm::Condition> {
                use $crate::graphql::filter::ColumnFilter as _;
                let mut all = sea_orm::Condition::all();
                $(
                    if let Some(f) = &self.$field {
                        all = all.add(f.apply($gql, entity::$table::Column::$col, backend)?);
                    }
                )*
                $crate::graphql::filter::combine(all, &self.and, &self.or, &self.not, backend)
            }
        }

        impl $crate::graphql::filter::RowFilter<entity::$table::Model> for $name {
            fn matches(&self, row: &entity::$table::Model) -> bool {
                use $crate::graphql::filter::ColumnFilter as _;
                use sea_orm::ModelTrait as _;
                $(
                    if let Some(f) = &self.$field && !f.test(row.get(entity::$table::Column::$col)) {
                        return false;
                    }
                )*
                self.and.as_ref().is_none_or(|fs| fs.iter().all(|f| f.matches(row)))
                    && self.or.as_ref().is_none_or(|fs| fs.is_empty() || fs.iter().any(|f| f.matches(row)))
                    && self.not.as_ref().is_none_or(|f| !f.matches(row))
            }
        }
    };
}
pub(crate) use table_filter;

/// Declares a table's order input: the columns it can be sorted by and a direction.
macro_rules! table_order {
    ($(#[$doc:meta])* $name:ident, $field_enum:ident for $table:ident { $($col:ident),* $(,)? }) => {
        /// A column the rows can be ordered by.
        #[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
        pub enum $field_enum {
            $($col,)*
        }

        $(#[$doc])*
        #[derive(async_graphql::InputObject)]
        pub struct $name {
            pub field: $field_enum,
            #[graphql(default)]
            pub direction: $crate::graphql::crud::OrderDirection,
        }

        impl $crate::graphql::crud::TableOrder<entity::$table::Entity> for $name {
            fn key(&self) -> (entity::$table::Column, $crate::graphql::crud::OrderDirection) {
                let column = match self.field {
                    $($field_enum::$col => entity::$table::Column::$col,)*
                };
                (column, self.direction)
            }
        }
    };
}
pub(crate) use table_order;

#[cfg(test)]
mod tests {
    use super::{StringFilter, like};

    #[test]
    fn like_has_sql_wildcards() {
        assert!(like("hello world", "hello%"));
        assert!(like("hello world", "%world"));
        assert!(like("hello world", "h_llo%w%d"));
        assert!(like("", "%"));
        assert!(!like("hello", "hello_"));
        assert!(!like("hello", "%x%"));
        assert!(like("aaa", "%a%a%a%"));
    }

    #[test]
    fn string_filters_treat_null_as_sql_does() {
        let ne = StringFilter { ne: Some("a".into()), ..Default::default() };
        assert!(ne.matches("b".into()));
        assert!(!ne.matches(sea_orm::Value::String(None)));
        let like = StringFilter { like: Some("%AI%".into()), ..Default::default() };
        assert!(like.matches("Why ai wins".into()));
    }
}
