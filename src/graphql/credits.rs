//! Credits through GraphQL: the ledger (read-only), the cost table, recording usage and grants.
use async_graphql::{Context, Enum, InputObject, Object};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{credit_costs, credit_transactions, usage_tracking};
use rust_decimal::Decimal;
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, QueryFilter};
use serde_json::Value as Json;
use uuid::Uuid;

use super::billing::UsageTracking;
use super::check;
use super::crud::{self, Page, PageArgs};
use super::filter::{table_filter, table_order};
use crate::auth::Viewer;
use crate::auth::policy::{self, Op};
use crate::credits::{self, Credit};
use crate::error::AppError;
use crate::events::ChangeKind;

const ACTIONS: &[&str] = &["draft_generated", "draft_accepted", "draft_rejected", "trend_analyzed", "voice_training"];

/// One change of a credit balance.
pub struct CreditTransaction(pub credit_transactions::Model);

impl From<credit_transactions::Model> for CreditTransaction {
    fn from(row: credit_transactions::Model) -> Self {
        Self(row)
    }
}

#[Object]
impl CreditTransaction {
    /// The transaction's id.
    async fn id(&self) -> Uuid {
        self.0.id
    }

    /// The user whose balance changed.
    async fn user_id(&self) -> Uuid {
        self.0.user_id
    }

    /// Signed change of the balance: debits are negative.
    async fn amount(&self) -> Decimal {
        self.0.amount
    }

    /// One of: `usage`, `overage`, `grant`, `top_up`, `monthly_reset`.
    async fn reason(&self) -> &str {
        &self.0.reason
    }

    /// The usage record this transaction pays for.
    async fn usage_id(&self) -> Option<Uuid> {
        self.0.usage_id
    }

    /// The balance after this transaction.
    async fn balance_after(&self) -> Decimal {
        self.0.balance_after
    }

    /// Credits charged beyond the balance, at the overage rate.
    async fn overage_credits(&self) -> Option<Decimal> {
        self.0.overage_credits
    }

    /// The price of the overage credits.
    async fn overage_charge(&self) -> Option<Decimal> {
        self.0.overage_charge
    }

    /// When the balance changed.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// One of: `allowance` (the period's allowance), `purchased` (purchased and granted
    /// credits): the bucket this row moved. A bucket's rows sum to its balance.
    async fn bucket(&self) -> &str {
        &self.0.bucket
    }

    /// The key a grant or purchase was made with; the same key again moved nothing.
    async fn idempotency_key(&self) -> Option<&str> {
        self.0.idempotency_key.as_deref()
    }
}

table_filter! {
    /// Conditions on credit transactions; fields combine with AND.
    CreditTransactionFilter for credit_transactions {
        id ("id"): UuidFilter => Id,
        user_id ("userId"): UuidFilter => UserId,
        amount ("amount"): DecimalFilter => Amount,
        reason ("reason"): StringFilter => Reason,
        bucket ("bucket"): StringFilter => Bucket,
        usage_id ("usageId"): UuidFilter => UsageId,
        created_at ("createdAt"): DateTimeFilter => CreatedAt,
    }
}

table_order! {
    /// One sort key of credit transactions; ties are broken by id.
    CreditTransactionOrder, CreditTransactionOrderField for credit_transactions {
        Id, UserId, Amount, Reason, BalanceAfter, CreatedAt,
    }
}

/// What an action costs.
pub struct CreditCost(pub credit_costs::Model);

#[Object]
impl CreditCost {
    /// The action.
    async fn action_type(&self) -> &str {
        &self.0.action_type
    }

    /// Credits one action costs.
    async fn cost(&self) -> Decimal {
        self.0.cost
    }

    /// When the cost last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// One usage to record and pay for.
#[derive(InputObject)]
pub struct RecordUsageInput {
    /// The user who used it.
    pub user_id: Uuid,
    /// One of: `draft_generated`, `draft_accepted`, `draft_rejected`, `trend_analyzed`, `voice_training`.
    pub action_type: String,
    /// One of: `twitter`, `linkedin`, `instagram`.
    pub platform: Option<String>,
    /// The day of use; today (UTC) when absent.
    pub usage_date: Option<NaiveDate>,
    /// Additional context, a JSON object.
    pub metadata: Option<Json>,
}

/// A recorded usage and the ledger rows that paid for it.
#[derive(async_graphql::SimpleObject)]
pub struct RecordedUsage {
    pub usage: UsageTracking,
    /// The last of `transactions`: the one that carries any overage.
    pub transaction: CreditTransaction,
    /// One ledger row per bucket the usage took from (allowance first, then purchased credits);
    /// a single row of no amount when it all went into overage.
    pub transactions: Vec<CreditTransaction>,
}

/// Why credits are added.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum CreditReason {
    Grant,
    TopUp,
}

#[derive(Default)]
pub struct CreditQuery;

