//! The transport: GraphQL over HTTP (`POST` and `GET`, media-type negotiation, the error bodies
//! of requests that never ran), GraphQL over WebSocket ([`ws`]), GraphiQL, health probes,
//! request logs and graceful shutdown. It turns a request into a caller
//! ([`AppState::authenticate`]) and a prepared document, and hands both to the schema.
mod avatars;
mod deliveries;
mod graphiql;
mod upload;
pub mod ws;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::audit::RequestMeta;
use crate::auth::Viewer;
use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::graphql::documents::Documents;
use crate::graphql::documents::is_mutation;
use crate::graphql::gate::{Gate, asks_for_cost, run};
use crate::graphql::{AppSchema, build_schema, build_validated_schema};
use crate::state::AppState;
use crate::table::loaders::Loaders;
use crate::telemetry::metrics;

#[derive(Clone)]
struct App {
    state: AppState,
    schema: AppSchema,
    /// The same schema for requests that passed validation before (see `execute`).
    validated_schema: AppSchema,
    documents: Arc<Documents>,
}

/// The largest request body read: variables add to the document, so a few times its limit.
fn max_body_bytes(config: &Config) -> usize {
    config.max_document_bytes.saturating_mul(4)
}

/// The HTTP router of the API.
pub fn router(state: AppState) -> Router {
    let schema = build_schema(state.clone());
    let validated_schema = build_validated_schema(state.clone());
    let documents = Arc::new(Documents::new(1024, state.config.max_query_aliases, state.config.max_document_bytes));
    let state_config = state.config.clone();
    let app = App { state, schema, validated_schema, documents };
    let mut routes = Router::new();
    if state_config.graphiql {
        routes = routes.route("/graphiql/{name}", get(graphiql::asset));
    }
    routes
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/webhooks/stripe", axum::routing::post(stripe_webhook))
        .route("/avatars/{user_id}", get(avatars::serve))
        .route("/deliveries/open/{token}", get(deliveries::open))
        .route("/deliveries/unsubscribe/{token}", get(deliveries::unsubscribe))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_with_token))
        .layer(axum::extract::DefaultBodyLimit::max(max_body_bytes(&state_config)))
        .with_state(app)
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &axum::http::Request<_>| {
                    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default();
                    let span = tracing::info_span!("request", method = %req.method(), path = %req.uri().path(),
                        request_id = %id, "graphql.operation" = tracing::field::Empty,
                        "otel.name" = format!("{} {}", req.method(), req.uri().path()), "otel.kind" = "server");
                    crate::telemetry::traces::continue_trace(&span, req.headers());
                    span
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        // Responses are compressed as the client asks (gzip, brotli, zstd); compressed request
        // bodies are inflated before the body limit counts them.
        .layer(CompressionLayer::new())
        .layer(RequestDecompressionLayer::new())
        .layer(cors(&state_config.cors_allowed_origins))
}

/// The CORS policy: the configured origins may call `/graphql` with a token in the
/// `Authorization` header; preflights are answered; no credentials (cookies) are involved.
fn cors(origins: &[String]) -> CorsLayer {
    let allowed: Vec<HeaderValue> =
        origins.iter().filter_map(|o| HeaderValue::from_str(o.trim().trim_end_matches('/')).ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            "x-request-id".parse().unwrap_or(header::ACCEPT),
        ])
        .expose_headers([header::RETRY_AFTER, "x-request-id".parse().unwrap_or(header::RETRY_AFTER)])
        .max_age(std::time::Duration::from_secs(3600))
}

/// Whether a WebSocket upgrade's `Origin` may open a connection: none (not a browser), the
/// server's own (the page GraphiQL runs in), or one of the configured origins.
fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let own = origin.split_once("://").is_some_and(|(_, rest)| rest.trim_end_matches('/') == host);
    own || allowed.iter().any(|a| a.trim().trim_end_matches('/').eq_ignore_ascii_case(origin))
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets in-flight requests finish
/// for at most the configured shutdown timeout.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let grace = state.config.shutdown_timeout();
    let sockets = state.sockets.clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let closing = sockets.clone();
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: finishing in-flight requests and closing live connections");
        closing.shutdown.cancel();
        closing.tasks.close();
        let _ = tx.send(());
    });
    let mut server = std::pin::pin!(server.into_future());
    tokio::select! {
        result = &mut server => result,
        _ = rx => {
            let drained = async {
                let result = server.await;
                sockets.tasks.wait().await;
                result
            };
            match tokio::time::timeout(grace, drained).await {
                Ok(result) => result,
                Err(_) => {
                    tracing::warn!("shutdown timeout reached; dropping remaining requests");
                    Ok(())
                }
            }
        }
    }
}

