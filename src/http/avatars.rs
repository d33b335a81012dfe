//! `GET /avatars/<userId>?expires=<unix>&sig=<mac>`: the avatar behind a URL this server signed
//! ([`crate::avatars`]). A URL that is not genuine, or has expired, is 403 before anything is
//! looked up, so it tells nothing about the user; a genuine one whose profile has no avatar (any
//! more) is 404. The bytes go out with their format's type, kept privately for the URL's
//! remaining life.
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::App;
use crate::avatars::Avatars;
use crate::profiles::avatars::stored;

#[derive(Deserialize)]
pub(super) struct Signed {
    expires: Option<i64>,
    sig: Option<String>,
}

/// A refusal with nothing in it (not even whether the user exists).
fn refused(status: StatusCode) -> Response {
    (status, [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))]).into_response()
}

pub(super) async fn serve(
    State(app): State<App>,
    user: Result<Path<String>, PathRejection>,
    signed: Result<Query<Signed>, QueryRejection>,
) -> Response {
    let now = chrono::Utc::now().timestamp();
    let (Ok(Path(user)), Ok(Query(Signed { expires: Some(expires), sig: Some(sig) }))) = (user, signed) else {
        return refused(StatusCode::FORBIDDEN);
    };
    let Ok(user) = user.parse::<Uuid>() else { return refused(StatusCode::FORBIDDEN) };
    if !app.state.avatars.verify(user, expires, &sig, now) {
        return refused(StatusCode::FORBIDDEN);
    }
    let (format, bytes) = match stored(&app.state, user).await {
        Ok(Some(found)) => found,
        Ok(None) => return refused(StatusCode::NOT_FOUND),
        Err(_) => return refused(StatusCode::SERVICE_UNAVAILABLE),
    };
    let cache = format!("private, max-age={}", Avatars::remaining(expires, now));
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(format.media_type())),
        (header::CACHE_CONTROL, HeaderValue::from_str(&cache).unwrap_or(HeaderValue::from_static("private"))),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox")),
    ];
    (StatusCode::OK, headers, bytes).into_response()
}
