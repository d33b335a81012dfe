//! Credits in two buckets: the period's allowance (reset each period, spent first) and purchased
//! credits (kept until spent). The ledger sums to each bucket at every commit, whatever runs at
//! once; grants and purchases are idempotent; billing state belongs to the billing side.

use chrono::{Months, Utc};
use creatorpulse::billing::ledger::{self as credits, Credit};
use entity::enums::ActionType;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixtures::{dec, decimal};
use crate::helpers::{TestApp, TestUser, code};

const GRANT: &str = "mutation($u: UUID!, $a: Decimal!, $r: CreditReason!, $k: String!) { grantCredits(userId: $u, amount: $a, reason: $r, idempotencyKey: $k) { id amount bucket balanceAfter } }";
const RECORD: &str = "mutation($i: RecordUsageInput!) { recordUsage(input: $i) { transactions { amount bucket reason overageCredits } } }";
const SUBSCRIPTION: &str = "{ me { subscription { id creditBalance allowanceBalance purchasedBalance lifetimeEarned lifetimeSpent tier } profile { subscriptionTier } } }";

async fn subscription(app: &TestApp, user: &TestUser) -> Value {
    let body = app.gql_as(Some(&user.token), SUBSCRIPTION, json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["me"].clone()
}

/// (allowance, purchased) as the API shows them.
async fn buckets(app: &TestApp, user: &TestUser) -> (Decimal, Decimal) {
    let me = subscription(app, user).await;
    let s = &me["subscription"];
    (decimal(&s["allowanceBalance"]), decimal(&s["purchasedBalance"]))
}

async fn grant(app: &TestApp, user: Uuid, amount: &str, reason: &str, key: &str) -> Value {
    app.gql_as(Some(&app.service_token()), GRANT, json!({ "u": user, "a": amount, "r": reason, "k": key })).await
}

async fn record(app: &TestApp, user: &TestUser, action: &str) -> Value {
    let body = app
        .gql_as(
            Some(&app.service_token()),
            RECORD,
            json!({ "i": { "userId": user.id, "actionType": action.to_uppercase() } }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body
}

/// `(bucket, amount)` of each ledger row a `recordUsage` answer wrote.
fn moved(body: &Value) -> Vec<(String, Decimal)> {
    let rows = body["data"]["recordUsage"]["transactions"].as_array().cloned().unwrap_or_default();
    rows.iter().map(|r| (r["bucket"].as_str().unwrap_or_default().to_owned(), decimal(&r["amount"]))).collect()
}

/// `ann` with 7 granted credits who spent 45 of the allowance.
async fn granted_seven_and_spent_forty_five(app: &TestApp) -> TestUser {
    let ann = app.sign_up("ann@example.com").await;
    grant(app, ann.id, "7", "GRANT", "welcome").await;
    for _ in 0..9 {
        record(app, &ann, "voice_training").await;
    }
    assert_eq!(buckets(app, &ann).await, (dec("5"), dec("7")));
    ann
}

async fn end_period(app: &TestApp, user: Uuid) {
    app.test_db
        .exec(
            "UPDATE subscription_billing SET current_period_end = $1 WHERE user_id = $2",
            vec![(Utc::now() - chrono::Duration::days(1)).into(), user.into()],
        )
        .await
        .expect("period ended");
}

async fn run_reset(app: &TestApp) {
    let bus = creatorpulse::events::local::LocalBus::new(16);
    let slot = Uuid::new_v4().to_string();
    creatorpulse::jobs::run(&app.test_db.db, &bus, creatorpulse::jobs::Job::ResetCredits, &slot, Utc::now())
        .await
        .expect("the reset runs");
}

/// Every user's ledger sums to each of their buckets, the balance is the buckets' sum, and the
/// lifetime figures are the ledger's.
pub async fn assert_ledger_matches(app: &TestApp) {
    let db = &app.test_db;
    let mismatched = |sql: &'static str| async move { db.count(sql, vec![]).await };
    let per_bucket = mismatched(
        "SELECT COUNT(*) FROM subscription_billing s WHERE \
         ABS(s.allowance_balance - COALESCE((SELECT SUM(amount) FROM credit_transactions t \
             WHERE t.user_id = s.user_id AND t.bucket = 'allowance'), 0)) > 0.001 \
         OR ABS(s.purchased_balance - COALESCE((SELECT SUM(amount) FROM credit_transactions t \
             WHERE t.user_id = s.user_id AND t.bucket = 'purchased'), 0)) > 0.001 \
         OR ABS(s.credit_balance - s.allowance_balance - s.purchased_balance) > 0.001 \
         OR ABS(s.lifetime_earned - COALESCE((SELECT SUM(amount) FROM credit_transactions t \
             WHERE t.user_id = s.user_id AND t.amount > 0), 0)) > 0.001 \
         OR ABS(s.lifetime_spent + COALESCE((SELECT SUM(amount) FROM credit_transactions t \
             WHERE t.user_id = s.user_id AND t.reason IN ('usage', 'overage')), 0)) > 0.001",
    )
    .await;
    assert_eq!(per_bucket, 0, "every subscription agrees with its ledger");
    let orphans = mismatched(
        "SELECT COUNT(*) FROM credit_transactions t WHERE NOT EXISTS \
         (SELECT 1 FROM subscription_billing s WHERE s.user_id = t.user_id)",
    )
    .await;
    assert_eq!(orphans, 0, "no ledger rows outlive their account");
}

#[tokio::test]
async fn the_monthly_reset_keeps_purchased_credits_and_only_the_allowance_expires() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up("ann@example.com").await;
    let bob = app.sign_up("bob@example.com").await;
    let top_up = grant(&app, ann.id, "20", "TOP_UP", "pay_1").await;
    assert_eq!(top_up["data"]["grantCredits"]["bucket"], "PURCHASED", "{top_up}");
    for _ in 0..2 {
        record(&app, &ann, "voice_training").await;
    }
    assert_eq!(buckets(&app, &ann).await, (dec("40"), dec("20")));

    end_period(&app, ann.id).await;
    run_reset(&app).await;

    assert_eq!(buckets(&app, &ann).await, (dec("50"), dec("20")), "the purchase survives the reset");
    let me = subscription(&app, &ann).await;
    assert_eq!(decimal(&me["subscription"]["creditBalance"]), dec("70"));
    assert_eq!(decimal(&me["subscription"]["lifetimeEarned"]), dec("120"), "50 + 20 + 50");
    assert_eq!(decimal(&me["subscription"]["lifetimeSpent"]), dec("10"));
    assert_eq!(buckets(&app, &bob).await, (dec("50"), dec("0")), "another user's period did not end");
    assert_ledger_matches(&app).await;
}

#[tokio::test]
async fn usage_spends_the_allowance_first_then_purchased_credits() {
    let app = TestApp::spawn().await;
    let ann = granted_seven_and_spent_forty_five(&app).await;

    let last_of_allowance = record(&app, &ann, "voice_training").await;
    let first_purchased = record(&app, &ann, "voice_training").await;

    assert_eq!(moved(&last_of_allowance), vec![("ALLOWANCE".to_owned(), dec("-5"))], "{last_of_allowance}");
    assert_eq!(moved(&first_purchased), vec![("PURCHASED".to_owned(), dec("-5"))], "{first_purchased}");
    assert_eq!(buckets(&app, &ann).await, (dec("0"), dec("2")));
    assert_ledger_matches(&app).await;
}

#[tokio::test]
async fn a_usage_larger_than_the_allowance_takes_the_rest_from_purchased_credits_in_two_rows() {
    let app = TestApp::spawn().await;
    let ann = granted_seven_and_spent_forty_five(&app).await;
    for _ in 0..3 {
        record(&app, &ann, "draft_generated").await;
    }
    assert_eq!(buckets(&app, &ann).await, (dec("2"), dec("7")));

    let crossing = record(&app, &ann, "voice_training").await;

    let expected = vec![("ALLOWANCE".to_owned(), dec("-2")), ("PURCHASED".to_owned(), dec("-3"))];
    assert_eq!(moved(&crossing), expected, "{crossing}");
    assert_eq!(buckets(&app, &ann).await, (dec("0"), dec("4")));
    assert_ledger_matches(&app).await;
}

#[tokio::test]
async fn a_new_period_brings_the_allowance_only_to_subscriptions_in_good_standing() {
    let app = TestApp::spawn().await;
    let service = app.service_token();
    let mut users = Vec::new();
    for status in ["active", "trialing", "past_due", "unpaid", "canceled"] {
        let user = app.sign_up(&format!("{status}@example.com")).await;
        grant(&app, user.id, "5", "TOP_UP", &format!("pay-{status}")).await;
        record(&app, &user, "voice_training").await;
        let id = subscription(&app, &user).await["subscription"]["id"].clone();
        let set = app
            .gql_as(
                Some(&service),
                "mutation($s: UUID!, $st: BillingStatus!) { updateSubscriptionBilling(id: $s, input: { subscriptionStatus: $st }) { id } }",
                json!({ "s": id, "st": status.to_uppercase() }),
            )
            .await;
        assert!(set["errors"].is_null(), "{set}");
        end_period(&app, user.id).await;
        users.push((status, user));
    }

    run_reset(&app).await;

    for (status, user) in &users {
        let expected = if ["active", "trialing", "past_due"].contains(status) { dec("50") } else { Decimal::ZERO };
        assert_eq!(buckets(&app, user).await, (expected, dec("5")), "{status}");
    }
    assert_ledger_matches(&app).await;
}

#[tokio::test]
async fn a_repeated_grant_moves_nothing_and_a_reused_key_for_another_amount_conflicts() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up("ann@example.com").await;
    let bob = app.sign_up("bob@example.com").await;

    let first = grant(&app, ann.id, "10", "TOP_UP", "pi_123").await;
    let again = grant(&app, ann.id, "10", "TOP_UP", "pi_123").await;
    let other_amount = grant(&app, ann.id, "11", "TOP_UP", "pi_123").await;
    let other_reason = grant(&app, ann.id, "10", "GRANT", "pi_123").await;
    let other_user = grant(&app, bob.id, "10", "TOP_UP", "pi_123").await;

    assert_eq!(first["data"]["grantCredits"]["id"], again["data"]["grantCredits"]["id"], "{again}");
    assert_eq!(code(&other_amount), "CONFLICT", "{other_amount}");
    assert_eq!(code(&other_reason), "CONFLICT", "{other_reason}");
    assert!(other_user["errors"].is_null(), "keys are per user: {other_user}");
    assert_eq!(buckets(&app, &ann).await, (dec("50"), dec("10")), "one top-up");
    assert_eq!(buckets(&app, &bob).await, (dec("50"), dec("10")));
    assert_ledger_matches(&app).await;
}

#[tokio::test]
async fn simultaneous_grants_with_one_key_move_the_credits_once() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up("ann@example.com").await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (db, user) = (app.test_db.db.clone(), ann.id);
            tokio::spawn(async move {
                credits::credit(
                    &db,
                    &creatorpulse::events::local::LocalBus::new(16),
                    user,
                    dec("3"),
                    Credit::TopUp,
                    Some("pi_same"),
                )
                .await
            })
        })
        .collect();
    let mut ids = std::collections::HashSet::new();
    for task in tasks {
        let credited = task.await.expect("task").map_err(|e| e.code()).expect("every call answers the first row");
        ids.insert(credited.transaction.id);
    }
    assert_eq!(ids.len(), 1, "every call returned the same row");
    assert_eq!(buckets(&app, &ann).await, (dec("50"), dec("3")));
    assert_ledger_matches(&app).await;
}

