//! `client_logs` (seed 004): errors, logs and feedback that client apps report.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::LogLevel;

/// A client app's report.
#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "client_logs")]
#[graphql(name = "ClientLogColumns")]
#[table(name = "ClientLog", label = "client log", read_only)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The signed-in user who sent it; none for an anonymous report.
    #[table(owner)]
    pub user_id: Option<Uuid>,
    pub level: LogLevel,
    pub message: String,
    /// Anything the app adds, a JSON object.
    #[sea_orm(column_type = "JsonBinary")]
    pub context: Option<Json>,
    pub app_version: Option<String>,
    /// The app's platform, e.g. `ios`, `android`, `web`.
    pub platform: Option<String>,
    /// Where the report came from.
    pub client_address: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
