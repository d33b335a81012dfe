//! The data tests build from, in one place: unique emails, decimals, drafts made through the API
//! or stored directly, and an agency with a consenting client. Users and tokens come from
//! `helpers` (`TestApp::sign_up`, `service_token`, `sign`).
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::Value as SqlValue;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, TestDb, TestUser};

/// An address no other test uses.
pub fn email() -> String {
    format!("{}@example.com", Uuid::new_v4().simple())
}

/// A decimal written as text.
pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal")
}

/// A decimal the API sent (as a JSON string).
pub fn decimal(v: &Value) -> Decimal {
    v.as_str().and_then(|s| Decimal::from_str(s).ok()).unwrap_or_else(|| panic!("a decimal: {v}"))
}

pub const CREATE_DRAFT: &str = "mutation($i: CreateContentDraftInput!) { createContentDraft(input: $i) { id } }";

/// A draft of `who`, made through the API: a single tweet reading "a draft" unless `input` says
/// otherwise. Returns its id.
pub async fn draft(app: &TestApp, who: &TestUser, input: Value) -> String {
    let mut input = input;
    for (key, value) in [("platform", "TWITTER"), ("contentType", "SINGLE_TWEET"), ("content", "a draft")] {
        if input.get(key).is_none() {
            input[key] = json!(value);
        }
    }
    let body = app.gql_as(Some(&who.token), CREATE_DRAFT, json!({ "i": input })).await;
    body["data"]["createContentDraft"]["id"].as_str().unwrap_or_else(|| panic!("draft created: {body}")).to_owned()
}

/// A draft of `user` written straight into the database (as the jobs and triggers see rows),
/// with `status`, `created_at` and any other `columns` given.
pub async fn stored_draft(
    test: &TestDb,
    user: Uuid,
    status: &str,
    created: DateTime<Utc>,
    columns: Vec<(&'static str, SqlValue)>,
) -> Uuid {
    let id = Uuid::new_v4();
    let mut row: Vec<(&str, SqlValue)> = vec![
        ("id", id.into()),
        ("user_id", user.into()),
        ("platform", "twitter".into()),
        ("content_type", "single_tweet".into()),
        ("content", "x".into()),
        ("status", status.into()),
        ("created_at", created.into()),
    ];
    for (column, value) in columns {
        match row.iter_mut().find(|(c, _)| *c == column) {
            Some(slot) => slot.1 = value,
            None => row.push((column, value)),
        }
    }
    test.insert("content_drafts", &row).await.expect("draft");
    id
}

const INVITE: &str = "mutation($i: CreateAgencyClientInput!) { createAgencyClient(input: $i) { id status } }";
const ACCEPT: &str = "mutation($id: UUID!) { acceptAgencyInvitation(id: $id) { status acceptedAt } }";

/// `agency` invites `client` asking for `permissions`: the relationship's id.
pub async fn invite(app: &TestApp, agency: &TestUser, client: &TestUser, permissions: Value) -> Value {
    let input = json!({ "clientUserId": client.id, "clientName": "Client", "permissions": permissions });
    let body = app.gql_as(Some(&agency.token), INVITE, json!({ "i": input })).await;
    assert_eq!(body["data"]["createAgencyClient"]["status"], "INVITED", "{body}");
    body["data"]["createAgencyClient"]["id"].clone()
}

/// `who` accepts the relationship `id`; the answer.
pub async fn accept(app: &TestApp, who: &TestUser, id: &Value) -> Value {
    app.gql_as(Some(&who.token), ACCEPT, json!({ "id": id })).await
}
