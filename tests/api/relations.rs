//! Relations in both directions, batched by dataloaders and owner-checked at every hop.

use rust_decimal::Decimal;
use sea_orm::Value;
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::fixtures::email;
use crate::helpers::{TestApp, TestUser};

const NESTED: &str = "query($first: Int) {
  contentDrafts(first: $first) {
    edges { node { id trendSource { id trendTopic } performance { edges { node { likes } } } trendMappings { totalCount edges { node { relevanceScore } } } } }
  }
}";

/// A trend with `n` drafts written from it, each with a performance row and a mapping.
async fn seed(app: &TestApp, user: &TestUser, n: usize) -> Uuid {
    let db = &app.test_db;
    let trend = Uuid::new_v4();
    db.insert(
        "trend_insights",
        &[
            ("id", trend.into()),
            ("user_id", user.id.into()),
            ("trend_topic", "AI agents".into()),
            ("trend_description", "rising".into()),
            ("confidence_score", Decimal::new(8, 1).into()),
            ("source_count", 3i32.into()),
        ],
    )
    .await
    .expect("trend");
    for i in 0..n {
        let draft = Uuid::new_v4();
        db.insert(
            "content_drafts",
            &[
                ("id", draft.into()),
                ("user_id", user.id.into()),
                ("platform", "twitter".into()),
                ("content_type", "single_tweet".into()),
                ("content", format!("draft {i}").into()),
                ("trend_source_id", trend.into()),
            ],
        )
        .await
        .expect("draft");
        let common: [(&str, Value); 2] = [("user_id", user.id.into()), ("content_draft_id", draft.into())];
        let mut performance = common.to_vec();
        performance.push(("likes", (i as i32).into()));
        db.insert("content_performance", &performance).await.expect("performance");
        let mut mapping = common.to_vec();
        mapping.push(("trend_id", trend.into()));
        mapping.push(("relevance_score", Decimal::new(5, 1).into()));
        db.insert("trend_content_mapping", &mapping).await.expect("mapping");
    }
    trend
}

#[tokio::test]
async fn fifty_drafts_with_their_relations_cost_as_many_statements_as_five() {
    let (app, statements) = TestApp::spawn_recording_statements().await;
    let (ann, bob) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    seed(&app, &ann, 5).await;
    seed(&app, &bob, 50).await;

    statements.take();
    let five = app.gql_as(Some(&ann.token), NESTED, json!({ "first": 100 })).await;
    let for_five = statements.take().len();
    let fifty = app.gql_as(Some(&bob.token), NESTED, json!({ "first": 100 })).await;
    let for_fifty = statements.take().len();

    let edges = |body: &Json| body["data"]["contentDrafts"]["edges"].as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(edges(&five), 5, "{five}");
    assert_eq!(edges(&fifty), 50);
    let node = &fifty["data"]["contentDrafts"]["edges"][0]["node"];
    assert_eq!(node["trendSource"]["trendTopic"], "AI agents", "{node}");
    assert_eq!(node["performance"]["edges"].as_array().map(Vec::len), Some(1));
    assert_eq!(node["trendMappings"]["totalCount"], 1);
    assert_eq!(for_five, for_fifty, "statements depend on the query's shape only");
    assert!(for_fifty <= 6, "one statement per level, not per row: {for_fifty}");
}