#[tokio::test]
async fn the_tier_is_billing_state_the_profile_shows_and_the_owner_cannot_change() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up("ann@example.com").await;
    let me = subscription(&app, &ann).await;
    let (profile_id, subscription_id) = {
        let ids = app.gql_as(Some(&ann.token), "{ me { profile { id } subscription { id } } }", json!({})).await;
        (ids["data"]["me"]["profile"]["id"].clone(), ids["data"]["me"]["subscription"]["id"].clone())
    };
    assert_eq!(
        (me["subscription"]["tier"].clone(), me["profile"]["subscriptionTier"].clone()),
        (json!("FREE"), json!("FREE"))
    );

    let by_owner = app
        .gql_as(
            Some(&ann.token),
            "mutation($p: UUID!) { updateCreatorProfile(id: $p, input: { subscriptionTier: ENTERPRISE }) { id } }",
            json!({ "p": profile_id }),
        )
        .await;
    assert_eq!(code(&by_owner), "BAD_USER_INPUT", "the profile's tier is not an input: {by_owner}");
    // Even a direct write to the profile's column is put back to the subscription's tier.
    app.test_db
        .exec("UPDATE creator_profiles SET subscription_tier = 'enterprise' WHERE user_id = $1", vec![ann.id.into()])
        .await
        .expect("a direct write");
    assert_eq!(subscription(&app, &ann).await["profile"]["subscriptionTier"], "FREE");

    // The overage decision follows the subscription's tier.
    let rate = app
        .gql_as(
            Some(&app.service_token()),
            "mutation($s: UUID!) { updateSubscriptionBilling(id: $s, input: { overageRate: \"0.0200\" }) { id } }",
            json!({ "s": subscription_id }),
        )
        .await;
    assert!(rate["errors"].is_null(), "{rate}");
    for _ in 0..10 {
        record(&app, &ann, "voice_training").await;
    }
    let refused = app
        .gql_as(
            Some(&app.service_token()),
            RECORD,
            json!({ "i": { "userId": ann.id, "actionType": "DRAFT_GENERATED" } }),
        )
        .await;
    assert_eq!(code(&refused), "INSUFFICIENT_CREDITS", "a free tier has no overage: {refused}");
    let upgrade = app
        .gql_as(
            Some(&app.service_token()),
            "mutation($s: UUID!) { updateSubscriptionBilling(id: $s, input: { tier: CREATOR }) { tier } }",
            json!({ "s": subscription_id }),
        )
        .await;
    assert_eq!(upgrade["data"]["updateSubscriptionBilling"]["tier"], "CREATOR", "{upgrade}");
    assert_eq!(subscription(&app, &ann).await["profile"]["subscriptionTier"], "CREATOR");
    let overage = record(&app, &ann, "draft_generated").await;
    assert_eq!(decimal(&overage["data"]["recordUsage"]["transactions"][0]["overageCredits"]), dec("1"));
    assert_ledger_matches(&app).await;
}

