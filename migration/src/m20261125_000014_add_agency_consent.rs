//! Agency delegation needs the client's consent: a relationship starts `invited`, the client
//! accepts it, and either side ends it (the client by revoking, the agency with `is_active`).
use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            text_in("status", &["invited", "accepted", "revoked"]).not_null().default("invited").to_owned(),
            timestamp("accepted_at"),
            timestamp("revoked_at"),
        ];
        for column in columns {
            manager.alter_table(Table::alter().table("agency_clients").add_column(column).to_owned()).await?;
        }
        Ddl::new(manager)
            .index("agency_clients_client_status_idx", "agency_clients", &["client_user_id", "status"])
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("agency_clients_client_status_idx").table("agency_clients").to_owned())
            .await?;
        for column in ["revoked_at", "accepted_at", "status"] {
            manager.alter_table(Table::alter().table("agency_clients").drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
