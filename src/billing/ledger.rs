//! The credit ledger's rules. A subscription holds credits in two buckets: the period's
//! allowance (reset at each period's start, use it or lose it) and purchased or granted credits
//! (kept until spent). Usage takes the allowance first, then purchased credits; beyond both a
//! paid tier goes into overage, a free tier is refused. Every change of a bucket is one ledger
//! row naming the bucket, written in the same transaction as the balances, under the
//! subscription row's write lock, so the ledger sums to each bucket at every commit.
use chrono::{NaiveDate, Utc};
use entity::{credit_costs, credit_transactions, subscription_billing, usage_tracking};
use rust_decimal::Decimal;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QuerySelect,
};
use serde_json::Value as Json;
use uuid::Uuid;

use entity::enums::{ActionType, BillingStatus, Platform, Tier, TransactionType};

use crate::audit;
use crate::error::{AppError, AppResult};
use crate::events::{self, ChangeKind, EventBus, outbox};

/// What recording one usage did: the usage, and one ledger row per bucket it moved (one row
/// when it moved none: it all went into overage); the last row carries the overage.
pub struct Recorded {
    pub usage: usage_tracking::Model,
    pub transactions: Vec<credit_transactions::Model>,
}

/// A credit to a balance.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Credit {
    Grant,
    TopUp,
    MonthlyReset,
}

impl Credit {
    fn reason(self) -> TransactionType {
        match self {
            Self::Grant => TransactionType::Grant,
            Self::TopUp => TransactionType::TopUp,
            Self::MonthlyReset => TransactionType::MonthlyReset,
        }
    }
}

/// Where credits sit: the period's allowance, or purchased and granted credits.
pub use entity::enums::CreditBucket as Bucket;

/// The subscription statuses whose new period brings the monthly allowance. `past_due` keeps it
/// while the payment is retried; `unpaid` and `canceled` get none (purchased credits stay).
pub const STATUSES_WITH_ALLOWANCE: &[BillingStatus] =
    &[BillingStatus::Active, BillingStatus::Trialing, BillingStatus::PastDue];

/// What a credit did: the ledger row, and whether this call wrote it (`false`: a repeat of an
/// earlier call with the same idempotency key, which moved nothing).
pub struct Credited {
    pub transaction: credit_transactions::Model,
    pub new: bool,
}

/// A subscription's balances, read under its row's write lock (`FOR UPDATE` on PostgreSQL;
/// SQLite's write transactions hold the database's write lock from their start).
struct Locked {
    row: subscription_billing::Model,
}

impl Locked {
    async fn read(txn: &DatabaseTransaction, user: Uuid) -> AppResult<Self> {
        let mut select = subscription_billing::Entity::find().filter(subscription_billing::Column::UserId.eq(user));
        if txn.get_database_backend() == DbBackend::Postgres {
            select = select.lock_exclusive();
        }
        let mut row = select.one(txn).await?.ok_or(AppError::NotFound("subscription"))?;
        for value in
            [&mut row.allowance_balance, &mut row.purchased_balance, &mut row.lifetime_earned, &mut row.lifetime_spent]
        {
            *value = value.round_dp(2).normalize();
        }
        Ok(Self { row })
    }

    fn total(&self) -> Decimal {
        self.row.allowance_balance + self.row.purchased_balance
    }

    fn bucket(&mut self, bucket: Bucket) -> &mut Decimal {
        match bucket {
            Bucket::Allowance => &mut self.row.allowance_balance,
            Bucket::Purchased => &mut self.row.purchased_balance,
        }
    }

