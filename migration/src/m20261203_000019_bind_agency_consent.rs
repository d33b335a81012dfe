//! Consent binds a relationship, in the database:
//! - `consented_permissions`: the rights the client consented to when it last accepted. Only
//!   these are delegated; `permissions` is what the agency asks for.
//! - The consent never exceeds what the agency asks for: whenever a row is written, whoever
//!   writes it, `consented_permissions` is cut down to the rights `permissions` still grants
//!   (as an object of the rights set to `true`). Narrowing applies at once; widening waits for
//!   the client to accept again.
//! - The two parties of a relationship never change: an update of `agency_user_id` or
//!   `client_user_id` to another user is refused, for the service role too. Another client is
//!   another relationship, with its own consent.
//!
//! Existing accepted relationships keep their rights only if the row has not changed since the
//! client accepted (the acceptance itself moves `updated_at` within moments of `accepted_at`):
//! a relationship changed after its acceptance may have been widened or pointed at another
//! client without anyone's consent, so its client has to accept again.
use crate::schema::*;
use sea_orm_migration::prelude::*;

const TABLE: &str = "agency_clients";
const COLUMN: &str = "consented_permissions";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);
        manager
            .alter_table(Table::alter().table(TABLE).add_column(ColumnDef::new(COLUMN).json_binary()).to_owned())
            .await?;
        if ddl.is_postgres() {
            ddl.raw(
                "CREATE OR REPLACE FUNCTION agency_clients_keep_parties() RETURNS TRIGGER AS $$
                 BEGIN
                     RAISE EXCEPTION 'the agency and the client of a relationship never change'
                         USING ERRCODE = 'check_violation';
                 END;
                 $$ language 'plpgsql'",
            )
            .await?;
            ddl.raw(
                "CREATE TRIGGER agency_clients_keep_parties BEFORE UPDATE OF agency_user_id, client_user_id \
                 ON agency_clients FOR EACH ROW \
                 WHEN (NEW.agency_user_id IS DISTINCT FROM OLD.agency_user_id \
                       OR NEW.client_user_id IS DISTINCT FROM OLD.client_user_id) \
                 EXECUTE FUNCTION agency_clients_keep_parties()",
            )
            .await?;
            ddl.raw(
                "CREATE OR REPLACE FUNCTION agency_clients_bound_consent() RETURNS TRIGGER AS $$
                 BEGIN
                     NEW.consented_permissions := COALESCE((
                         SELECT jsonb_object_agg(c.key, true)
                         FROM jsonb_each(NEW.consented_permissions) AS c
                         WHERE c.value = 'true'::jsonb AND NEW.permissions -> c.key = 'true'::jsonb
                     ), '{}'::jsonb);
                     RETURN NEW;
                 END;
                 $$ language 'plpgsql'",
            )
            .await?;
            ddl.raw(
                "CREATE TRIGGER agency_clients_bound_consent BEFORE INSERT OR UPDATE ON agency_clients \
                 FOR EACH ROW WHEN (NEW.consented_permissions IS NOT NULL) \
                 EXECUTE FUNCTION agency_clients_bound_consent()",
            )
            .await?;
        } else {
            ddl.raw(
                "CREATE TRIGGER agency_clients_keep_parties BEFORE UPDATE OF agency_user_id, client_user_id \
                 ON agency_clients FOR EACH ROW \
                 WHEN NEW.agency_user_id IS NOT OLD.agency_user_id OR NEW.client_user_id IS NOT OLD.client_user_id \
                 BEGIN SELECT RAISE(ABORT, 'the agency and the client of a relationship never change'); END",
            )
            .await?;
            // SQLite cannot assign NEW: the row is corrected right after the write (recursive
            // triggers are off, so the correction does not fire this trigger again).
            for (name, event) in [
                ("agency_clients_bound_consent_insert", "INSERT"),
                ("agency_clients_bound_consent_update", "UPDATE OF permissions, consented_permissions"),
            ] {
                ddl.raw(&format!(
                    "CREATE TRIGGER {name} AFTER {event} ON agency_clients FOR EACH ROW \
                     WHEN NEW.consented_permissions IS NOT NULL \
                     BEGIN UPDATE agency_clients SET consented_permissions = ( \
                         SELECT json_group_object(c.key, json('true')) \
                         FROM json_each(NEW.consented_permissions) AS c \
                         JOIN json_each(NEW.permissions) AS p ON p.key = c.key \
                         WHERE c.type = 'true' AND p.type = 'true') \
                     WHERE id = NEW.id; END"
                ))
                .await?;
            }
        }
        // The acceptance writes `accepted_at` just before the update that moves `updated_at`.
        let unchanged_since_acceptance = if ddl.is_postgres() {
            "updated_at <= accepted_at + interval '1 second'"
        } else {
            "julianday(updated_at) <= julianday(accepted_at) + 1.0 / 86400"
        };
        ddl.raw(&format!(
            "UPDATE agency_clients SET consented_permissions = permissions \
             WHERE status = 'accepted' AND permissions IS NOT NULL AND {unchanged_since_acceptance}"
        ))
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);
        if ddl.is_postgres() {
            ddl.raw("DROP TRIGGER IF EXISTS agency_clients_bound_consent ON agency_clients").await?;
            ddl.raw("DROP FUNCTION IF EXISTS agency_clients_bound_consent()").await?;
            ddl.raw("DROP TRIGGER IF EXISTS agency_clients_keep_parties ON agency_clients").await?;
            ddl.raw("DROP FUNCTION IF EXISTS agency_clients_keep_parties()").await?;
        } else {
            for name in [
                "agency_clients_bound_consent_insert",
                "agency_clients_bound_consent_update",
                "agency_clients_keep_parties",
            ] {
                ddl.raw(&format!("DROP TRIGGER IF EXISTS {name}")).await?;
            }
        }
        manager.alter_table(Table::alter().table(TABLE).drop_column(COLUMN).to_owned()).await
    }
}
