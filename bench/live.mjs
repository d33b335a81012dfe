// Live-event benchmark client: N WebSocket subscribers (graphql-transport-ws), a driver that
// creates drafts at a fixed rate, and the latency from each change's commit (`occurredAt`,
// stamped by the server right after the commit) to its delivery. Prints one JSON line.
//
// Environment: LIVE_URL (http://host:port), LIVE_USERS (file of "<user id> <token>" lines),
// LIVE_SERVICE_TOKEN, LIVE_SCENARIO (per-user | fan-out), LIVE_SUBSCRIBERS, LIVE_RATE (mutations
// per second), LIVE_DURATION (seconds), LIVE_PID (the server's pid, for its memory).
import { readFileSync } from "node:fs";

const env = (name, fallback) => process.env[name] ?? fallback;
const url = env("LIVE_URL");
const scenario = env("LIVE_SCENARIO", "per-user");
const subscribers = Number(env("LIVE_SUBSCRIBERS", "1000"));
const rate = Number(env("LIVE_RATE", "200"));
const duration = Number(env("LIVE_DURATION", "15"));
const serviceToken = env("LIVE_SERVICE_TOKEN");
const pid = env("LIVE_PID");
const users = readFileSync(env("LIVE_USERS"), "utf8").trim().split("\n").map((line) => {
  const [id, token] = line.split(" ");
  return { id, token };
});

const SUBSCRIPTION = "subscription { contentDraftEvents(kinds: [CREATED]) { occurredAt node { id } } }";
const CREATE = "mutation($i: CreateContentDraftInput!) { createContentDraft(input: $i) { id } }";

const now = () => performance.timeOrigin + performance.now();
const rssKiB = () => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
};
/** Milliseconds since the epoch of an RFC 3339 timestamp with up to nanosecond digits. */
const parseTime = (text) => {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  const whole = Date.parse(match[1] + match[3]);
  return whole + (match[2] ? Number(`0.${match[2]}`) * 1000 : 0);
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const latencies = [];
let received = 0;

function subscribe(token) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace(/^http/, "ws") + "/graphql", "graphql-transport-ws");
    const timer = setTimeout(() => reject(new Error("no connection_ack within 30 s")), 30_000);
    socket.onopen = () => socket.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${token}` } }));
    socket.onerror = () => reject(new Error("WebSocket error"));
    socket.onclose = (event) => reject(new Error(`closed: ${event.code} ${event.reason}`));
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "connection_ack") {
        socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: SUBSCRIPTION } }));
        clearTimeout(timer);
        resolve(socket);
      } else if (message.type === "ping") {
        socket.send(JSON.stringify({ type: "pong" }));
      } else if (message.type === "next") {
        const at = message.payload?.data?.contentDraftEvents?.occurredAt;
        if (at) {
          latencies.push(now() - parseTime(at));
          received += 1;
        }
      }
    };
  });
}

const before = rssKiB();
const tokens =
  scenario === "fan-out" ? Array(subscribers).fill(serviceToken) : users.slice(0, subscribers).map((u) => u.token);
const sockets = [];
for (let i = 0; i < tokens.length; i += 100) {
  sockets.push(...(await Promise.all(tokens.slice(i, i + 100).map(subscribe))));
}
await sleep(2000); // the last subscribe messages reach the server
const after = rssKiB();
latencies.length = 0;
received = 0;

// The driver: creates drafts for the subscribers' users at a fixed rate.
const targets = users.slice(0, subscribers);
let sent = 0;
let failed = 0;
const inflight = new Set();
const interval = 1000 / rate;
const start = now();
for (let i = 0; now() - start < duration * 1000; i += 1) {
  const due = start + i * interval;
  if (due > now()) await sleep(due - now());
  const user = targets[Math.floor(Math.random() * targets.length)];
  const request = fetch(url + "/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${serviceToken}` },
    body: JSON.stringify({
      query: CREATE,
      variables: { i: { userId: user.id, platform: "twitter", contentType: "single_tweet", content: "live benchmark" } },
    }),
  })
    .then((response) => response.json())
    .then((body) => (body.errors ? (failed += 1) : (sent += 1)))
    .catch(() => (failed += 1))
    .finally(() => inflight.delete(request));
  inflight.add(request);
}
await Promise.all(inflight);
await sleep(3000); // stragglers

const expected = scenario === "fan-out" ? sent * subscribers : sent;
latencies.sort((a, b) => a - b);
const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] : null);
for (const socket of sockets) socket.close();
console.log(
  JSON.stringify({
    scenario,
    subscribers,
    rate,
    duration,
    sent,
    failed,
    expected,
    received,
    p50: pct(50),
    p90: pct(90),
    p99: pct(99),
    max: latencies.at(-1) ?? null,
    rssBeforeKiB: before,
    rssAfterKiB: after,
    perConnectionKiB: (after - before) / subscribers,
  }),
);
process.exit(0);
