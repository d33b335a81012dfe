//! Crawling: what each source's last crawl found and when the next one is due, the validators
//! of its conditional requests, and the key that makes a feed item one trend however often it
//! is seen (unique per user).
use crate::schema::*;
use sea_orm_migration::prelude::*;

pub const CRAWL_STATUSES: &[&str] = &["ok", "not_modified", "failed", "no_connector"];

#[derive(DeriveMigrationName)]
pub struct Migration;

fn source_columns() -> Vec<ColumnDef> {
    vec![
        timestamp("next_crawl_at"),
        text_in("last_crawl_status", CRAWL_STATUSES),
        text("last_crawl_error"),
        integer("last_crawl_items"),
        integer("crawl_failures").not_null().default(0).check(Expr::col("crawl_failures").gte(0)).to_owned(),
        text("crawl_etag"),
        text("crawl_last_modified"),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for column in source_columns() {
            manager.alter_table(Table::alter().table("content_sources").add_column(column).to_owned()).await?;
        }
        manager
            .alter_table(Table::alter().table("trend_insights").add_column(text("source_item_key")).to_owned())
            .await?;
        let ddl = Ddl::new(manager);
        ddl.index("content_sources_next_crawl_idx", "content_sources", &["next_crawl_at"]).await?;
        ddl.unique_index("trend_insights_item_key", "trend_insights", &["user_id", "source_item_key"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);
        ddl.raw("DROP INDEX IF EXISTS trend_insights_item_key").await?;
        ddl.raw("DROP INDEX IF EXISTS content_sources_next_crawl_idx").await?;
        manager.alter_table(Table::alter().table("trend_insights").drop_column("source_item_key").to_owned()).await?;
        for column in source_columns().iter().rev() {
            let name = column.get_column_name();
            manager
                .alter_table(Table::alter().table("content_sources").drop_column(Alias::new(name)).to_owned())
                .await?;
        }
        Ok(())
    }
}
