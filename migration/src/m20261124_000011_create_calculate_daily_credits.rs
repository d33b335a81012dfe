//! Seed section 10, `calculate_daily_credits(user_uuid, target_date)`, on PostgreSQL exactly as
//! the seed defines it. SQLite has no stored functions; the server runs the same SUM there.
use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);
        if !ddl.is_postgres() {
            return Ok(());
        }
        ddl.raw(
            "CREATE OR REPLACE FUNCTION calculate_daily_credits(user_uuid uuid, target_date date)
             RETURNS decimal AS $$
             DECLARE
                 total_credits decimal;
             BEGIN
                 SELECT COALESCE(SUM(credits_consumed), 0)
                 INTO total_credits
                 FROM usage_tracking
                 WHERE user_id = user_uuid AND usage_date = target_date;

                 RETURN total_credits;
             END;
             $$ LANGUAGE plpgsql SECURITY DEFINER",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);
        if ddl.is_postgres() {
            ddl.raw("DROP FUNCTION IF EXISTS calculate_daily_credits(uuid, date)").await?;
        }
        Ok(())
    }
}