#[tokio::test]
async fn relations_work_both_ways_and_never_cross_to_another_user() {
    let app = TestApp::spawn().await;
    let (ann, bob) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let anns_trend = seed(&app, &ann, 3).await;
    seed(&app, &bob, 2).await;
    // Bob's draft pointing at Ann's trend (written behind the API's back) must not reveal it.
    let stray = Uuid::new_v4();
    app.test_db
        .insert(
            "content_drafts",
            &[
                ("id", stray.into()),
                ("user_id", bob.id.into()),
                ("platform", "twitter".into()),
                ("content_type", "single_tweet".into()),
                ("content", "stray".into()),
                ("trend_source_id", anns_trend.into()),
            ],
        )
        .await
        .expect("stray draft");

    let trend = app
        .gql_as(
            Some(&ann.token),
            "query($id: UUID!) { trendInsight(id: $id) { drafts(orderBy: [{ field: CONTENT, direction: DESC }], first: 2) { totalCount pageInfo { hasNextPage } edges { node { content } } } mappedDrafts { id } } }",
            json!({ "id": anns_trend }),
        )
        .await;
    let stray_view = app
        .gql_as(
            Some(&bob.token),
            "query($id: UUID!) { contentDraft(id: $id) { content trendSource { id } } }",
            json!({ "id": stray }),
        )
        .await;

    let drafts = &trend["data"]["trendInsight"]["drafts"];
    assert_eq!(drafts["totalCount"], 3, "Bob's stray draft is not Ann's: {trend}");
    assert_eq!(drafts["pageInfo"]["hasNextPage"], true);
    let contents: Vec<&str> = drafts["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["content"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(contents, ["draft 2", "draft 1"]);
    assert_eq!(trend["data"]["trendInsight"]["mappedDrafts"].as_array().map(Vec::len), Some(3));
    assert_eq!(stray_view["data"]["contentDraft"]["content"], "stray", "{stray_view}");
    assert!(stray_view["data"]["contentDraft"]["trendSource"].is_null(), "Ann's trend stays hidden: {stray_view}");
}

#[tokio::test]
async fn a_delivery_lists_only_the_drafts_its_reader_may_read() {
    let app = TestApp::spawn().await;
    let (ann, bob) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    seed(&app, &ann, 2).await;
    seed(&app, &bob, 1).await;
    let service = app.service_token();
    let anns: Json = app
        .gql_as(
            Some(&service),
            "query($f: ContentDraftFilter) { contentDrafts(filter: $f) { edges { node { id } } } }",
            json!({ "f": { "userId": { "eq": ann.id } } }),
        )
        .await;
    let bobs: Json = app
        .gql_as(
            Some(&service),
            "query($f: ContentDraftFilter) { contentDrafts(filter: $f) { edges { node { id } } } }",
            json!({ "f": { "userId": { "eq": bob.id } } }),
        )
        .await;
    let id_of = |body: &Json, i: usize| body["data"]["contentDrafts"]["edges"][i]["node"]["id"].clone();
    let delivery = Uuid::new_v4();
    // Written directly: the API itself refuses another user's draft in a delivery.
    app.test_db
        .insert(
            "daily_deliveries",
            &[
                ("id", delivery.into()),
                ("user_id", ann.id.into()),
                ("delivery_date", chrono::NaiveDate::from_ymd_opt(2026, 11, 24).expect("date").into()),
                (
                    "content_draft_ids",
                    Value::Json(Some(Box::new(json!([id_of(&anns, 0), id_of(&bobs, 0), id_of(&anns, 1)])))),
                ),
            ],
        )
        .await
        .expect("delivery");

    let body = app
        .gql_as(
            Some(&ann.token),
            "query($id: UUID!) { dailyDelivery(id: $id) { contentDrafts { id } } }",
            json!({ "id": delivery }),
        )
        .await;

    let got: Vec<Json> = body["data"]["dailyDelivery"]["contentDrafts"]
        .as_array()
        .expect("drafts")
        .iter()
        .map(|d| d["id"].clone())
        .collect();
    assert_eq!(got, [id_of(&anns, 0), id_of(&anns, 1)], "{body}");
}

#[tokio::test]
async fn a_trends_newest_drafts_are_cut_per_parent_in_the_database_in_one_statement() {
    let (app, statements) = TestApp::spawn_recording_statements().await;
    let ann = app.sign_up(&email()).await;
    let trends = [seed(&app, &ann, 30).await, seed(&app, &ann, 30).await, seed(&app, &ann, 2).await];
    let query = "{ trendInsights(first: 10) { nodes { id drafts(first: 3, orderBy: [{ field: CONTENT, direction: DESC }]) \
        { pageInfo { hasNextPage } nodes { content } } } } }";
    let body = json!({ "query": query, "extensions": { "cost": true } });

    statements.take();
    let answer: Json = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&ann.token)
        .json(&body)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    let sent = statements.take();

    let nodes = answer["data"]["trendInsights"]["nodes"].as_array().expect("trends");
    assert_eq!(nodes.len(), 3, "{answer}");
    for node in nodes {
        let id: Uuid = node["id"].as_str().and_then(|s| s.parse().ok()).expect("id");
        let drafts: Vec<&str> =
            node["drafts"]["nodes"].as_array().expect("drafts").iter().filter_map(|d| d["content"].as_str()).collect();
        if id == trends[2] {
            assert_eq!(drafts, ["draft 1", "draft 0"]);
            assert_eq!(node["drafts"]["pageInfo"]["hasNextPage"], false);
        } else {
            assert_eq!(drafts, ["draft 9", "draft 8", "draft 7"], "per parent, in the asked order");
            assert_eq!(node["drafts"]["pageInfo"]["hasNextPage"], true);
        }
    }
    // Three trends, and at most four drafts of each (the page and one to tell there are more),
    // not all 62.
    let read = answer["extensions"]["cost"]["rowsRead"].as_u64().expect("rows read");
    assert!(read <= 3 + 3 * 4, "rows read: {read}");
    let drafts: Vec<&String> = sent.iter().filter(|s| s.contains("FROM \"content_drafts\"")).collect();
    assert_eq!(drafts.len(), 1, "one statement for the drafts of every trend: {sent:?}");
    // On PostgreSQL each trend's drafts are a `LATERAL` subquery with its own `LIMIT`, which
    // reads no more rows than the page needs.
    if app.test_db.is_postgres() {
        assert!(drafts[0].contains("LATERAL") && drafts[0].contains("LIMIT"), "{}", drafts[0]);
    }
    // Only what the page shows is read: the wide columns it does not select are not fetched.
    for column in ["engagement_prediction", "actual_performance", "user_edits", "hashtags"] {
        assert!(!drafts[0].contains(&format!("\"{column}\"")), "{column} not fetched: {}", drafts[0]);
    }
    // The trends' own page reads what its relation needs (the id) and not its wide columns.
    let trends: Vec<&String> = sent.iter().filter(|s| s.contains("FROM \"trend_insights\"")).collect();
    assert_eq!(trends.len(), 1, "{sent:?}");
    for column in ["source_evidence", "geographic_data", "content_opportunities"] {
        assert!(!trends[0].contains(&format!("\"{column}\"")), "{column} not fetched: {}", trends[0]);
    }
}

