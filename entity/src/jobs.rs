//! `jobs`: the durable queue of work every instance shares (not exposed as a table of the API;
//! each kind of work shows its progress in a table of its own, such as `generations`).
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{JobQueue, JobStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub queue: JobQueue,
    #[sea_orm(column_type = "JsonBinary")]
    pub payload: Json,
    pub status: JobStatus,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTimeUtc,
    /// The worker holding it, until `locked_until`: a worker that dies loses it then.
    pub locked_by: Option<String>,
    pub locked_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
