//! The credit ledger: debits at the action's cost, never below zero, overage for paid tiers,
//! grants, and arithmetic that holds under concurrency.

use creatorpulse::billing::ledger as credits;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixtures::{dec, decimal, email};
use crate::helpers::{TestApp, TestUser, code};

const RECORD: &str = "mutation($i: RecordUsageInput!) { recordUsage(input: $i) { usage { creditsConsumed } transaction { amount reason balanceAfter overageCredits overageCharge } } }";
const GRANT: &str = "mutation($u: UUID!, $a: Decimal!, $r: CreditReason!, $k: String!) { grantCredits(userId: $u, amount: $a, reason: $r, idempotencyKey: $k) { id amount balanceAfter reason bucket } }";

async fn balance(app: &TestApp, user: &TestUser) -> Decimal {
    let body = app.gql_as(Some(&user.token), "{ me { subscription { creditBalance } } }", json!({})).await;
    decimal(&body["data"]["me"]["subscription"]["creditBalance"])
}

async fn record(app: &TestApp, user: &TestUser, action: &str) -> Value {
    app.gql_as(
        Some(&app.service_token()),
        RECORD,
        json!({ "i": { "userId": user.id, "actionType": action.to_uppercase(), "platform": "TWITTER" } }),
    )
    .await
}

async fn rows(app: &TestApp, table: &str, user: &TestUser) -> i64 {
    app.test_db.count(&format!("SELECT COUNT(*) FROM {table} WHERE user_id = $1"), vec![user.id.into()]).await
}

#[tokio::test]
async fn usage_debits_the_actions_cost_and_the_ledger_agrees_with_daily_credits() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let allowance = app
        .gql_as(Some(&ann.token), "{ me { creditTransactions { edges { node { amount reason } } } } }", json!({}))
        .await;
    assert_eq!(
        allowance["data"]["me"]["creditTransactions"]["edges"][0]["node"]["reason"], "MONTHLY_RESET",
        "{allowance}"
    );

    let first = record(&app, &ann, "draft_generated").await;
    let second = record(&app, &ann, "trend_analyzed").await;

    assert_eq!(decimal(&first["data"]["recordUsage"]["transaction"]["amount"]), dec("-1"), "{first}");
    assert_eq!(first["data"]["recordUsage"]["transaction"]["reason"], "USAGE");
    assert_eq!(decimal(&second["data"]["recordUsage"]["transaction"]["balanceAfter"]), dec("48.5"));
    assert_eq!(balance(&app, &ann).await, dec("48.5"));
    let today = chrono::Utc::now().date_naive();
    let daily =
        app.gql_as(Some(&ann.token), "query($d: NaiveDate!) { dailyCredits(date: $d) }", json!({ "d": today })).await;
    let ledger =
        app.gql_as(Some(&ann.token), "{ me { creditTransactions { edges { node { amount } } } } }", json!({})).await;
    let spent: Decimal = ledger["data"]["me"]["creditTransactions"]["edges"]
        .as_array()
        .expect("ledger")
        .iter()
        .map(|e| decimal(&e["node"]["amount"]))
        .filter(|amount| amount.is_sign_negative())
        .sum();
    assert_eq!(decimal(&daily["data"]["dailyCredits"]), -spent, "{daily}");
}

#[tokio::test]
async fn a_free_tier_without_credits_is_refused_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    for _ in 0..10 {
        record(&app, &ann, "voice_training").await;
    }
    let (usage_before, ledger_before) =
        (rows(&app, "usage_tracking", &ann).await, rows(&app, "credit_transactions", &ann).await);

    let refused = record(&app, &ann, "draft_generated").await;

    assert_eq!(code(&refused), "INSUFFICIENT_CREDITS", "{refused}");
    assert_eq!(balance(&app, &ann).await, Decimal::ZERO);
    assert_eq!(rows(&app, "usage_tracking", &ann).await, usage_before);
    assert_eq!(rows(&app, "credit_transactions", &ann).await, ledger_before);
}

