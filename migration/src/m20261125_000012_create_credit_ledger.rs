//! The credit ledger (seed 000's token economy): a configurable cost per action and every change
//! of a balance as a signed, append-only transaction.
use crate::schema::*;
use sea_orm_migration::prelude::*;

pub const ACTIONS: &[&str] =
    &["draft_generated", "draft_accepted", "draft_rejected", "trend_analyzed", "voice_training"];
pub const REASONS: &[&str] = &["usage", "overage", "grant", "top_up", "monthly_reset"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);

        ddl.create_table(
            Table::create()
                .table("credit_costs")
                .col(ddl.id())
                .col(text_in("action_type", ACTIONS).not_null().unique_key())
                .col(decimal("cost", 8, 2).not_null().check(Expr::col("cost").gte(0)))
                .col(ddl.timestamp_now("created_at").not_null())
                .col(ddl.timestamp_now("updated_at").not_null())
                .to_owned(),
        )
        .await?;
        ddl.updated_at_trigger("credit_costs").await?;
        for (action, cost) in [
            ("draft_generated", "1"),
            ("draft_accepted", "0"),
            ("draft_rejected", "0"),
            ("trend_analyzed", "0.5"),
            ("voice_training", "5"),
        ] {
            let insert = Query::insert()
                .into_table("credit_costs")
                .columns(["action_type", "cost"])
                .values_panic([action.into(), Expr::cust(cost)])
                .to_owned();
            manager.exec_stmt(insert).await?;
        }

        let mut ledger = Table::create();
        ledger.table("credit_transactions").col(ddl.id());
        user_ref(&mut ledger, "user_id", false);
        ledger
            // Signed: debits are negative. The sum of a user's amounts is their balance's change.
            .col(decimal("amount", 10, 2).not_null())
            .col(text_in("reason", REASONS).not_null())
            .col(uuid("usage_id"))
            .col(decimal("balance_after", 10, 2).not_null().check(Expr::col("balance_after").gte(0)))
            // Credits charged beyond the balance at the overage rate (paid tiers), and their price.
            .col(decimal("overage_credits", 8, 2))
            .col(decimal("overage_charge", 12, 4))
            .col(ddl.timestamp_now("created_at").not_null());
        references(&mut ledger, "usage_id", "usage_tracking", true);
        ddl.create_table(ledger).await?;
        ddl.index("credit_transactions_user_created_idx", "credit_transactions", &["user_id", "created_at"]).await?;
        ddl.index("credit_transactions_usage_idx", "credit_transactions", &["usage_id"]).await?;
        // A balance never goes below zero, whoever writes it.
        if ddl.is_postgres() {
            ddl.raw(
                "ALTER TABLE subscription_billing ADD CONSTRAINT subscription_billing_credit_balance_check \
                 CHECK (credit_balance >= 0)",
            )
            .await?;
        } else {
            for event in ["INSERT", "UPDATE OF credit_balance"] {
                let name =
                    if event == "INSERT" { "credit_balance_check_insert" } else { "credit_balance_check_update" };
                ddl.raw(&format!(
                    "CREATE TRIGGER {name} BEFORE {event} ON subscription_billing FOR EACH ROW \
                     WHEN NEW.credit_balance < 0 BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: credit_balance'); END"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = Ddl::new(manager);
        if ddl.is_postgres() {
            ddl.raw(
                "ALTER TABLE subscription_billing DROP CONSTRAINT IF EXISTS subscription_billing_credit_balance_check",
            )
            .await?;
        } else {
            ddl.raw("DROP TRIGGER IF EXISTS credit_balance_check_insert").await?;
            ddl.raw("DROP TRIGGER IF EXISTS credit_balance_check_update").await?;
        }
        ddl.drop_tables(&["credit_transactions", "credit_costs"]).await
    }
}
