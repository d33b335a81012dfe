//! GraphQL multipart requests (github.com/jaydenseric/graphql-multipart-request-spec, what the
//! upload links of Apollo and urql send): `operations` (the request as JSON), `map` (where each
//! file goes among the variables) and the files, read into an `async_graphql::Request` whose
//! `Upload` variables hold them. The body is read up to the document limit plus one avatar, and
//! at most one file is taken; the request then goes the way of every other (authentication,
//! request budget, gate, schema). A token that is no good is refused before the body is read.
use async_graphql::ParseRequestError;
use async_graphql::http::MultipartOptions;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use super::{MediaType, caller, error_response, request_error, too_deep, too_deep_error};
use crate::config::Config;
use crate::error::AppError;
use crate::state::AppState;

/// Whether `content_type` (a `Content-Type` header) announces a multipart request.
pub(super) fn is_multipart(content_type: &str) -> bool {
    content_type.split(';').next().is_some_and(|essence| essence.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// The largest multipart body: the document's limit, plus one file of the largest avatar.
fn max_body_bytes(config: &Config) -> usize {
    super::max_body_bytes(config).saturating_add(config.avatar_max_bytes)
}

/// The request in the multipart `body` and the body's bytes (what `execute` keys validation
/// on), or the response refusing it.
pub(super) async fn read(
    state: &AppState,
    headers: &HeaderMap,
    media: MediaType,
    content_type: &str,
    body: Body,
) -> Result<(async_graphql::Request, Bytes), Response> {
    // Nobody reads megabytes for a bad token (`execute` decides about every other caller).
    if let Err(AppError::Unauthenticated) = caller(state, headers).await {
        let message = "invalid or expired token, or its session has ended";
        let mut response = error_response(media, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", message);
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return Err(response);
    }
    let limit = max_body_bytes(&state.config);
    let too_large = || {
        let message = format!("the request body is larger than {limit} bytes");
        error_response(media, StatusCode::PAYLOAD_TOO_LARGE, "BAD_USER_INPUT", &message)
    };
    let raw = axum::body::to_bytes(body, limit).await.map_err(|_| too_large())?;
    // One file, no larger than the body may be: the exact size allowed is the resolver's to
    // check, so that a file just too large is refused naming the argument it was sent for.
    let options = MultipartOptions::default().max_file_size(limit).max_num_files(1);
    let request = match async_graphql::http::receive_body(Some(content_type), &raw[..], options).await {
        Ok(request) => request,
        Err(ParseRequestError::PayloadTooLarge) => return Err(too_large()),
        Err(ParseRequestError::InvalidRequest(err))
            if err.downcast_ref::<serde_json::Error>().is_some_and(too_deep) =>
        {
            return Err(too_deep_error(media));
        }
        Err(err) => {
            let message = format!("the body is not a GraphQL multipart request: {err}");
            return Err(request_error(media, StatusCode::BAD_REQUEST, &message));
        }
    };
    if request.uploads.len() > 1 {
        let message = "a request may carry one file";
        return Err(error_response(media, StatusCode::BAD_REQUEST, "BAD_USER_INPUT", message));
    }
    if request.query.is_empty() && request.extensions.0.is_empty() {
        return Err(request_error(media, StatusCode::BAD_REQUEST, "the `query` field is required"));
    }
    Ok((request, raw))
}
