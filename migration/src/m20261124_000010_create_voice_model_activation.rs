//! Seed section 10, `activate_voice_model`: activating a model deactivates the user's other
//! models, in the database. A partial unique index beside the trigger guarantees at most one
//! active model per user even when two activations race.
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
                "CREATE OR REPLACE FUNCTION activate_voice_model() RETURNS TRIGGER AS $$
                 BEGIN
                     IF NEW.is_active = true THEN
                         -- Deactivate other models for this user
                         UPDATE voice_models
                         SET is_active = false
                         WHERE user_id = NEW.user_id AND id != NEW.id;
                     END IF;
                     RETURN NEW;
                 END;
                 $$ language 'plpgsql'",
            )
            .await?;
            // BEFORE, so that the others are inactive when the unique index sees this row.
            ddl.raw(
                "CREATE TRIGGER activate_voice_model BEFORE INSERT OR UPDATE OF is_active ON voice_models \
                 FOR EACH ROW WHEN (NEW.is_active) EXECUTE FUNCTION activate_voice_model()",
            )
            .await?;
        } else {
            for event in ["INSERT", "UPDATE OF is_active"] {
                let name =
                    if event == "INSERT" { "activate_voice_model_insert" } else { "activate_voice_model_update" };
                ddl.raw(&format!(
                    "CREATE TRIGGER {name} BEFORE {event} ON voice_models FOR EACH ROW WHEN NEW.is_active \
                     BEGIN UPDATE voice_models SET is_active = false \
                     WHERE user_id = NEW.user_id AND id != NEW.id AND is_active; END"
                ))
                .await?;
            }
        }
        ddl.raw("CREATE UNIQUE INDEX voice_models_one_active_per_user_idx ON voice_models (user_id) WHERE is_active")
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);
        ddl.raw("DROP INDEX IF EXISTS voice_models_one_active_per_user_idx").await?;
        if ddl.is_postgres() {
            ddl.raw("DROP TRIGGER IF EXISTS activate_voice_model ON voice_models").await?;
            ddl.raw("DROP FUNCTION IF EXISTS activate_voice_model()").await
        } else {
            ddl.raw("DROP TRIGGER IF EXISTS activate_voice_model_insert").await?;
            ddl.raw("DROP TRIGGER IF EXISTS activate_voice_model_update").await
        }
    }
}
