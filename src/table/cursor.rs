//! Opaque keyset cursors: the sort-key values of a row plus a fingerprint of the ordering, so a
//! cursor only continues the listing it came from. A cursor is validated, never trusted: it only
//! narrows the caller's already scoped rows.
use std::sync::Arc;

use async_graphql::connection::CursorType;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, ColumnType, Condition, EntityTrait, IdenStatic, Value};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use super::OrderDirection;
use crate::error::{AppError, AppResult};

/// Names the table and ordering a cursor belongs to.
pub fn fingerprint<E: EntityTrait>(keys: &[(E::Column, OrderDirection)]) -> String {
    let mut print = E::default().table_name().to_owned();
    for (col, dir) in keys {
        print.push(':');
        print.push_str(col.as_str());
        print.push(if *dir == OrderDirection::Asc { '+' } else { '-' });
    }
    print
}

/// A row's cursor, encoded only if the client selects it (`cursor`, `startCursor`, `endCursor`).
pub struct Cursor {
    fingerprint: Arc<str>,
    values: Vec<Value>,
}

impl Cursor {
    pub fn new(fingerprint: Arc<str>, values: Vec<Value>) -> Self {
        Self { fingerprint, values }
    }
}

impl CursorType for Cursor {
    type Error = &'static str;

    /// Cursors arrive as plain arguments and are decoded by [`decode`], against the listing.
    fn decode_cursor(_: &str) -> Result<Self, Self::Error> {
        Err("decoded against its listing")
    }

    fn encode_cursor(&self) -> String {
        encode(&self.fingerprint, &self.values)
    }
}

pub fn encode(fingerprint: &str, values: &[Value]) -> String {
    let body = json!({ "o": fingerprint, "v": values.iter().map(to_json).collect::<Vec<_>>() });
    URL_SAFE_NO_PAD.encode(body.to_string())
}

/// The key values of a cursor, `None` standing for SQL null. Each value must have its key
/// column's type: a cursor is client input, and a forged one may not reach the database as a
/// comparison it cannot make.
pub fn decode<C: ColumnTrait>(
    cursor: &str,
    fingerprint: &str,
    keys: &[(C, OrderDirection)],
    field: &str,
) -> AppResult<Vec<Option<Value>>> {
    let invalid = || AppError::bad_input(field, "is not a cursor of this list and ordering");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let body: Json = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if body["o"].as_str() != Some(fingerprint) {
        return Err(invalid());
    }
    let values = body["v"].as_array().filter(|v| v.len() == keys.len()).ok_or_else(invalid)?;
    let decoded = values.iter().map(from_json).collect::<Option<Vec<_>>>().ok_or_else(invalid)?;
    let typed = keys
        .iter()
        .zip(&decoded)
        .all(|((col, _), value)| value.as_ref().is_none_or(|value| fits(value, col.def().get_column_type())));
    if !typed {
        return Err(invalid());
    }
    // The last key is the id, never null.
    if decoded.last().is_none_or(Option::is_none) {
        return Err(invalid());
    }
    Ok(decoded)
}

fn to_json(value: &Value) -> Json {
    match value {
        Value::Bool(Some(v)) => json!(["b", v]),
        Value::Int(Some(v)) => json!(["i", v]),
        Value::BigInt(Some(v)) => json!(["l", v]),
        Value::String(Some(v)) => json!(["s", v]),
        Value::Uuid(Some(v)) => json!(["u", v.to_string()]),
        Value::Decimal(Some(v)) => json!(["d", v.to_string()]),
        Value::ChronoDateTimeUtc(Some(v)) => json!(["t", v.to_rfc3339()]),
        Value::ChronoDate(Some(v)) => json!(["D", v.to_string()]),
        Value::ChronoTime(Some(v)) => json!(["T", v.to_string()]),
        _ => Json::Null,
    }
}

/// Whether `value` can be compared with a column of type `ty` on every database.
fn fits(value: &Value, ty: &ColumnType) -> bool {
    match value {
        Value::Bool(_) => matches!(ty, ColumnType::Boolean),
        Value::Int(_) => matches!(ty, ColumnType::Integer),
        Value::BigInt(_) => matches!(ty, ColumnType::BigInteger),
        Value::String(text) => {
            matches!(ty, ColumnType::Char(_) | ColumnType::String(_) | ColumnType::Text)
                && text.as_deref().is_none_or(|t| !t.contains('\0'))
        }
        Value::Uuid(_) => matches!(ty, ColumnType::Uuid),
        Value::Decimal(_) => matches!(ty, ColumnType::Decimal(_) | ColumnType::Money(_)),
        Value::ChronoDateTimeUtc(_) => {
            matches!(ty, ColumnType::DateTime | ColumnType::Timestamp | ColumnType::TimestampWithTimeZone)
        }
        Value::ChronoDate(_) => matches!(ty, ColumnType::Date),
        Value::ChronoTime(_) => matches!(ty, ColumnType::Time),
        _ => false,
    }
}

/// `Some(None)` is a null key; `None` is a malformed entry.
fn from_json(entry: &Json) -> Option<Option<Value>> {
    if entry.is_null() {
        return Some(None);
    }
    let tag = entry.get(0)?.as_str()?;
    let raw = entry.get(1)?;
    let text = || raw.as_str().map(str::to_owned);
    let value: Value = match tag {
        "b" => raw.as_bool()?.into(),
        "i" => i32::try_from(raw.as_i64()?).ok()?.into(),
        "l" => raw.as_i64()?.into(),
        "s" => text()?.into(),
        "u" => Uuid::parse_str(&text()?).ok()?.into(),
        "d" => text()?.parse::<Decimal>().ok()?.into(),
        "t" => DateTime::parse_from_rfc3339(&text()?).ok()?.with_timezone(&Utc).into(),
        "D" => text()?.parse::<NaiveDate>().ok()?.into(),
        "T" => text()?.parse::<NaiveTime>().ok()?.into(),
        _ => return None,
    };
    Some(Some(value))
}

/// Rows strictly after (`forward`) or before the cursor's row in the ordering `keys`, with nulls
/// sorted last.
pub fn beyond<C: ColumnTrait>(keys: &[(C, OrderDirection)], values: &[Option<Value>], forward: bool) -> Condition {
    let mut condition = never();
    for ((col, dir), value) in keys.iter().zip(values).rev() {
        let ascending = *dir == OrderDirection::Asc;
        let strictly = match (value, forward) {
            (Some(v), true) => {
                Condition::any().add(if ascending { col.gt(v.clone()) } else { col.lt(v.clone()) }).add(col.is_null())
            }
            (Some(v), false) => Condition::all().add(if ascending { col.lt(v.clone()) } else { col.gt(v.clone()) }),
            (None, true) => never(),
            (None, false) => Condition::all().add(col.is_not_null()),
        };
        let equal = match value {
            Some(v) => col.eq(v.clone()),
            None => col.is_null(),
        };
        condition = Condition::any().add(strictly).add(Condition::all().add(equal).add(condition));
    }
    condition
}

/// A condition no row meets.
fn never() -> Condition {
    Condition::all().add(sea_orm::sea_query::Expr::cust("1 = 0"))
}
