//! `credit_transactions`: the credit ledger; every change of a balance, signed, append-only.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{CreditBucket, TransactionType};

#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "credit_transactions")]
#[graphql(name = "CreditTransactionColumns")]
#[table(name = "CreditTransaction", label = "credit transaction", read_only)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[table(owner)]
    pub user_id: Uuid,
    /// Signed change of the balance: debits are negative.
    #[sea_orm(column_type = "Decimal(Some((10, 2)))")]
    pub amount: Decimal,
    pub reason: TransactionType,
    /// The usage record this transaction pays for.
    pub usage_id: Option<Uuid>,
    /// The balance after this transaction; never below zero.
    #[sea_orm(column_type = "Decimal(Some((10, 2)))")]
    pub balance_after: Decimal,
    /// Credits charged beyond the balance at the subscription's overage rate.
    #[sea_orm(column_type = "Decimal(Some((8, 2)))")]
    pub overage_credits: Option<Decimal>,
    /// The price of those credits (`overage_credits × overage_rate`).
    #[sea_orm(column_type = "Decimal(Some((12, 4)))")]
    pub overage_charge: Option<Decimal>,
    pub created_at: DateTimeUtc,
    /// the bucket this row moved.
    pub bucket: CreditBucket,
    /// A grant's or purchase's key: the same key again moves nothing.
    pub idempotency_key: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    Users,
    #[sea_orm(
        belongs_to = "super::usage_tracking::Entity",
        from = "Column::UsageId",
        to = "super::usage_tracking::Column::Id",
        on_delete = "Cascade"
    )]
    UsageTracking,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Users.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
