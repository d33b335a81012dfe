//! GraphQL over WebSocket on `/graphql`: `graphql-transport-ws` and the legacy `graphql-ws`
//! subprotocol, chosen by the client's `Sec-WebSocket-Protocol`.
//!
//! The connection is authenticated by `connection_init` (`{"Authorization": "Bearer <token>"}`)
//! or the upgrade request's `Authorization` header, and closed with `4401` when the token is
//! missing or invalid, when it expires, and when its session ends (sign-out, account deletion).
//! The server pings every keep-alive period and drops a client silent for two; a client that
//! does not read its messages within the send timeout is disconnected; graceful shutdown closes
//! every connection with `1001`.

use std::time::Duration;

use async_graphql::Data;
use async_graphql::futures_util::{SinkExt, StreamExt, stream};
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocketProtocols as Protocols, WsMessage};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::audit::RequestMeta;
use crate::auth::Viewer;
use crate::auth::presence::Slot;
use crate::error::AppError;
use crate::events::Event;
use crate::graphql::gate::Gate;
use crate::state::AppState;
use crate::table::loaders::Loaders;

/// Close codes of `graphql-transport-ws`, used for both subprotocols.
mod code {
    pub const NORMAL: u16 = 1000;
    pub const GOING_AWAY: u16 = 1001;
    pub const UNAUTHORIZED: u16 = 4401;
    pub const INIT_TIMEOUT: u16 = 4408;
    pub const TOO_MANY: u16 = 4429;
    pub const KEEPALIVE_TIMEOUT: u16 = 3008;
}

/// How long a closing connection waits for the client's close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Client messages waiting to be handled; a client that floods beyond this is disconnected.
const INBOX: usize = 64;

/// Why a connection is refused at `connection_init`.
struct Refusal {
    code: u16,
    reason: String,
}

impl Refusal {
    fn unauthorized(reason: &str) -> Self {
        Self { code: code::UNAUTHORIZED, reason: format!("Unauthorized: {reason}") }
    }
}

/// An admitted connection: who, until when, and its place under the per-user limit.
struct Admitted {
    viewer: Viewer,
    expires_at: i64,
    _slot: Option<Slot>,
}

/// The subprotocol the client asked for, `graphql-transport-ws` first.
fn protocol_of(headers: &HeaderMap) -> Option<Protocols> {
    let offered: Vec<String> = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(|p| p.trim().to_ascii_lowercase()))
        .collect();
    ALL_WEBSOCKET_PROTOCOLS.iter().find(|p| offered.iter().any(|o| o == *p)).and_then(|p| p.parse().ok())
}

/// The token of an `Authorization` value (`Bearer <token>`); an unusable value gives an empty
/// token, which is refused rather than ignored.
fn bearer(value: &str) -> String {
    crate::auth::bearer_token(value).unwrap_or_default().to_owned()
}

/// Upgrades a GET on `/graphql` to a GraphQL WebSocket connection.
pub fn upgrade(
    state: AppState,
    schema: Gate,
    headers: &HeaderMap,
    meta: RequestMeta,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some(protocol) = protocol_of(headers) else {
        return (StatusCode::BAD_REQUEST, "use the graphql-transport-ws or graphql-ws subprotocol").into_response();
    };
    let header_token = headers.get(header::AUTHORIZATION).map(|v| bearer(v.to_str().unwrap_or_default()));
    // Messages are small and written at once: small buffers keep an idle connection cheap.
    let max_message = state.config.max_document_bytes.saturating_mul(4);
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .read_buffer_size(8 * 1024)
        .write_buffer_size(0)
        .max_message_size(max_message)
        .on_upgrade(move |socket| connection(state, schema, socket, protocol, header_token, meta))
}

/// Checks the token, its session and the user's connection limit.
async fn admit(state: &AppState, token: Option<String>) -> Result<Admitted, Refusal> {
    let token = token.ok_or_else(|| Refusal::unauthorized("a token is required"))?;
    let (viewer, expires_at) = match state.authenticate(Some(&token)).await {
        Ok((viewer, Some(expires_at))) => (viewer, expires_at),
        Ok((_, None)) | Err(AppError::Unauthenticated) => {
            return Err(Refusal::unauthorized("invalid or expired token, or the session has ended"));
        }
        Err(_) => return Err(Refusal { code: 1011, reason: "internal error".into() }),
    };
    let slot =
        state.presence.connection(&viewer).map_err(|err| Refusal { code: code::TOO_MANY, reason: err.message() })?;
    Ok(Admitted { viewer, expires_at, _slot: slot })
}

