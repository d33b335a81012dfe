//! Agency delegation: rights from `permissions`, only after the client accepted and while the
//! relationship is active; the client revokes at will; no agency reaches anyone else.
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, TestUser, code};

fn email() -> String {
    format!("{}@example.com", Uuid::new_v4().simple())
}

async fn invite(app: &TestApp, agency: &TestUser, client: &TestUser, permissions: Value) -> Value {
    let body = app
        .gql_as(
            Some(&agency.token),
            "mutation($i: CreateAgencyClientInput!) { createAgencyClient(input: $i) { id status } }",
            json!({ "i": { "clientUserId": client.id, "clientName": "Client", "permissions": permissions } }),
        )
        .await;
    assert_eq!(body["data"]["createAgencyClient"]["status"], "invited", "{body}");
    body["data"]["createAgencyClient"]["id"].clone()
}

async fn draft_of(app: &TestApp, user: &TestUser) -> Value {
    let body = app
        .gql_as(
            Some(&user.token),
            "mutation { createContentDraft(input: { platform: \"twitter\", contentType: \"single_tweet\", content: \"mine\" }) { id } }",
            json!({}),
        )
        .await;
    body["data"]["createContentDraft"]["id"].clone()
}

async fn read_draft(app: &TestApp, who: &TestUser, id: &Value) -> Value {
    app.gql_as(Some(&who.token), "query($id: UUID!) { contentDraft(id: $id) { id content } }", json!({ "id": id }))
        .await
}

async fn edit_draft(app: &TestApp, who: &TestUser, id: &Value) -> Value {
    app.gql_as(
        Some(&who.token),
        "mutation($id: UUID!) { updateContentDraft(id: $id, input: { content: \"edited by the agency\" }) { content } }",
        json!({ "id": id }),
    )
    .await
}

async fn accept(app: &TestApp, who: &TestUser, relationship: &Value) -> Value {
    app.gql_as(
        Some(&who.token),
        "mutation($id: UUID!) { acceptAgencyInvitation(id: $id) { status acceptedAt } }",
        json!({ "id": relationship }),
    )
    .await
}

#[tokio::test]
async fn an_agency_reaches_a_client_only_after_acceptance_and_within_its_permissions() {
    let app = TestApp::spawn().await;
    let (agency, client) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let relationship =
        invite(&app, &agency, &client, json!({ "read_drafts": true, "write_drafts": true, "read_analytics": false }))
            .await;
    let draft = draft_of(&app, &client).await;

    let before = read_draft(&app, &agency, &draft).await;
    let seen_by_client =
        app.gql_as(Some(&client.token), "{ agencyClients { edges { node { id status } } } }", json!({})).await;
    let by_agency = accept(&app, &agency, &relationship).await;
    let accepted = accept(&app, &client, &relationship).await;
    let after = read_draft(&app, &agency, &draft).await;
    let edited = edit_draft(&app, &agency, &draft).await;
    let through_relationship = app
        .gql_as(
            Some(&agency.token),
            "query($id: UUID!) { agencyClient(id: $id) { clientDrafts { totalCount edges { node { content } } } } }",
            json!({ "id": relationship }),
        )
        .await;

    assert_eq!(code(&before), "NOT_FOUND", "nothing before acceptance: {before}");
    assert_eq!(seen_by_client["data"]["agencyClients"]["edges"][0]["node"]["status"], "invited");
    assert_eq!(code(&by_agency), "NOT_FOUND", "only the client accepts");
    assert_eq!(accepted["data"]["acceptAgencyInvitation"]["status"], "accepted", "{accepted}");
    assert_eq!(after["data"]["contentDraft"]["content"], "mine", "{after}");
    assert_eq!(edited["data"]["updateContentDraft"]["content"], "edited by the agency", "{edited}");
    assert_eq!(through_relationship["data"]["agencyClient"]["clientDrafts"]["totalCount"], 1, "{through_relationship}");
}

#[tokio::test]
async fn permissions_bound_the_delegation_and_revocation_ends_it() {
    let app = TestApp::spawn().await;
    let (agency, client) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let relationship = invite(&app, &agency, &client, json!({ "read_drafts": true })).await;
    let draft = draft_of(&app, &client).await;
    accept(&app, &client, &relationship).await;

    let read = read_draft(&app, &agency, &draft).await;
    let write = edit_draft(&app, &agency, &draft).await;
    let analytics = app.gql_as(Some(&agency.token), "{ creatorAnalytics { totalCount } }", json!({})).await;
    let revoked = app
        .gql_as(
            Some(&client.token),
            "mutation($id: UUID!) { revokeAgencyAccess(id: $id) { status revokedAt } }",
            json!({ "id": relationship }),
        )
        .await;
    let after_revoke = read_draft(&app, &agency, &draft).await;

    assert_eq!(read["data"]["contentDraft"]["id"], draft, "{read}");
    assert_eq!(code(&write), "NOT_FOUND", "no write_drafts: {write}");
    assert_eq!(analytics["data"]["creatorAnalytics"]["totalCount"], 0);
    assert_eq!(revoked["data"]["revokeAgencyAccess"]["status"], "revoked", "{revoked}");
    assert_eq!(code(&after_revoke), "NOT_FOUND");
}