/// `POST /webhooks/stripe`: 400 for a delivery that is not Stripe's (nothing stored), 200 once
/// the event is stored and processed (or was before), 500 when processing failed (Stripe
/// delivers again, and the event is claimed again), 404 when no endpoint secret is configured.
async fn stripe_webhook(
    State(app): State<App>,
    headers: HeaderMap,
    extensions: Extensions,
    body: axum::body::Bytes,
) -> Response {
    use crate::billing::stripe::{self, Refused};
    let meta = request_meta(&app.state.config, &headers, &extensions);
    let address = meta.client_address.clone().unwrap_or_else(|| "unknown".into());
    if let Err(AppError::RateLimited { retry_after_secs }) =
        app.state.limits.consume(crate::limits::Rule::Webhook, &address, 1).await
    {
        return (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, HeaderValue::from(retry_after_secs))])
            .into_response();
    }
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    match stripe::receive(&app.state, signature, &body, &meta).await {
        Err(Refused::NotConfigured) => StatusCode::NOT_FOUND.into_response(),
        Err(Refused::Signature) => (StatusCode::BAD_REQUEST, "invalid signature").into_response(),
        Err(Refused::Malformed) => (StatusCode::BAD_REQUEST, "not a Stripe event").into_response(),
        Ok(Ok(_)) => (StatusCode::OK, "ok").into_response(),
        Ok(Err(_)) => (StatusCode::INTERNAL_SERVER_ERROR, "processing failed; deliver again").into_response(),
    }
}

/// The router of `METRICS_BIND`: `/metrics` and nothing else, without a token.
pub fn metrics_router(db: sea_orm::DatabaseConnection, reads: crate::db::Reader) -> Router {
    Router::new()
        .route("/metrics", get(move || std::future::ready(metrics_text(&db, &reads))))
        .layer(CompressionLayer::new())
}

fn metrics_text(db: &sea_orm::DatabaseConnection, reads: &crate::db::Reader) -> Response {
    match metrics::render(db, reads) {
        Some(text) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `/metrics` on the API's address: only with `METRICS_TOKEN`, to a scraper presenting it
/// (404 when none is configured, 401 for a wrong or missing token).
async fn metrics_with_token(State(app): State<App>, headers: HeaderMap) -> Response {
    let Some(expected) = &app.state.config.metrics_token else { return StatusCode::NOT_FOUND.into_response() };
    let presented =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(crate::auth::bearer_token);
    let matches = presented.is_some_and(|token| {
        use sha2::Digest as _;
        // Equal digests, compared whole: the comparison takes the same time wherever they differ.
        sha2::Sha256::digest(token.as_bytes()) == sha2::Sha256::digest(expected.expose().as_bytes())
    });
    if !matches {
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "a metrics token is required")
            .into_response();
    }
    metrics_text(&app.state.db, &app.state.reads)
}

async fn readyz(State(app): State<App>) -> Response {
    // Answered within the connect timeout whatever the database does.
    let patience = app.state.config.connect_timeout().max(std::time::Duration::from_secs(1));
    match tokio::time::timeout(patience, app.state.db.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready").into_response(),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response(),
    }
}

/// The two media types of GraphQL over HTTP.
#[derive(Clone, Copy, PartialEq, Eq)]
enum MediaType {
    GraphqlResponseJson,
    Json,
}

impl MediaType {
    fn header(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::GraphqlResponseJson => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        })
    }

    /// Picks the response type from `Accept`; `None` when the client accepts neither.
    fn negotiate(headers: &HeaderMap) -> Option<Self> {
        let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
            return Some(Self::Json);
        };
        let mut best: Option<(f32, Self)> = None;
        for item in accept.split(',') {
            let mut parts = item.split(';');
            let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let q =
                parts.filter_map(|p| p.trim().strip_prefix("q=")).find_map(|q| q.parse::<f32>().ok()).unwrap_or(1.0);
            let kind = match media.as_str() {
                "application/graphql-response+json" => Self::GraphqlResponseJson,
                "application/json" => Self::Json,
                // What browsers' and most libraries' `fetch` send: the spec's answer is JSON.
                "application/*" | "*/*" => Self::Json,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, kind));
            }
        }
        best.map(|(_, kind)| kind)
    }
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

/// A request-level error (the document never executed): no `data` entry.
fn request_error(media: MediaType, status: StatusCode, message: &str) -> Response {
    error_response(media, status, "BAD_REQUEST", message)
}

/// A response of one error with its code, and no `data` entry.
fn error_response(media: MediaType, status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    (status, [(header::CONTENT_TYPE, media.header())], body.to_string()).into_response()
}

