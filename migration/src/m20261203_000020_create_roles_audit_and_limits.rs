//! Operating it safely (seed 001): `user_roles`, the source of truth for who is an admin or in
//! support; `audit_logs`, what sensitive changes happened, by whom, from where; and
//! `rate_limit_buckets`, the persistent state of the rate limits, shared by every instance.
use crate::schema::*;
use sea_orm_migration::prelude::*;

pub const ROLES: &[&str] = &["admin", "support", "member"];
pub const ACTORS: &[&str] = &["user", "admin", "support", "service", "system", "anonymous"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);

        // One row per user who is more than a member; no row means `member`.
        let mut roles = Table::create();
        roles.table("user_roles").col(ddl.id());
        user_ref(&mut roles, "user_id", false);
        roles
            .col(text_in("role", ROLES).not_null())
            .col(uuid("granted_by"))
            .col(ddl.timestamp_now("created_at").not_null().to_owned())
            .col(ddl.timestamp_now("updated_at").not_null().to_owned());
        ddl.create_table(roles).await?;
        ddl.unique_index("user_roles_user_id_key", "user_roles", &["user_id"]).await?;
        ddl.updated_at_trigger("user_roles").await?;

        // No foreign key to `users`: entries outlive the account (pseudonymised, see the
        // account deletion) and the actor may be gone.
        let mut audit = Table::create();
        audit
            .table("audit_logs")
            .col(ddl.id())
            .col(ddl.timestamp_now("occurred_at").not_null().to_owned())
            .col(text_in("actor_kind", ACTORS).not_null())
            .col(uuid("actor_id"))
            .col(uuid("subject_user_id"))
            .col(text("subject_pseudonym"))
            .col(text("action").not_null())
            .col(text("table_name"))
            .col(uuid("row_id"))
            .col(ColumnDef::new("before").json_binary())
            .col(ColumnDef::new("after").json_binary())
            .col(text("request_id"))
            .col(text("client_address"));
        ddl.create_table(audit).await?;
        ddl.index("audit_logs_subject_idx", "audit_logs", &["subject_user_id", "occurred_at"]).await?;
        ddl.index("audit_logs_actor_idx", "audit_logs", &["actor_id", "occurred_at"]).await?;
        ddl.index("audit_logs_action_idx", "audit_logs", &["action", "occurred_at"]).await?;
        ddl.index("audit_logs_occurred_at_idx", "audit_logs", &["occurred_at"]).await?;

        // GCRA state: the theoretical arrival time of each key, in microseconds since the epoch.
        let mut buckets = Table::create();
        buckets
            .table("rate_limit_buckets")
            .col(text("key").not_null().primary_key().to_owned())
            .col(big_integer("tat_us").not_null().to_owned());
        ddl.create_table(buckets).await?;
        ddl.index("rate_limit_buckets_tat_idx", "rate_limit_buckets", &["tat_us"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        Ddl::new(manager).drop_tables(&["rate_limit_buckets", "audit_logs", "user_roles"]).await
    }
}
