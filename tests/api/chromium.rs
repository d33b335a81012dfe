//! A headless Chromium driven over the DevTools protocol (a WebSocket of JSON commands and
//! events), for tests that need a real browser: CORS as a browser enforces it, GraphiQL as a
//! person uses it. Without a Chromium installed the tests that need one say so and pass, unless
//! `REQUIRE_BROWSER=1` (set by `.ci/run`), which makes its absence a failure.
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use async_graphql::futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The browser binary, if one is installed.
fn find() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .chain([PathBuf::from("/usr/bin/chromium")])
        .find(|candidate| candidate.is_file())
}

pub struct Browser {
    child: Child,
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    profile: PathBuf,
    next_id: u64,
    /// Events received while waiting for answers, oldest first.
    pub events: Vec<Value>,
}

/// One page (a target attached with its own session).
pub struct Page {
    pub session: String,
}

impl Browser {
    /// Starts a headless browser; `None` (after saying why) when none is installed and none is
    /// required.
    pub async fn start() -> Option<Self> {
        let Some(binary) = find() else {
            assert!(
                std::env::var("REQUIRE_BROWSER").as_deref() != Ok("1"),
                "REQUIRE_BROWSER=1 but no Chromium is installed"
            );
            eprintln!("no Chromium installed: skipping a browser test");
            return None;
        };
        let profile = std::env::temp_dir().join(format!("creatorpulse-browser-{}", uuid::Uuid::new_v4()));
        let mut child = Command::new(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start Chromium");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let url = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.expect("read Chromium's output") {
                if let Some(at) = line.find("ws://") {
                    return line[at..].trim().to_owned();
                }
            }
            panic!("Chromium ended before listening");
        })
        .await
        .expect("Chromium listens within 30 s");
        // Keep reading its output so that it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let (socket, _) = tokio_tungstenite::connect_async(url.as_str()).await.expect("connect to Chromium");
        Some(Self { child, socket, profile, next_id: 0, events: Vec::new() })
    }

    /// Sends a command (to a page's session, or to the browser) and waits for its answer.
    pub async fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        self.socket.send(Message::text(message.to_string())).await.expect("send to Chromium");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let next = tokio::time::timeout(left, self.socket.next()).await;
            let Ok(Some(Ok(Message::Text(text)))) = next else {
                match next {
                    Ok(Some(Ok(_))) => continue,
                    _ => panic!("no answer from Chromium to {method}"),
                }
            };
            let value: Value = serde_json::from_str(&text).expect("JSON from Chromium");
            if value["id"] == id {
                assert!(value.get("error").is_none(), "{method} failed: {value}");
                return value["result"].clone();
            }
            self.events.push(value);
        }
    }

    /// A new page, with its network requests, console and exceptions reported as events.
    pub async fn page(&mut self) -> Page {
        let target = self.call(None, "Target.createTarget", json!({ "url": "about:blank" })).await;
        let attached =
            self.call(None, "Target.attachToTarget", json!({ "targetId": target["targetId"], "flatten": true })).await;
        let session = attached["sessionId"].as_str().expect("session").to_owned();
        for domain in ["Page.enable", "Network.enable", "Runtime.enable", "Log.enable"] {
            self.call(Some(&session), domain, json!({})).await;
        }
        Page { session }
    }

    /// Goes to `url` and waits until the document has loaded.
    pub async fn open(&mut self, page: &Page, url: &str) {
        self.call(Some(&page.session), "Page.navigate", json!({ "url": url })).await;
        self.wait_for(page, "document.readyState === 'complete' && location.href !== 'about:blank'").await;
    }

    /// Evaluates `expression` in the page (awaiting a promise): its value, or the exception.
    pub async fn eval(&mut self, page: &Page, expression: &str) -> Result<Value, String> {
        let params = json!({ "expression": expression, "awaitPromise": true, "returnByValue": true });
        let result = self.call(Some(&page.session), "Runtime.evaluate", params).await;
        match result.get("exceptionDetails") {
            Some(details) => Err(details.to_string()),
            None => Ok(result["result"]["value"].clone()),
        }
    }

    /// Waits (at most 20 s) until `expression` is truthy in the page.
    pub async fn wait_for(&mut self, page: &Page, expression: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let value = self.eval(page, &format!("!!({expression})")).await;
            if value == Ok(json!(true)) {
                return;
            }
            assert!(Instant::now() < deadline, "never true: {expression} (last {value:?})");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The URLs the page requested, in order: documents, scripts, fetches, then WebSockets.
    pub fn requested(&self, page: &Page) -> Vec<String> {
        let http = self.of(page, "Network.requestWillBeSent").filter_map(|e| e["params"]["request"]["url"].as_str());
        let websockets = self.of(page, "Network.webSocketCreated").filter_map(|e| e["params"]["url"].as_str());
        http.chain(websockets).map(str::to_owned).collect()
    }

    /// Errors the page reported: exceptions, and console or browser log entries at level error.
    pub fn errors(&self, page: &Page) -> Vec<String> {
        let exceptions = self.of(page, "Runtime.exceptionThrown").map(|e| e["params"].to_string());
        let logged = self
            .of(page, "Log.entryAdded")
            .filter(|e| e["params"]["entry"]["level"] == "error")
            .map(|e| e["params"]["entry"].to_string());
        let console = self
            .of(page, "Runtime.consoleAPICalled")
            .filter(|e| e["params"]["type"] == "error")
            .map(|e| e["params"]["args"].to_string());
        exceptions.chain(logged).chain(console).collect()
    }

    fn of<'a>(&'a self, page: &'a Page, method: &'a str) -> impl Iterator<Item = &'a Value> {
        self.events.iter().filter(move |e| e["method"] == method && e["sessionId"] == page.session.as_str())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