/// Whether JSON failed to parse only because it nests deeper than the parser's bound (128
/// levels), which keeps its recursion off the end of the stack.
fn too_deep(err: &serde_json::Error) -> bool {
    err.is_syntax() && err.to_string().starts_with("recursion limit exceeded")
}

fn too_deep_error(media: MediaType) -> Response {
    let message = "the request nests JSON values more than 128 levels deep";
    error_response(media, StatusCode::BAD_REQUEST, "BAD_USER_INPUT", message)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetParams {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

async fn graphql_get(
    State(app): State<App>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    extensions: Extensions,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    params: Result<Query<GetParams>, QueryRejection>,
) -> Response {
    if let Ok(upgrade) = upgrade {
        let gate = Gate { schema: app.schema.clone(), documents: app.documents.clone() };
        if !origin_allowed(&headers, &app.state.config.cors_allowed_origins) {
            return (StatusCode::FORBIDDEN, "this origin may not open a connection").into_response();
        }
        let meta = request_meta(&app.state.config, &headers, &extensions);
        return ws::upgrade(app.state.clone(), gate, &headers, meta, upgrade);
    }
    let has_query = params.as_ref().is_ok_and(|p| p.query.is_some());
    if !has_query && wants_html(&headers) && app.state.config.graphiql {
        return graphiql::page();
    }
    let Some(media) = MediaType::negotiate(&headers) else {
        return StatusCode::NOT_ACCEPTABLE.into_response();
    };
    let Ok(Query(params)) = params else {
        return request_error(media, StatusCode::BAD_REQUEST, "malformed query string");
    };
    let Some(query) = params.query.or_else(|| params.extensions.as_ref().map(|_| String::new())) else {
        return request_error(media, StatusCode::BAD_REQUEST, "the `query` parameter is required");
    };
    let mut request = async_graphql::Request::new(query);
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    if let Some(variables) = params.variables {
        match serde_json::from_str(&variables) {
            Ok(v) => request = request.variables(async_graphql::Variables::from_json(v)),
            Err(err) if too_deep(&err) => return too_deep_error(media),
            Err(_) => return request_error(media, StatusCode::BAD_REQUEST, "`variables` is not a JSON object"),
        }
    }
    if let Some(extensions) = params.extensions {
        match serde_json::from_str(&extensions) {
            Ok(e) => request.extensions = e,
            Err(_) => return request_error(media, StatusCode::BAD_REQUEST, "`extensions` is not a JSON object"),
        }
    }
    let raw = [b"GET ?", uri.query().unwrap_or_default().as_bytes()].concat();
    execute(&app, media, request, &raw, (&headers, &extensions), Method::Get).await
}

async fn graphql_post(
    State(app): State<App>,
    headers: HeaderMap,
    extensions: Extensions,
    body: axum::body::Body,
) -> Response {
    let Some(media) = MediaType::negotiate(&headers) else {
        return StatusCode::NOT_ACCEPTABLE.into_response();
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    // Uploads (GraphQL multipart requests) have limits of their own.
    if upload::is_multipart(content_type) {
        return match upload::read(&app.state, &headers, media, content_type, body).await {
            Ok((request, raw)) => execute(&app, media, request, &raw, (&headers, &extensions), Method::Post).await,
            Err(refused) => refused,
        };
    }
    // Variables add to the document; the body as a whole may be a few times its limit (reading
    // stops at that size).
    let body = axum::body::to_bytes(body, max_body_bytes(&app.state.config)).await;
    let Ok(body) = body.map_err(|err| tracing::debug!(%err, "request body not read")) else {
        let message = "the request body is too large";
        return error_response(media, StatusCode::PAYLOAD_TOO_LARGE, "BAD_USER_INPUT", message);
    };
    let json_body = content_type.split(';').next().is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json_body {
        let message = "send the request as application/json (or multipart/form-data with a file)";
        return request_error(media, StatusCode::UNSUPPORTED_MEDIA_TYPE, message);
    }
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) if too_deep(&err) => return too_deep_error(media),
        Err(_) => return request_error(media, StatusCode::BAD_REQUEST, "the body is not a GraphQL request"),
    };
    if request.query.is_empty() && request.extensions.0.is_empty() {
        return request_error(media, StatusCode::BAD_REQUEST, "the `query` field is required");
    }
    execute(&app, media, request, &body, (&headers, &extensions), Method::Post).await
}

/// The caller, from the `Authorization` header: no header is anonymous; a header that does not
/// carry a valid token of a live session is refused, never downgraded to anonymous.
async fn caller(state: &AppState, headers: &HeaderMap) -> AppResult<Viewer> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Viewer::Anonymous);
    };
    let token = value.to_str().ok().and_then(crate::auth::bearer_token).ok_or(AppError::Unauthenticated)?;
    state.authenticate(Some(token)).await.map(|(viewer, _)| state.for_request(viewer))
}

