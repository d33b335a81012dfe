//! `credit_costs`: what each action costs in credits, editable by the service role.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "credit_costs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// One of: `draft_generated`, `draft_accepted`, `draft_rejected`, `trend_analyzed`, `voice_training`.
    #[sea_orm(unique)]
    pub action_type: String,
    /// Credits one action costs; at least 0.
    #[sea_orm(column_type = "Decimal(Some((8, 2)))")]
    pub cost: Decimal,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
