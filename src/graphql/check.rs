//! Input checks that mirror the database's CHECK constraints, so that a bad value is a
//! `BAD_USER_INPUT` naming its field before the database sees it.
use rust_decimal::Decimal;
use serde_json::Value as Json;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

pub fn one_of(field: &str, value: &str, allowed: &[&str]) -> AppResult<()> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(AppError::bad_input(field, format!("must be one of {}", allowed.join(", "))))
    }
}

pub fn range_i64(field: &str, value: impl Into<i64>, min: i64, max: i64) -> AppResult<()> {
    let value = value.into();
    if (min..=max).contains(&value) {
        Ok(())
    } else if max == i64::MAX {
        Err(AppError::bad_input(field, format!("must be at least {min}")))
    } else {
        Err(AppError::bad_input(field, format!("must be between {min} and {max}")))
    }
}

/// A decimal that fits `numeric(precision, scale)` and, when given, lies in `min..=max`.
pub fn decimal(field: &str, value: Decimal, precision: u32, scale: u32, bounds: Option<(i64, i64)>) -> AppResult<()> {
    if value.normalize().scale() > scale {
        return Err(AppError::bad_input(field, format!("must have at most {scale} decimal places")));
    }
    let limit = Decimal::from(10i64.pow(precision - scale));
    if value.abs() >= limit {
        return Err(AppError::bad_input(field, format!("must be less than {limit} in magnitude")));
    }
    if let Some((min, max)) = bounds
        && (value < Decimal::from(min) || value > Decimal::from(max))
    {
        return Err(AppError::bad_input(field, format!("must be between {min} and {max}")));
    }
    Ok(())
}

pub fn not_blank(field: &str, value: &str) -> AppResult<()> {
    if value.trim().is_empty() { Err(AppError::bad_input(field, "must not be blank")) } else { Ok(()) }
}

pub fn json_array(field: &str, value: &Json) -> AppResult<()> {
    if value.is_array() { Ok(()) } else { Err(AppError::bad_input(field, "must be a JSON array")) }
}

pub fn json_object(field: &str, value: &Json) -> AppResult<()> {
    if value.is_object() { Ok(()) } else { Err(AppError::bad_input(field, "must be a JSON object")) }
}

/// A JSON array of ids (e.g. a delivery's drafts).
pub fn json_ids(field: &str, value: &Json) -> AppResult<Vec<Uuid>> {
    let items = value.as_array().ok_or_else(|| AppError::bad_input(field, "must be a JSON array of ids"))?;
    items
        .iter()
        .map(|item| item.as_str().and_then(|s| Uuid::parse_str(s).ok()))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| AppError::bad_input(field, "must be a JSON array of ids"))
}

pub fn email(field: &str, value: &str) -> AppResult<()> {
    crate::auth::password::normalize_email(value)
        .map(|_| ())
        .map_err(|_| AppError::bad_input(field, "is not a valid email address"))
}

/// Agency permissions: an object of known rights, each `true` or `false`.
pub fn permissions(field: &str, value: &Json) -> AppResult<()> {
    let object = value.as_object().ok_or_else(|| AppError::bad_input(field, "must be a JSON object"))?;
    for (right, granted) in object {
        if !crate::auth::policy::AGENCY_PERMISSIONS.contains(&right.as_str()) || !granted.is_boolean() {
            return Err(AppError::bad_input(
                field,
                format!("takes only {} with true or false", crate::auth::policy::AGENCY_PERMISSIONS.join(", ")),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn decimals_are_held_to_their_column() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert!(decimal("s", d("0.99"), 3, 2, Some((0, 1))).is_ok());
        assert!(decimal("s", d("1.01"), 3, 2, Some((0, 1))).is_err());
        assert!(decimal("s", d("0.123"), 3, 2, None).is_err());
        assert!(decimal("s", d("10.00"), 3, 2, None).is_err());
        assert!(decimal("s", d("9.99"), 3, 2, None).is_ok());
    }
}
