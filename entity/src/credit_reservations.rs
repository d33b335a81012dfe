//! `credit_reservations`: credits held for a job until it is settled or released.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::ReservationStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "credit_reservations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub job_id: Uuid,
    pub amount: Decimal,
    pub status: ReservationStatus,
    /// A hold still open then is released by the sweeper: a reservation never outlives its job.
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
