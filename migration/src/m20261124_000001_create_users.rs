//! `users` (the seed's `auth.users`), their `sessions` and `refresh_tokens`; the shared
//! `update_updated_at_column()` trigger function of seed section 10.
use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);
        if ddl.is_postgres() {
            ddl.raw(
                "CREATE OR REPLACE FUNCTION update_updated_at_column() RETURNS TRIGGER AS $$
                 BEGIN
                     NEW.updated_at = now();
                     RETURN NEW;
                 END;
                 $$ language 'plpgsql'",
            )
            .await?;
        }

        ddl.create_table(
            Table::create()
                .table("users")
                .col(ddl.id())
                .col(text("email").not_null())
                .col(text("password_hash"))
                .col(text_in("role", &["authenticated", "service_role"]).not_null().default("authenticated"))
                .col(ddl.timestamp_now("created_at").not_null())
                .col(ddl.timestamp_now("updated_at").not_null())
                .col(timestamp("last_sign_in_at"))
                .to_owned(),
        )
        .await?;
        // Case-insensitive uniqueness, the same expression index on both databases.
        ddl.raw("CREATE UNIQUE INDEX users_email_idx ON users (lower(email))").await?;
        ddl.updated_at_trigger("users").await?;

        let mut sessions = Table::create();
        sessions.table("sessions").col(ddl.id());
        user_ref(&mut sessions, "user_id", false);
        sessions
            .col(ddl.timestamp_now("created_at").not_null())
            .col(ddl.timestamp_now("updated_at").not_null())
            .col(timestamp("expires_at").not_null())
            .col(timestamp("revoked_at"));
        ddl.create_table(sessions).await?;
        ddl.index("sessions_user_id_idx", "sessions", &["user_id"]).await?;
        ddl.updated_at_trigger("sessions").await?;

        // Every refresh token a session was given, by hash only. A token is used once: using it
        // rotates it, and presenting a rotated token again revokes the whole session.
        let mut tokens = Table::create();
        tokens.table("refresh_tokens").col(ddl.id());
        tokens
            .col(uuid("session_id").not_null())
            .col(text("token_hash").not_null())
            .col(ddl.timestamp_now("created_at").not_null())
            .col(timestamp("rotated_at"));
        references(&mut tokens, "session_id", "sessions", true);
        ddl.create_table(tokens).await?;
        ddl.unique_index("refresh_tokens_token_hash_idx", "refresh_tokens", &["token_hash"]).await?;
        ddl.index("refresh_tokens_session_id_idx", "refresh_tokens", &["session_id"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);
        ddl.drop_tables(&["refresh_tokens", "sessions", "users"]).await?;
        if ddl.is_postgres() {
            ddl.raw("DROP FUNCTION IF EXISTS update_updated_at_column()").await?;
        }
        Ok(())
    }
}
