//! `generations`: a request for drafts in the creator's voice, and how far it got. Written by
//! the server only (`generateDrafts`, then the job); read by its owner, live too.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{ContentType, GenerationStatus, Platform};

/// A request for drafts and its progress.
#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "generations")]
#[graphql(name = "GenerationColumns")]
#[table(name = "Generation", label = "generation", read_only)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[table(owner)]
    pub user_id: Uuid,
    /// Who asked: the user, or an agency member acting for them.
    pub requested_by: Option<Uuid>,
    pub platform: Platform,
    pub content_type: ContentType,
    /// The trend the drafts are about.
    pub trend_insight_id: Option<Uuid>,
    /// How many drafts were asked for (1 to 10).
    pub requested_count: i32,
    pub instructions: Option<String>,
    pub status: GenerationStatus,
    /// Credits held while it runs: the cost of every draft asked for.
    pub credits_reserved: Decimal,
    /// Credits debited when it ended: the cost of the drafts written.
    pub credits_used: Option<Decimal>,
    pub drafts_written: i32,
    /// Tokens the AI provider counted.
    pub tokens_used: i32,
    /// Why it failed, as an error code (`AI_PROVIDER_FAILED`, `AI_ANSWER_MALFORMED`, ...).
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub cancel_requested: bool,
    /// When its credits are released at the latest, whatever happened to the job.
    pub deadline: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
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

impl ActiveModelBehavior for ActiveModel {}