#[tokio::test]
async fn a_paid_tier_goes_into_overage_at_its_rate_and_never_below_zero() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let service = app.service_token();
    let ids = app.gql_as(Some(&ann.token), "{ me { profile { id } subscription { id } } }", json!({})).await;
    let set_tier = app
        .gql_as(
            Some(&service),
            "mutation($s: UUID!) { updateSubscriptionBilling(id: $s, input: { tier: CREATOR, overageRate: \"0.0200\" }) { id } }",
            json!({ "s": ids["data"]["me"]["subscription"]["id"] }),
        )
        .await;
    assert!(set_tier["errors"].is_null(), "{set_tier}");
    for action in ["voice_training"; 9].into_iter().chain(["trend_analyzed"; 4]) {
        record(&app, &ann, action).await;
    }
    assert_eq!(balance(&app, &ann).await, dec("3"));

    let overage = record(&app, &ann, "voice_training").await;

    let tx = &overage["data"]["recordUsage"]["transaction"];
    assert_eq!(tx["reason"], "OVERAGE", "{overage}");
    assert_eq!(decimal(&tx["amount"]), dec("-3"));
    assert_eq!(decimal(&tx["balanceAfter"]), Decimal::ZERO);
    assert_eq!(decimal(&tx["overageCredits"]), dec("2"));
    assert_eq!(decimal(&tx["overageCharge"]), dec("0.04"));
    assert_eq!(balance(&app, &ann).await, Decimal::ZERO);
}

#[tokio::test]
async fn grants_and_top_ups_credit_the_balance_through_the_ledger_and_only_the_service_role_may() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let service = app.service_token();

    let grant = app
        .gql_as(Some(&service), GRANT, json!({ "u": ann.id, "a": "10.25", "r": "GRANT", "k": Uuid::new_v4() }))
        .await;
    let top_up = app
        .gql_as(Some(&service), GRANT, json!({ "u": ann.id, "a": "0.10", "r": "TOP_UP", "k": Uuid::new_v4() }))
        .await;
    let by_user = app
        .gql_as(Some(&ann.token), GRANT, json!({ "u": ann.id, "a": "1000", "r": "GRANT", "k": Uuid::new_v4() }))
        .await;
    let negative =
        app.gql_as(Some(&service), GRANT, json!({ "u": ann.id, "a": "-5", "r": "GRANT", "k": Uuid::new_v4() })).await;

    assert_eq!(decimal(&grant["data"]["grantCredits"]["balanceAfter"]), dec("60.25"), "{grant}");
    assert_eq!(top_up["data"]["grantCredits"]["reason"], "TOP_UP");
    assert_eq!(code(&by_user), "FORBIDDEN");
    assert_eq!(code(&negative), "BAD_USER_INPUT");
    assert_eq!(balance(&app, &ann).await, dec("60.35"));
}

#[tokio::test]
async fn the_service_role_sets_what_an_action_costs() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let update = "mutation { updateCreditCost(actionType: DRAFT_GENERATED, cost: \"2.5\") { actionType cost } }";

    let refused = app.gql_as(Some(&ann.token), update, json!({})).await;
    let changed = app.gql_as(Some(&app.service_token()), update, json!({})).await;
    let used = record(&app, &ann, "draft_generated").await;

    assert_eq!(code(&refused), "FORBIDDEN");
    assert_eq!(decimal(&changed["data"]["updateCreditCost"]["cost"]), dec("2.5"), "{changed}");
    assert_eq!(decimal(&used["data"]["recordUsage"]["transaction"]["amount"]), dec("-2.5"));
}

#[tokio::test]
async fn five_hundred_simultaneous_debits_against_three_hundred_credits_leave_exactly_zero() {
    let app = TestApp::spawn().await;
    if !app.test_db.is_postgres() {
        // SQLite serialises every writer; the race this test provokes exists only on PostgreSQL.
        return;
    }
    let ann = app.sign_up(&email()).await;
    let grant = app
        .gql_as(
            Some(&app.service_token()),
            GRANT,
            json!({ "u": ann.id, "a": "250", "r": "GRANT", "k": Uuid::new_v4() }),
        )
        .await;
    assert!(grant["errors"].is_null(), "{grant}");
    let today = chrono::Utc::now().date_naive();

    let tasks: Vec<_> = (0..500)
        .map(|_| {
            let (db, user) = (app.test_db.db.clone(), ann.id);
            tokio::spawn(async move {
                credits::record_usage(
                    &db,
                    &creatorpulse::events::local::LocalBus::new(16),
                    user,
                    entity::enums::ActionType::DraftGenerated,
                    None,
                    today,
                    None,
                )
                .await
                .is_ok()
            })
        })
        .collect();
    let mut succeeded = 0;
    for task in tasks {
        succeeded += usize::from(task.await.expect("task"));
    }

    assert_eq!(succeeded, 300);
    assert_eq!(balance(&app, &ann).await, Decimal::ZERO);
    let ledger_sum = app
        .test_db
        .count("SELECT CAST(SUM(amount) AS BIGINT) FROM credit_transactions WHERE user_id = $1", vec![ann.id.into()])
        .await;
    assert_eq!(ledger_sum, 0, "the ledger sums to the balance: allowance 50 + grant 250 - 300 debits");
    assert_eq!(rows(&app, "usage_tracking", &ann).await, 300);
}