#[Object]
impl CreditQuery {
    /// Ledger rows the caller may read (their own; every user's for the service role).
    #[graphql(complexity = "crud::page_complexity(first, last, child_complexity)")]
    async fn credit_transactions(
        &self,
        ctx: &Context<'_>,
        filter: Option<CreditTransactionFilter>,
        order_by: Option<Vec<CreditTransactionOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<CreditTransaction>> {
        let args = PageArgs { first, after, last, before };
        crud::list::<credit_transactions::Entity, CreditTransaction, _, _>(ctx, filter, order_by, args).await
    }

    /// What each action costs (service role).
    async fn credit_costs(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CreditCost>> {
        let rows =
            policy::scope::<credit_costs::Entity>(crud::viewer(ctx)?, Op::Read, crud::db(ctx)?.get_database_backend())?
                .all(crud::db(ctx)?)
                .await
                .map_err(AppError::from)?;
        Ok(rows.into_iter().map(CreditCost).collect())
    }
}

#[derive(Default)]
pub struct CreditMutation;

#[Object]
impl CreditMutation {
    /// Records a usage and debits its cost (service role). A free-tier balance that cannot pay
    /// is `INSUFFICIENT_CREDITS` and nothing is written; a paid tier goes into overage.
    async fn record_usage(&self, ctx: &Context<'_>, input: RecordUsageInput) -> async_graphql::Result<RecordedUsage> {
        require_service(ctx)?;
        check::one_of("actionType", &input.action_type, ACTIONS)?;
        if let Some(platform) = &input.platform {
            check::one_of("platform", platform, &["twitter", "linkedin", "instagram"])?;
        }
        if let Some(metadata) = &input.metadata {
            check::json_object("metadata", metadata)?;
        }
        let date = input.usage_date.unwrap_or_else(|| Utc::now().date_naive());
        let recorded = credits::record_usage(
            crud::db(ctx)?,
            input.user_id,
            &input.action_type,
            input.platform,
            date,
            input.metadata,
        )
        .await?;
        crud::publish::<usage_tracking::Entity>(ctx, ChangeKind::Created, &recorded.usage);
        for row in &recorded.transactions {
            crud::publish::<credit_transactions::Entity>(ctx, ChangeKind::Created, row);
        }
        let last = recorded.transactions.last().cloned().ok_or(AppError::Internal)?;
        Ok(RecordedUsage {
            usage: recorded.usage.into(),
            transaction: last.into(),
            transactions: recorded.transactions.into_iter().map(CreditTransaction).collect(),
        })
    }

    /// Adds purchased or granted credits to a user's balance (service role); they are kept until
    /// spent. `idempotencyKey` names the operation (e.g. the payment's id): sent again, the first
    /// call's ledger row is returned and nothing moves; the same key with another amount or
    /// reason is `CONFLICT`.
    async fn grant_credits(
        &self,
        ctx: &Context<'_>,
        user_id: Uuid,
        amount: Decimal,
        #[graphql(default_with = "CreditReason::Grant")] reason: CreditReason,
        idempotency_key: String,
    ) -> async_graphql::Result<CreditTransaction> {
        require_service(ctx)?;
        check::decimal("amount", amount, 10, 2, None)?;
        let kind = match reason {
            CreditReason::Grant => Credit::Grant,
            CreditReason::TopUp => Credit::TopUp,
        };
        check::not_blank("idempotencyKey", &idempotency_key)?;
        let credited = credits::credit(crud::db(ctx)?, user_id, amount, kind, Some(&idempotency_key)).await?;
        if credited.new {
            crud::publish::<credit_transactions::Entity>(ctx, ChangeKind::Created, &credited.transaction);
        }
        Ok(credited.transaction.into())
    }

    /// Sets what an action costs (service role).
    async fn update_credit_cost(
        &self,
        ctx: &Context<'_>,
        action_type: String,
        cost: Decimal,
    ) -> async_graphql::Result<CreditCost> {
        check::one_of("actionType", &action_type, ACTIONS)?;
        check::decimal("cost", cost, 8, 2, Some((0, 999_999)))?;
        let id = policy::scope::<credit_costs::Entity>(
            crud::viewer(ctx)?,
            Op::Update,
            crud::db(ctx)?.get_database_backend(),
        )?
        .filter(credit_costs::Column::ActionType.eq(action_type))
        .one(crud::db(ctx)?)
        .await
        .map_err(AppError::from)?
        .ok_or(AppError::NotFound("credit cost"))?
        .id;
        let row = crud::update::<credit_costs::Entity>(ctx, id, |row| {
            row.cost = Set(cost);
            Ok(())
        })
        .await?;
        Ok(CreditCost(row))
    }
}

fn require_service(ctx: &Context<'_>) -> Result<(), AppError> {
    match crud::viewer(ctx)? {
        Viewer::Service => Ok(()),
        Viewer::Anonymous => Err(AppError::Unauthenticated),
        Viewer::User { .. } => Err(AppError::Forbidden),
    }
}
