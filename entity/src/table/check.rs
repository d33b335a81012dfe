//! Checks that mirror the database's CHECK constraints, so that a bad value is a
//! `BAD_USER_INPUT` naming its field before the database sees it.
use rust_decimal::Decimal;
use serde_json::Value as Json;
use uuid::Uuid;

use super::Invalid;

pub fn range_i64(field: &str, value: impl Into<i64>, min: i64, max: i64) -> Result<(), Invalid> {
    let value = value.into();
    if (min..=max).contains(&value) {
        Ok(())
    } else if max == i64::MAX {
        Err(Invalid::new(field, format!("must be at least {min}")))
    } else {
        Err(Invalid::new(field, format!("must be between {min} and {max}")))
    }
}

/// A decimal that fits `numeric(precision, scale)` and, when given, lies in `min..=max`.
pub fn decimal(
    field: &str,
    value: Decimal,
    precision: u32,
    scale: u32,
    bounds: Option<(i64, i64)>,
) -> Result<(), Invalid> {
    if value.normalize().scale() > scale {
        return Err(Invalid::new(field, format!("must have at most {scale} decimal places")));
    }
    let limit = Decimal::from(10i64.pow(precision - scale));
    if value.abs() >= limit {
        return Err(Invalid::new(field, format!("must be less than {limit} in magnitude")));
    }
    if let Some((min, max)) = bounds
        && (value < Decimal::from(min) || value > Decimal::from(max))
    {
        return Err(Invalid::new(field, format!("must be between {min} and {max}")));
    }
    Ok(())
}

pub fn not_blank(field: &str, value: &str) -> Result<(), Invalid> {
    if value.trim().is_empty() { Err(Invalid::new(field, "must not be blank")) } else { Ok(()) }
}

pub fn json_array(field: &str, value: &Json) -> Result<(), Invalid> {
    if value.is_array() { Ok(()) } else { Err(Invalid::new(field, "must be a JSON array")) }
}

pub fn json_object(field: &str, value: &Json) -> Result<(), Invalid> {
    if value.is_object() { Ok(()) } else { Err(Invalid::new(field, "must be a JSON object")) }
}

/// A JSON array of ids (e.g. a delivery's drafts).
pub fn json_ids(field: &str, value: &Json) -> Result<Vec<Uuid>, Invalid> {
    let items = value.as_array().ok_or_else(|| Invalid::new(field, "must be a JSON array of ids"))?;
    items
        .iter()
        .map(|item| item.as_str().and_then(|s| Uuid::parse_str(s).ok()))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| Invalid::new(field, "must be a JSON array of ids"))
}

/// An email address: one `@`, a dotted domain, no spaces, at most 254 characters.
pub fn email(field: &str, value: &str) -> Result<(), Invalid> {
    let email = value.trim();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(char::is_whitespace)
        });
    if valid { Ok(()) } else { Err(Invalid::new(field, "is not a valid email address")) }
}

/// Agency permissions: an object of known rights, each `true` or `false`.
pub fn permissions(field: &str, value: &Json) -> Result<(), Invalid> {
    use crate::agency_clients::PERMISSIONS;
    let object = value.as_object().ok_or_else(|| Invalid::new(field, "must be a JSON object"))?;
    for (right, granted) in object {
        if !PERMISSIONS.contains(&right.as_str()) || !granted.is_boolean() {
            return Err(Invalid::new(field, format!("takes only {} with true or false", PERMISSIONS.join(", "))));
        }
    }
    Ok(())
}

/// An IANA time zone name (`Europe/Berlin`, `UTC`).
pub fn timezone(field: &str, value: &str) -> Result<(), Invalid> {
    match value.parse::<chrono_tz::Tz>() {
        Ok(_) => Ok(()),
        Err(_) => Err(Invalid::new(field, "is not an IANA time zone (such as Europe/Berlin or UTC)")),
    }
}

/// The days of the week, by their English names in lower case.
pub const WEEKDAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// A list of weekday names (`["monday", "friday"]`), each at most once.
pub fn weekdays(field: &str, value: &Json) -> Result<(), Invalid> {
    let days = value.as_array().ok_or_else(|| Invalid::new(field, "must be a list of weekday names"))?;
    let mut seen = Vec::new();
    for day in days {
        match day.as_str().filter(|d| WEEKDAYS.contains(d)) {
            Some(name) if !seen.contains(&name) => seen.push(name),
            Some(name) => return Err(Invalid::new(field, format!("names {name} twice"))),
            None => {
                return Err(Invalid::new(field, format!("must name weekdays ({}), not {day}", WEEKDAYS.join(", "))));
            }
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
