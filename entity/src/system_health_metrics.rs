//! `system_health_metrics` (seed 9.2): system performance and health indicators.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "system_health_metrics")]
#[graphql(name = "SystemHealthMetricColumns")]
#[table(name = "SystemHealthMetric", label = "system health metric")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[table(not_blank)]
    pub metric_name: String,
    #[sea_orm(column_type = "Decimal(Some((12, 4)))")]
    pub metric_value: Decimal,
    pub metric_unit: Option<String>,
    /// Additional metric metadata. Defaults to `{}`.
    #[sea_orm(column_type = "JsonBinary")]
    #[table(json_object)]
    pub tags: Option<Json>,
    /// Defaults to now().
    pub recorded_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
