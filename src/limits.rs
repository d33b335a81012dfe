//! Rate limits. Each limit is a GCRA bucket per key (an account, a client address, a user): a
//! request advances the key's theoretical arrival time by its cost times the emission interval,
//! and is refused, changing nothing, when that would run more than one period ahead of now.
//!
//! The buckets of sign-in, sign-up, refresh and costly mutations live in `rate_limit_buckets`,
//! advanced by one atomic statement (`INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING`, on
//! both databases), so that a limit holds across instances and restarts. Should the store fail,
//! the same limit is applied in memory (`governor`, per instance) rather than not at all. The
//! per-user request budget is in memory only: it is checked on every request and bounds each
//! instance.
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::time::Duration;

use chrono::Utc;
use governor::{DefaultKeyedRateLimiter, Quota};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use uuid::Uuid;

use crate::config::{Config, Rate};
use crate::error::{AppError, AppResult};

/// The limits kept in the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Sign-in attempts on one account.
    SignInAccount,
    /// Sign-in attempts from one client address.
    SignInAddress,
    /// Sign-ups from one client address.
    SignUp,
    /// Session refreshes from one client address.
    Refresh,
    /// Costly mutations of one user.
    Costly,
    /// Webhook deliveries from one client address.
    Webhook,
    /// Client log reports of one user.
    ClientLog,
    /// Client log reports from one address, not signed in.
    ClientLogAnonymous,
}

impl Rule {
    fn name(self) -> &'static str {
        match self {
            Self::SignInAccount => "sign_in_account",
            Self::SignInAddress => "sign_in_address",
            Self::SignUp => "sign_up",
            Self::Refresh => "refresh",
            Self::Costly => "costly",
            Self::Webhook => "webhook",
            Self::ClientLog => "client_log",
            Self::ClientLogAnonymous => "client_log_anonymous",
        }
    }

    const ALL: [Rule; 8] = [
        Self::SignInAccount,
        Self::SignInAddress,
        Self::SignUp,
        Self::Refresh,
        Self::Costly,
        Self::Webhook,
        Self::ClientLog,
        Self::ClientLogAnonymous,
    ];
}

pub struct Limits {
    db: DatabaseConnection,
    rates: HashMap<Rule, Rate>,
    fallback: HashMap<Rule, DefaultKeyedRateLimiter<String>>,
    requests: DefaultKeyedRateLimiter<Uuid>,
}

fn quota(rate: Rate) -> Quota {
    let count = NonZeroU32::new(rate.count).unwrap_or(NonZeroU32::MIN);
    let interval = (rate.period / rate.count.max(1)).max(Duration::from_micros(1));
    Quota::with_period(interval).unwrap_or_else(|| Quota::per_second(count)).allow_burst(count)
}

impl Limits {
    pub fn new(db: DatabaseConnection, config: &Config) -> Self {
        let rates = HashMap::from([
            (Rule::SignInAccount, config.rate_sign_in_account),
            (Rule::SignInAddress, config.rate_sign_in_address),
            (Rule::SignUp, config.rate_sign_up),
            (Rule::Refresh, config.rate_refresh),
            (Rule::Costly, config.rate_costly),
            (Rule::Webhook, config.rate_webhooks),
            (Rule::ClientLog, config.rate_client_logs),
            (Rule::ClientLogAnonymous, config.rate_client_logs_anonymous),
        ]);
        let fallback =
            Rule::ALL.iter().map(|rule| (*rule, DefaultKeyedRateLimiter::keyed(quota(rates[rule])))).collect();
        Self { db, rates, fallback, requests: DefaultKeyedRateLimiter::keyed(quota(config.rate_requests)) }
    }

    /// Takes `cost` from `key`'s bucket of `rule`, or refuses with `RATE_LIMITED` and the seconds
    /// until it would pass, taking nothing.
    pub async fn consume(&self, rule: Rule, key: &str, cost: u32) -> AppResult<()> {
        let result = self.take(rule, key, cost).await;
        if let Err(AppError::RateLimited { .. }) = result {
            crate::telemetry::metrics::rate_limited(rule.name());
        }
        result
    }