    /// Moves `amount` into (or, negative, out of) `bucket`: the balances change and the ledger row
    /// that says so is returned, to be inserted by the caller.
    fn shift(&mut self, bucket: Bucket, amount: Decimal, reason: TransactionType) -> credit_transactions::ActiveModel {
        *self.bucket(bucket) += amount;
        if amount > Decimal::ZERO {
            self.row.lifetime_earned += amount;
        } else if matches!(reason, TransactionType::Usage | TransactionType::Overage) {
            self.row.lifetime_spent -= amount;
        }
        credit_transactions::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(self.row.user_id),
            amount: Set(amount),
            reason: Set(reason),
            usage_id: Set(None),
            balance_after: Set(self.total()),
            overage_credits: Set(None),
            overage_charge: Set(None),
            created_at: Set(Utc::now()),
            bucket: Set(bucket),
            idempotency_key: Set(None),
        }
    }

    /// Writes the balances back.
    async fn write(&self, txn: &DatabaseTransaction) -> AppResult<()> {
        subscription_billing::Entity::update_many()
            .col_expr(subscription_billing::Column::AllowanceBalance, self.row.allowance_balance.into())
            .col_expr(subscription_billing::Column::PurchasedBalance, self.row.purchased_balance.into())
            .col_expr(subscription_billing::Column::CreditBalance, self.total().into())
            .col_expr(subscription_billing::Column::LifetimeEarned, self.row.lifetime_earned.into())
            .col_expr(subscription_billing::Column::LifetimeSpent, self.row.lifetime_spent.into())
            .filter(subscription_billing::Column::Id.eq(self.row.id))
            .exec(txn)
            .await?;
        Ok(())
    }
}

/// The current cost of an action.
pub async fn cost_of(db: &impl ConnectionTrait, action: ActionType) -> AppResult<Decimal> {
    credit_costs::Entity::find()
        .filter(credit_costs::Column::ActionType.eq(action))
        .one(db)
        .await?
        .map(|c| c.cost.normalize())
        .ok_or(AppError::NotFound("credit cost"))
}

/// Records one usage: the usage row, the debits and their ledger rows, all or nothing.
pub async fn record_usage(
    db: &DatabaseConnection,
    events: &dyn EventBus,
    user: Uuid,
    action: ActionType,
    platform: Option<Platform>,
    date: NaiveDate,
    metadata: Option<Json>,
) -> AppResult<Recorded> {
    let cost = cost_of(db, action).await?;
    let txn = crate::db::write_txn(db).await?;
    let usage = Usage { user, action, platform, date, metadata, cost };
    let recorded = match record_usage_in(&txn, usage).await {
        Ok(recorded) => recorded,
        Err(err) => {
            txn.rollback().await?;
            return Err(err);
        }
    };
    let mut changes = events::changes::<usage_tracking::Entity>(ChangeKind::Created, [&recorded.usage]);
    changes.extend(events::changes::<credit_transactions::Entity>(ChangeKind::Created, &recorded.transactions));
    outbox::commit(txn, events, changes).await?;
    crate::telemetry::credits_spent(cost);
    Ok(recorded)
}

/// One usage to record: `cost` credits for `action`.
pub struct Usage {
    pub user: Uuid,
    pub action: ActionType,
    pub platform: Option<Platform>,
    pub date: NaiveDate,
    pub metadata: Option<Json>,
    pub cost: Decimal,
}