#[tokio::test]
async fn a_relation_by_id_fetches_the_columns_its_selection_reads() {
    let (app, statements) = TestApp::spawn_recording_statements().await;
    let ann = app.sign_up(&email()).await;
    let trend = seed(&app, &ann, 2).await;
    let narrow = "{ contentDrafts { nodes { trendSource { id trendTopic } } } }";
    // Two selections of one relation: each fetches what it reads, and the wide one shows it.
    let both = "{ contentDrafts { nodes { narrow: trendSource { trendTopic } \
        wide: trendSource { trendDescription relevantKeywords sourceEvidence } } } }";

    statements.take();
    let body = app.gql_as(Some(&ann.token), narrow, json!({})).await;
    let sent = statements.take();
    let topics: Vec<&Json> = body["data"]["contentDrafts"]["nodes"].as_array().expect("drafts").iter().collect();
    assert_eq!(topics.len(), 2, "{body}");
    for node in topics {
        assert_eq!(node["trendSource"]["id"], json!(trend.to_string()), "{body}");
        assert_eq!(node["trendSource"]["trendTopic"], "AI agents", "{body}");
    }
    let trends: Vec<&String> = sent.iter().filter(|s| s.contains("FROM \"trend_insights\"")).collect();
    assert_eq!(trends.len(), 1, "one statement for the trends of every draft: {sent:?}");
    for column in ["relevant_keywords", "source_evidence", "geographic_data", "peak_prediction"] {
        assert!(!trends[0].contains(&format!("\"{column}\"")), "{column} not fetched: {}", trends[0]);
    }

    let body = app.gql_as(Some(&ann.token), both, json!({})).await;
    let sent = statements.take();
    let node = &body["data"]["contentDrafts"]["nodes"][0];
    assert_eq!(node["narrow"]["trendTopic"], "AI agents", "{body}");
    assert_eq!(node["wide"]["trendDescription"], "rising", "{body}");
    let trends: Vec<&String> = sent.iter().filter(|s| s.contains("FROM \"trend_insights\"")).collect();
    assert_eq!(trends.len(), 2, "one statement per selection: {sent:?}");
    assert!(trends.iter().any(|s| s.contains("\"relevant_keywords\"")), "the wide selection fetches it: {sent:?}");
    assert!(trends.iter().any(|s| !s.contains("\"relevant_keywords\"")), "the narrow one does not: {sent:?}");
}