    async fn take(&self, rule: Rule, key: &str, cost: u32) -> AppResult<()> {
        let rate = self.rates[&rule];
        let interval = (rate.period.as_micros() / u128::from(rate.count.max(1))).max(1) as i64;
        let increment = interval.saturating_mul(i64::from(cost.max(1)));
        let limit = rate.period.as_micros() as i64;
        let now = Utc::now().timestamp_micros();
        let key = format!("{}:{key}", rule.name());
        match self.advance(&key, now, increment, limit).await {
            Ok(None) => Ok(()),
            Ok(Some(retry_after)) => Err(AppError::RateLimited { retry_after_secs: retry_after }),
            Err(err) => {
                tracing::warn!(error = %err, rule = rule.name(), "rate-limit store unavailable; limiting in memory");
                let cost = NonZeroU32::new(cost.max(1)).unwrap_or(NonZeroU32::MIN);
                match self.fallback[&rule].check_key_n(&key, cost) {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(_)) | Err(_) => {
                        Err(AppError::RateLimited { retry_after_secs: rate.period.as_secs().max(1) })
                    }
                }
            }
        }
    }

    /// One atomic step of the bucket `key`: `None` when it advanced, else the seconds to wait.
    async fn advance(&self, key: &str, now: i64, increment: i64, limit: i64) -> Result<Option<u64>, sea_orm::DbErr> {
        let backend = self.db.get_database_backend();
        let (greatest, param) = match backend {
            DbBackend::Postgres => ("GREATEST", "$"),
            _ => ("MAX", "?"),
        };
        let sql = format!(
            "INSERT INTO rate_limit_buckets (key, tat_us) VALUES ({p}1, {p}2 + {p}3) \
             ON CONFLICT (key) DO UPDATE SET tat_us = {greatest}(rate_limit_buckets.tat_us, {p}2) + {p}3 \
             WHERE {greatest}(rate_limit_buckets.tat_us, {p}2) + {p}3 - {p}2 <= {p}4 RETURNING tat_us",
            p = param
        );
        let values = vec![key.into(), now.into(), increment.into(), limit.into()];
        if self.db.query_one_raw(Statement::from_sql_and_values(backend, sql, values)).await?.is_some() {
            return Ok(None);
        }
        let sql = format!("SELECT tat_us FROM rate_limit_buckets WHERE key = {param}1");
        let row = self.db.query_one_raw(Statement::from_sql_and_values(backend, sql, vec![key.into()])).await?;
        let tat: i64 = row.map(|r| r.try_get_by_index(0)).transpose()?.unwrap_or(now);
        let wait_us = tat.max(now) + increment - limit - now;
        Ok(Some(u64::try_from(wait_us).unwrap_or(0).div_ceil(1_000_000).max(1)))
    }

    /// Counts one request of `user` against the per-user budget of this instance.
    pub fn request(&self, user: Uuid) -> AppResult<()> {
        match self.requests.check_key(&user) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait =
                    not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
                Err(AppError::RateLimited { retry_after_secs: wait.as_secs().max(1) })
            }
        }
    }
}

/// The buckets whose theoretical arrival time is ahead of now, furthest first, with that time.
pub async fn active_buckets(db: &DatabaseConnection, limit: usize) -> AppResult<Vec<(String, chrono::DateTime<Utc>)>> {
    let backend = db.get_database_backend();
    let param = if backend == DbBackend::Postgres { "$" } else { "?" };
    let sql = format!(
        "SELECT key, tat_us FROM rate_limit_buckets WHERE tat_us > {param}1 ORDER BY tat_us DESC LIMIT {param}2"
    );
    let now = Utc::now().timestamp_micros();
    let rows =
        db.query_all_raw(Statement::from_sql_and_values(backend, sql, vec![now.into(), (limit as i64).into()])).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let key: String = row.try_get_by_index(0)?;
        let tat: i64 = row.try_get_by_index(1)?;
        if let Some(until) = chrono::DateTime::from_timestamp_micros(tat) {
            out.push((key, until));
        }
    }
    Ok(out)
}
