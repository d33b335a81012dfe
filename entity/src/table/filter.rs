//! Typed column filters: one operator input per column type, turned into SQL conditions that
//! mean the same on PostgreSQL and SQLite, and into the same test on a row in memory (live
//! events). Which filter a column gets follows from its Rust type ([`Filterable`]).
use async_graphql::{InputObject, InputType};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, Func, ValueType};

/// A timestamp in UTC (a name the `concrete` attribute can take).
type DateTimeUtc = DateTime<Utc>;
use sea_orm::{ColumnTrait, Condition, DbBackend, Value};
use serde_json::Value as Json;
use uuid::Uuid;

use super::Invalid;
use crate::enums::*;

/// The most values an `in` or `notIn` list may hold.
const MAX_IN_VALUES: usize = 500;

fn check_list<T>(field: &str, values: &[T]) -> Result<(), Invalid> {
    if values.len() > MAX_IN_VALUES {
        return Err(Invalid::new(field, format!("`in` takes at most {MAX_IN_VALUES} values")));
    }
    Ok(())
}

/// One column's operator input.
pub trait ColumnFilter {
    fn condition(&self, field: &str, col: impl ColumnTrait, backend: DbBackend) -> Result<Condition, Invalid>;
    /// Whether a column's value passes, as the SQL condition would decide.
    fn test(&self, value: Value) -> bool;
}

/// The filter a column of this type gets.
pub trait Filterable {
    type Filter: ColumnFilter + InputType + Default;
}

/// A value a filter compares: what it binds in SQL and reads back from a row.
pub trait Comparable: InputType + Clone + PartialEq + Into<Value> + ValueType + Send + Sync {}
impl<T: InputType + Clone + PartialEq + Into<Value> + ValueType + Send + Sync> Comparable for T {}

/// Conditions on a column of ordered values.
#[derive(InputObject, Clone)]
#[graphql(concrete(name = "IntFilter", params(i32)))]
#[graphql(concrete(name = "BigIntFilter", params(i64)))]
#[graphql(concrete(name = "DecimalFilter", params(Decimal)))]
#[graphql(concrete(name = "DateTimeFilter", params(DateTimeUtc)))]
#[graphql(concrete(name = "DateFilter", params(NaiveDate)))]
#[graphql(concrete(name = "TimeFilter", params(NaiveTime)))]
pub struct OrderedFilter<T: Comparable + PartialOrd> {
    /// Equal to.
    pub eq: Option<T>,
    /// Not equal to (rows where the column is null do not match).
    pub ne: Option<T>,
    /// One of.
    #[graphql(name = "in")]
    pub in_: Option<Vec<T>>,
    /// None of.
    pub not_in: Option<Vec<T>>,
    /// Is (or, with `false`, is not) null.
    pub is_null: Option<bool>,
    /// Less than.
    pub lt: Option<T>,
    /// Less than or equal to.
    pub lte: Option<T>,
    /// Greater than.
    pub gt: Option<T>,
    /// Greater than or equal to.
    pub gte: Option<T>,
}

impl<T: Comparable + PartialOrd> Default for OrderedFilter<T> {
    fn default() -> Self {
        Self { eq: None, ne: None, in_: None, not_in: None, is_null: None, lt: None, lte: None, gt: None, gte: None }
    }
}

impl<T: Comparable + PartialOrd> ColumnFilter for OrderedFilter<T> {
    fn condition(&self, field: &str, col: impl ColumnTrait, _: DbBackend) -> Result<Condition, Invalid> {
        let mut c = equality(field, &col, &self.eq, &self.ne, &self.in_, &self.not_in, self.is_null)?;
        if let Some(v) = &self.lt {
            c = c.add(col.lt(v.clone()));
        }
        if let Some(v) = &self.lte {
            c = c.add(col.lte(v.clone()));
        }
        if let Some(v) = &self.gt {
            c = c.add(col.gt(v.clone()));
        }
        if let Some(v) = &self.gte {
            c = c.add(col.gte(v.clone()));
        }
        Ok(c)
    }

    fn test(&self, value: Value) -> bool {
        let v = <T as ValueType>::try_from(value).ok();
        let has = |test: &dyn Fn(&T) -> bool| v.as_ref().is_some_and(test);
        equal(&v, &self.eq, &self.ne, &self.in_, &self.not_in, self.is_null)
            && self.lt.as_ref().is_none_or(|x| has(&|v| v < x))
            && self.lte.as_ref().is_none_or(|x| has(&|v| v <= x))
            && self.gt.as_ref().is_none_or(|x| has(&|v| v > x))
            && self.gte.as_ref().is_none_or(|x| has(&|v| v >= x))
    }
}

