//! The credit ledger's rules: usage debits the balance at the action's cost and never below
//! zero; a paid tier goes into overage instead; grants and top-ups credit it. Every change is
//! one ledger row, written in the same transaction as the balance.
use chrono::{NaiveDate, Utc};
use entity::{creator_profiles, credit_costs, credit_transactions, subscription_billing, usage_tracking};
use rust_decimal::Decimal;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, Statement,
};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// What recording one usage did.
pub struct Recorded {
    pub usage: usage_tracking::Model,
    pub transaction: credit_transactions::Model,
}

/// A credit to a balance.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Credit {
    Grant,
    TopUp,
    MonthlyReset,
}

impl Credit {
    fn reason(self) -> &'static str {
        match self {
            Self::Grant => "grant",
            Self::TopUp => "top_up",
            Self::MonthlyReset => "monthly_reset",
        }
    }
}

fn statement(backend: DbBackend, sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    let sql = if backend == DbBackend::Postgres { sql.to_owned() } else { question_marks(sql) };
    Statement::from_sql_and_values(backend, sql, values)
}

/// `$1`-style parameters as SQLite's `?` (each used once, in order).
pub fn question_marks(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// Adds `delta` to a balance atomically, only if the result stays at or above zero; returns the
/// new balance, or `None` when it would not (or there is no subscription).
async fn shift_balance(txn: &DatabaseTransaction, user: Uuid, delta: Decimal) -> AppResult<Option<Decimal>> {
    let backend = txn.get_database_backend();
    let sql = "UPDATE subscription_billing SET credit_balance = ROUND(COALESCE(credit_balance, 0) + $1, 2) \
               WHERE user_id = $2 AND COALESCE(credit_balance, 0) + $3 >= 0 RETURNING credit_balance";
    let row = txn.query_one_raw(statement(backend, sql, vec![delta.into(), user.into(), delta.into()])).await?;
    Ok(match row {
        Some(row) => Some(row.try_get_by_index::<Decimal>(0)?.round_dp(2).normalize()),
        None => None,
    })
}

/// The current cost of an action.
pub async fn cost_of(db: &impl ConnectionTrait, action: &str) -> AppResult<Decimal> {
    credit_costs::Entity::find()
        .filter(credit_costs::Column::ActionType.eq(action))
        .one(db)
        .await?
        .map(|c| c.cost.normalize())
        .ok_or(AppError::NotFound("credit cost"))
}

/// Records one usage: the usage row, the debit and its ledger row, all or nothing.
pub async fn record_usage(
    db: &DatabaseConnection,
    user: Uuid,
    action: &str,
    platform: Option<String>,
    date: NaiveDate,
    metadata: Option<Json>,
) -> AppResult<Recorded> {
    let cost = cost_of(db, action).await?;
    let txn = crate::db::write_txn(db).await?;
    // The conditional update is the first statement: it takes the row's write lock, so that
    // concurrent debits queue and none can overdraw.
    let (balance, debited, overage) = match shift_balance(&txn, user, -cost).await? {
        Some(balance) => (balance, cost, Decimal::ZERO),
        None => {
            let subscription = subscription_billing::Entity::find()
                .filter(subscription_billing::Column::UserId.eq(user))
                .one(&txn)
                .await?
                .ok_or(AppError::NotFound("subscription"))?;
            let tier = creator_profiles::Entity::find()
                .filter(creator_profiles::Column::UserId.eq(user))
                .one(&txn)
                .await?
                .and_then(|p| p.subscription_tier)
                .unwrap_or_else(|| "free".into());
            if tier == "free" || subscription.overage_rate.is_none() {
                txn.rollback().await?;
                return Err(AppError::InsufficientCredits);
            }
            // Paid tiers: the balance pays what it can, the rest is overage.
            let available = subscription.credit_balance.unwrap_or_default().max(Decimal::ZERO);
            let balance = shift_balance(&txn, user, -available).await?.ok_or(AppError::InsufficientCredits)?;
            (balance, available, cost - available)
        }
    };
    let usage = usage_tracking::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(user),
        usage_date: Set(date),
        action_type: Set(action.to_owned()),
        platform: Set(platform),
        credits_consumed: Set(Some(cost)),
        metadata: Set(Some(metadata.unwrap_or_else(|| Json::Object(Default::default())))),
        created_at: Set(Some(Utc::now())),
    }
    .insert(&txn)
    .await?;
    let rate = if overage > Decimal::ZERO {
        subscription_billing::Entity::find()
            .filter(subscription_billing::Column::UserId.eq(user))
            .one(&txn)
            .await?
            .and_then(|s| s.overage_rate)
    } else {
        None
    };
    let transaction = credit_transactions::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(user),
        amount: Set(-debited),
        reason: Set(if overage > Decimal::ZERO { "overage" } else { "usage" }.into()),
        usage_id: Set(Some(usage.id)),
        balance_after: Set(balance),
        overage_credits: Set((overage > Decimal::ZERO).then_some(overage)),
        overage_charge: Set(rate.map(|r| (r * overage).round_dp(4))),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(Recorded { usage, transaction })
}

/// Credits a balance (a grant, a top-up or the monthly reset) and records it.
pub async fn credit(
    db: &DatabaseConnection,
    user: Uuid,
    amount: Decimal,
    kind: Credit,
) -> AppResult<credit_transactions::Model> {
    if amount <= Decimal::ZERO {
        return Err(AppError::bad_input("amount", "must be positive"));
    }
    let txn = crate::db::write_txn(db).await?;
    let balance = shift_balance(&txn, user, amount).await?.ok_or(AppError::NotFound("subscription"))?;
    let transaction = credit_transactions::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(user),
        amount: Set(amount),
        reason: Set(kind.reason().into()),
        usage_id: Set(None),
        balance_after: Set(balance),
        overage_credits: Set(None),
        overage_charge: Set(None),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(transaction)
}

/// Starts a new period: the balance becomes the monthly allowance, the change going through the
/// ledger. Only a subscription whose period has not yet been advanced is reset, so a repeated
/// run changes nothing.
pub async fn reset_allowance(
    db: &DatabaseConnection,
    user: Uuid,
    balance: Decimal,
    allowance: Decimal,
    period_start: chrono::DateTime<Utc>,
    period_end: chrono::DateTime<Utc>,
) -> AppResult<Option<credit_transactions::Model>> {
    let txn = crate::db::write_txn(db).await?;
    let backend = txn.get_database_backend();
    let updated = txn
        .execute_raw(statement(
            backend,
            "UPDATE subscription_billing SET credit_balance = $1, current_period_start = $2, current_period_end = $3 \
             WHERE user_id = $4 AND current_period_end < $5",
            vec![allowance.into(), period_start.into(), period_end.into(), user.into(), period_end.into()],
        ))
        .await?
        .rows_affected();
    let mut entry = None;
    if updated == 1 {
        let model = credit_transactions::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(user),
            amount: Set((allowance - balance).round_dp(2)),
            reason: Set(Credit::MonthlyReset.reason().into()),
            usage_id: Set(None),
            balance_after: Set(allowance),
            overage_credits: Set(None),
            overage_charge: Set(None),
            created_at: Set(Utc::now()),
        }
        .insert(&txn)
        .await?;
        entry = Some(model);
    }
    txn.commit().await?;
    Ok(entry)
}
