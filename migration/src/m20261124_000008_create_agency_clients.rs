//! Seed section 8: `agency_clients`.
use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);

        let mut agency = Table::create();
        agency.table("agency_clients").col(ddl.id());
        user_ref(&mut agency, "agency_user_id", false);
        user_ref(&mut agency, "client_user_id", false);
        agency
            .col(text("client_name").not_null())
            .col(text("client_brand"))
            .col(json("permissions", "{}"))
            .col(decimal("billing_allocation", 5, 2))
            .col(boolean("is_active", true))
            .col(ddl.timestamp_now("created_at"))
            .col(ddl.timestamp_now("updated_at"));
        ddl.create_table(agency).await?;
        ddl.index("agency_clients_agency_user_idx", "agency_clients", &["agency_user_id"]).await?;
        ddl.index("agency_clients_client_user_idx", "agency_clients", &["client_user_id"]).await?;
        ddl.unique_index("agency_clients_agency_client_idx", "agency_clients", &["agency_user_id", "client_user_id"])
            .await?;
        ddl.index("agency_clients_active_idx", "agency_clients", &["is_active"]).await?;
        ddl.updated_at_trigger("agency_clients").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        Ddl::new(manager).drop_tables(&["agency_clients"]).await
    }
}
