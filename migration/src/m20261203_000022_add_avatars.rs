//! Uploaded avatars: `creator_profiles.avatar_content_type` holds the format of the avatar
//! stored for the profile's user (`<userId>/avatar` in the avatar store), judged by its bytes,
//! and is null without one. The bytes live outside the database; `avatar_url` stays as it was
//! (clients no longer write it; an upload clears it).
use crate::schema::*;
use sea_orm_migration::prelude::*;

pub const AVATAR_CONTENT_TYPES: &[&str] = &["image/jpeg", "image/png", "image/webp", "image/gif"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let column = text_in("avatar_content_type", AVATAR_CONTENT_TYPES);
        manager.alter_table(Table::alter().table("creator_profiles").add_column(column).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("creator_profiles").drop_column("avatar_content_type").to_owned())
            .await
    }
}
