//! The index behind the most common list: a user's drafts, newest first. Ordered as the API
//! orders (`created_at` descending with nulls last, then `id`), so PostgreSQL reads a page of a
//! user's latest drafts straight off the index instead of sorting all of that user's drafts.
use crate::schema::*;
use sea_orm_migration::prelude::*;

const NAME: &str = "content_drafts_user_id_created_at_idx";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);
        // SQLite sorts nulls first, so its descending order already puts them last; it has no
        // NULLS clause in index definitions.
        let created_at = if ddl.is_postgres() { "created_at DESC NULLS LAST" } else { "created_at DESC" };
        ddl.raw(&format!("CREATE INDEX {NAME} ON content_drafts (user_id, {created_at}, id)")).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        Ddl::new(manager).raw(&format!("DROP INDEX {NAME}")).await
    }
}
