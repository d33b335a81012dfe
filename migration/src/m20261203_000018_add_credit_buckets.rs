//! Credits in two buckets (seeds 000, 002, 004): the period's allowance, reset each period, and
//! purchased or granted credits, kept until spent. Every ledger row names the bucket it moved, so
//! the ledger sums to each bucket's balance; grants and purchases carry an idempotency key; the
//! subscription keeps the tier (billing state, written by the billing side) and the lifetime
//! credits earned and spent. The profile's tier follows the subscription's, by trigger.
use crate::schema::*;
use sea_orm_migration::prelude::*;

pub const BUCKETS: &[&str] = &["allowance", "purchased"];
pub const TIERS: &[&str] = &["free", "creator", "agency", "enterprise"];

#[derive(DeriveMigrationName)]
pub struct Migration;

fn non_negative(name: &'static str, precision: u32) -> ColumnDef {
    decimal(name, precision, 2).not_null().default(0).check(Expr::col(name).gte(0)).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);
        let add = |col: ColumnDef| Table::alter().table("subscription_billing").add_column(col).to_owned();
        for col in [
            text_in("tier", TIERS).not_null().default("free").to_owned(),
            non_negative("allowance_balance", 10),
            non_negative("purchased_balance", 10),
            non_negative("lifetime_earned", 12),
            non_negative("lifetime_spent", 12),
        ] {
            manager.alter_table(add(col)).await?;
        }
        for col in [text_in("bucket", BUCKETS).not_null().default("allowance").to_owned(), text("idempotency_key")] {
            manager.alter_table(Table::alter().table("credit_transactions").add_column(col).to_owned()).await?;
        }
        ddl.unique_index("credit_transactions_idempotency_idx", "credit_transactions", &["user_id", "idempotency_key"])
            .await?;

        // What was there: the balance counts as allowance, the tier is the profile's, and the
        // lifetime sums are the ledger's.
        ddl.raw(
            "UPDATE subscription_billing SET allowance_balance = COALESCE(credit_balance, 0), \
             tier = COALESCE((SELECT subscription_tier FROM creator_profiles p \
                              WHERE p.user_id = subscription_billing.user_id), 'free'), \
             lifetime_earned = COALESCE((SELECT SUM(amount) FROM credit_transactions t \
                              WHERE t.user_id = subscription_billing.user_id AND t.amount > 0), 0), \
             lifetime_spent = COALESCE((SELECT -SUM(amount) FROM credit_transactions t \
                              WHERE t.user_id = subscription_billing.user_id AND t.reason IN ('usage', 'overage')), 0)",
        )
        .await?;

        // The profile shows the subscription's tier, whoever writes it.
        if ddl.is_postgres() {
            ddl.raw(
                "CREATE FUNCTION sync_profile_tier() RETURNS trigger AS $$ BEGIN \
                 UPDATE creator_profiles SET subscription_tier = NEW.tier \
                 WHERE user_id = NEW.user_id AND subscription_tier IS DISTINCT FROM NEW.tier; \
                 RETURN NEW; END; $$ LANGUAGE plpgsql",
            )
            .await?;
            ddl.raw(
                "CREATE TRIGGER subscription_billing_sync_tier AFTER INSERT OR UPDATE OF tier ON subscription_billing \
                 FOR EACH ROW EXECUTE FUNCTION sync_profile_tier()",
            )
            .await?;
            // After the row's own CHECK: a value outside the tiers is refused, any other is
            // replaced by the subscription's.
            ddl.raw(
                "CREATE FUNCTION profile_tier_from_billing() RETURNS trigger AS $$ BEGIN \
                 UPDATE creator_profiles SET subscription_tier = COALESCE((SELECT tier FROM subscription_billing \
                 WHERE user_id = NEW.user_id), 'free') WHERE id = NEW.id AND subscription_tier IS DISTINCT FROM \
                 COALESCE((SELECT tier FROM subscription_billing WHERE user_id = NEW.user_id), 'free'); \
                 RETURN NULL; END; $$ LANGUAGE plpgsql",
            )
            .await?;
            ddl.raw(
                "CREATE TRIGGER creator_profiles_tier_from_billing AFTER INSERT OR UPDATE OF subscription_tier \
                 ON creator_profiles FOR EACH ROW EXECUTE FUNCTION profile_tier_from_billing()",
            )
            .await?;
        } else {
            for event in ["INSERT", "UPDATE OF tier"] {
                let name = if event == "INSERT" {
                    "subscription_billing_sync_tier_insert"
                } else {
                    "subscription_billing_sync_tier_update"
                };
                ddl.raw(&format!(
                    "CREATE TRIGGER {name} AFTER {event} ON subscription_billing FOR EACH ROW BEGIN \
                     UPDATE creator_profiles SET subscription_tier = NEW.tier \
                     WHERE user_id = NEW.user_id AND subscription_tier IS NOT NEW.tier; END"
                ))
                .await?;
            }
            for event in ["INSERT", "UPDATE OF subscription_tier"] {
                let name =
                    if event == "INSERT" { "creator_profiles_tier_insert" } else { "creator_profiles_tier_update" };
                ddl.raw(&format!(
                    "CREATE TRIGGER {name} AFTER {event} ON creator_profiles FOR EACH ROW \
                     WHEN NEW.subscription_tier IS NOT COALESCE((SELECT tier FROM subscription_billing \
                     WHERE user_id = NEW.user_id), 'free') BEGIN \
                     UPDATE creator_profiles SET subscription_tier = COALESCE((SELECT tier FROM subscription_billing \
                     WHERE user_id = NEW.user_id), 'free') WHERE id = NEW.id; END"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);
        if ddl.is_postgres() {
            ddl.raw("DROP TRIGGER IF EXISTS creator_profiles_tier_from_billing ON creator_profiles").await?;
            ddl.raw("DROP FUNCTION IF EXISTS profile_tier_from_billing()").await?;
            ddl.raw("DROP TRIGGER IF EXISTS subscription_billing_sync_tier ON subscription_billing").await?;
            ddl.raw("DROP FUNCTION IF EXISTS sync_profile_tier()").await?;
        } else {
            for name in [
                "creator_profiles_tier_insert",
                "creator_profiles_tier_update",
                "subscription_billing_sync_tier_insert",
                "subscription_billing_sync_tier_update",
            ] {
                ddl.raw(&format!("DROP TRIGGER IF EXISTS {name}")).await?;
            }
        }
        manager
            .drop_index(
                Index::drop().name("credit_transactions_idempotency_idx").table("credit_transactions").to_owned(),
            )
            .await?;
        for col in ["bucket", "idempotency_key"] {
            manager.alter_table(Table::alter().table("credit_transactions").drop_column(col).to_owned()).await?;
        }
        for col in ["tier", "allowance_balance", "purchased_balance", "lifetime_earned", "lifetime_spent"] {
            manager.alter_table(Table::alter().table("subscription_billing").drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
