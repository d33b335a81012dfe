//! Live events larger than a PostgreSQL notification: the event bus stores the payload here and
//! notifies its id; listeners load it. Rows are kept for an hour.
use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);
        ddl.create_table(
            Table::create()
                .table("event_payloads")
                .col(ddl.id())
                .col(text("payload").not_null())
                .col(ddl.timestamp_now("created_at").not_null())
                .to_owned(),
        )
        .await?;
        ddl.index("event_payloads_created_at_idx", "event_payloads", &["created_at"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        Ddl::new(manager).drop_tables(&["event_payloads"]).await
    }
}
