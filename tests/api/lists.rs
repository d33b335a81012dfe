//! Lists: typed filters, multi-key ordering, keyset pagination both ways, limits, ownership.
use serde_json::{Value, json};

use crate::fixtures::{self, email};
use crate::helpers::{TestApp, TestUser, code};

const LIST: &str = "query($filter: ContentDraftFilter, $orderBy: [ContentDraftOrder!], $first: Int, $after: String, $last: Int, $before: String) {
  contentDrafts(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id content platform feedbackScore hashtags } }
  }
}";

fn contents(body: &Value) -> Vec<String> {
    body["data"]["contentDrafts"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("a connection: {body}"))
        .iter()
        .map(|e| e["node"]["content"].as_str().expect("content").to_owned())
        .collect()
}

/// A draft of `user` with the columns the lists below filter and order on.
async fn draft(app: &TestApp, user: &TestUser, content: &str, platform: &str, feedback: Option<i32>, tags: Value) {
    let input =
        json!({ "platform": platform.to_uppercase(), "content": content, "feedbackScore": feedback, "hashtags": tags });
    fixtures::draft(app, user, input).await;
}

/// Ann has twelve drafts `d00`..`d11`; Bob has two.
async fn seeded() -> (TestApp, TestUser, TestUser) {
    let app = TestApp::spawn().await;
    let (ann, bob) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    for i in 0..12 {
        let platform = ["twitter", "linkedin", "instagram"][i % 3];
        let feedback = [Some(-1), Some(0), Some(1), None][i % 4];
        let tags = if i % 2 == 0 { json!(["#ai", format!("#n{i}")]) } else { json!(["#web"]) };
        draft(&app, &ann, &format!("d{i:02} Hello World"), platform, feedback, tags).await;
    }
    draft(&app, &bob, "bob one", "twitter", Some(1), json!(["#ai"])).await;
    draft(&app, &bob, "bob two", "twitter", Some(1), json!(["#ai"])).await;
    (app, ann, bob)
}

async fn list(app: &TestApp, user: &TestUser, vars: Value) -> Value {
    app.gql_as(Some(&user.token), LIST, vars).await
}

#[tokio::test]
async fn filters_combine_operators_per_column_type() {
    let (app, ann, _bob) = seeded().await;
    let by = |filter: Value| {
        list(&app, &ann, json!({ "filter": filter, "first": 100, "orderBy": [{ "field": "CONTENT" }] }))
    };

    let twitter = by(json!({ "platform": { "eq": "TWITTER" } })).await;
    let in_list = by(json!({ "platform": { "in": ["LINKEDIN", "INSTAGRAM"] } })).await;
    let positive = by(json!({ "feedbackScore": { "gt": 0 } })).await;
    let no_feedback = by(json!({ "feedbackScore": { "isNull": true } })).await;
    let tagged = by(json!({ "hashtags": { "contains": ["#ai"] } })).await;
    let both_tags = by(json!({ "hashtags": { "contains": ["#ai", "#n4"] } })).await;
    let starts = by(json!({ "content": { "startsWith": "d1" } })).await;
    let contains = by(json!({ "content": { "contains": "World" } })).await;
    let contains_case = by(json!({ "content": { "contains": "world" } })).await;
    let like = by(json!({ "content": { "like": "%hello world" } })).await;
    let or =
        by(json!({ "or": [{ "content": { "eq": "d00 Hello World" } }, { "content": { "eq": "d11 Hello World" } }] }))
            .await;
    let not = by(json!({ "not": { "platform": { "eq": "TWITTER" } }, "feedbackScore": { "isNull": false } })).await;

    assert_eq!(contents(&twitter), ["d00 Hello World", "d03 Hello World", "d06 Hello World", "d09 Hello World"]);
    assert_eq!(twitter["data"]["contentDrafts"]["totalCount"], 4);
    assert_eq!(contents(&in_list).len(), 8);
    assert_eq!(contents(&positive), ["d02 Hello World", "d06 Hello World", "d10 Hello World"]);
    assert_eq!(contents(&no_feedback), ["d03 Hello World", "d07 Hello World", "d11 Hello World"]);
    assert_eq!(contents(&tagged).len(), 6, "Bob's #ai drafts never show: {tagged}");
    assert_eq!(contents(&both_tags), ["d04 Hello World"]);
    assert_eq!(contents(&starts), ["d10 Hello World", "d11 Hello World"]);
    assert_eq!(contents(&contains).len(), 12);
    assert_eq!(contents(&contains_case).len(), 0, "contains is case-sensitive");
    assert_eq!(contents(&like).len(), 12, "like ignores case");
    assert_eq!(contents(&or), ["d00 Hello World", "d11 Hello World"]);
    assert_eq!(
        contents(&not),
        [
            "d01 Hello World",
            "d02 Hello World",
            "d04 Hello World",
            "d05 Hello World",
            "d08 Hello World",
            "d10 Hello World"
        ]
    );
}

