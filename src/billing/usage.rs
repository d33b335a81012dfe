//! Usage and credits computed in the database.
use async_graphql::{Context, Object};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use uuid::Uuid;

use crate::auth::Viewer;
use crate::error::AppError;
use crate::table;

/// The seed's `calculate_daily_credits(user, date)`: the credits a user consumed on a day.
///
/// PostgreSQL runs the stored function; SQLite, which has none, runs the same sum rounded to the
/// column's scale (its decimals are stored as REAL, see the migration crate's type mapping).
pub async fn daily_credits(db: &impl ConnectionTrait, user_id: Uuid, date: NaiveDate) -> Result<Decimal, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT calculate_daily_credits($1, $2) AS total",
        _ => {
            "SELECT ROUND(COALESCE(SUM(credits_consumed), 0), 2) AS total \
              FROM usage_tracking WHERE user_id = ? AND usage_date = ?"
        }
    };
    let stmt = Statement::from_sql_and_values(backend, sql, [user_id.into(), date.into()]);
    let row = db.query_one_raw(stmt).await?.ok_or_else(|| DbErr::RecordNotFound("credits".into()))?;
    let total: Decimal = row.try_get("", "total")?;
    Ok(total.normalize())
}

#[derive(Default)]
pub struct DailyCreditsQuery;

#[Object]
impl DailyCreditsQuery {
    /// Credits consumed on `date` (the seed's `calculate_daily_credits`): the caller's own, or,
    /// for the service role, those of `userId`.
    async fn daily_credits(
        &self,
        ctx: &Context<'_>,
        date: NaiveDate,
        user_id: Option<Uuid>,
    ) -> async_graphql::Result<Decimal> {
        let user = match (table::viewer(ctx)?, user_id) {
            (Viewer::Service, Some(user)) => user,
            (Viewer::Service, None) => {
                return Err(AppError::bad_input("userId", "the service role must name the user").into());
            }
            (Viewer::User { id, .. }, None) => *id,
            (Viewer::User { id, .. }, Some(user)) if user == *id => *id,
            (Viewer::User { .. }, Some(_)) => {
                return Err(AppError::bad_input("userId", "only the service role may set it").into());
            }
            (Viewer::Anonymous, _) => return Err(AppError::Unauthenticated.into()),
        };
        Ok(daily_credits(table::db(ctx)?, user, date).await.map_err(AppError::from)?)
    }
}
