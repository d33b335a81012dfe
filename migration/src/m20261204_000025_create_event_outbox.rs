//! The transactional outbox of live events: each committed change's event is written in the
//! change's own transaction, numbered per user (`event_positions` holds each user's last
//! position; its row lock orders one user's writers), kept for a retention window so that a
//! subscriber can resume after a reconnect, and purged with the account. It replaces
//! `event_payloads`, which held only the events too large for a notification.
use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);
        let mut positions = Table::create();
        positions.table("event_positions");
        user_ref(&mut positions, "user_id", false);
        positions
            .col(big_integer("position").not_null().check(Expr::col("position").gte(0)).to_owned())
            .primary_key(Index::create().col("user_id"));
        ddl.create_table(positions).await?;

        // SQLite numbers rows only with an INTEGER PRIMARY KEY.
        let mut id = if ddl.is_postgres() { big_integer("id") } else { integer("id") };
        let mut outbox = Table::create();
        outbox.table("event_outbox").col(id.not_null().primary_key().auto_increment().to_owned());
        user_ref(&mut outbox, "user_id", true);
        outbox
            .col(big_integer("position").check(Expr::col("position").gte(1)).to_owned())
            .col(text("payload").not_null())
            .col(ddl.timestamp_now("created_at").not_null().to_owned());
        ddl.create_table(outbox).await?;
        ddl.unique_index("event_outbox_position", "event_outbox", &["user_id", "position"]).await?;
        ddl.index("event_outbox_created_at_idx", "event_outbox", &["created_at"]).await?;
        ddl.drop_tables(&["event_payloads"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        Ddl::new(manager).drop_tables(&["event_outbox", "event_positions"]).await?;
        crate::m20261125_000015_create_event_payloads::Migration.up(manager).await
    }
}