/// Conditions on a column of ids or of one fixed list of values.
#[derive(InputObject, Clone)]
#[graphql(concrete(name = "UuidFilter", params(Uuid)))]
#[graphql(concrete(name = "PlatformFilter", params(Platform)))]
#[graphql(concrete(name = "AnalyticsPlatformFilter", params(AnalyticsPlatform)))]
#[graphql(concrete(name = "ContentTypeFilter", params(ContentType)))]
#[graphql(concrete(name = "DraftStatusFilter", params(DraftStatus)))]
#[graphql(concrete(name = "SourceTypeFilter", params(SourceType)))]
#[graphql(concrete(name = "TrendStatusFilter", params(TrendStatus)))]
#[graphql(concrete(name = "TrainingStatusFilter", params(TrainingStatus)))]
#[graphql(concrete(name = "TierFilter", params(Tier)))]
#[graphql(concrete(name = "DeliveryStatusFilter", params(DeliveryStatus)))]
#[graphql(concrete(name = "DeliveryChannelFilter", params(DeliveryChannel)))]
#[graphql(concrete(name = "BillingStatusFilter", params(BillingStatus)))]
#[graphql(concrete(name = "ActionTypeFilter", params(ActionType)))]
#[graphql(concrete(name = "ProcessingTypeFilter", params(ProcessingType)))]
#[graphql(concrete(name = "ProcessingStatusFilter", params(ProcessingStatus)))]
#[graphql(concrete(name = "InvitationStatusFilter", params(InvitationStatus)))]
#[graphql(concrete(name = "TransactionTypeFilter", params(TransactionType)))]
#[graphql(concrete(name = "CreditBucketFilter", params(CreditBucket)))]
#[graphql(concrete(name = "SummaryPeriodFilter", params(SummaryPeriod)))]
#[graphql(concrete(name = "RoleFilter", params(Role)))]
#[graphql(concrete(name = "ActorKindFilter", params(ActorKind)))]
#[graphql(concrete(name = "WebhookStatusFilter", params(WebhookStatus)))]
#[graphql(concrete(name = "SubscriptionEventKindFilter", params(SubscriptionEventKind)))]
#[graphql(concrete(name = "LogLevelFilter", params(LogLevel)))]
#[graphql(concrete(name = "AvatarContentTypeFilter", params(AvatarContentType)))]
#[graphql(concrete(name = "GenerationStatusFilter", params(GenerationStatus)))]
#[graphql(concrete(name = "CrawlStatusFilter", params(CrawlStatus)))]
pub struct EqFilter<T: Comparable> {
    /// Equal to.
    pub eq: Option<T>,
    /// Not equal to (rows where the column is null do not match).
    pub ne: Option<T>,
    /// One of.
    #[graphql(name = "in")]
    pub in_: Option<Vec<T>>,
    /// None of.
    pub not_in: Option<Vec<T>>,
    /// Is (or, with `false`, is not) null.
    pub is_null: Option<bool>,
}

impl<T: Comparable> Default for EqFilter<T> {
    fn default() -> Self {
        Self { eq: None, ne: None, in_: None, not_in: None, is_null: None }
    }
}

impl<T: Comparable> ColumnFilter for EqFilter<T> {
    fn condition(&self, field: &str, col: impl ColumnTrait, _: DbBackend) -> Result<Condition, Invalid> {
        equality(field, &col, &self.eq, &self.ne, &self.in_, &self.not_in, self.is_null)
    }

    fn test(&self, value: Value) -> bool {
        equal(&<T as ValueType>::try_from(value).ok(), &self.eq, &self.ne, &self.in_, &self.not_in, self.is_null)
    }
}

/// The conditions every filter but JSON's shares.
fn equality<T: Comparable>(
    field: &str,
    col: &impl ColumnTrait,
    eq: &Option<T>,
    ne: &Option<T>,
    in_: &Option<Vec<T>>,
    not_in: &Option<Vec<T>>,
    is_null: Option<bool>,
) -> Result<Condition, Invalid> {
    let mut c = Condition::all();
    if let Some(v) = eq {
        c = c.add(col.eq(v.clone()));
    }
    if let Some(v) = ne {
        c = c.add(col.ne(v.clone()));
    }
    if let Some(v) = in_ {
        check_list(field, v)?;
        c = c.add(col.is_in(v.clone()));
    }
    if let Some(v) = not_in {
        check_list(field, v)?;
        c = c.add(col.is_not_in(v.clone()));
    }
    if let Some(v) = is_null {
        c = c.add(if v { col.is_null() } else { col.is_not_null() });
    }
    Ok(c)
}

