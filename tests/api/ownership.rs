//! Ownership across users, table by table (POLICY.md): another user's row answers exactly like a
//! row that exists nowhere, the anonymous caller reaches nothing, the service role reaches
//! everything, users never name another owner, references must be the owner's own rows, and
//! refused or invalid writes change nothing.
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixtures::email;
use crate::helpers::{TestApp, TestUser, code};

fn field(v: &Value) -> &str {
    v["errors"][0]["extensions"]["field"].as_str().unwrap_or("<none>")
}

/// What a caller can learn from a refusal: the data, the first error's message and extensions.
fn error_signature(v: &Value) -> Value {
    json!({
        "data": v.get("data").cloned().unwrap_or(Value::Null),
        "message": v["errors"][0]["message"].clone(),
        "extensions": v["errors"][0]["extensions"].clone(),
    })
}

/// No errors at all.
fn ok(v: &Value) -> bool {
    v.get("errors").and_then(Value::as_array).is_none_or(Vec::is_empty)
}

fn is_row(body: &Value, root: &str, id: Uuid) -> bool {
    body["data"][root]["id"].as_str() == Some(id.to_string().as_str())
}

fn id_in(body: &Value, root: &str) -> Option<Uuid> {
    body["data"][root]["id"].as_str().and_then(|s| s.parse().ok())
}

