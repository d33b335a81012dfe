//! Agency delegation: rights from `permissions`, only as far as the client consented and while
//! the relationship is active; the parties never change; the client revokes at will; no agency
//! reaches anyone else; live subscriptions follow every change of a relationship, on every
//! instance.
use std::net::SocketAddr;

use migration::{Migrator, MigratorTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixtures::{self, accept, email, invite};
use crate::helpers::{Peer, TestApp, TestDb, TestUser, code};
use crate::ws_client::{Protocol, WsClient};

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

#[tokio::test]
async fn an_agency_reaches_a_client_only_after_acceptance_and_within_its_permissions() {
    let app = TestApp::spawn().await;
    let (agency, client) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let relationship =
        invite(&app, &agency, &client, json!({ "read_drafts": true, "write_drafts": true, "read_analytics": false }))
            .await;
    let draft = Value::from(fixtures::draft(&app, &client, json!({ "content": "mine" })).await);

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
    assert_eq!(seen_by_client["data"]["agencyClients"]["edges"][0]["node"]["status"], "INVITED");
    assert_eq!(code(&by_agency), "NOT_FOUND", "only the client accepts");
    assert_eq!(accepted["data"]["acceptAgencyInvitation"]["status"], "ACCEPTED", "{accepted}");
    assert_eq!(after["data"]["contentDraft"]["content"], "mine", "{after}");
    assert_eq!(edited["data"]["updateContentDraft"]["content"], "edited by the agency", "{edited}");
    assert_eq!(through_relationship["data"]["agencyClient"]["clientDrafts"]["totalCount"], 1, "{through_relationship}");
}

#[tokio::test]
async fn permissions_bound_the_delegation_and_revocation_ends_it() {
    let app = TestApp::spawn().await;
    let (agency, client) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let relationship = invite(&app, &agency, &client, json!({ "read_drafts": true })).await;
    let draft = Value::from(fixtures::draft(&app, &client, json!({ "content": "mine" })).await);
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
    assert_eq!(revoked["data"]["revokeAgencyAccess"]["status"], "REVOKED", "{revoked}");
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
    let draft = Value::from(fixtures::draft(&app, &client, json!({ "content": "mine" })).await);
    let strangers = Value::from(fixtures::draft(&app, &stranger, json!({ "content": "mine" })).await);

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
            "mutation($id: UUID!) { updateAgencyClient(id: $id, input: { status: ACCEPTED }) { id } }",
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
    fixtures::draft(&app, &client, json!({ "content": "mine" })).await;
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
    let draft = Value::from(fixtures::draft(&app, &client, json!({ "content": "mine" })).await);
    let relationship = invite(&app, &agency, &client, json!({ "read_drafts": true })).await;
    let id: Uuid = relationship.as_str().and_then(|s| s.parse().ok()).expect("relationship id");
    app.test_db
        .exec(
            "UPDATE agency_clients SET status = 'accepted', accepted_at = CURRENT_TIMESTAMP, \
             consented_permissions = permissions WHERE id = $1",
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

const UPDATE: &str = "mutation($id: UUID!, $i: UpdateAgencyClientInput!) { \
    updateAgencyClient(id: $id, input: $i) { clientUserId permissions isActive } }";
const RELATIONSHIP: &str = "query($id: UUID!) { agencyClient(id: $id) { \
    clientUserId status permissions consentedPermissions acceptedAt clientDrafts { totalCount } } }";

async fn update(app: &TestApp, who: &TestUser, relationship: &Value, input: Value) -> Value {
    app.gql_as(Some(&who.token), UPDATE, json!({ "id": relationship, "i": input })).await
}

/// Accepts, naming the permissions the client was shown.
async fn accept_shown(app: &TestApp, who: &TestUser, relationship: &Value, shown: Value) -> Value {
    app.gql_as(
        Some(&who.token),
        "mutation($id: UUID!, $p: JSON) { acceptAgencyInvitation(id: $id, permissions: $p) { \
         status acceptedAt consentedPermissions } }",
        json!({ "id": relationship, "p": shown }),
    )
    .await
}

async fn revoke(app: &TestApp, who: &TestUser, relationship: &Value) -> Value {
    app.gql_as(
        Some(&who.token),
        "mutation($id: UUID!) { revokeAgencyAccess(id: $id) { status } }",
        json!({ "id": relationship }),
    )
    .await
}

/// The relationship as `who` reads it (`null` with an error).
async fn relationship_as(app: &TestApp, who: &TestUser, relationship: &Value) -> Value {
    let body = app.gql_as(Some(&who.token), RELATIONSHIP, json!({ "id": relationship })).await;
    body["data"]["agencyClient"].clone()
}

async fn drafts_listed(app: &TestApp, who: &TestUser) -> Value {
    let body = app.gql_as(Some(&who.token), "{ contentDrafts { totalCount } }", json!({})).await;
    body["data"]["contentDrafts"]["totalCount"].clone()
}

fn uuid_of(id: &Value) -> Uuid {
    id.as_str().and_then(|s| s.parse().ok()).expect("a uuid")
}

#[tokio::test]
async fn an_agency_cannot_point_an_accepted_relationship_at_another_user() {
    let app = TestApp::spawn().await;
    let (agency, client, bystander) =
        (app.sign_up(&email()).await, app.sign_up(&email()).await, app.sign_up(&email()).await);
    let relationship = invite(&app, &agency, &client, json!({ "read_drafts": true, "write_drafts": true })).await;
    accept(&app, &client, &relationship).await;
    let theirs = Value::from(fixtures::draft(&app, &bystander, json!({ "content": "mine" })).await);

    let repointed = update(&app, &agency, &relationship, json!({ "clientUserId": bystander.id })).await;
    let single = read_draft(&app, &agency, &theirs).await;
    let listed = drafts_listed(&app, &agency).await;
    let edited = edit_draft(&app, &agency, &theirs).await;
    let nested = app
        .gql_as(
            Some(&agency.token),
            "query($id: UUID!) { agencyClient(id: $id) { clientUserId status clientDrafts { totalCount } } }",
            json!({ "id": relationship }),
        )
        .await;

    assert_eq!(code(&repointed), "BAD_USER_INPUT", "the client is not an updatable field: {repointed}");
    assert_eq!(code(&single), "NOT_FOUND", "{single}");
    assert_eq!(listed, 0);
    assert_eq!(code(&edited), "NOT_FOUND", "{edited}");
    let nested = &nested["data"]["agencyClient"];
    assert_eq!(nested["clientUserId"], client.id.to_string(), "{nested}");
    assert_eq!(nested["status"], "ACCEPTED");
    assert_eq!(nested["clientDrafts"]["totalCount"], 0);
}

#[tokio::test]
async fn the_database_refuses_to_change_the_parties_of_a_relationship_whoever_asks() {
    let app = TestApp::spawn().await;
    let (agency, client, other) =
        (app.sign_up(&email()).await, app.sign_up(&email()).await, app.sign_up(&email()).await);
    let relationship = invite(&app, &agency, &client, json!({ "read_drafts": true })).await;
    accept(&app, &client, &relationship).await;
    let id = uuid_of(&relationship);

    let by_service = app
        .gql_as(Some(&app.service_token()), UPDATE, json!({ "id": relationship, "i": { "clientUserId": other.id } }))
        .await;
    let new_client = app
        .test_db
        .exec("UPDATE agency_clients SET client_user_id = $1 WHERE id = $2", vec![other.id.into(), id.into()])
        .await;
    let new_agency = app
        .test_db
        .exec("UPDATE agency_clients SET agency_user_id = $1 WHERE id = $2", vec![other.id.into(), id.into()])
        .await;
    let unchanged = app
        .test_db
        .exec(
            "UPDATE agency_clients SET client_user_id = client_user_id, client_name = 'Renamed' WHERE id = $1",
            vec![id.into()],
        )
        .await;
    let seen = relationship_as(&app, &client, &relationship).await;

    assert_eq!(code(&by_service), "BAD_USER_INPUT", "{by_service}");
    assert!(new_client.is_err(), "a new client is refused even to SQL");
    assert!(new_agency.is_err(), "a new agency is refused even to SQL");
    assert!(unchanged.is_ok(), "writing the same parties is no change: {unchanged:?}");
    assert_eq!(seen["clientUserId"], client.id.to_string(), "{seen}");
}

#[tokio::test]
async fn widened_permissions_give_nothing_until_the_client_accepts_exactly_them() {
    let app = TestApp::spawn().await;
    let (agency, client) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let relationship = invite(&app, &agency, &client, json!({ "read_drafts": true })).await;
    accept(&app, &client, &relationship).await;
    let draft = Value::from(fixtures::draft(&app, &client, json!({ "content": "mine" })).await);
    let wider = json!({ "read_drafts": true, "write_drafts": true });

    let widened = update(&app, &agency, &relationship, json!({ "permissions": wider })).await;
    let edit_before_consent = edit_draft(&app, &agency, &draft).await;
    let read_before_consent = read_draft(&app, &agency, &draft).await;
    let pending = relationship_as(&app, &client, &relationship).await;
    let stale = accept_shown(&app, &client, &relationship, json!({ "read_drafts": true })).await;
    let by_agency = accept_shown(&app, &agency, &relationship, wider.clone()).await;
    let consented = accept_shown(&app, &client, &relationship, wider.clone()).await;
    let edit_after_consent = edit_draft(&app, &agency, &draft).await;

    assert_eq!(code(&edit_before_consent), "NOT_FOUND", "write_drafts was never consented: {edit_before_consent}");
    assert_eq!(read_before_consent["data"]["contentDraft"]["content"], "mine", "the old rights still apply");
    assert_eq!(widened["data"]["updateAgencyClient"]["permissions"], wider, "{widened}");
    assert_eq!(pending["status"], "ACCEPTED", "{pending}");
    assert_eq!(pending["consentedPermissions"], json!({ "read_drafts": true }));
    assert_eq!(code(&stale), "CONFLICT", "the client was shown other rights: {stale}");
    assert_eq!(code(&by_agency), "NOT_FOUND", "only the client consents: {by_agency}");
    assert_eq!(consented["data"]["acceptAgencyInvitation"]["consentedPermissions"], wider, "{consented}");
    assert_eq!(edit_after_consent["data"]["updateContentDraft"]["content"], "edited by the agency");
}

#[tokio::test]
async fn narrowing_applies_at_once_and_widening_back_needs_the_clients_consent_again() {
    let app = TestApp::spawn().await;
    let (agency, client) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let relationship = invite(&app, &agency, &client, json!({ "read_drafts": true, "write_drafts": true })).await;
    accept(&app, &client, &relationship).await;
    let draft = Value::from(fixtures::draft(&app, &client, json!({ "content": "mine" })).await);

    update(&app, &agency, &relationship, json!({ "permissions": { "read_drafts": true, "write_drafts": false } }))
        .await;
    let edit_narrowed = edit_draft(&app, &agency, &draft).await;
    let read_narrowed = read_draft(&app, &agency, &draft).await;
    update(&app, &agency, &relationship, json!({ "permissions": { "read_drafts": true, "write_drafts": true } })).await;
    let edit_widened_back = edit_draft(&app, &agency, &draft).await;
    let narrowed_to_nothing = update(&app, &agency, &relationship, json!({ "permissions": {} })).await;
    let read_nothing = read_draft(&app, &agency, &draft).await;
    let listed = drafts_listed(&app, &agency).await;
    let seen = relationship_as(&app, &agency, &relationship).await;

    assert_eq!(code(&edit_narrowed), "NOT_FOUND", "{edit_narrowed}");
    assert_eq!(read_narrowed["data"]["contentDraft"]["content"], "mine", "{read_narrowed}");
    assert_eq!(code(&edit_widened_back), "NOT_FOUND", "the narrowed consent does not grow back: {edit_widened_back}");
    assert!(narrowed_to_nothing["errors"].is_null(), "{narrowed_to_nothing}");
    assert_eq!(code(&read_nothing), "NOT_FOUND", "{read_nothing}");
    assert_eq!(listed, 0);
    assert_eq!(seen["consentedPermissions"], json!({}), "{seen}");
    assert_eq!(seen["clientDrafts"]["totalCount"], 0);
}

#[tokio::test]
async fn reactivating_restores_the_consented_rights_and_nothing_asked_for_meanwhile() {
    let app = TestApp::spawn().await;
    let (agency, client) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let relationship = invite(&app, &agency, &client, json!({ "read_drafts": true })).await;
    accept(&app, &client, &relationship).await;
    let draft = Value::from(fixtures::draft(&app, &client, json!({ "content": "mine" })).await);

    update(&app, &agency, &relationship, json!({ "isActive": false })).await;
    let read_paused = read_draft(&app, &agency, &draft).await;
    update(&app, &agency, &relationship, json!({ "permissions": { "read_drafts": true, "write_drafts": true } })).await;
    let resumed = update(&app, &agency, &relationship, json!({ "isActive": true })).await;
    let read_resumed = read_draft(&app, &agency, &draft).await;
    let edit_resumed = edit_draft(&app, &agency, &draft).await;

    assert_eq!(code(&read_paused), "NOT_FOUND", "{read_paused}");
    assert_eq!(resumed["data"]["updateAgencyClient"]["isActive"], true, "{resumed}");
    assert_eq!(read_resumed["data"]["contentDraft"]["content"], "mine", "the consent outlives a pause");
    assert_eq!(code(&edit_resumed), "NOT_FOUND", "a right asked for while paused still needs consent");
}

#[tokio::test]
async fn accepting_again_changes_nothing_and_a_revoked_relationship_stays_revoked() {
    let app = TestApp::spawn().await;
    let (agency, client) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let relationship = invite(&app, &agency, &client, json!({ "read_drafts": true })).await;
    let draft = Value::from(fixtures::draft(&app, &client, json!({ "content": "mine" })).await);

    let first = accept(&app, &client, &relationship).await;
    let again = accept(&app, &client, &relationship).await;
    let revoked = revoke(&app, &client, &relationship).await;
    let after_revoke = accept(&app, &client, &relationship).await;
    let read = read_draft(&app, &agency, &draft).await;
    let seen = relationship_as(&app, &agency, &relationship).await;

    assert_eq!(again["data"], first["data"], "nothing new to consent to: {again}");
    assert_eq!(revoked["data"]["revokeAgencyAccess"]["status"], "REVOKED", "{revoked}");
    assert_eq!(code(&after_revoke), "CONFLICT", "{after_revoke}");
    assert_eq!(code(&read), "NOT_FOUND");
    assert_eq!(seen["status"], "REVOKED", "{seen}");
    assert!(seen.get("consentedPermissions").is_some_and(Value::is_null), "no consent left: {seen}");
}

#[tokio::test]
async fn the_database_keeps_the_consent_within_the_permissions_whoever_writes() {
    let app = TestApp::spawn().await;
    let (agency, client) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let relationship = invite(&app, &agency, &client, json!({ "read_drafts": true, "write_drafts": true })).await;
    accept(&app, &client, &relationship).await;
    let draft = Value::from(fixtures::draft(&app, &client, json!({ "content": "mine" })).await);
    let id = uuid_of(&relationship);

    app.test_db
        .exec("UPDATE agency_clients SET permissions = '{\"read_drafts\": true}' WHERE id = $1", vec![id.into()])
        .await
        .expect("narrowed in SQL");
    app.test_db
        .exec(
            "UPDATE agency_clients SET consented_permissions = \
             '{\"read_drafts\": true, \"write_drafts\": true, \"read_analytics\": true}' WHERE id = $1",
            vec![id.into()],
        )
        .await
        .expect("a wider consent written in SQL");
    let seen = relationship_as(&app, &agency, &relationship).await;
    let read = read_draft(&app, &agency, &draft).await;
    let edit = edit_draft(&app, &agency, &draft).await;

    assert_eq!(seen["consentedPermissions"], json!({ "read_drafts": true }), "{seen}");
    assert_eq!(read["data"]["contentDraft"]["content"], "mine", "{read}");
    assert_eq!(code(&edit), "NOT_FOUND", "{edit}");
}

#[tokio::test]
async fn me_lists_an_agencys_own_rows_and_the_relationship_its_clients() {
    let app = TestApp::spawn().await;
    let (agency, client) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let relationship = invite(&app, &agency, &client, json!({ "read_drafts": true, "read_analytics": true })).await;
    accept(&app, &client, &relationship).await;
    fixtures::draft(&app, &client, json!({ "content": "mine" })).await;
    fixtures::draft(&app, &agency, json!({ "content": "mine" })).await;
    let analytics = app
        .gql_as(
            Some(&app.service_token()),
            "mutation($i: CreateCreatorAnalyticInput!) { createCreatorAnalytic(input: $i) { id } }",
            json!({ "i": { "userId": client.id, "metricDate": "2026-11-24", "platform": "OVERALL" } }),
        )
        .await;
    assert!(analytics["data"]["createCreatorAnalytic"].is_object(), "{analytics}");

    let me = app
        .gql_as(
            Some(&agency.token),
            "{ me { contentDrafts { totalCount edges { node { userId } } } creatorAnalytics { totalCount } } }",
            json!({}),
        )
        .await;
    let everything = app
        .gql_as(Some(&agency.token), "{ contentDrafts { totalCount } creatorAnalytics { totalCount } }", json!({}))
        .await;
    let through_relationship = relationship_as(&app, &agency, &relationship).await;

    let me = &me["data"]["me"];
    assert_eq!(me["contentDrafts"]["totalCount"], 1, "only the agency's own drafts: {me}");
    assert_eq!(me["contentDrafts"]["edges"][0]["node"]["userId"], agency.id.to_string());
    assert_eq!(me["creatorAnalytics"]["totalCount"], 0, "{me}");
    assert_eq!(everything["data"]["contentDrafts"]["totalCount"], 2, "{everything}");
    assert_eq!(everything["data"]["creatorAnalytics"]["totalCount"], 1, "{everything}");
    assert_eq!(through_relationship["clientDrafts"]["totalCount"], 1, "{through_relationship}");
}

/// Relationships accepted before consent was recorded keep their rights only if nothing changed
/// after the acceptance: a later change may have widened them or named another client.
#[tokio::test]
async fn upgrading_keeps_the_consent_of_relationships_unchanged_since_their_acceptance_only() {
    let test = TestDb::empty().await;
    let ours = Migrator::migrations()
        .iter()
        .position(|m| m.name() == "m20261203_000019_bind_agency_consent")
        .expect("the consent migration");
    Migrator::up(&test.db, Some(ours as u32)).await.expect("the migrations before it");
    let agency = test.user().await;
    let accepted_at = chrono::Utc::now() - chrono::Duration::days(3);
    let mut relationships = Vec::new();
    for (status, updated_at) in [
        ("accepted", accepted_at + chrono::Duration::milliseconds(5)),
        ("accepted", accepted_at + chrono::Duration::hours(1)),
        ("invited", accepted_at + chrono::Duration::milliseconds(5)),
    ] {
        let id = Uuid::new_v4();
        let client = test.user().await;
        test.insert(
            "agency_clients",
            &[
                ("id", id.into()),
                ("agency_user_id", agency.into()),
                ("client_user_id", client.into()),
                ("client_name", "C".into()),
                ("permissions", json!({ "read_drafts": true }).into()),
                ("status", status.into()),
                ("accepted_at", (status == "accepted").then_some(accepted_at).into()),
                ("updated_at", updated_at.into()),
            ],
        )
        .await
        .expect("a relationship of before the upgrade");
        relationships.push(id);
    }

    Migrator::up(&test.db, None).await.expect("the upgrade");
    let consented = |id: Uuid| {
        let sql = if test.is_postgres() {
            "SELECT COUNT(*) FROM agency_clients WHERE id = $1 AND consented_permissions ->> 'read_drafts' = 'true'"
        } else {
            "SELECT COUNT(*) FROM agency_clients WHERE id = $1 AND json_extract(consented_permissions, '$.read_drafts') = 1"
        };
        test.count(sql, vec![id.into()])
    };

    assert_eq!(consented(relationships[0]).await, 1, "accepted and unchanged since");
    assert_eq!(consented(relationships[1]).await, 0, "changed after its acceptance: to be accepted again");
    assert_eq!(consented(relationships[2]).await, 0, "never accepted");
}

const DRAFT_EVENTS: &str = "subscription { contentDraftEvents { kind node { id userId } } }";

/// An agency watching drafts live. On PostgreSQL it watches through a second instance while
/// every write goes through the first, so each change reaches it over the bus; on SQLite (one
/// instance) through the only one.
struct Watch {
    ws: WsClient,
    peer: Option<Peer>,
}

impl Watch {
    async fn start(app: &TestApp, agency: &TestUser) -> Self {
        let peer = if app.test_db.is_postgres() { Some(app.spawn_peer().await) } else { None };
        let addr: SocketAddr = peer.as_ref().map_or(app.addr, |peer| peer.addr);
        let mut ws = WsClient::open(addr, Protocol::TransportWs, &agency.token).await;
        ws.subscribe("drafts", DRAFT_EVENTS, json!({})).await;
        match &peer {
            Some(peer) => peer.wait_for_receivers(2).await,
            None => app.wait_for_receivers(2).await,
        }
        Self { ws, peer }
    }

    /// The id of the next draft that reaches the agency.
    async fn next_draft(&mut self) -> Value {
        let payload = self.ws.next_result("drafts").await;
        assert!(payload.get("errors").is_none(), "{payload}");
        payload["data"]["contentDraftEvents"]["node"]["id"].clone()
    }

    /// Checks that `draft` reaches the agency next.
    async fn expect_draft(&mut self, draft: &Value, what: &str) {
        assert_eq!(&self.next_draft().await, draft, "{what}");
    }

    /// Checks that no draft made so far reaches the agency: a draft of its own, made now, is the
    /// next to arrive (the events of one instance arrive in order).
    async fn expect_withheld(&mut self, app: &TestApp, agency: &TestUser, what: &str) {
        let own = Value::from(fixtures::draft(app, agency, json!({ "content": "mine" })).await);
        assert_eq!(self.next_draft().await, own, "{what}");
    }

    /// An HTTP read of `draft` by `who` through the instance that watches.
    async fn read_there(&self, app: &TestApp, who: &TestUser, draft: &Value) -> Value {
        let query = "query($id: UUID!) { contentDraft(id: $id) { id content } }";
        match &self.peer {
            Some(peer) => peer.gql_as(Some(&who.token), query, json!({ "id": draft })).await,
            None => app.gql_as(Some(&who.token), query, json!({ "id": draft })).await,
        }
    }
}

#[tokio::test]
async fn live_delegation_starts_with_the_clients_acceptance_not_the_invitation() {
    let app = TestApp::spawn().await;
    let (agency, client) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let mut watch = Watch::start(&app, &agency).await;

    let relationship = invite(&app, &agency, &client, json!({ "read_drafts": true })).await;
    let invited = Value::from(fixtures::draft(&app, &client, json!({ "content": "mine" })).await);
    watch.expect_withheld(&app, &agency, "an invitation delegates nothing").await;
    let read_invited = watch.read_there(&app, &agency, &invited).await;
    accept(&app, &client, &relationship).await;
    let accepted = Value::from(fixtures::draft(&app, &client, json!({ "content": "mine" })).await);
    watch.expect_draft(&accepted, "the acceptance delegates at once").await;
    let read_accepted = watch.read_there(&app, &agency, &accepted).await;

    assert_eq!(code(&read_invited), "NOT_FOUND", "{read_invited}");
    assert_eq!(read_accepted["data"]["contentDraft"]["content"], "mine", "{read_accepted}");
}

#[tokio::test]
async fn live_delegation_takes_widened_rights_only_once_the_client_accepts_them() {
    let app = TestApp::spawn().await;
    let (agency, client) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let relationship = invite(&app, &agency, &client, json!({ "read_analytics": true })).await;
    accept(&app, &client, &relationship).await;
    let mut watch = Watch::start(&app, &agency).await;
    let wider = json!({ "read_analytics": true, "read_drafts": true });

    update(&app, &agency, &relationship, json!({ "permissions": wider })).await;
    let widened = Value::from(fixtures::draft(&app, &client, json!({ "content": "mine" })).await);
    watch.expect_withheld(&app, &agency, "rights the client never saw delegate nothing").await;
    let read_widened = watch.read_there(&app, &agency, &widened).await;
    accept_shown(&app, &client, &relationship, wider).await;
    let consented = Value::from(fixtures::draft(&app, &client, json!({ "content": "mine" })).await);
    watch.expect_draft(&consented, "the client's consent delegates at once").await;
    let read_consented = watch.read_there(&app, &agency, &widened).await;

    assert_eq!(code(&read_widened), "NOT_FOUND", "{read_widened}");
    assert_eq!(read_consented["data"]["contentDraft"]["content"], "mine", "{read_consented}");
}

#[tokio::test]
async fn live_delegation_ends_at_once_when_the_agency_narrows_the_rights() {
    let app = TestApp::spawn().await;
    let (agency, client) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let relationship = invite(&app, &agency, &client, json!({ "read_drafts": true })).await;
    accept(&app, &client, &relationship).await;
    let mut watch = Watch::start(&app, &agency).await;

    let before = Value::from(fixtures::draft(&app, &client, json!({ "content": "mine" })).await);
    watch.expect_draft(&before, "delegated").await;
    update(&app, &agency, &relationship, json!({ "permissions": { "read_drafts": false } })).await;
    fixtures::draft(&app, &client, json!({ "content": "mine" })).await;
    watch.expect_withheld(&app, &agency, "narrowed").await;
    let read_narrowed = watch.read_there(&app, &agency, &before).await;
    update(&app, &agency, &relationship, json!({ "permissions": { "read_drafts": true } })).await;
    fixtures::draft(&app, &client, json!({ "content": "mine" })).await;
    watch.expect_withheld(&app, &agency, "widened back without the client's consent").await;

    assert_eq!(code(&read_narrowed), "NOT_FOUND", "{read_narrowed}");
}

#[tokio::test]
async fn live_delegation_ends_at_once_when_the_client_revokes() {
    let app = TestApp::spawn().await;
    let (agency, client) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let relationship = invite(&app, &agency, &client, json!({ "read_drafts": true })).await;
    accept(&app, &client, &relationship).await;
    let mut watch = Watch::start(&app, &agency).await;

    let before = Value::from(fixtures::draft(&app, &client, json!({ "content": "mine" })).await);
    watch.expect_draft(&before, "delegated").await;
    revoke(&app, &client, &relationship).await;
    fixtures::draft(&app, &client, json!({ "content": "mine" })).await;
    watch.expect_withheld(&app, &agency, "revoked").await;
    let read_revoked = watch.read_there(&app, &agency, &before).await;

    assert_eq!(code(&read_revoked), "NOT_FOUND", "{read_revoked}");
}

#[tokio::test]
async fn live_delegation_ends_at_once_when_the_agency_deletes_the_relationship() {
    let app = TestApp::spawn().await;
    let (agency, client) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let relationship = invite(&app, &agency, &client, json!({ "read_drafts": true })).await;
    accept(&app, &client, &relationship).await;
    let mut watch = Watch::start(&app, &agency).await;

    let before = Value::from(fixtures::draft(&app, &client, json!({ "content": "mine" })).await);
    watch.expect_draft(&before, "delegated").await;
    let deleted = app
        .gql_as(
            Some(&agency.token),
            "mutation($id: UUID!) { deleteAgencyClient(id: $id) }",
            json!({ "id": relationship }),
        )
        .await;
    fixtures::draft(&app, &client, json!({ "content": "mine" })).await;
    watch.expect_withheld(&app, &agency, "deleted").await;
    let read_deleted = watch.read_there(&app, &agency, &before).await;

    assert_eq!(deleted["data"]["deleteAgencyClient"], relationship, "{deleted}");
    assert_eq!(code(&read_deleted), "NOT_FOUND", "{read_deleted}");
}

#[tokio::test]
async fn live_delegation_pauses_while_the_agency_deactivates_the_relationship() {
    let app = TestApp::spawn().await;
    let (agency, client) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let relationship = invite(&app, &agency, &client, json!({ "read_drafts": true })).await;
    accept(&app, &client, &relationship).await;
    let mut watch = Watch::start(&app, &agency).await;

    let before = Value::from(fixtures::draft(&app, &client, json!({ "content": "mine" })).await);
    watch.expect_draft(&before, "delegated").await;
    update(&app, &agency, &relationship, json!({ "isActive": false })).await;
    fixtures::draft(&app, &client, json!({ "content": "mine" })).await;
    watch.expect_withheld(&app, &agency, "deactivated").await;
    let read_paused = watch.read_there(&app, &agency, &before).await;
    update(&app, &agency, &relationship, json!({ "isActive": true })).await;
    let resumed = Value::from(fixtures::draft(&app, &client, json!({ "content": "mine" })).await);
    watch.expect_draft(&resumed, "reactivated: the consent still holds").await;

    assert_eq!(code(&read_paused), "NOT_FOUND", "{read_paused}");
}

#[tokio::test]
async fn a_live_agency_never_receives_drafts_of_a_user_it_tried_to_make_its_client() {
    let app = TestApp::spawn().await;
    let (agency, client, bystander) =
        (app.sign_up(&email()).await, app.sign_up(&email()).await, app.sign_up(&email()).await);
    let relationship = invite(&app, &agency, &client, json!({ "read_drafts": true })).await;
    accept(&app, &client, &relationship).await;
    let mut watch = Watch::start(&app, &agency).await;

    let repointed = update(&app, &agency, &relationship, json!({ "clientUserId": bystander.id })).await;
    let theirs = Value::from(fixtures::draft(&app, &bystander, json!({ "content": "mine" })).await);
    watch.expect_withheld(&app, &agency, "the bystander never consented").await;
    let read_theirs = watch.read_there(&app, &agency, &theirs).await;
    let clients = Value::from(fixtures::draft(&app, &client, json!({ "content": "mine" })).await);
    watch.expect_draft(&clients, "the relationship still names its client").await;

    assert_eq!(code(&repointed), "BAD_USER_INPUT", "{repointed}");
    assert_eq!(code(&read_theirs), "NOT_FOUND", "{read_theirs}");
}

#[tokio::test]
async fn the_clients_revocation_ends_live_delivery_even_after_an_attempt_to_repoint_the_relationship() {
    let app = TestApp::spawn().await;
    let (agency, client, bystander) =
        (app.sign_up(&email()).await, app.sign_up(&email()).await, app.sign_up(&email()).await);
    let relationship = invite(&app, &agency, &client, json!({ "read_drafts": true })).await;
    accept(&app, &client, &relationship).await;
    let mut watch = Watch::start(&app, &agency).await;

    update(&app, &agency, &relationship, json!({ "clientUserId": bystander.id })).await;
    let revoked = revoke(&app, &client, &relationship).await;
    let after = Value::from(fixtures::draft(&app, &client, json!({ "content": "mine" })).await);
    watch.expect_withheld(&app, &agency, "the client's drafts stop with its relationship").await;
    let read_after = watch.read_there(&app, &agency, &after).await;

    assert_eq!(revoked["data"]["revokeAgencyAccess"]["status"], "REVOKED", "{revoked}");
    assert_eq!(code(&read_after), "NOT_FOUND", "{read_after}");
}

/// The events of relationships may come late (another instance, a concurrent request) or never
/// (a write outside the API): a subscription asks the database before it sends a client's row.
#[tokio::test]
async fn a_relationship_ended_behind_the_apis_back_ends_live_delivery_too() {
    let app = TestApp::spawn().await;
    let (agency, client) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let relationship = invite(&app, &agency, &client, json!({ "read_drafts": true })).await;
    accept(&app, &client, &relationship).await;
    let mut watch = Watch::start(&app, &agency).await;

    let before = Value::from(fixtures::draft(&app, &client, json!({ "content": "mine" })).await);
    watch.expect_draft(&before, "delegated").await;
    app.test_db
        .exec("UPDATE agency_clients SET status = 'revoked' WHERE id = $1", vec![uuid_of(&relationship).into()])
        .await
        .expect("revoked in SQL, with no event");
    fixtures::draft(&app, &client, json!({ "content": "mine" })).await;
    watch.expect_withheld(&app, &agency, "revoked without an event").await;
}

/// Changes of relationships lost while an instance's listening connection was down are read
/// again: an acceptance made meanwhile counts.
#[tokio::test]
async fn a_subscription_reads_the_relationships_again_after_its_instance_lost_events() {
    let app = TestApp::spawn().await;
    if !app.test_db.is_postgres() {
        return; // LISTEN/NOTIFY is PostgreSQL's.
    }
    let (agency, client) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let relationship = invite(&app, &agency, &client, json!({ "read_drafts": true })).await;
    let mut ws = WsClient::open(app.addr, Protocol::TransportWs, &agency.token).await;
    ws.subscribe("drafts", DRAFT_EVENTS, json!({})).await;
    app.wait_for_receivers(2).await;

    app.test_db
        .exec(
            "UPDATE agency_clients SET status = 'accepted', accepted_at = now(), \
             consented_permissions = permissions WHERE id = $1",
            vec![uuid_of(&relationship).into()],
        )
        .await
        .expect("accepted, its event lost");
    let cut = app.cut_off_listener().await;
    app.wait_for_listener_after(cut).await;
    let after = Value::from(fixtures::draft(&app, &client, json!({ "content": "mine" })).await);
    let received = ws.next_result("drafts").await;

    assert_eq!(received["data"]["contentDraftEvents"]["node"]["id"], after, "{received}");
}

/// The agency flag is decided per request: a WebSocket connection opened before the client
/// accepted reaches the client's drafts once it has.
#[tokio::test]
async fn a_connection_opened_before_the_client_accepts_reaches_the_clients_drafts() {
    let app = TestApp::spawn().await;
    let (agency, client) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    fixtures::draft(&app, &client, json!({ "content": "theirs" })).await;
    let mut ws = WsClient::open(app.addr, Protocol::TransportWs, &agency.token).await;
    let relationship = invite(&app, &agency, &client, json!({ "read_drafts": true })).await;
    accept(&app, &client, &relationship).await;
    let over_http = app.gql_as(Some(&agency.token), "{ contentDrafts { totalCount } }", json!({})).await;
    ws.subscribe("1", "{ contentDrafts { totalCount } }", json!({})).await;
    let over_ws = ws.next_result("1").await;
    assert_eq!(over_http["data"]["contentDrafts"]["totalCount"], 1, "HTTP: {over_http}");
    assert_eq!(over_ws["data"]["contentDrafts"]["totalCount"], 1, "WebSocket: {over_ws}");
}