#[tokio::test]
async fn a_nested_list_shows_every_column_it_selects_and_a_relation_reads_them_all() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let trend = seed(&app, &ann, 2).await;
    let tagged = app
        .gql_as(
            Some(&ann.token),
            "mutation($t: UUID!) { createContentDraft(input: { platform: TWITTER, contentType: THREAD, content: \"tagged\", \
             hook: \"a hook\", hashtags: [\"rust\"], voiceConfidenceScore: \"0.75\", trendSourceId: $t }) { id } }",
            json!({ "t": trend }),
        )
        .await;
    assert!(tagged["errors"].is_null(), "{tagged}");
    let query = "query($t: UUID!) { trendInsight(id: $t) { drafts(first: 5, filter: { content: { eq: \"tagged\" } }) \
        { nodes { content hook hashtags voiceConfidenceScore trendSource { id } } } } }";
    let body = app.gql_as(Some(&ann.token), query, json!({ "t": trend })).await;
    let node = &body["data"]["trendInsight"]["drafts"]["nodes"][0];
    assert_eq!(node["hook"], "a hook", "{body}");
    assert_eq!(node["hashtags"], json!(["rust"]));
    assert_eq!(node["voiceConfidenceScore"], "0.75");
    assert_eq!(node["trendSource"]["id"], json!(trend.to_string()));
}

#[tokio::test]
async fn a_nested_list_pages_on_with_after_and_back_with_before() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let trend = seed(&app, &ann, 30).await;
    let page = "query($id: UUID!, $after: String, $before: String) { trendInsight(id: $id) { drafts(first: 3, \
        after: $after, before: $before, orderBy: [{ field: CONTENT, direction: DESC }]) { totalCount \
        pageInfo { hasPreviousPage hasNextPage startCursor endCursor } nodes { content } } } }";
    let contents = |body: &Json| -> Vec<String> {
        let nodes = body["data"]["trendInsight"]["drafts"]["nodes"].as_array().cloned().unwrap_or_default();
        nodes.iter().filter_map(|n| n["content"].as_str().map(str::to_owned)).collect()
    };

    let first = app.gql_as(Some(&ann.token), page, json!({ "id": trend })).await;
    let end = first["data"]["trendInsight"]["drafts"]["pageInfo"]["endCursor"].clone();
    let second = app.gql_as(Some(&ann.token), page, json!({ "id": trend, "after": end })).await;
    let start = second["data"]["trendInsight"]["drafts"]["pageInfo"]["startCursor"].clone();
    let back = app.gql_as(Some(&ann.token), page, json!({ "id": trend, "before": start })).await;
    let between = app.gql_as(Some(&ann.token), page, json!({ "id": trend, "after": end, "before": start })).await;
    let forged = app.gql_as(Some(&ann.token), page, json!({ "id": trend, "before": "bm90IGEgY3Vyc29y" })).await;
    let other_order = "query($id: UUID!, $after: String) { trendInsight(id: $id) { drafts(first: 3, after: $after) { nodes { id } } } }";
    let foreign = app.gql_as(Some(&ann.token), other_order, json!({ "id": trend, "after": end })).await;

    assert_eq!(contents(&first), ["draft 9", "draft 8", "draft 7"], "{first}");
    assert_eq!(contents(&second), ["draft 6", "draft 5", "draft 4"], "{second}");
    let info = &second["data"]["trendInsight"]["drafts"];
    assert_eq!(info["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(info["pageInfo"]["hasNextPage"], true);
    assert_eq!(info["totalCount"], 30, "the total is the list's, not what is left");
    assert_eq!(contents(&back), ["draft 9", "draft 8", "draft 7"], "the rows before the second page: {back}");
    assert_eq!(back["data"]["trendInsight"]["drafts"]["pageInfo"]["hasNextPage"], true);
    assert!(contents(&between).is_empty(), "nothing lies between two neighbouring rows: {between}");
    assert_eq!(crate::helpers::code(&forged), "BAD_USER_INPUT", "{forged}");
    assert_eq!(forged["errors"][0]["extensions"]["field"], "before", "{forged}");
    assert_eq!(crate::helpers::code(&foreign), "BAD_USER_INPUT", "a cursor of another ordering: {foreign}");
}

#[tokio::test]
async fn the_same_relation_asked_twice_of_one_parent_lists_each_child_once() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    seed(&app, &ann, 5).await;
    seed(&app, &ann, 2).await;
    // Two aliases with the same arguments share one loader, which is then asked twice for each
    // trend in one batch.
    let query = "{ trendInsights { nodes { id a: drafts(first: 3) { pageInfo { hasNextPage } nodes { id } } \
        b: drafts(first: 3) { pageInfo { hasNextPage } nodes { id } } } } }";
    let answer = app.gql_as(Some(&ann.token), query, json!({})).await;
    let nodes = answer["data"]["trendInsights"]["nodes"].as_array().expect("trends");
    assert_eq!(nodes.len(), 2, "{answer}");
    let mut sizes = Vec::new();
    for node in nodes {
        assert_eq!(node["a"], node["b"], "{answer}");
        let ids: Vec<&str> =
            node["a"]["nodes"].as_array().expect("drafts").iter().filter_map(|d| d["id"].as_str()).collect();
        let distinct: std::collections::HashSet<&str> = ids.iter().copied().collect();
        assert_eq!(distinct.len(), ids.len(), "each draft once: {answer}");
        sizes.push((ids.len(), node["a"]["pageInfo"]["hasNextPage"].as_bool().expect("hasNextPage")));
    }
    sizes.sort();
    assert_eq!(sizes, [(2, false), (3, true)], "{answer}");
}

