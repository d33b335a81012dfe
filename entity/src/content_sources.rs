//! `content_sources` (seed 4.1): content sources monitored for trend detection.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{CrawlStatus, SourceType};

#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "content_sources")]
#[graphql(name = "ContentSourceColumns")]
#[table(name = "ContentSource", label = "content source")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[table(owner)]
    pub user_id: Uuid,
    pub source_type: SourceType,
    /// Handle, hashtag, URL, etc.
    #[table(not_blank)]
    pub source_identifier: String,
    #[table(not_blank)]
    pub source_name: String,
    pub source_url: Option<String>,
    /// 1 to 10. Defaults to 5.
    #[table(range(1, 10))]
    pub priority_level: Option<i32>,
    /// Defaults to `true`.
    pub is_active: Option<bool>,
    pub last_crawled_at: Option<DateTimeUtc>,
    /// How often the source is crawled, in seconds (the seed's `interval`); positive, defaults to 3600 (1 hour).
    #[table(min = 1)]
    pub crawl_frequency: Option<i64>,
    /// Platform-specific data. Defaults to `{}`.
    #[sea_orm(column_type = "JsonBinary")]
    #[table(json_object)]
    pub source_metadata: Option<Json>,
    /// When the next crawl is due: the last crawl's time plus `crawlFrequency`, longer after
    /// failures. Null until the first crawl (due at once).
    #[table(read_only)]
    pub next_crawl_at: Option<DateTimeUtc>,
    /// How the last crawl went.
    #[table(read_only)]
    pub last_crawl_status: Option<CrawlStatus>,
    /// Why the last crawl failed, or which connector is missing.
    #[table(read_only)]
    pub last_crawl_error: Option<String>,
    /// New items the last crawl found (each a trend insight).
    #[table(read_only)]
    pub last_crawl_items: Option<i32>,
    /// Crawls failed in a row; each doubles the wait before the next (up to 32 times the frequency).
    #[table(read_only, default)]
    pub crawl_failures: i32,
    #[graphql(skip)]
    #[table(read_only)]
    pub crawl_etag: Option<String>,
    #[graphql(skip)]
    #[table(read_only)]
    pub crawl_last_modified: Option<String>,
    pub created_at: Option<DateTimeUtc>,
    pub updated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    Users,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Users.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