/// The token of a `connection_init` payload, in the shapes clients send it:
/// `{"Authorization": "Bearer <token>"}` (either case), `{"headers": {"Authorization": ...}}`
/// (Hasura's and Apollo's convention), and `{"authToken" | "token" | "accessToken": "<token>"}`
/// (with or without `Bearer`).
fn init_token(payload: &serde_json::Value) -> Option<String> {
    let header = |object: &serde_json::Value| {
        object.as_object()?.iter().find(|(key, _)| key.eq_ignore_ascii_case("authorization"))?.1.as_str().map(bearer)
    };
    let bare = |key: &str| {
        let value = payload.get(key)?.as_str()?;
        Some(crate::auth::bearer_token(value).unwrap_or(value).to_owned())
    };
    header(payload)
        .or_else(|| payload.get("headers").and_then(header))
        .or_else(|| ["authToken", "token", "accessToken"].into_iter().find_map(bare))
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame { code, reason: reason.into() }))
}

fn instant_at(epoch_secs: i64) -> Instant {
    let left = epoch_secs.saturating_sub(chrono::Utc::now().timestamp());
    Instant::now() + Duration::from_secs(u64::try_from(left).unwrap_or(0))
}

async fn connection(
    state: AppState,
    schema: Gate,
    socket: WebSocket,
    protocol: Protocols,
    header_token: Option<String>,
    meta: RequestMeta,
) {
    let _running = state.sockets.tasks.token();
    let _open = crate::telemetry::metrics::Open::connection();
    let config = state.config.clone();
    let send_timeout = Duration::from_secs(config.ws_send_timeout.max(1));
    let keepalive = Duration::from_secs(config.ws_keepalive.max(1));
    let (mut sink, mut source) = socket.split();
    let (inbox, inbox_rx) = mpsc::channel::<Vec<u8>>(INBOX);
    let (admitted_tx, mut admitted_rx) = oneshot::channel::<Result<Admitted, Refusal>>();

    let init_state = state.clone();
    let on_init = move |payload: serde_json::Value| async move {
        let token = init_token(&payload).or(header_token);
        match admit(&init_state, token).await {
            Ok(admitted) => {
                let mut data = Data::default();
                data.insert(admitted.viewer.clone());
                data.insert(Loaders::new(init_state.reads.clone(), admitted.viewer.clone()));
                data.insert(meta);
                let _ = admitted_tx.send(Ok(admitted));
                Ok(data)
            }
            Err(refusal) => {
                let message = refusal.reason.clone();
                let _ = admitted_tx.send(Err(refusal));
                Err(async_graphql::Error::new(message))
            }
        }
    };
    let input = stream::unfold(inbox_rx, |mut rx| async move { rx.recv().await.map(|m| (m, rx)) });
    let graphql = async_graphql::http::WebSocket::new(schema, input, protocol).on_connection_init(on_init);
    let mut graphql = std::pin::pin!(graphql);

    let mut admitted: Option<Admitted> = None;
    let mut refused: Option<Refusal> = None;
    let mut deadline = Instant::now() + Duration::from_secs(config.ws_init_timeout.max(1));
    let mut control = state.events.subscribe();
    let mut ticks = tokio::time::interval_at(Instant::now() + keepalive, keepalive);
    let mut last_heard = Instant::now();
    let shutdown = state.sockets.shutdown.clone();

    let ending: Option<(u16, String)> = loop {
        let waiting = admitted.is_none() && refused.is_none();
        tokio::select! {
            _ = shutdown.cancelled() => break Some((code::GOING_AWAY, "the server is shutting down".into())),
            frame = source.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    last_heard = Instant::now();
                    if inbox.try_send(text.as_bytes().to_vec()).is_err() {
                        break Some((code::TOO_MANY, "too many messages".into()));
                    }
                }
                Some(Ok(Message::Binary(bytes))) => {
                    last_heard = Instant::now();
                    if inbox.try_send(bytes.to_vec()).is_err() {
                        break Some((code::TOO_MANY, "too many messages".into()));
                    }
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => last_heard = Instant::now(),
                // The client closed or the socket failed: nothing more can be sent.
                _ => break None,
            },
            outcome = &mut admitted_rx, if waiting => {
                if let Ok(outcome) = outcome {
                    settle(outcome, &mut admitted, &mut refused, &mut deadline);
                }
            },
            out = graphql.next() => {
                if waiting && let Ok(outcome) = admitted_rx.try_recv() {
                    settle(outcome, &mut admitted, &mut refused, &mut deadline);
                }
                match out {
                    Some(WsMessage::Text(text)) => {
                        if !send(&mut sink, Message::Text(text.into()), send_timeout).await {
                            break None;
                        }
                    }
                    Some(WsMessage::Close(code, reason)) => match &refused {
                        Some(refusal) => break Some((refusal.code, refusal.reason.clone())),
                        None => break Some((code, reason)),
                    },
                    None => match &refused {
                        Some(refusal) => break Some((refusal.code, refusal.reason.clone())),
                        None => break Some((code::NORMAL, String::new())),
                    },
                }
            },
            _ = tokio::time::sleep_until(deadline), if refused.is_none() => break Some(match admitted {
                None => (code::INIT_TIMEOUT, "Connection initialisation timeout".into()),
                Some(_) => (code::UNAUTHORIZED, "Unauthorized: the token expired".into()),
            }),
            _ = ticks.tick() => {
                if last_heard.elapsed() > keepalive * 2 {
                    break Some((code::KEEPALIVE_TIMEOUT, "keep-alive timeout".into()));
                }
                let ping = match protocol {
                    Protocols::GraphQLWS => r#"{"type":"ping"}"#,
                    Protocols::SubscriptionsTransportWS => r#"{"type":"ka"}"#,
                };
                let mut alive = send(&mut sink, Message::Ping(Default::default()), send_timeout).await;
                if alive && admitted.is_some() {
                    alive = send(&mut sink, Message::Text(ping.into()), send_timeout).await;
                }
                if !alive {
                    break None;
                }
            },
            event = control.recv() => {
                let Some(Admitted { viewer: Viewer::User { id, session_id: own, .. }, .. }) = &admitted else { continue };
                let ended = match event.as_deref() {
                    Ok(Event::SessionsEnded { user_id, session_id }) => {
                        user_id == id && (session_id.is_none() || session_id == own)
                    }
                    Ok(Event::AccessChanged { user_id }) => user_id == id,
                    Ok(Event::Change(_)) => false,
                    // Events were missed, a sign-out perhaps: ask again.
                    Ok(Event::Resync) | Err(_) => {
                        state.auth.liveness.standing(&state.db, *id, *own).await.is_ok_and(|role| role.is_none())
                    }
                };
                if ended {
                    break Some((code::UNAUTHORIZED, "Unauthorized: the session has ended or its rights changed".into()));
                }
            },
        }
    };
    if let Some((code, reason)) = ending
        && send(&mut sink, close(code, &reason), send_timeout).await
    {
        // The closing handshake: the client answers with its close frame. Dropping the socket
        // before that could reset the connection under the close frame the client has not
        // read yet (it answers the pings before it), and it would see no code.
        let answered = async {
            while let Some(Ok(frame)) = source.next().await
                && !matches!(frame, Message::Close(_))
            {}
        };
        let _ = tokio::time::timeout(CLOSE_GRACE, answered).await;
    }
}

/// Records the outcome of `connection_init`; an admitted connection lives until its token expires.
fn settle(
    outcome: Result<Admitted, Refusal>,
    admitted: &mut Option<Admitted>,
    refused: &mut Option<Refusal>,
    deadline: &mut Instant,
) {
    match outcome {
        Ok(ok) => {
            *deadline = instant_at(ok.expires_at);
            *admitted = Some(ok);
        }
        Err(refusal) => *refused = Some(refusal),
    }
}

/// Sends one message, giving up (and so disconnecting the client) after `timeout`.
async fn send<S>(sink: &mut S, message: Message, timeout: Duration) -> bool
where
    S: async_graphql::futures_util::Sink<Message> + Unpin,
{
    matches!(tokio::time::timeout(timeout, sink.send(message)).await, Ok(Ok(())))
}