#[tokio::test]
async fn an_inactive_relationship_delegates_nothing_and_no_agency_reaches_another_agencys_clients() {
    let app = TestApp::spawn().await;
    let (agency, client, rival, stranger) = (
        app.sign_up(&email()).await,
        app.sign_up(&email()).await,
        app.sign_up(&email()).await,
        app.sign_up(&email()).await,
    );
    let relationship = invite(&app, &agency, &client, json!({ "read_drafts": true })).await;
    accept(&app, &client, &relationship).await;
    let draft = draft_of(&app, &client).await;
    let strangers = draft_of(&app, &stranger).await;

    let rival_reads = read_draft(&app, &rival, &draft).await;
    let rival_relationship = app
        .gql_as(Some(&rival.token), "query($id: UUID!) { agencyClient(id: $id) { id } }", json!({ "id": relationship }))
        .await;
    let agency_on_stranger = read_draft(&app, &agency, &strangers).await;
    let paused = app
        .gql_as(
            Some(&agency.token),
            "mutation($id: UUID!) { updateAgencyClient(id: $id, input: { isActive: false }) { isActive } }",
            json!({ "id": relationship }),
        )
        .await;
    let while_paused = read_draft(&app, &agency, &draft).await;
    let status_by_agency = app
        .gql_as(
            Some(&agency.token),
            "mutation($id: UUID!) { updateAgencyClient(id: $id, input: { status: \"accepted\" }) { id } }",
            json!({ "id": relationship }),
        )
        .await;
    let bad_permission = app
        .gql_as(Some(&agency.token), "mutation($id: UUID!) { updateAgencyClient(id: $id, input: { permissions: { delete_account: true } }) { id } }", json!({ "id": relationship }))
        .await;

    assert_eq!(code(&rival_reads), "NOT_FOUND");
    assert_eq!(code(&rival_relationship), "NOT_FOUND");
    assert_eq!(code(&agency_on_stranger), "NOT_FOUND");
    assert_eq!(paused["data"]["updateAgencyClient"]["isActive"], false, "{paused}");
    assert_eq!(code(&while_paused), "NOT_FOUND");
    assert!(status_by_agency["errors"].is_array(), "only the client moves the status: {status_by_agency}");
    assert_eq!(code(&bad_permission), "BAD_USER_INPUT");
}

/// The agency directory lets the policy leave the lookup of delegating clients out for a user
/// who is no agency, and never for an agency: a client's acceptance counts from its response on.
#[tokio::test]
async fn only_agencies_pay_for_the_lookup_of_delegating_clients() {
    let (app, statements) = TestApp::spawn_recording_statements().await;
    let (agency, client) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    draft_of(&app, &client).await;
    let list = "{ contentDrafts { totalCount edges { node { content } } } }";
    let lookups = |sql: &[String]| sql.iter().filter(|s| s.contains("agency_clients")).count();

    statements.take();
    let before = app.gql_as(Some(&agency.token), list, json!({})).await;
    let plain = statements.take();
    let relationship = invite(&app, &agency, &client, json!({ "read_drafts": true })).await;
    accept(&app, &client, &relationship).await;
    statements.take();
    let after = app.gql_as(Some(&agency.token), list, json!({})).await;
    let delegated = statements.take();

    assert_eq!(before["data"]["contentDrafts"]["totalCount"], 0, "{before}");
    assert!(!plain.is_empty());
    assert_eq!(lookups(&plain), 0, "no lookup for a user who is no agency: {plain:?}");
    assert_eq!(after["data"]["contentDrafts"]["totalCount"], 1, "{after}");
    assert_eq!(after["data"]["contentDrafts"]["edges"][0]["node"]["content"], "mine");
    assert!(lookups(&delegated) > 0, "{delegated:?}");
}

/// A relationship accepted outside the API reaches the directory at its next reload; one
/// accepted on another instance, with its event on the bus.
#[tokio::test]
async fn relationships_accepted_elsewhere_reach_the_directory() {
    let app = TestApp::spawn().await;
    let (agency, client) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let draft = draft_of(&app, &client).await;
    let relationship = invite(&app, &agency, &client, json!({ "read_drafts": true })).await;
    let id: Uuid = relationship.as_str().and_then(|s| s.parse().ok()).expect("relationship id");
    app.test_db
        .exec(
            "UPDATE agency_clients SET status = 'accepted', accepted_at = CURRENT_TIMESTAMP WHERE id = $1",
            vec![id.into()],
        )
        .await
        .expect("accepted behind the API's back");
    let known_before_reload = app.state.agencies.may_act_for_clients(agency.id);
    app.state.agencies.reload(&app.state.db).await.expect("reload");
    let read = read_draft(&app, &agency, &draft).await;

    assert!(!known_before_reload, "the directory had loaded before the write");
    assert_eq!(read["data"]["contentDraft"]["content"], "mine", "{read}");

    if !app.test_db.is_postgres() {
        return; // one instance only: the SQLite bus does not leave its process
    }
    let peer = app.spawn_peer().await;
    let (agency, client) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let relationship = invite(&app, &agency, &client, json!({ "read_drafts": true })).await;
    let known_before = peer.state.agencies.may_act_for_clients(agency.id);
    accept(&app, &client, &relationship).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !peer.state.agencies.may_act_for_clients(agency.id) {
        assert!(tokio::time::Instant::now() < deadline, "the peer never heard of the acceptance");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(!known_before);
}
