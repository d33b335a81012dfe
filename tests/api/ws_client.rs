//! A real GraphQL WebSocket client for tests, speaking either subprotocol.
use std::net::SocketAddr;
use std::time::Duration;

use async_graphql::futures_util::{SinkExt, StreamExt};
use serde_json::{Value as Json, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for a message that should come.
const PATIENCE: Duration = Duration::from_secs(10);

/// The subprotocols the server speaks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Protocol {
    /// `graphql-transport-ws` (the `graphql-ws` library).
    TransportWs,
    /// The legacy `graphql-ws` (subscriptions-transport-ws).
    Legacy,
}

impl Protocol {
    fn header(self) -> &'static str {
        match self {
            Self::TransportWs => "graphql-transport-ws",
            Self::Legacy => "graphql-ws",
        }
    }
}

/// What the server said last.
#[derive(Debug)]
pub enum Received {
    Message(Json),
    Closed(u16, String),
}

pub struct WsClient {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub protocol: Protocol,
}

impl WsClient {
    /// Opens a connection to `/graphql`, with an optional `Authorization: Bearer` header.
    pub async fn connect(addr: SocketAddr, protocol: Protocol, bearer: Option<&str>) -> Self {
        let mut request = format!("ws://{addr}/graphql").into_client_request().expect("request");
        request.headers_mut().insert("Sec-WebSocket-Protocol", protocol.header().parse().expect("header"));
        if let Some(token) = bearer {
            request.headers_mut().insert("Authorization", format!("Bearer {token}").parse().expect("header"));
        }
        let (stream, response) = tokio_tungstenite::connect_async(request).await.expect("WebSocket handshake");
        let chosen = response.headers().get("sec-websocket-protocol").and_then(|v| v.to_str().ok());
        assert_eq!(chosen, Some(protocol.header()), "the server chose the client's subprotocol");
        Self { stream, protocol }
    }

    /// Connects, sends `connection_init` with the token in its payload and expects the ack.
    pub async fn open(addr: SocketAddr, protocol: Protocol, token: &str) -> Self {
        let mut client = Self::connect(addr, protocol, None).await;
        client.init(Some(token)).await;
        client.expect_ack().await;
        client
    }

    pub async fn send(&mut self, message: Json) {
        self.stream.send(Message::Text(message.to_string().into())).await.expect("send");
    }

    /// Sends `connection_init`, with `{"Authorization": "Bearer <token>"}` when given a token.
    pub async fn init(&mut self, token: Option<&str>) {
        let payload = token.map_or(json!({}), |t| json!({ "Authorization": format!("Bearer {t}") }));
        self.send(json!({ "type": "connection_init", "payload": payload })).await;
    }

    pub async fn expect_ack(&mut self) {
        match self.receive().await {
            Received::Message(m) if m["type"] == "connection_ack" => {}
            other => panic!("expected connection_ack, got {other:?}"),
        }
    }

    /// Starts subscription `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Json) {
        let kind = match self.protocol {
            Protocol::TransportWs => "subscribe",
            Protocol::Legacy => "start",
        };
        self.send(json!({ "id": id, "type": kind, "payload": { "query": query, "variables": variables } })).await;
    }

    /// The next message that is not a keep-alive, or the close frame. Pings are answered.
    pub async fn receive(&mut self) -> Received {
        self.receive_within(PATIENCE).await.expect("a message within the patience of the test")
    }

    /// Like [`Self::receive`], `None` when nothing came within `wait`.
    pub async fn receive_within(&mut self, wait: Duration) -> Option<Received> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.stream.next()).await.ok()?;
            match frame {
                Some(Ok(Message::Text(text))) => {
                    let message: Json = serde_json::from_str(text.as_str()).expect("JSON message");
                    match message["type"].as_str() {
                        Some("ping") => {
                            // The server may have closed already; the close frame follows.
                            let pong = json!({ "type": "pong" }).to_string();
                            let _ = self.stream.send(Message::Text(pong.into())).await;
                        }
                        Some("ka" | "pong") => {}
                        _ => return Some(Received::Message(message)),
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    return Some(match frame {
                        Some(frame) => Received::Closed(frame.code.into(), frame.reason.to_string()),
                        None => Received::Closed(1005, String::new()),
                    });
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return Some(Received::Closed(1006, String::new())),
            }
        }
    }

    /// The next text message, keep-alives included (nothing is answered).
    pub async fn raw_within(&mut self, wait: Duration) -> Option<Json> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.next()).await.ok()?? {
                Ok(Message::Text(text)) => return serde_json::from_str(text.as_str()).ok(),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    }

    /// The payload of the next result of subscription `id` (`next` or legacy `data`).
    pub async fn next_result(&mut self, id: &str) -> Json {
        match self.receive().await {
            Received::Message(m) if (m["type"] == "next" || m["type"] == "data") && m["id"] == id => {
                m["payload"].clone()
            }
            other => panic!("expected a result of subscription {id}, got {other:?}"),
        }
    }

    /// Asserts that no result arrives within `wait`.
    pub async fn expect_nothing(&mut self, wait: Duration) {
        if let Some(received) = self.receive_within(wait).await {
            panic!("expected nothing, got {received:?}");
        }
    }

    /// The close code and reason, skipping whatever comes before.
    pub async fn expect_close(&mut self) -> (u16, String) {
        loop {
            match self.receive().await {
                Received::Closed(code, reason) => return (code, reason),
                Received::Message(_) => {}
            }
        }
    }
}