/// The trends page `page` with each trend's drafts (`args` added to theirs), fetched along
/// with the trends and loaded apart (a second relation selected makes them so): both answers
/// must be the same. The answer, and how many statements read trends or drafts for it.
async fn along_and_apart(
    app: &TestApp,
    statements: &crate::helpers::Statements,
    user: &TestUser,
    page: &str,
    args: &str,
    variables: Json,
) -> (Json, usize) {
    let drafts = format!(
        "drafts(first: 2, orderBy: [{{ field: CONTENT, direction: DESC }}]{args}) \
         {{ pageInfo {{ hasNextPage hasPreviousPage }} edges {{ cursor node {{ id content }} }} }}"
    );
    let head = match args.contains("$after") {
        true => "query($after: String) { trendInsights",
        false => "{ trendInsights",
    };
    let along = format!("{head}({page}) {{ pageInfo {{ hasNextPage hasPreviousPage }} nodes {{ id {drafts} }} }} }}");
    let apart = format!(
        "{head}({page}) {{ pageInfo {{ hasNextPage hasPreviousPage }} nodes {{ id {drafts} mappings(first: 1) {{ totalCount }} }} }} }}"
    );
    statements.take();
    let with = app.gql_as(Some(&user.token), &along, variables.clone()).await;
    let sent = statements.take();
    let without = app.gql_as(Some(&user.token), &apart, variables).await;
    let trends = with["data"]["trendInsights"]["nodes"].as_array().unwrap_or_else(|| panic!("{with}")).clone();
    let others = without["data"]["trendInsights"]["nodes"].as_array().unwrap_or_else(|| panic!("{without}")).clone();
    assert_eq!(with["data"]["trendInsights"]["pageInfo"], without["data"]["trendInsights"]["pageInfo"]);
    assert_eq!(trends.len(), others.len());
    for (with, without) in trends.iter().zip(&others) {
        assert_eq!(with["id"], without["id"]);
        assert_eq!(with["drafts"], without["drafts"], "the same children, cursors and pages");
    }
    let reads = sent.iter().filter(|s| s.contains("\"trend_insights\"") || s.contains("\"content_drafts\"")).count();
    if app.test_db.is_postgres() && reads == 1 {
        let fused = sent.iter().find(|s| s.contains("\"content_drafts\"")).expect("the statement");
        assert!(fused.contains("LEFT JOIN LATERAL"), "{fused}");
    }
    (with, reads)
}