/// The ids of a connection's edges.
fn listed(body: &Value, root: &str) -> Vec<String> {
    body["data"][root]["edges"]
        .as_array()
        .map(|edges| edges.iter().filter_map(|e| e["node"]["id"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// Equal, or the same number written differently (`"0.5"` and `"0.50"`).
fn same_value(got: &Value, want: &Value) -> bool {
    let number = |v: &Value| v.as_str().and_then(|s| s.parse::<f64>().ok());
    got == want || matches!((number(got), number(want)), (Some(x), Some(y)) if x == y)
}

/// Every field of `input` reads back as given.
fn applied(row: &Value, input: &Value) -> bool {
    input.as_object().is_some_and(|fields| fields.iter().all(|(k, v)| same_value(&row[k], v)))
}

fn pascal(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default()
}

fn without(input: &Value, key: Option<&str>) -> Value {
    let mut input = input.clone();
    if let (Some(key), Some(object)) = (key, input.as_object_mut()) {
        object.remove(key);
    }
    input
}

/// Parent rows some tables need: all belong to user A, except `client`, a third user.
struct Deps {
    trend: Uuid,
    draft: Uuid,
    client: Uuid,
}

/// One table of the access matrix and how to drive it through the API.
struct Table {
    table: &'static str,
    one: &'static str,
    many: &'static str,
    create: &'static str,
    update: &'static str,
    delete: &'static str,
    /// The input field naming the owner (`userId`, `agencyUserId`); `None` for ownerless tables.
    owner_field: Option<&'static str>,
    /// Sign-up already made the user's one row (profile, delivery preferences, subscription).
    from_sign_up: bool,
    user_creates: bool,
    user_reads: bool,
    user_updates: bool,
    user_deletes: bool,
    /// A minimal valid input naming `owner` (ownerless tables ignore it).
    create_input: fn(Uuid, &Deps) -> Value,
    /// A valid change; its fields are read back to see whether a row changed.
    update_input: Value,
}

impl Table {
    fn probe(&self) -> String {
        self.update_input.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>().join(" ")).unwrap_or_default()
    }

    fn is_agency(&self) -> bool {
        self.table == "agency_clients"
    }
}

/// All 17 tables of POLICY.md.
fn tables() -> Vec<Table> {
    vec![
        Table {
            table: "creator_profiles",
            one: "creatorProfile",
            many: "creatorProfiles",
            create: "createCreatorProfile",
            update: "updateCreatorProfile",
            delete: "deleteCreatorProfile",
            owner_field: Some("userId"),
            from_sign_up: true,
            user_creates: true,
            user_reads: true,
            user_updates: true,
            user_deletes: false,
            create_input: |owner, _| json!({ "userId": owner, "email": format!("{}@example.com", owner.simple()) }),
            update_input: json!({ "fullName": "Changed Name" }),
        },
        Table {
            table: "platform_connections",
            one: "platformConnection",
            many: "platformConnections",
            create: "createPlatformConnection",
            update: "updatePlatformConnection",
            delete: "deletePlatformConnection",
            owner_field: Some("userId"),
            from_sign_up: false,
            user_creates: true,
            user_reads: true,
            user_updates: true,
            user_deletes: true,
            create_input: |owner, _| {
                json!({
                    "userId": owner, "platform": "TWITTER", "platformUserId": "tw-1", "platformUsername": "creator",
                })
            },
            update_input: json!({ "platformUsername": "changed_username" }),
        },
        Table {
            table: "content_drafts",
            one: "contentDraft",
            many: "contentDrafts",
            create: "createContentDraft",
            update: "updateContentDraft",
            delete: "deleteContentDraft",
            owner_field: Some("userId"),
            from_sign_up: false,
            user_creates: true,
            user_reads: true,
            user_updates: true,
            user_deletes: true,
            create_input: |owner, _| json!({ "userId": owner, "platform": "LINKEDIN", "contentType": "LINKEDIN_SHORT", "content": "A post" }),
            update_input: json!({ "content": "changed content" }),
        },
        Table {
            table: "voice_training_data",
            one: "voiceTrainingSample",
            many: "voiceTrainingSamples",
            create: "createVoiceTrainingSample",
            update: "updateVoiceTrainingSample",
            delete: "deleteVoiceTrainingSample",
            owner_field: Some("userId"),
            from_sign_up: false,
            user_creates: true,
            user_reads: true,
            user_updates: true,
            user_deletes: true,
            create_input: |owner, _| json!({ "userId": owner, "sampleContent": "a sample", "platform": "TWITTER" }),
            update_input: json!({ "sampleContent": "changed sample" }),
        },
        Table {
            table: "voice_models",
            one: "voiceModel",
            many: "voiceModels",
            create: "createVoiceModel",
            update: "updateVoiceModel",
            delete: "deleteVoiceModel",
            owner_field: Some("userId"),
            from_sign_up: false,
            user_creates: false,
            user_reads: true,
            user_updates: false,
            user_deletes: false,
            create_input: |owner, _| {
                json!({
                    "userId": owner, "modelVersion": "v1",
                    "modelConfig": { "temperature": 0.7 }, "trainingDataCount": 3,
                })
            },
            update_input: json!({ "modelVersion": "v2" }),
        },
        Table {
            table: "content_sources",
            one: "contentSource",
            many: "contentSources",
            create: "createContentSource",
            update: "updateContentSource",
            delete: "deleteContentSource",
            owner_field: Some("userId"),
            from_sign_up: false,
            user_creates: true,
            user_reads: true,
            user_updates: true,
            user_deletes: true,
            create_input: |owner, _| {
                json!({
                    "userId": owner, "sourceType": "NEWSLETTER_RSS",
                    "sourceIdentifier": "https://example.com/feed", "sourceName": "Example feed",
                })
            },
            update_input: json!({ "sourceName": "Changed feed" }),
        },
        Table {
            table: "trend_insights",
            one: "trendInsight",
            many: "trendInsights",
            create: "createTrendInsight",
            update: "updateTrendInsight",
            delete: "deleteTrendInsight",
            owner_field: Some("userId"),
            from_sign_up: false,
            user_creates: false,
            user_reads: true,
            user_updates: false,
            user_deletes: false,
            create_input: |owner, _| trend_input(owner),
            update_input: json!({ "trendTopic": "changed topic" }),
        },
        Table {
            table: "trend_content_mapping",
            one: "trendContentMapping",
            many: "trendContentMappings",
            create: "createTrendContentMapping",
            update: "updateTrendContentMapping",
            delete: "deleteTrendContentMapping",
            owner_field: Some("userId"),
            from_sign_up: false,
            user_creates: false,
            user_reads: true,
            user_updates: false,
            user_deletes: false,
            create_input: |owner, deps| json!({ "userId": owner, "trendId": deps.trend, "contentDraftId": deps.draft }),
            update_input: json!({ "relevanceScore": "0.5" }),
        },
        Table {
            table: "delivery_preferences",
            one: "deliveryPreference",
            many: "deliveryPreferences",
            create: "createDeliveryPreference",
            update: "updateDeliveryPreference",
            delete: "deleteDeliveryPreference",
            owner_field: Some("userId"),
            from_sign_up: true,
            user_creates: true,
            user_reads: true,
            user_updates: true,
            user_deletes: false,
            create_input: |owner, _| json!({ "userId": owner, "emailEnabled": true }),
            update_input: json!({ "whatsappNumber": "+15550100" }),
        },
        Table {
            table: "daily_deliveries",
            one: "dailyDelivery",
            many: "dailyDeliveries",
            create: "createDailyDelivery",
            update: "updateDailyDelivery",
            delete: "deleteDailyDelivery",
            owner_field: Some("userId"),
            from_sign_up: false,
            user_creates: false,
            user_reads: true,
            user_updates: false,
            user_deletes: false,
            create_input: |owner, _| json!({ "userId": owner, "deliveryDate": "2026-11-24" }),
            update_input: json!({ "errorMessage": "changed" }),
        },
        Table {
            table: "creator_analytics",
            one: "creatorAnalytic",
            many: "creatorAnalytics",
            create: "createCreatorAnalytic",
            update: "updateCreatorAnalytic",
            delete: "deleteCreatorAnalytic",
            owner_field: Some("userId"),
            from_sign_up: false,
            user_creates: false,
            user_reads: true,
            user_updates: false,
            user_deletes: false,
            create_input: |owner, _| json!({ "userId": owner, "metricDate": "2026-11-24", "platform": "OVERALL" }),
            update_input: json!({ "draftsGenerated": 42 }),
        },
        Table {
            table: "content_performance",
            one: "contentPerformance",
            many: "contentPerformances",
            create: "createContentPerformance",
            update: "updateContentPerformance",
            delete: "deleteContentPerformance",
            owner_field: Some("userId"),
            from_sign_up: false,
            user_creates: false,
            user_reads: true,
            user_updates: false,
            user_deletes: false,
            create_input: |owner, deps| json!({ "userId": owner, "contentDraftId": deps.draft }),
            update_input: json!({ "likes": 42 }),
        },
        Table {
            table: "usage_tracking",
            one: "usageTracking",
            many: "usageTrackings",
            create: "createUsageTracking",
            update: "updateUsageTracking",
            delete: "deleteUsageTracking",
            owner_field: Some("userId"),
            from_sign_up: false,
            user_creates: false,
            user_reads: true,
            user_updates: false,
            user_deletes: false,
            create_input: |owner, _| json!({ "userId": owner, "usageDate": "2026-11-24", "actionType": "DRAFT_GENERATED" }),
            update_input: json!({ "actionType": "DRAFT_ACCEPTED" }),
        },
        Table {
            table: "subscription_billing",
            one: "subscriptionBilling",
            many: "subscriptionBillings",
            create: "createSubscriptionBilling",
            update: "updateSubscriptionBilling",
            delete: "deleteSubscriptionBilling",
            owner_field: Some("userId"),
            from_sign_up: true,
            user_creates: false,
            user_reads: true,
            user_updates: false,
            user_deletes: false,
            create_input: |owner, _| json!({ "userId": owner, "subscriptionStatus": "TRIALING" }),
            update_input: json!({ "stripeCustomerId": "cus_changed" }),
        },
        Table {
            table: "agency_clients",
            one: "agencyClient",
            many: "agencyClients",
            create: "createAgencyClient",
            update: "updateAgencyClient",
            delete: "deleteAgencyClient",
            owner_field: Some("agencyUserId"),
            from_sign_up: false,
            user_creates: true,
            user_reads: true,
            user_updates: true,
            user_deletes: true,
            create_input: |owner, deps| json!({ "agencyUserId": owner, "clientUserId": deps.client, "clientName": "Client Co" }),
            update_input: json!({ "clientName": "Changed Client" }),
        },
        Table {
            table: "ai_processing_logs",
            one: "aiProcessingLog",
            many: "aiProcessingLogs",
            create: "createAiProcessingLog",
            update: "updateAiProcessingLog",
            delete: "deleteAiProcessingLog",
            owner_field: Some("userId"),
            from_sign_up: false,
            user_creates: false,
            user_reads: false,
            user_updates: false,
            user_deletes: false,
            create_input: |owner, _| json!({ "userId": owner, "processingType": "TREND_ANALYSIS", "inputData": { "prompt": "hello" } }),
            update_input: json!({ "modelVersion": "changed-model" }),
        },
        Table {
            table: "system_health_metrics",
            one: "systemHealthMetric",
            many: "systemHealthMetrics",
            create: "createSystemHealthMetric",
            update: "updateSystemHealthMetric",
            delete: "deleteSystemHealthMetric",
            owner_field: None,
            from_sign_up: false,
            user_creates: false,
            user_reads: false,
            user_updates: false,
            user_deletes: false,
            create_input: |_, _| json!({ "metricName": "latency_ms", "metricValue": "12.5" }),
            update_input: json!({ "metricName": "changed_metric" }),
        },
    ]
}

fn trend_input(owner: Uuid) -> Value {
    json!({
        "userId": owner, "trendTopic": "AI agents", "trendDescription": "rising fast",
        "confidenceScore": "0.8", "sourceCount": 3,
    })
}

fn draft_input() -> Value {
    json!({ "platform": "TWITTER", "contentType": "SINGLE_TWEET", "content": "hello world" })
}

async fn one(app: &TestApp, token: Option<&str>, t: &Table, id: Uuid, fields: &str) -> Value {
    let doc = format!("query($id: UUID!) {{ {}(id: $id) {{ id {fields} }} }}", t.one);
    app.gql_as(token, &doc, json!({ "id": id })).await
}

async fn many(app: &TestApp, token: Option<&str>, t: &Table) -> Value {
    let doc = format!("query {{ {}(first: 100) {{ edges {{ node {{ id }} }} totalCount }} }}", t.many);
    app.gql_as(token, &doc, json!({})).await
}

async fn create(app: &TestApp, token: Option<&str>, t: &Table, input: Value) -> Value {
    let doc = format!("mutation($input: {}Input!) {{ {}(input: $input) {{ id }} }}", pascal(t.create), t.create);
    app.gql_as(token, &doc, json!({ "input": input })).await
}

async fn update(app: &TestApp, token: Option<&str>, t: &Table, id: Uuid) -> Value {
    let doc = format!(
        "mutation($id: UUID!, $input: {}Input!) {{ {}(id: $id, input: $input) {{ id {} }} }}",
        pascal(t.update),
        t.update,
        t.probe()
    );
    app.gql_as(token, &doc, json!({ "id": id, "input": t.update_input })).await
}

async fn delete(app: &TestApp, token: Option<&str>, t: &Table, id: Uuid) -> Value {
    let doc = format!("mutation($id: UUID!) {{ {}(id: $id) }}", t.delete);
    app.gql_as(token, &doc, json!({ "id": id })).await
}

/// The code a user gets for an operation on a row that is not theirs: `NOT_FOUND` where the
/// matrix grants users the operation on their own rows, `FORBIDDEN` where only the service may.
fn refusal(granted_to_users: bool) -> &'static str {
    if granted_to_users { "NOT_FOUND" } else { "FORBIDDEN" }
}

fn expect(fails: &mut Vec<String>, what: &str, body: &Value, want: &str) {
    if code(body) != want {
        fails.push(format!("{what}: expected {want}, got {body}"));
    }
}

/// `body` (about a real row) is refused with `want`, exactly as `random` (about no row).
fn same(fails: &mut Vec<String>, what: &str, body: &Value, random: &Value, want: &str) {
    expect(fails, what, body, want);
    if error_signature(body) != error_signature(random) {
        fails.push(format!("{what}: answers differently than for a random id: {body} vs {random}"));
    }
}

/// The cast of a matrix run: A owns the rows, B is another user, C is A's agency client.
struct Cast {
    a: TestUser,
    b: TestUser,
    c: TestUser,
    service: String,
}

/// Makes (or, for one-per-user tables, finds) the row of `t` that A owns.
async fn own_row(app: &TestApp, t: &Table, cast: &Cast, deps: &Deps) -> Result<Uuid, String> {
    if t.from_sign_up {
        let doc = format!(
            "query($u: UUID!) {{ {}(first: 10, filter: {{ userId: {{ eq: $u }} }}) {{ edges {{ node {{ id }} }} }} }}",
            t.many
        );
        let body = app.gql_as(Some(&cast.service), &doc, json!({ "u": cast.a.id })).await;
        let ids = listed(&body, t.many);
        return match ids.as_slice() {
            [id] => id.parse().map_err(|e| format!("setup: bad id {id}: {e}")),
            _ => Err(format!("setup: expected exactly one row made at sign-up for A: {body}")),
        };
    }
    let body = if t.user_creates {
        create(app, Some(&cast.a.token), t, without(&(t.create_input)(cast.a.id, deps), t.owner_field)).await
    } else {
        create(app, Some(&cast.service), t, (t.create_input)(cast.a.id, deps)).await
    };
    id_in(&body, t.create).ok_or_else(|| format!("setup: creating A's row failed: {body}"))
}

/// Every check of one table; returns the failures.
async fn check_table(app: &TestApp, t: &Table, cast: &Cast, deps: &Deps) -> Vec<String> {
    let mut f = Vec::new();
    let (svc, a, b) = (Some(cast.service.as_str()), Some(cast.a.token.as_str()), Some(cast.b.token.as_str()));
    let id = match own_row(app, t, cast, deps).await {
        Ok(id) => id,
        Err(e) => return vec![e],
    };
    let random = Uuid::new_v4();
    let probe = t.probe();
    let row_sql = format!("SELECT COUNT(*) FROM {} WHERE id = $1", t.table);
    let all_sql = format!("SELECT COUNT(*) FROM {}", t.table);
    let before = one(app, svc, t, id, &probe).await;
    if !is_row(&before, t.one, id) {
        return vec![format!("the service role cannot read A's row: {before}")];
    }

    // B: every answer about A's row is the answer about an id that exists nowhere.
    let (read, upd, del) = (refusal(t.user_reads), refusal(t.user_updates), refusal(t.user_deletes));
    same(&mut f, "B reads A's row", &one(app, b, t, id, "").await, &one(app, b, t, random, "").await, read);
    let a_list = many(app, a, t).await;
    let b_list = many(app, b, t).await;
    if t.user_reads {
        let seen = listed(&b_list, t.many);
        if !ok(&b_list) {
            f.push(format!("B's list fails: {b_list}"));
        }
        if seen.contains(&id.to_string()) {
            f.push(format!("B's list shows A's row: {b_list}"));
        }
        if b_list["data"][t.many]["totalCount"].as_u64() != Some(seen.len() as u64) {
            f.push(format!("B's totalCount counts rows B cannot see: {b_list}"));
        }
        if !listed(&a_list, t.many).contains(&id.to_string()) {
            f.push(format!("A's list misses A's own row: {a_list}"));
        }
    } else {
        expect(&mut f, "B lists", &b_list, "FORBIDDEN");
        if error_signature(&b_list) != error_signature(&a_list) {
            f.push(format!("B's refused list differs from A's: {b_list} vs {a_list}"));
        }
    }
    same(&mut f, "B updates A's row", &update(app, b, t, id).await, &update(app, b, t, random).await, upd);
    same(&mut f, "B deletes A's row", &delete(app, b, t, id).await, &delete(app, b, t, random).await, del);

    // A: its own row, within what the matrix grants users.
    if t.user_reads {
        let mine = one(app, a, t, id, "").await;
        if !is_row(&mine, t.one, id) {
            f.push(format!("A cannot read its own row: {mine}"));
        }
    } else {
        same(
            &mut f,
            "A reads its own row",
            &one(app, a, t, id, "").await,
            &one(app, a, t, random, "").await,
            "FORBIDDEN",
        );
    }
    if !t.user_updates {
        same(
            &mut f,
            "A updates its own row",
            &update(app, a, t, id).await,
            &update(app, a, t, random).await,
            "FORBIDDEN",
        );
    }
    if !t.user_deletes {
        same(
            &mut f,
            "A deletes its own row",
            &delete(app, a, t, id).await,
            &delete(app, a, t, random).await,
            "FORBIDDEN",
        );
    }

    // C, the agency's client: reads the row, never changes it.
    if t.is_agency() {
        let c = Some(cast.c.token.as_str());
        let theirs = one(app, c, t, id, "").await;
        if !is_row(&theirs, t.one, id) {
            f.push(format!("the client cannot read its agency row: {theirs}"));
        }
        let c_list = many(app, c, t).await;
        if !listed(&c_list, t.many).contains(&id.to_string()) {
            f.push(format!("the client's list misses its agency row: {c_list}"));
        }
        same(&mut f, "the client updates", &update(app, c, t, id).await, &update(app, c, t, random).await, "NOT_FOUND");
        same(&mut f, "the client deletes", &delete(app, c, t, id).await, &delete(app, c, t, random).await, "NOT_FOUND");
    }

    // Nothing refused so far changed or removed the row.
    let after = one(app, svc, t, id, &probe).await;
    if after != before {
        f.push(format!("refused writes changed the row: before {before}, after {after}"));
    }
    if app.test_db.count(&row_sql, vec![id.into()]).await != 1 {
        f.push("refused deletes removed the row from the database".to_owned());
    }

    // The anonymous caller and creates that name the wrong owner: refused, nothing written.
    let total = app.test_db.count(&all_sql, vec![]).await;
    let anonymous = [
        ("reads", one(app, None, t, id, "").await),
        ("lists", many(app, None, t).await),
        ("creates", create(app, None, t, (t.create_input)(cast.a.id, deps)).await),
        ("updates", update(app, None, t, id).await),
        ("deletes", delete(app, None, t, id).await),
    ];
    for (what, body) in &anonymous {
        expect(&mut f, &format!("the anonymous caller {what}"), body, "UNAUTHENTICATED");
    }
    if t.user_creates {
        let owner = t.owner_field.unwrap_or("userId");
        let body = create(app, a, t, (t.create_input)(cast.b.id, deps)).await;
        expect(&mut f, "A creates a row owned by B", &body, "BAD_USER_INPUT");
        if field(&body) != owner {
            f.push(format!("A creating a row owned by B should name the field `{owner}`: {body}"));
        }
    } else {
        for (who, token, owner) in [("A", a, cast.a.id), ("B", b, cast.b.id)] {
            let body = create(app, token, t, (t.create_input)(owner, deps)).await;
            expect(&mut f, &format!("{who} creates a service-only row"), &body, "FORBIDDEN");
        }
    }
    let now = app.test_db.count(&all_sql, vec![]).await;
    if now != total {
        f.push(format!("refused creates changed the row count from {total} to {now}"));
    }

    // A's own permitted update, then the service role: reads, updates, deletes.
    if t.user_updates {
        let mine = update(app, a, t, id).await;
        if !ok(&mine) || !applied(&mine["data"][t.update], &t.update_input) {
            f.push(format!("A cannot update its own row: {mine}"));
        }
    }
    let changed = update(app, svc, t, id).await;
    if !ok(&changed) || !applied(&changed["data"][t.update], &t.update_input) {
        f.push(format!("the service role cannot update the row: {changed}"));
    }
    let deleted = delete(app, svc, t, id).await;
    if deleted["data"][t.delete].as_str() != Some(id.to_string().as_str()) {
        f.push(format!("the service role cannot delete the row: {deleted}"));
    }
    let gone = one(app, svc, t, id, "").await;
    expect(&mut f, "the service role reads the deleted row", &gone, "NOT_FOUND");
    if app.test_db.count(&row_sql, vec![id.into()]).await != 0 {
        f.push("the deleted row is still in the database".to_owned());
    }
    f
}

async fn service_trend(app: &TestApp, service: &str, owner: Uuid) -> Uuid {
    let doc = "mutation($input: CreateTrendInsightInput!) { createTrendInsight(input: $input) { id } }";
    let body = app.gql_as(Some(service), doc, json!({ "input": trend_input(owner) })).await;
    id_in(&body, "createTrendInsight").unwrap_or_else(|| panic!("the service role creates a trend: {body}"))
}

async fn own_draft(app: &TestApp, user: &TestUser) -> Uuid {
    let doc = "mutation($input: CreateContentDraftInput!) { createContentDraft(input: $input) { id } }";
    let body = app.gql_as(Some(&user.token), doc, json!({ "input": draft_input() })).await;
    id_in(&body, "createContentDraft").unwrap_or_else(|| panic!("a user creates a draft: {body}"))
}

async fn rows(app: &TestApp, table: &str) -> i64 {
    app.test_db.count(&format!("SELECT COUNT(*) FROM {table}"), vec![]).await
}

async fn profile_id(app: &TestApp, user: &TestUser) -> Uuid {
    let body = app.gql_as(Some(&user.token), "{ me { profile { id } } }", json!({})).await;
    body["data"]["me"]["profile"]["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a signed-up user has a profile: {body}"))
}

#[tokio::test]
async fn every_table_hides_a_users_rows_from_everyone_but_the_owner_and_the_service_role() {
    let app = TestApp::spawn().await;
    let service = app.service_token();
    let (a, b, c) = (app.sign_up(&email()).await, app.sign_up(&email()).await, app.sign_up(&email()).await);
    let deps =
        Deps { trend: service_trend(&app, &service, a.id).await, draft: own_draft(&app, &a).await, client: c.id };
    let cast = Cast { a, b, c, service };

    let tables = tables();
    assert_eq!(tables.len(), 17, "every table of POLICY.md is covered");
    let mut failures = Vec::new();
    for t in &tables {
        for failure in check_table(&app, t, &cast, &deps).await {
            failures.push(format!("{}: {failure}", t.table));
        }
    }
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn a_draft_cannot_cite_another_users_trend() {
    let app = TestApp::spawn().await;
    let service = app.service_token();
    let (ann, bob) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let (anns_trend, bobs_trend) =
        (service_trend(&app, &service, ann.id).await, service_trend(&app, &service, bob.id).await);
    let create =
        "mutation($input: CreateContentDraftInput!) { createContentDraft(input: $input) { id trendSourceId } }";
    let citing = |trend: Uuid| {
        let mut input = draft_input();
        input["trendSourceId"] = json!(trend);
        json!({ "input": input })
    };
    let before = rows(&app, "content_drafts").await;

    let theirs = app.gql_as(Some(&bob.token), create, citing(anns_trend)).await;
    let nowhere = app.gql_as(Some(&bob.token), create, citing(Uuid::new_v4())).await;

    assert_eq!(code(&theirs), "NOT_FOUND", "{theirs}");
    assert_eq!(error_signature(&theirs), error_signature(&nowhere));
    assert_eq!(rows(&app, "content_drafts").await, before, "a refused draft is not written");

    // Bob's own trend is fine; pointing his draft at Ann's trend afterwards is refused alike.
    let own = app.gql_as(Some(&bob.token), create, citing(bobs_trend)).await;
    assert_eq!(own["data"]["createContentDraft"]["trendSourceId"], json!(bobs_trend), "{own}");
    let draft = id_in(&own, "createContentDraft").expect("bob's draft id");
    let update = "mutation($id: UUID!, $input: UpdateContentDraftInput!) {
        updateContentDraft(id: $id, input: $input) { id trendSourceId }
    }";
    let repoint = |trend: Uuid| json!({ "id": draft, "input": { "trendSourceId": trend } });
    let theirs = app.gql_as(Some(&bob.token), update, repoint(anns_trend)).await;
    let nowhere = app.gql_as(Some(&bob.token), update, repoint(Uuid::new_v4())).await;
    assert_eq!(code(&theirs), "NOT_FOUND", "{theirs}");
    assert_eq!(error_signature(&theirs), error_signature(&nowhere));
    let read = app
        .gql_as(
            Some(&bob.token),
            "query($id: UUID!) { contentDraft(id: $id) { trendSourceId } }",
            json!({ "id": draft }),
        )
        .await;
    assert_eq!(read["data"]["contentDraft"]["trendSourceId"], json!(bobs_trend), "{read}");
}

#[tokio::test]
async fn a_mapping_must_use_the_trend_and_the_draft_of_its_own_user() {
    let app = TestApp::spawn().await;
    let service = app.service_token();
    let (ann, bob) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let (anns_trend, anns_draft) = (service_trend(&app, &service, ann.id).await, own_draft(&app, &ann).await);
    let (bobs_trend, bobs_draft) = (service_trend(&app, &service, bob.id).await, own_draft(&app, &bob).await);
    let create =
        "mutation($input: CreateTrendContentMappingInput!) { createTrendContentMapping(input: $input) { id } }";
    let mapping =
        |trend: Uuid, draft: Uuid| json!({ "input": { "userId": bob.id, "trendId": trend, "contentDraftId": draft } });
    let before = rows(&app, "trend_content_mapping").await;

    for (what, theirs, nowhere) in [
        ("Ann's trend", mapping(anns_trend, bobs_draft), mapping(Uuid::new_v4(), bobs_draft)),
        ("Ann's draft", mapping(bobs_trend, anns_draft), mapping(bobs_trend, Uuid::new_v4())),
    ] {
        let theirs = app.gql_as(Some(&service), create, theirs).await;
        let nowhere = app.gql_as(Some(&service), create, nowhere).await;
        assert_eq!(code(&theirs), "NOT_FOUND", "{what}: {theirs}");
        assert_eq!(error_signature(&theirs), error_signature(&nowhere), "{what}");
    }
    assert_eq!(rows(&app, "trend_content_mapping").await, before, "refused mappings are not written");

    let own = app.gql_as(Some(&service), create, mapping(bobs_trend, bobs_draft)).await;
    assert!(id_in(&own, "createTrendContentMapping").is_some(), "bob's own trend and draft map: {own}");
}

#[tokio::test]
async fn a_delivery_cannot_list_another_users_drafts() {
    let app = TestApp::spawn().await;
    let service = app.service_token();
    let (ann, bob) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let (anns_draft, bobs_draft) = (own_draft(&app, &ann).await, own_draft(&app, &bob).await);
    let create =
        "mutation($input: CreateDailyDeliveryInput!) { createDailyDelivery(input: $input) { id contentDraftIds } }";
    let delivery = |draft: Uuid| json!({ "input": { "userId": bob.id, "deliveryDate": "2026-11-24", "contentDraftIds": [draft.to_string()] } });
    let before = rows(&app, "daily_deliveries").await;

    let theirs = app.gql_as(Some(&service), create, delivery(anns_draft)).await;
    let nowhere = app.gql_as(Some(&service), create, delivery(Uuid::new_v4())).await;

    assert_eq!(code(&theirs), "NOT_FOUND", "{theirs}");
    assert_eq!(error_signature(&theirs), error_signature(&nowhere));
    assert_eq!(rows(&app, "daily_deliveries").await, before, "a refused delivery is not written");
    // The same date is still free (one delivery per user and date), and Bob's own draft is fine.
    let own = app.gql_as(Some(&service), create, delivery(bobs_draft)).await;
    assert!(id_in(&own, "createDailyDelivery").is_some(), "bob's own draft is deliverable: {own}");
}

#[tokio::test]
async fn out_of_range_values_are_refused_naming_the_field_and_write_nothing() {
    let app = TestApp::spawn().await;
    let service = app.service_token();
    let ann = app.sign_up(&email()).await;
    let source = json!({ "sourceType": "TWITTER_HANDLE", "sourceIdentifier": "@someone", "sourceName": "Someone" });
    let cases = [
        (
            "content_drafts",
            ann.token.as_str(),
            "createContentDraft",
            draft_input(),
            "feedbackScore",
            json!(2),
            json!(1),
        ),
        ("content_sources", ann.token.as_str(), "createContentSource", source, "priorityLevel", json!(11), json!(10)),
        (
            "trend_insights",
            service.as_str(),
            "createTrendInsight",
            trend_input(ann.id),
            "confidenceScore",
            json!("1.5"),
            json!("1"),
        ),
        (
            "content_drafts",
            ann.token.as_str(),
            "createContentDraft",
            draft_input(),
            "platform",
            json!("myspace"),
            json!("INSTAGRAM"),
        ),
    ];
    let mut failures = Vec::new();
    for (table, token, mutation, base, name, bad, good) in cases {
        let doc = format!("mutation($input: {}Input!) {{ {mutation}(input: $input) {{ id }} }}", pascal(mutation));
        let with = |value: Value| {
            let mut input = base.clone();
            input[name] = value;
            json!({ "input": input })
        };
        let before = rows(&app, table).await;
        let refused = app.gql_as(Some(token), &doc, with(bad)).await;
        if code(&refused) != "BAD_USER_INPUT" || field(&refused) != name {
            failures.push(format!("{mutation} with a bad {name}: expected BAD_USER_INPUT on `{name}`, got {refused}"));
        }
        let after = rows(&app, table).await;
        if after != before {
            failures.push(format!("{mutation} with a bad {name} wrote a row ({before} -> {after})"));
        }
        let accepted = app.gql_as(Some(token), &doc, with(good)).await;
        if id_in(&accepted, mutation).is_none() {
            failures.push(format!("{mutation} with a good {name} failed: {accepted}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn a_creator_handle_belongs_to_one_user_only() {
    let app = TestApp::spawn().await;
    let (ann, bob) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let (anns, bobs) = (profile_id(&app, &ann).await, profile_id(&app, &bob).await);
    let handle = format!("handle_{}", &Uuid::new_v4().simple().to_string()[..8]);
    let update = "mutation($id: UUID!, $input: UpdateCreatorProfileInput!) {
        updateCreatorProfile(id: $id, input: $input) { id creatorHandle }
    }";

    let first = app.gql_as(Some(&ann.token), update, json!({ "id": anns, "input": { "creatorHandle": handle } })).await;
    assert_eq!(first["data"]["updateCreatorProfile"]["creatorHandle"], json!(handle), "{first}");
    let second =
        app.gql_as(Some(&bob.token), update, json!({ "id": bobs, "input": { "creatorHandle": handle } })).await;

    assert_eq!(code(&second), "CONFLICT", "{second}");
    let holders = app
        .test_db
        .count("SELECT COUNT(*) FROM creator_profiles WHERE creator_handle = $1", vec![handle.clone().into()])
        .await;
    assert_eq!(holders, 1);
    let bobs_view = app
        .gql_as(
            Some(&bob.token),
            "query($id: UUID!) { creatorProfile(id: $id) { creatorHandle } }",
            json!({ "id": bobs }),
        )
        .await;
    assert_eq!(bobs_view["data"]["creatorProfile"]["creatorHandle"], Value::Null, "{bobs_view}");
}

#[tokio::test]
async fn a_second_connection_to_the_same_platform_is_a_conflict() {
    let app = TestApp::spawn().await;
    let (ann, bob) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let create = "mutation($input: CreatePlatformConnectionInput!) { createPlatformConnection(input: $input) { id } }";
    let connection =
        |id: &str| json!({ "input": { "platform": "TWITTER", "platformUserId": id, "platformUsername": id } });

    let first = app.gql_as(Some(&ann.token), create, connection("tw-1")).await;
    assert!(id_in(&first, "createPlatformConnection").is_some(), "{first}");
    let before = rows(&app, "platform_connections").await;
    let second = app.gql_as(Some(&ann.token), create, connection("tw-2")).await;

    assert_eq!(code(&second), "CONFLICT", "{second}");
    assert_eq!(rows(&app, "platform_connections").await, before, "the conflicting connection is not written");
    // One per user and platform: another user connects the same platform freely.
    let bobs = app.gql_as(Some(&bob.token), create, connection("tw-3")).await;
    assert!(id_in(&bobs, "createPlatformConnection").is_some(), "{bobs}");
}

#[tokio::test]
async fn platform_tokens_are_stored_encrypted_and_never_readable() {
    let app = TestApp::spawn().await;
    let service = app.service_token();
    let ann = app.sign_up(&email()).await;
    let create = "mutation($input: CreatePlatformConnectionInput!) {
        createPlatformConnection(input: $input) { id hasAccessToken hasRefreshToken }
    }";
    let input = json!({
        "platform": "LINKEDIN", "platformUserId": "li-1", "platformUsername": "ann",
        "accessToken": "plain-secret-token",
    });

    let created = app.gql_as(Some(&ann.token), create, json!({ "input": input })).await;

    let row = &created["data"]["createPlatformConnection"];
    assert_eq!(row["hasAccessToken"], json!(true), "{created}");
    assert_eq!(row["hasRefreshToken"], json!(false), "{created}");
    let id = id_in(&created, "createPlatformConnection").expect("connection id");
    let sealed = app
        .test_db
        .count(
            "SELECT COUNT(*) FROM platform_connections \
             WHERE access_token LIKE 'v1:%' AND access_token NOT LIKE '%plain-secret-token%'",
            vec![],
        )
        .await;
    assert_eq!(sealed, 1, "the access token is stored sealed, not in plain text");
    for (who, token) in [("owner", ann.token.as_str()), ("service", service.as_str())] {
        for doc in [
            "query($id: UUID!) { platformConnection(id: $id) { id accessToken } }",
            "query($id: UUID!) { platformConnection(id: $id) { id refreshToken } }",
        ] {
            let body = app.gql_as(Some(token), doc, json!({ "id": id })).await;
            assert!(!ok(&body), "{who}: {doc} must not validate: {body}");
            assert!(body.get("data").is_none_or(Value::is_null), "{who}: no data for an invalid query: {body}");
        }
    }
}
