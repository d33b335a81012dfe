//! Credits through GraphQL: the ledger (read-only), the cost table, recording usage and grants.
use async_graphql::{Context, Enum, InputObject, Object};
use chrono::{NaiveDate, Utc};
use entity::enums::{ActionType, Platform};
use entity::table::check;
use entity::{credit_costs, credit_transactions};
use rust_decimal::Decimal;
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, QueryFilter};
use serde_json::Value as Json;
use uuid::Uuid;

use super::UsageTracking;
use super::ledger::{self as credits, Credit};
use crate::auth::Viewer;
use crate::auth::policy::{self, Op};
use crate::error::AppError;
use crate::limits::Rule;
use crate::table;

/// One change of a credit balance.
#[derive(Clone, async_graphql::SimpleObject, macros::Resource)]
#[resource(table = "credit_transactions", list, me, live)]
pub struct CreditTransaction {
    #[graphql(flatten)]
    pub row: credit_transactions::Model,
}

/// What an action costs.
#[derive(Clone, async_graphql::SimpleObject, macros::Resource)]
#[resource(table = "credit_costs")]
pub struct CreditCost {
    #[graphql(flatten)]
    pub row: credit_costs::Model,
}

/// One usage to record and pay for.
#[derive(InputObject)]
pub struct RecordUsageInput {
    /// The user who used it.
    pub user_id: Uuid,
    /// The action used.
    pub action_type: ActionType,
    /// The platform it was used for.
    pub platform: Option<Platform>,
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
    /// What each action costs (service role).
    async fn credit_costs(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CreditCost>> {
        let rows = policy::scope::<credit_costs::Entity>(
            table::viewer(ctx)?,
            Op::Read,
            table::db(ctx)?.get_database_backend(),
        )?
        .all(table::db(ctx)?)
        .await
        .map_err(AppError::from)?;
        Ok(rows.into_iter().map(CreditCost::from).collect())
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
        if let Some(metadata) = &input.metadata {
            check::json_object("metadata", metadata).map_err(AppError::from)?;
        }
        let date = input.usage_date.unwrap_or_else(|| Utc::now().date_naive());
        let recorded = credits::record_usage(
            table::db(ctx)?,
            table::state(ctx)?.events.as_ref(),
            input.user_id,
            input.action_type,
            input.platform,
            date,
            input.metadata,
        )
        .await?;
        let last = recorded.transactions.last().cloned().ok_or(AppError::Internal)?;
        Ok(RecordedUsage {
            usage: recorded.usage.into(),
            transaction: last.into(),
            transactions: recorded.transactions.into_iter().map(CreditTransaction::from).collect(),
        })
    }

    /// Adds purchased or granted credits to a user's balance (service role or admin, audited); they are kept until
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
        require_service_or_admin(ctx).await?;
        check::decimal("amount", amount, 10, 2, None).map_err(AppError::from)?;
        let kind = match reason {
            CreditReason::Grant => Credit::Grant,
            CreditReason::TopUp => Credit::TopUp,
        };
        check::not_blank("idempotencyKey", &idempotency_key).map_err(AppError::from)?;
        let origin = Some(crate::audit::origin(ctx));
        let events = table::state(ctx)?.events.as_ref();
        let credited =
            credits::credit_audited(table::db(ctx)?, events, user_id, amount, kind, Some(&idempotency_key), origin)
                .await?;
        Ok(credited.transaction.into())
    }

    /// Sets what an action costs (service role).
    async fn update_credit_cost(
        &self,
        ctx: &Context<'_>,
        action_type: ActionType,
        cost: Decimal,
    ) -> async_graphql::Result<CreditCost> {
        check::decimal("cost", cost, 8, 2, Some((0, 999_999))).map_err(AppError::from)?;
        let id = policy::scope::<credit_costs::Entity>(
            table::viewer(ctx)?,
            Op::Update,
            table::db(ctx)?.get_database_backend(),
        )?
        .filter(credit_costs::Column::ActionType.eq(action_type))
        .one(table::db(ctx)?)
        .await
        .map_err(AppError::from)?
        .ok_or(AppError::NotFound("credit cost"))?
        .id;
        let row = table::modify::<credit_costs::Entity, _, _>(ctx, id, async |_| {
            Ok(move |row: &mut credit_costs::ActiveModel| row.cost = Set(cost))
        })
        .await?;
        Ok(row.into())
    }
}

/// The service role, or an admin (audited as a person, and held to the costly-mutation limit).
async fn require_service_or_admin(ctx: &Context<'_>) -> Result<(), AppError> {
    match table::viewer(ctx)? {
        viewer @ Viewer::User { id, .. } if viewer.is_admin() => {
            table::state(ctx)?.limits.consume(Rule::Costly, &id.to_string(), 1).await
        }
        _ => require_service(ctx),
    }
}

fn require_service(ctx: &Context<'_>) -> Result<(), AppError> {
    match table::viewer(ctx)? {
        Viewer::Service => Ok(()),
        Viewer::Anonymous => Err(AppError::Unauthenticated),
        Viewer::User { .. } => Err(AppError::Forbidden),
    }
}