#[tokio::test]
async fn a_page_and_its_rows_children_come_in_one_statement_and_answer_as_when_loaded_apart() {
    let (app, statements) = TestApp::spawn_recording_statements().await;
    let ann = app.sign_up(&email()).await;
    let bob = app.sign_up(&email()).await;
    for n in [4, 0, 3, 5] {
        seed(&app, &ann, n).await;
    }
    seed(&app, &bob, 3).await;
    // The trends and their drafts in one statement on PostgreSQL, one per level on SQLite.
    let levels = if app.test_db.is_postgres() { 1 } else { 2 };
    for page in ["first: 3", "last: 3", "first: 10"] {
        let (answer, reads) = along_and_apart(&app, &statements, &ann, page, "", json!({})).await;
        assert_eq!(reads, levels, "{page}: {answer}");
    }
    // A cursor of children that came along pages on, for each parent.
    let (answer, _) = along_and_apart(&app, &statements, &ann, "first: 10", "", json!({})).await;
    let trends = answer["data"]["trendInsights"]["nodes"].as_array().expect("trends").clone();
    assert_eq!(trends.len(), 4, "{answer}");
    let mut counts: Vec<usize> = trends.iter().map(|t| t["drafts"]["edges"].as_array().map_or(0, Vec::len)).collect();
    counts.sort_unstable();
    assert_eq!(counts, [0, 2, 2, 2], "two per trend, none for the trend without drafts: {answer}");
    let cursor = trends.iter().find_map(|t| t["drafts"]["edges"][1]["cursor"].as_str()).expect("a cursor");
    let (next, reads) =
        along_and_apart(&app, &statements, &ann, "first: 10", ", after: $after", json!({ "after": cursor })).await;
    assert_eq!(reads, levels);
    let pages: Vec<&Json> =
        next["data"]["trendInsights"]["nodes"].as_array().expect("trends").iter().map(|t| &t["drafts"]).collect();
    assert!(pages.iter().all(|p| p["pageInfo"]["hasPreviousPage"] == true), "{next}");
    assert!(pages.iter().any(|p| p["edges"].as_array().is_some_and(|e| !e.is_empty())), "{next}");
    // Bob's page holds his own trend and drafts only.
    let (his, _) = along_and_apart(&app, &statements, &bob, "first: 10", "", json!({})).await;
    let his = his["data"]["trendInsights"]["nodes"].as_array().expect("trends").clone();
    assert_eq!(his.len(), 1);
    assert_eq!(his[0]["drafts"]["edges"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn children_fetched_ahead_over_a_websocket_belong_to_their_operation_alone() {
    use crate::ws_client::{Protocol, WsClient};
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let (a, b) = (seed(&app, &ann, 1).await, seed(&app, &ann, 1).await);
    // The page's last trend (by id) is the row that tells there are more: its drafts were
    // fetched along with the page.
    let (shown, cut) = if a < b { (a, b) } else { (b, a) };
    let drafts = "drafts(first: 2) { nodes { content } }";
    let mut ws = WsClient::open(app.addr, Protocol::TransportWs, &ann.token).await;
    ws.subscribe("1", &format!("{{ trendInsights(first: 1) {{ nodes {{ id {drafts} }} }} }}"), json!({})).await;
    let first = ws.next_result("1").await;
    assert_eq!(first["data"]["trendInsights"]["nodes"][0]["id"], json!(shown.to_string()), "{first}");
    let done = ws.receive().await;
    assert!(matches!(&done, crate::ws_client::Received::Message(m) if m["type"] == "complete"), "{done:?}");
    // The cut trend gains a draft; a later operation on the same socket sees it.
    app.test_db
        .insert(
            "content_drafts",
            &[
                ("id", Uuid::new_v4().into()),
                ("user_id", ann.id.into()),
                ("platform", "twitter".into()),
                ("content_type", "single_tweet".into()),
                ("content", "draft new".into()),
                ("trend_source_id", cut.into()),
            ],
        )
        .await
        .expect("draft");
    let query = format!("query($id: UUID!) {{ trendInsight(id: $id) {{ {drafts} }} }}");
    ws.subscribe("2", &query, json!({ "id": cut })).await;
    let later = ws.next_result("2").await;
    let contents = later["data"]["trendInsight"]["drafts"]["nodes"].as_array().expect("drafts").len();
    assert_eq!(contents, 2, "the draft added since, not a page fetched by an earlier operation: {later}");
}