#[tokio::test]
async fn pages_follow_a_multi_key_order_forwards_and_backwards_without_gaps() {
    let (app, ann, _bob) = seeded().await;
    let order = json!([{ "field": "FEEDBACK_SCORE", "direction": "DESC" }, { "field": "CONTENT", "direction": "ASC" }]);
    let all = contents(&list(&app, &ann, json!({ "orderBy": order, "first": 100 })).await);

    let mut forward = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = list(&app, &ann, json!({ "orderBy": order, "first": 5, "after": after })).await;
        forward.extend(contents(&page));
        let info = &page["data"]["contentDrafts"]["pageInfo"];
        if info["hasNextPage"] != true {
            break;
        }
        after = info["endCursor"].as_str().map(str::to_owned);
    }
    let mut backward = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let page = list(&app, &ann, json!({ "orderBy": order, "last": 5, "before": before })).await;
        let mut chunk = contents(&page);
        chunk.extend(backward);
        backward = chunk;
        let info = &page["data"]["contentDrafts"]["pageInfo"];
        if info["hasPreviousPage"] != true {
            break;
        }
        before = info["startCursor"].as_str().map(str::to_owned);
    }

    assert_eq!(all.len(), 12);
    assert_eq!(&all[..3], ["d02 Hello World", "d06 Hello World", "d10 Hello World"], "DESC, nulls last");
    assert_eq!(&all[9..], ["d03 Hello World", "d07 Hello World", "d11 Hello World"], "nulls last");
    assert_eq!(forward, all);
    assert_eq!(backward, all);
}

#[tokio::test]
async fn a_page_never_repeats_or_skips_rows_when_rows_are_added_between_pages() {
    let (app, ann, _bob) = seeded().await;
    let order = json!([{ "field": "CONTENT" }]);
    let first = list(&app, &ann, json!({ "orderBy": order, "first": 6 })).await;
    let cursor = first["data"]["contentDrafts"]["pageInfo"]["endCursor"].as_str().expect("cursor").to_owned();

    draft(&app, &ann, "d00 inserted before the cursor", "twitter", None, json!([])).await;
    let second = list(&app, &ann, json!({ "orderBy": order, "first": 100, "after": cursor })).await;

    let mut seen = contents(&first);
    seen.extend(contents(&second));
    let expected: Vec<String> = (0..12).map(|i| format!("d{i:02} Hello World")).collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn forged_cursors_oversized_pages_and_conflicting_arguments_are_refused() {
    let (app, ann, _bob) = seeded().await;
    let by_content = list(&app, &ann, json!({ "orderBy": [{ "field": "CONTENT" }], "first": 2 })).await;
    let cursor = by_content["data"]["contentDrafts"]["pageInfo"]["endCursor"].as_str().expect("cursor").to_owned();

    let forged = list(&app, &ann, json!({ "first": 2, "after": "bm90LWEtY3Vyc29y" })).await;
    let other_order =
        list(&app, &ann, json!({ "orderBy": [{ "field": "PLATFORM" }], "first": 2, "after": cursor })).await;
    let too_big = list(&app, &ann, json!({ "first": 101 })).await;
    let both = list(&app, &ann, json!({ "first": 2, "last": 2 })).await;

    for (name, body, field) in [
        ("forged", &forged, "after"),
        ("other order", &other_order, "after"),
        ("too big", &too_big, "first"),
        ("both", &both, "last"),
    ] {
        assert_eq!(code(body), "BAD_USER_INPUT", "{name}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{name}");
    }
}

#[tokio::test]
async fn no_filter_cursor_or_order_reveals_another_users_rows() {
    let (app, ann, bob) = seeded().await;
    let anns = list(&app, &ann, json!({ "first": 100 })).await;
    let ann_ids: Vec<Value> = anns["data"]["contentDrafts"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["id"].clone())
        .collect();
    let ann_cursor = anns["data"]["contentDrafts"]["pageInfo"]["startCursor"].as_str().expect("cursor").to_owned();

    let by_id = list(&app, &bob, json!({ "filter": { "id": { "in": ann_ids } }, "first": 100 })).await;
    let by_user = list(&app, &bob, json!({ "filter": { "userId": { "eq": ann.id } }, "first": 100 })).await;
    let with_cursor = list(&app, &bob, json!({ "first": 100, "after": ann_cursor })).await;
    let everything = list(&app, &bob, json!({ "first": 100, "orderBy": [{ "field": "CONTENT" }] })).await;

    assert_eq!(by_id["data"]["contentDrafts"]["totalCount"], 0, "{by_id}");
    assert_eq!(by_user["data"]["contentDrafts"]["totalCount"], 0);
    assert!(contents(&with_cursor).iter().all(|c| c.starts_with("bob")), "{with_cursor}");
    assert_eq!(contents(&everything), ["bob one", "bob two"]);
    assert_eq!(everything["data"]["contentDrafts"]["totalCount"], 2);
}