#[tokio::test]
async fn the_ledger_sums_to_each_bucket_after_many_simultaneous_random_operations() {
    let app = TestApp::spawn().await;
    let mut users = Vec::new();
    for n in 0..6 {
        users.push(app.sign_up(&format!("user{n}@example.com")).await);
    }
    // Paid tiers for half of them, so that overage happens too.
    for user in users.iter().step_by(2) {
        app.test_db
            .exec(
                "UPDATE subscription_billing SET tier = 'creator', overage_rate = 0.02 WHERE user_id = $1",
                vec![user.id.into()],
            )
            .await
            .expect("paid tier");
    }
    let today = Utc::now().date_naive();
    let mut rng = StdRng::seed_from_u64(16);
    let mut tasks = Vec::new();
    for n in 0..240 {
        let db = app.test_db.db.clone();
        let user = users[rng.gen_range(0..users.len())].id;
        let op = rng.gen_range(0..10);
        let amount = Decimal::new(rng.gen_range(1..2_000), 2);
        let months = rng.gen_range(1..6);
        tasks.push(tokio::spawn(async move {
            match op {
                0..=4 => {
                    let action =
                        [ActionType::DraftGenerated, ActionType::TrendAnalyzed, ActionType::VoiceTraining][n % 3];
                    let _ = credits::record_usage(
                        &db,
                        &creatorpulse::events::local::LocalBus::new(16),
                        user,
                        action,
                        None,
                        today,
                        None,
                    )
                    .await;
                }
                5 => {
                    let _ = credits::credit(
                        &db,
                        &creatorpulse::events::local::LocalBus::new(16),
                        user,
                        amount,
                        Credit::Grant,
                        None,
                    )
                    .await;
                }
                6 => {
                    let key = format!("pay-{}", n % 7);
                    let _ = credits::credit(
                        &db,
                        &creatorpulse::events::local::LocalBus::new(16),
                        user,
                        amount,
                        Credit::TopUp,
                        Some(&key),
                    )
                    .await;
                }
                _ => {
                    let now = Utc::now();
                    let end = now.checked_add_months(Months::new(months)).expect("date");
                    let _ =
                        credits::reset_allowance(&db, &creatorpulse::events::local::LocalBus::new(16), user, now, end)
                            .await;
                }
            }
        }));
    }
    // An account deleted while all of it runs.
    let doomed = users.pop().expect("a user");
    let deleted = app
        .gql_as(
            Some(&doomed.token),
            "mutation($p: String) { deleteMyAccount(password: $p) }",
            json!({ "p": crate::helpers::PASSWORD }),
        )
        .await;
    assert_eq!(deleted["data"]["deleteMyAccount"], true, "{deleted}");
    for task in tasks {
        task.await.expect("task");
    }

    assert_ledger_matches(&app).await;
    let left =
        app.test_db.count("SELECT COUNT(*) FROM credit_transactions WHERE user_id = $1", vec![doomed.id.into()]).await;
    assert_eq!(left, 0, "the deleted account's ledger is gone");
    for user in &users {
        let (allowance, purchased) = buckets(&app, user).await;
        assert!(allowance >= Decimal::ZERO && purchased >= Decimal::ZERO);
    }
}
