//! `credit_costs`: what each action costs in credits, editable by the service role.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::ActionType;

#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "credit_costs")]
#[graphql(name = "CreditCostColumns")]
#[table(name = "CreditCost", label = "credit cost", read_only)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub action_type: ActionType,
    /// Credits one action costs; at least 0.
    #[sea_orm(column_type = "Decimal(Some((8, 2)))")]
    pub cost: Decimal,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