/// [`equality`] on a value in memory, with SQL's meaning of null.
fn equal<T: PartialEq>(
    v: &Option<T>,
    eq: &Option<T>,
    ne: &Option<T>,
    in_: &Option<Vec<T>>,
    not_in: &Option<Vec<T>>,
    is_null: Option<bool>,
) -> bool {
    let has = |test: &dyn Fn(&T) -> bool| v.as_ref().is_some_and(test);
    is_null.is_none_or(|want| want == v.is_none())
        && eq.as_ref().is_none_or(|x| has(&|v| v == x))
        && ne.as_ref().is_none_or(|x| has(&|v| v != x))
        && in_.as_ref().is_none_or(|xs| has(&|v| xs.contains(v)))
        && not_in.as_ref().is_none_or(|xs| has(&|v| !xs.contains(v)))
}

/// Conditions on a boolean column.
#[derive(InputObject, Default, Clone)]
pub struct BooleanFilter {
    /// Equal to.
    pub eq: Option<bool>,
    /// Is (or, with `false`, is not) null.
    pub is_null: Option<bool>,
}

impl ColumnFilter for BooleanFilter {
    fn condition(&self, field: &str, col: impl ColumnTrait, _: DbBackend) -> Result<Condition, Invalid> {
        equality(field, &col, &self.eq, &None, &None, &None, self.is_null)
    }

    fn test(&self, value: Value) -> bool {
        equal(&<bool as ValueType>::try_from(value).ok(), &self.eq, &None, &None, &None, self.is_null)
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
    pub fn condition(&self, field: &str, col: impl ColumnTrait, backend: DbBackend) -> Result<Condition, Invalid> {
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
            let len = <i32 as TryFrom<usize>>::try_from(v.chars().count()).unwrap_or(i32::MAX);
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
pub fn like(text: &str, pattern: &str) -> bool {
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
    pub fn condition(&self, field: &str, col: impl ColumnTrait, backend: DbBackend) -> Result<Condition, Invalid> {
        let mut c = Condition::all();
        if let Some(v) = self.is_null {
            c = c.add(if v { col.is_null() } else { col.is_not_null() });
        }
        if let Some(wanted) = &self.contains {
            let items = wanted
                .as_array()
                .filter(|items| items.iter().all(|i| i.is_string() || i.is_number() || i.is_boolean()))
                .ok_or_else(|| Invalid::new(field, "`contains` takes an array of strings, numbers or booleans"))?;
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

impl ColumnFilter for StringFilter {
    fn condition(&self, field: &str, col: impl ColumnTrait, backend: DbBackend) -> Result<Condition, Invalid> {
        StringFilter::condition(self, field, col, backend)
    }
    fn test(&self, value: Value) -> bool {
        self.matches(value)
    }
}

impl ColumnFilter for JsonFilter {
    fn condition(&self, field: &str, col: impl ColumnTrait, backend: DbBackend) -> Result<Condition, Invalid> {
        JsonFilter::condition(self, field, col, backend)
    }
    fn test(&self, value: Value) -> bool {
        self.matches(value)
    }
}

impl Filterable for String {
    type Filter = StringFilter;
}
impl Filterable for Json {
    type Filter = JsonFilter;
}
impl Filterable for bool {
    type Filter = BooleanFilter;
}
impl Filterable for Uuid {
    type Filter = EqFilter<Uuid>;
}
impl Filterable for i32 {
    type Filter = OrderedFilter<i32>;
}
impl Filterable for i64 {
    type Filter = OrderedFilter<i64>;
}
impl Filterable for Decimal {
    type Filter = OrderedFilter<Decimal>;
}
impl Filterable for DateTime<Utc> {
    type Filter = OrderedFilter<DateTime<Utc>>;
}
impl Filterable for NaiveDate {
    type Filter = OrderedFilter<NaiveDate>;
}
impl Filterable for NaiveTime {
    type Filter = OrderedFilter<NaiveTime>;
}

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