/// [`record_usage`] inside the caller's write transaction. Credits held for work in progress
/// (`credit_reservations`) are not available: a usage beyond the rest is refused like one beyond
/// the balance (a paid tier with an overage rate goes into overage instead).
pub async fn record_usage_in(txn: &DatabaseTransaction, usage: Usage) -> AppResult<Recorded> {
    let Usage { user, action, platform, date, metadata, cost } = usage;
    let mut locked = Locked::read(txn, user).await?;
    let held = held(txn, user).await?;
    let from_allowance = (locked.row.allowance_balance - held).max(Decimal::ZERO).min(cost);
    let held_from_purchased = (held - locked.row.allowance_balance).max(Decimal::ZERO);
    let from_purchased =
        (locked.row.purchased_balance - held_from_purchased).max(Decimal::ZERO).min(cost - from_allowance);
    let overage = cost - from_allowance - from_purchased;
    if overage > Decimal::ZERO && (locked.row.tier == Tier::Free || locked.row.overage_rate.is_none()) {
        return Err(AppError::InsufficientCredits);
    }
    let usage = usage_tracking::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(user),
        usage_date: Set(date),
        action_type: Set(action),
        platform: Set(platform),
        credits_consumed: Set(Some(cost)),
        metadata: Set(Some(metadata.unwrap_or_else(|| Json::Object(Default::default())))),
        created_at: Set(Some(Utc::now())),
    }
    .insert(txn)
    .await?;
    let mut rows = Vec::new();
    for (bucket, amount) in [(Bucket::Allowance, from_allowance), (Bucket::Purchased, from_purchased)] {
        if amount > Decimal::ZERO {
            rows.push(locked.shift(bucket, -amount, TransactionType::Usage));
        }
    }
    if rows.is_empty() {
        rows.push(locked.shift(Bucket::Allowance, Decimal::ZERO, TransactionType::Usage));
    }
    if let Some(last) = rows.last_mut()
        && overage > Decimal::ZERO
    {
        last.reason = Set(TransactionType::Overage);
        last.overage_credits = Set(Some(overage));
        last.overage_charge = Set(locked.row.overage_rate.map(|r| (r * overage).round_dp(4)));
    }
    locked.write(txn).await?;
    let mut transactions = Vec::with_capacity(rows.len());
    for mut row in rows {
        row.usage_id = Set(Some(usage.id));
        transactions.push(row.insert(txn).await?);
    }
    Ok(Recorded { usage, transactions })
}

/// The credits `user` holds for work in progress.
async fn held(txn: &DatabaseTransaction, user: Uuid) -> AppResult<Decimal> {
    use entity::credit_reservations::{Column, Entity};
    use entity::enums::ReservationStatus;
    let amounts: Vec<Decimal> = Entity::find()
        .select_only()
        .column(Column::Amount)
        .filter(Column::UserId.eq(user))
        .filter(Column::Status.eq(ReservationStatus::Held))
        .into_tuple()
        .all(txn)
        .await?;
    Ok(amounts.into_iter().sum())
}

