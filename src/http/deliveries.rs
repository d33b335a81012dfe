//! The links in delivery emails, which work without a token: `GET /deliveries/open/<token>`
//! (and `<token>.gif`, the email's image) records the first opening; `GET
//! /deliveries/unsubscribe/<token>` turns delivery emails off. Each answers the same whatever
//! the token (valid, tampered, replayed or unknown), so a link reveals nothing.
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

use super::App;

/// A transparent 1×1 GIF.
const PIXEL: [u8; 43] = [
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
    0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
    0x02, 0x44, 0x01, 0x00, 0x3b,
];

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

pub async fn open(State(app): State<App>, Path(token): Path<String>) -> Response {
    let (token, image) = match token.strip_suffix(".gif") {
        Some(token) => (token.to_owned(), true),
        None => (token, false),
    };
    if let Err(err) = crate::delivery::opened_by_link(&app.state, &token).await {
        tracing::warn!(error = ?err, "recording an opened delivery failed");
    }
    let response = if image {
        ([(header::CONTENT_TYPE, "image/gif")], PIXEL.as_slice()).into_response()
    } else {
        Html("<!doctype html><title>CreatorPulse</title><p>Your drafts are waiting in CreatorPulse.</p>")
            .into_response()
    };
    no_store(response)
}

pub async fn unsubscribe(State(app): State<App>, Path(token): Path<String>) -> Response {
    if let Err(err) = crate::delivery::unsubscribe_by_link(&app.state, &token).await {
        tracing::warn!(error = ?err, "unsubscribing failed");
    }
    no_store(
        Html("<!doctype html><title>CreatorPulse</title><p>You will get no more delivery emails from this link's account.</p>")
            .into_response(),
    )
}
