//! An OpenAI-compatible chat-completions server inside the test harness: the far side of the
//! protocol the server speaks to its AI provider. Each request takes the next scripted answer
//! (the last one repeats); every request body is kept for the test to read.
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// What the server does with one request.
#[derive(Clone, Debug)]
pub enum Answer {
    /// A chat completion whose message is `content`, counting `tokens`.
    Content { content: String, tokens: u64 },
    /// An HTTP error status with an error body.
    Status(u16),
    /// A 200 whose body is not a chat completion.
    Body(String),
    /// Waits, then answers.
    After(Duration, Box<Answer>),
}

impl Answer {
    /// A completion carrying `count` drafts.
    pub fn drafts(count: usize) -> Self {
        let drafts: Vec<Value> = (1..=count)
            .map(|n| {
                json!({
                    "content": format!("Draft {n}: shipping beats planning. What did you ship this week?"),
                    "hook": format!("Hook {n}"),
                    "hashtags": ["shipping", "buildinpublic"],
                    "voice_confidence": 0.82,
                    "engagement_prediction": { "likes": 40, "comments": 6, "shares": 3 },
                })
            })
            .collect();
        Self::Content { content: json!({ "drafts": drafts }).to_string(), tokens: 321 }
    }

    /// A completion whose content is `value` (any JSON, valid as drafts or not).
    pub fn json(value: Value) -> Self {
        Self::Content { content: value.to_string(), tokens: 12 }
    }

    pub fn after(wait: Duration, then: Answer) -> Self {
        Self::After(wait, Box::new(then))
    }
}

#[derive(Default)]
struct Script {
    answers: VecDeque<Answer>,
    requests: Vec<Value>,
}

/// The running server.
#[derive(Clone)]
pub struct AiServer {
    pub addr: SocketAddr,
    script: Arc<Mutex<Script>>,
}

impl AiServer {
    pub async fn start(answers: Vec<Answer>) -> Self {
        let script = Arc::new(Mutex::new(Script { answers: answers.into(), requests: Vec::new() }));
        let shared = script.clone();
        let app = axum::Router::new().route(
            "/v1/chat/completions",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let script = shared.clone();
                async move { answer(script, headers, body).await }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, script }
    }

    /// The base URL a client is configured with.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The request bodies received so far.
    pub fn requests(&self) -> Vec<Value> {
        self.script.lock().expect("script").requests.clone()
    }
}

async fn answer(script: Arc<Mutex<Script>>, headers: axum::http::HeaderMap, body: axum::body::Bytes) -> Response {
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut next = {
        let mut script = script.lock().expect("script");
        let mut request = request.clone();
        request["authorization"] =
            headers.get("authorization").and_then(|v| v.to_str().ok()).map(Value::from).unwrap_or(Value::Null);
        script.requests.push(request);
        let next = if script.answers.len() > 1 { script.answers.pop_front() } else { script.answers.front().cloned() };
        next.unwrap_or(Answer::Status(500))
    };
    loop {
        match next {
            Answer::After(wait, then) => {
                tokio::time::sleep(wait).await;
                next = *then;
            }
            Answer::Status(status) => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                return (status, axum::Json(json!({ "error": { "message": "scripted failure" } }))).into_response();
            }
            Answer::Body(body) => return (StatusCode::OK, body).into_response(),
            Answer::Content { content, tokens } => {
                let model = request["model"].clone();
                let body = json!({
                    "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": model,
                    "choices": [{ "index": 0, "finish_reason": "stop",
                                  "message": { "role": "assistant", "content": content } }],
                    "usage": { "prompt_tokens": tokens / 3, "completion_tokens": tokens - tokens / 3, "total_tokens": tokens },
                });
                return axum::Json(body).into_response();
            }
        }
    }
}