/// Where a request comes from: its `x-request-id` and the client's address, from the configured
/// trusted header when a proxy stands in front, else the peer's.
pub fn request_meta(config: &Config, headers: &HeaderMap, extensions: &Extensions) -> RequestMeta {
    let request_id = headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let forwarded = config.trusted_client_address_header.as_deref().and_then(|name| {
        let value = headers.get(name)?.to_str().ok()?;
        let first = value.split(',').next()?.trim();
        (!first.is_empty()).then(|| first.to_owned())
    });
    let peer = || extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip().to_string());
    RequestMeta { request_id, client_address: forwarded.or_else(peer) }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
}

/// Runs `request`, sent as the bytes `raw` (the body, or the query string of a GET).
async fn execute(
    app: &App,
    media: MediaType,
    mut request: async_graphql::Request,
    raw: &[u8],
    (headers, extensions): (&HeaderMap, &Extensions),
    method: Method,
) -> Response {
    let viewer = match caller(&app.state, headers).await {
        Ok(viewer) => viewer,
        Err(AppError::Unauthenticated) => {
            metrics::refused("UNAUTHENTICATED");
            let message = "invalid or expired token, or its session has ended";
            let mut response = error_response(media, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", message);
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return response;
        }
        Err(err) => return error_response(media, StatusCode::SERVICE_UNAVAILABLE, err.code(), &err.message()),
    };
    // The per-user request budget refuses the whole request, before it runs.
    if let Viewer::User { id, .. } = &viewer
        && let Err(AppError::RateLimited { retry_after_secs }) = app.state.limits.request(*id)
    {
        metrics::rate_limited("requests");
        metrics::refused("RATE_LIMITED");
        let message = format!("too many requests; try again in {retry_after_secs} s");
        let body = serde_json::json!({ "errors": [{ "message": message,
            "extensions": { "code": "RATE_LIMITED", "retryAfter": retry_after_secs } }] });
        let headers =
            [(header::CONTENT_TYPE, media.header()), (header::RETRY_AFTER, HeaderValue::from(retry_after_secs))];
        return (StatusCode::TOO_MANY_REQUESTS, headers, body.to_string()).into_response();
    }
    let meta = request_meta(&app.state.config, headers, extensions);
    if let Err(refused) = app.documents.prepare(&mut request) {
        metrics::refused(refused.code);
        let status = if media == MediaType::GraphqlResponseJson { StatusCode::BAD_REQUEST } else { StatusCode::OK };
        let body = serde_json::json!({ "errors": refused.into_response().errors });
        return (status, [(header::CONTENT_TYPE, media.header())], body.to_string()).into_response();
    }
    if method == Method::Get && is_mutation(&mut request) {
        let mut response = request_error(media, StatusCode::METHOD_NOT_ALLOWED, "mutations must be sent with POST");
        response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let loaders = Loaders::new(app.state.reads.clone(), viewer.clone());
    // Validation looks at nothing but the document, the operation name and the variables: a
    // request sent byte for byte as one that passed it passes again, and skips all but the
    // depth and complexity limits.
    let validated = app.documents.passed_validation(raw);
    let schema = if validated { &app.validated_schema } else { &app.schema };
    // The cost goes to the service role and admins always, to anyone who asks for it.
    let show_cost = asks_for_cost(&request)
        || matches!(viewer, Viewer::Service | Viewer::User { role: entity::enums::Role::Admin, .. });
    let request = request.data(viewer).data(loaders).data(crate::table::loaders::Fetched::default()).data(meta);
    let response = run(schema, request, show_cost).await;
    // A document that failed to parse or validate never ran: it has no `data` entry and,
    // under application/graphql-response+json, a 400 status.
    let request_failed = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    if !validated && !request_failed {
        app.documents.record_validated(raw);
    }
    let body = match request_failed {
        false => serde_json::to_string(&response),
        true => serde_json::to_value(&response).map(|mut body| {
            if let Some(obj) = body.as_object_mut() {
                obj.remove("data");
            }
            body.to_string()
        }),
    };
    let Ok(body) = body else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let status = if request_failed && media == MediaType::GraphqlResponseJson {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let mut http = (status, [(header::CONTENT_TYPE, media.header())], body).into_response();
    for (name, value) in response.http_headers.iter() {
        http.headers_mut().insert(name.clone(), value.clone());
    }
    http
}
