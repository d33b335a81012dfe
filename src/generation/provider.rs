//! The AI provider: one interface, one implementation of the OpenAI-compatible chat-completions
//! protocol over HTTP, which OpenAI, Azure OpenAI (through its OpenAI-compatible endpoint) and
//! local servers such as Ollama, vLLM and llama.cpp speak. A plain `reqwest` client: the
//! protocol here is one request and one answer, which a full client crate would add a large
//! build for.
use std::time::{Duration, Instant};

use chrono::Utc;
use entity::ai_processing_logs;
use entity::enums::{ProcessingStatus, ProcessingType};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, DatabaseConnection};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::error::AppResult;

/// One message of a conversation.
#[derive(Clone, Debug, Serialize)]
pub struct Message {
    pub role: &'static str,
    pub content: String,
}

impl Message {
    pub fn system(content: impl Into<String>) -> Self {
        Self { role: "system", content: content.into() }
    }

    pub fn user(content: impl Into<String>) -> Self {
        Self { role: "user", content: content.into() }
    }
}

/// A provider's answer.
#[derive(Clone, Debug)]
pub struct Completion {
    pub content: String,
    pub model: String,
    pub tokens: i32,
    pub took: Duration,
    /// The answer as received, kept in `ai_processing_logs`.
    pub raw: Json,
}

/// Why a call failed. `retryable` failures (timeouts, 429, 5xx, a connection that broke) may
/// succeed on another attempt.
#[derive(Clone, Debug)]
pub struct Failure {
    pub message: String,
    pub retryable: bool,
    pub timed_out: bool,
    pub raw: Option<Json>,
}

#[async_trait::async_trait]
pub trait Provider: Send + Sync {
    /// The model asked for.
    fn model(&self) -> &str;
    /// One chat completion, asking for a JSON object as the answer.
    async fn complete(&self, messages: &[Message]) -> Result<Completion, Failure>;
}

/// An OpenAI-compatible chat-completions endpoint.
pub struct OpenAiCompatible {
    client: reqwest::Client,
    url: String,
    api_key: Option<String>,
    model: String,
}

impl OpenAiCompatible {
    /// `base_url` as OpenAI's clients take it (`https://api.openai.com/v1`,
    /// `http://localhost:11434/v1`); `/chat/completions` is added.
    pub fn new(base_url: &str, api_key: Option<String>, model: String, timeout: Duration) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|err| format!("cannot build the AI provider's HTTP client: {err}"))?;
        let url = format!("{}/chat/completions", base_url.trim_end_matches('/'));
        Ok(Self { client, url, api_key, model })
    }
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    model: Option<String>,
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Choice {
    message: AnswerMessage,
}

#[derive(Deserialize)]
struct AnswerMessage {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    #[serde(default)]
    total_tokens: Option<i64>,
}

#[async_trait::async_trait]
impl Provider for OpenAiCompatible {
    fn model(&self) -> &str {
        &self.model
    }

    async fn complete(&self, messages: &[Message]) -> Result<Completion, Failure> {
        let started = Instant::now();
        let body = serde_json::json!({
            "model": self.model,
            "messages": messages,
            "temperature": 0.7,
            "response_format": { "type": "json_object" },
        });
        let mut request = self.client.post(&self.url).json(&body);
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        let failure =
            |message: String, retryable: bool, raw: Option<Json>| Failure { message, retryable, timed_out: false, raw };
        let response = request.send().await.map_err(|err| Failure {
            message: format!("the AI provider could not be reached: {}", without_url(&err)),
            retryable: true,
            timed_out: err.is_timeout(),
            raw: None,
        })?;
        let status = response.status();
        let text = response.text().await.map_err(|err| Failure {
            message: format!("the AI provider's answer broke off: {}", without_url(&err)),
            retryable: true,
            timed_out: err.is_timeout(),
            raw: None,
        })?;
        let raw: Option<Json> = serde_json::from_str(&text).ok();
        if !status.is_success() {
            let retryable = status.as_u16() == 429 || status.is_server_error();
            return Err(failure(format!("the AI provider answered HTTP {}", status.as_u16()), retryable, raw));
        }
        let Some(raw) = raw else {
            return Err(failure("the AI provider's answer is not JSON".into(), false, None));
        };
        let answer: Answer = serde_json::from_value(raw.clone()).map_err(|_| {
            failure("the AI provider's answer is not a chat completion".into(), false, Some(raw.clone()))
        })?;
        let content = answer
            .choices
            .into_iter()
            .next()
            .and_then(|c| c.message.content)
            .ok_or_else(|| failure("the AI provider's answer has no message".into(), false, Some(raw.clone())))?;
        let tokens = answer.usage.and_then(|u| u.total_tokens).unwrap_or(0);
        Ok(Completion {
            content,
            model: answer.model.unwrap_or_else(|| self.model.clone()),
            tokens: i32::try_from(tokens.max(0)).unwrap_or(i32::MAX),
            took: started.elapsed(),
            raw,
        })
    }
}

/// A transport error's text without the URL (it may carry a key in its query).
fn without_url(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    if let Some(url) = err.url() {
        text = text.replace(url.as_str(), "<endpoint>");
    }
    text
}

/// Records the call in `ai_processing_logs`: what was asked, what came back, the model, time,
/// tokens and the provider's raw answer.
pub async fn record(
    db: &DatabaseConnection,
    user: Uuid,
    kind: ProcessingType,
    input: &Json,
    answer: &Result<Completion, Failure>,
) -> AppResult<()> {
    let now = Utc::now();
    let (output, model, took, tokens, status, error, raw) = match answer {
        Ok(c) => (
            Some(json!({ "content": c.content })),
            Some(c.model.clone()),
            Some(i32::try_from(c.took.as_millis()).unwrap_or(i32::MAX)),
            Some(c.tokens),
            ProcessingStatus::Completed,
            None,
            Some(c.raw.clone()),
        ),
        Err(f) => {
            let status = if f.timed_out { ProcessingStatus::Timeout } else { ProcessingStatus::Failed };
            (None, None, None, None, status, Some(f.message.clone()), f.raw.clone())
        }
    };
    ai_processing_logs::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(Some(user)),
        processing_type: Set(kind),
        input_data: Set(input.clone()),
        output_data: Set(output),
        model_version: Set(model),
        processing_time_ms: Set(took),
        tokens_consumed: Set(tokens),
        status: Set(Some(status)),
        error_message: Set(error),
        webhook_response: Set(raw),
        created_at: Set(Some(now)),
        completed_at: Set(Some(now)),
    }
    .insert(db)
    .await?;
    Ok(())
}