/// Holds `amount` credits of `user` for `job` until `expires_at`, inside the caller's write
/// transaction: refused with `INSUFFICIENT_CREDITS` when the credits not already held fall short
/// (a paid tier with an overage rate may go beyond them, as its usage may).
pub async fn reserve(
    txn: &DatabaseTransaction,
    user: Uuid,
    job: Uuid,
    amount: Decimal,
    expires_at: chrono::DateTime<Utc>,
) -> AppResult<()> {
    use entity::credit_reservations::ActiveModel;
    use entity::enums::ReservationStatus;
    let locked = Locked::read(txn, user).await?;
    let available = locked.total() - held(txn, user).await?;
    let may_exceed = locked.row.tier != Tier::Free && locked.row.overage_rate.is_some();
    if amount > available && !may_exceed {
        return Err(AppError::InsufficientCredits);
    }
    ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(user),
        job_id: Set(job),
        amount: Set(amount),
        status: Set(ReservationStatus::Held),
        expires_at: Set(expires_at),
        created_at: Set(Utc::now()),
        closed_at: Set(None),
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// Ends the hold of `job` inside the caller's write transaction: `used` (at most what was held)
/// is debited as one usage of `action`, the rest is released. `false` when there was no open
/// hold (settled or released before): nothing moves twice.
pub async fn settle(
    txn: &DatabaseTransaction,
    job: Uuid,
    used: Decimal,
    action: ActionType,
    platform: Option<Platform>,
    metadata: Json,
) -> AppResult<bool> {
    use entity::credit_reservations::{Column, Entity};
    use entity::enums::ReservationStatus;
    let Some(hold) = Entity::find()
        .filter(Column::JobId.eq(job))
        .filter(Column::Status.eq(ReservationStatus::Held))
        .one(txn)
        .await?
    else {
        return Ok(false);
    };
    let used = used.min(hold.amount).max(Decimal::ZERO);
    let status = if used > Decimal::ZERO { ReservationStatus::Settled } else { ReservationStatus::Released };
    let closed = Entity::update_many()
        .col_expr(Column::Status, sea_orm::sea_query::Expr::value(status))
        .col_expr(Column::ClosedAt, sea_orm::sea_query::Expr::value(Utc::now()))
        .filter(Column::Id.eq(hold.id))
        .filter(Column::Status.eq(ReservationStatus::Held))
        .exec(txn)
        .await?;
    if closed.rows_affected == 0 {
        return Ok(false);
    }
    if used > Decimal::ZERO {
        let usage = Usage {
            user: hold.user_id,
            action,
            platform,
            date: Utc::now().date_naive(),
            metadata: Some(metadata),
            cost: used,
        };
        record_usage_in(txn, usage).await?;
        crate::telemetry::credits_spent(used);
    }
    Ok(true)
}

/// Credits purchased credits (a grant or a top-up) and records it. With an idempotency key, a
/// repeat returns the first call's row and moves nothing; the same key for another amount or
/// kind is `CONFLICT`.
pub async fn credit(
    db: &DatabaseConnection,
    events: &dyn EventBus,
    user: Uuid,
    amount: Decimal,
    kind: Credit,
    idempotency_key: Option<&str>,
) -> AppResult<Credited> {
    credit_audited(db, events, user, amount, kind, idempotency_key, None).await
}

/// [`credit`], recording it in the audit log as `origin`'s act, in the same transaction.
pub async fn credit_audited(
    db: &DatabaseConnection,
    events: &dyn EventBus,
    user: Uuid,
    amount: Decimal,
    kind: Credit,
    idempotency_key: Option<&str>,
    origin: Option<(audit::Actor, audit::RequestMeta)>,
) -> AppResult<Credited> {
    if amount <= Decimal::ZERO {
        return Err(AppError::bad_input("amount", "must be positive"));
    }
    if let Some(earlier) = earlier_credit(db, user, amount, kind, idempotency_key).await? {
        return Ok(Credited { transaction: earlier, new: false });
    }
    let written = async {
        let txn = crate::db::write_txn(db).await?;
        let credited = credit_in(&txn, user, amount, kind, idempotency_key).await?;
        if let Some((actor, meta)) = &origin {
            audit::record(&txn, *actor, meta, credit_entry(user, &credited.transaction)).await?;
        }
        let changes = match credited.new {
            true => events::changes::<credit_transactions::Entity>(ChangeKind::Created, [&credited.transaction]),
            false => Vec::new(),
        };
        outbox::commit(txn, events, changes).await?;
        Ok::<_, AppError>(credited)
    }
    .await;
    match written {
        Ok(credited) => Ok(credited),
        // The same key, written by a concurrent call in between: its row is the answer.
        Err(AppError::Conflict(_)) if idempotency_key.is_some() => {
            let earlier = earlier_credit(db, user, amount, kind, idempotency_key).await?;
            earlier.map(|transaction| Credited { transaction, new: false }).ok_or(AppError::Internal)
        }
        Err(err) => Err(err),
    }
}

/// The audit entry of a credit.
pub fn credit_entry(user: Uuid, transaction: &credit_transactions::Model) -> audit::Entry {
    let after = serde_json::to_value(transaction).ok();
    audit::Entry::new("credits.grant", Some(user)).change("credit_transactions", transaction.id, None, after)
}

/// [`credit`] inside the caller's transaction `txn` (a payment's webhook writes its credits,
/// its ledger row and its audit entry together). A repeat of the idempotency key moves nothing.
pub async fn credit_in(
    txn: &DatabaseTransaction,
    user: Uuid,
    amount: Decimal,
    kind: Credit,
    idempotency_key: Option<&str>,
) -> AppResult<Credited> {
    if amount <= Decimal::ZERO {
        return Err(AppError::bad_input("amount", "must be positive"));
    }
    let mut locked = Locked::read(txn, user).await?;
    if let Some(earlier) = earlier_credit(txn, user, amount, kind, idempotency_key).await? {
        return Ok(Credited { transaction: earlier, new: false });
    }
    let mut row = locked.shift(Bucket::Purchased, amount, kind.reason());
    row.idempotency_key = Set(idempotency_key.map(str::to_owned));
    locked.write(txn).await?;
    Ok(Credited { transaction: row.insert(txn).await?, new: true })
}

/// The ledger row an earlier credit with this key wrote, if any; `CONFLICT` when it was for
/// another amount or kind.
async fn earlier_credit(
    db: &impl ConnectionTrait,
    user: Uuid,
    amount: Decimal,
    kind: Credit,
    key: Option<&str>,
) -> AppResult<Option<credit_transactions::Model>> {
    let Some(key) = key else { return Ok(None) };
    let earlier = credit_transactions::Entity::find()
        .filter(credit_transactions::Column::UserId.eq(user))
        .filter(credit_transactions::Column::IdempotencyKey.eq(key))
        .one(db)
        .await?;
    match earlier {
        Some(row) if row.amount.round_dp(2) == amount.round_dp(2) && row.reason == kind.reason() => Ok(Some(row)),
        Some(_) => Err(AppError::Conflict("this idempotency key was used for another amount or kind".into())),
        None => Ok(None),
    }
}

/// Starts a new period: what is left of the allowance expires and the new allowance arrives (for
/// the statuses in [`STATUSES_WITH_ALLOWANCE`]), each a ledger row of the allowance bucket;
/// purchased credits stay. Only a subscription whose period has not yet been advanced is reset,
/// so a repeated run changes nothing. The period is claimed first, which takes the row's write
/// lock: the balances read after it are the ones the reset replaces.
pub async fn reset_allowance(
    db: &DatabaseConnection,
    events: &dyn EventBus,
    user: Uuid,
    period_start: chrono::DateTime<Utc>,
    period_end: chrono::DateTime<Utc>,
) -> AppResult<Vec<credit_transactions::Model>> {
    let txn = crate::db::write_txn(db).await?;
    let rows = reset_allowance_in(&txn, user, period_start, period_end).await?;
    outbox::commit(txn, events, events::changes::<credit_transactions::Entity>(ChangeKind::Created, &rows)).await?;
    Ok(rows)
}

/// [`reset_allowance`] inside the caller's transaction `txn`.
pub async fn reset_allowance_in(
    txn: &DatabaseTransaction,
    user: Uuid,
    period_start: chrono::DateTime<Utc>,
    period_end: chrono::DateTime<Utc>,
) -> AppResult<Vec<credit_transactions::Model>> {
    let claimed = subscription_billing::Entity::update_many()
        .col_expr(subscription_billing::Column::CurrentPeriodStart, period_start.into())
        .col_expr(subscription_billing::Column::CurrentPeriodEnd, period_end.into())
        .filter(subscription_billing::Column::UserId.eq(user))
        .filter(subscription_billing::Column::CurrentPeriodEnd.lt(period_end))
        .exec(txn)
        .await?
        .rows_affected;
    if claimed == 0 {
        return Ok(Vec::new());
    }
    let mut locked = Locked::read(txn, user).await?;
    let allowance = match STATUSES_WITH_ALLOWANCE.contains(&locked.row.subscription_status) {
        true => locked.row.monthly_credit_limit.unwrap_or_default().round_dp(2).max(Decimal::ZERO),
        false => Decimal::ZERO,
    };
    let mut rows = Vec::new();
    let left = locked.row.allowance_balance;
    if left > Decimal::ZERO {
        rows.push(locked.shift(Bucket::Allowance, -left, Credit::MonthlyReset.reason()));
    }
    if allowance > Decimal::ZERO {
        rows.push(locked.shift(Bucket::Allowance, allowance, Credit::MonthlyReset.reason()));
    }
    locked.write(txn).await?;
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows {
        entries.push(row.insert(txn).await?);
    }
    Ok(entries)
}

/// The first allowance of a new subscription, inside the caller's transaction (sign-up).
pub async fn open_allowance(txn: &DatabaseTransaction, user: Uuid) -> AppResult<credit_transactions::Model> {
    let mut locked = Locked::read(txn, user).await?;
    let allowance = locked.row.monthly_credit_limit.unwrap_or_default().round_dp(2);
    let row = locked.shift(Bucket::Allowance, allowance, Credit::MonthlyReset.reason());
    locked.write(txn).await?;
    Ok(row.insert(txn).await?)
}
