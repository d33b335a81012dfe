// Live-event benchmark client: N WebSocket subscribers (graphql-transport-ws), a driver that
// creates drafts over HTTP at a fixed rate, and the latency from each change's commit
// (`occurredAt`, stamped by the server right after the commit) to its delivery. Prints one JSON
// line; bench/live.sh formats it.
//
// Environment: LIVE_URL (http://host:port), LIVE_USERS (file of "<user id> <token>" lines),
// LIVE_SERVICE_TOKEN, LIVE_SCENARIO (per-user | fan-out), LIVE_SUBSCRIBERS, LIVE_RATE (drafts
// per second), LIVE_DURATION and LIVE_WARMUP (seconds), LIVE_POOL (most mutations in flight),
// LIVE_BATCH (subscribers connecting at once), LIVE_PID (the server's pid: memory and CPU).
//
// 1. Subscribers connect in batches; the server's RSS is read before and once all are subscribed.
// 2. Warm-up: drafts at the same rate (per-user: one for every subscriber's user first) until
//    every subscriber has received an event, which proves its subscription is live.
// 3. Measured: drafts at the rate for the duration. Only the events of these drafts count; each
//    must reach its user's subscriber (per-user) or every subscriber (fan-out) exactly once.
import { readFileSync } from "node:fs";

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};
const url = env("LIVE_URL");
const scenario = env("LIVE_SCENARIO", "per-user");
const subscribers = Number(env("LIVE_SUBSCRIBERS", "1000"));
const rate = Number(env("LIVE_RATE", "200"));
const duration = Number(env("LIVE_DURATION", "15"));
const warmup = Number(env("LIVE_WARMUP", "3"));
const pool = Number(env("LIVE_POOL", "8"));
const batch = Number(env("LIVE_BATCH", "100"));
const serviceToken = env("LIVE_SERVICE_TOKEN");
const pid = env("LIVE_PID");
if (scenario !== "per-user" && scenario !== "fan-out") throw new Error(`unknown scenario ${scenario}`);
const users = readFileSync(env("LIVE_USERS"), "utf8").trim().split("\n").map((line) => {
  const [id, token] = line.split(" ");
  return { id, token };
});
if (users.length < subscribers) throw new Error(`${subscribers} subscribers need as many users; the file has ${users.length}`);

const SUBSCRIPTION = "subscription { contentDraftEvents { kind occurredAt node { id userId } } }";
const CREATE = "mutation($i: CreateContentDraftInput!) { createContentDraft(input: $i) { id } }";

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const rssKiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]);
// utime + stime of the server, in clock ticks (100 per second on Linux).
const serverTicks = () => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return Number(fields[11]) + Number(fields[12]);
};
/** Milliseconds since the epoch of an RFC 3339 timestamp, to the nanosecond digits it has. */
const parseTime = (text) => {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!match) throw new Error(`not a timestamp: ${text}`);
  return Date.parse(match[1] + match[3]) + (match[2] ? Number(`0.${match[2]}`) * 1000 : 0);
};
const percentile = (sorted, p) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null;

// ---------------------------------------------------------------------------------------------
// Subscribers. Every event is kept (draft id, latency); the measured drafts are picked at the end.
const events = { ids: [], latencies: [] };
const problems = { misrouted: 0, duplicates: 0, closed: 0, errors: new Map() };
const problem = (text) => problems.errors.set(text, (problems.errors.get(text) ?? 0) + 1);
const listed = (errors) => [...errors].map(([text, n]) => (n > 1 ? `${text} (${n} times)` : text));
let closing = false;

function subscribe(index, userId, token) {
  const subscriber = { index, userId, seen: new Set(), ended: false, socket: null };
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace(/^http/, "ws") + "/graphql", "graphql-transport-ws");
    subscriber.socket = socket;
    let acked = false;
    const timer = setTimeout(() => reject(new Error(`subscriber ${index}: no connection_ack within 30 s`)), 30_000);
    socket.onopen = () =>
      socket.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${token}` } }));
    socket.onerror = () => {
      if (!acked) reject(new Error(`subscriber ${index}: WebSocket error`));
    };
    socket.onclose = (event) => {
      clearTimeout(timer);
      if (!acked) reject(new Error(`subscriber ${index}: closed before connection_ack: ${event.code} ${event.reason}`));
      else if (!closing && !subscriber.ended) {
        subscriber.ended = true;
        problems.closed += 1;
        problem(`closed by the server: ${event.code} ${event.reason}`);
      }
    };
    socket.onmessage = (event) => {
      const received = now();
      const message = JSON.parse(event.data);
      switch (message.type) {
        case "next": {
          const change = message.payload?.data?.contentDraftEvents;
          if (!change) {
            const error = message.payload?.errors?.[0];
            problem(error ? `${error.extensions?.code ?? "error"}: ${error.message}` : JSON.stringify(message.payload).slice(0, 300));
            return;
          }
          const { id, userId: owner } = change.node;
          if (subscriber.userId && owner !== subscriber.userId) problems.misrouted += 1;
          if (subscriber.seen.has(id)) problems.duplicates += 1;
          subscriber.seen.add(id);
          events.ids.push(id);
          events.latencies.push(received - parseTime(change.occurredAt));
          return;
        }
        case "connection_ack":
          acked = true;
          clearTimeout(timer);
          socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: SUBSCRIPTION } }));
          resolve(subscriber);
          return;
        case "ping":
          socket.send(JSON.stringify({ type: "pong" }));
          return;
        case "error":
          problem(`error: ${JSON.stringify(message.payload ?? null).slice(0, 300)}`);
        // falls through: the subscription is over
        case "complete":
          if (!subscriber.ended) {
            subscriber.ended = true;
            problems.closed += 1;
          }
          return;
      }
    };
  });
}

// ---------------------------------------------------------------------------------------------
// The driver: drafts at a fixed rate, each for the user `pick(i)` returns, with at most `pool`
// requests in flight (a send waits for a free place, and is then late).
const mutations = { latencies: [], failed: 0, late: 0, errors: new Map() };

async function drive(seconds, minimum, pick, created) {
  const inflight = new Set();
  const interval = 1000 / rate;
  const start = now();
  let i = 0;
  for (; i < minimum || (i + 1) * interval <= seconds * 1000; i += 1) {
    const due = start + i * interval;
    if (due > now()) await sleep(due - now());
    while (inflight.size >= pool) await Promise.race(inflight);
    if (now() - due > interval) mutations.late += 1;
    const user = pick(i);
    const sent = now();
    const request = fetch(url + "/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${serviceToken}` },
      body: JSON.stringify({
        query: CREATE,
        variables: { i: { userId: user.id, platform: "TWITTER", contentType: "SINGLE_TWEET", content: "live benchmark" } },
      }),
    })
      .then(async (response) => {
        const body = await response.json().catch(() => null);
        const id = body?.data?.createContentDraft?.id;
        if (!id) throw new Error(`HTTP ${response.status}: ${JSON.stringify(body?.errors ?? body).slice(0, 300)}`);
        mutations.latencies.push(now() - sent);
        created.push({ id, userId: user.id });
      })
      .catch((err) => {
        mutations.failed += 1;
        const text = `mutation: ${err.message ?? err}`;
        mutations.errors.set(text, (mutations.errors.get(text) ?? 0) + 1);
      })
      .finally(() => inflight.delete(request));
    inflight.add(request);
  }
  await Promise.all(inflight);
  return { requests: i, seconds: (now() - start) / 1000 };
}

const random = (list) => list[Math.floor(Math.random() * list.length)];
const shuffled = (list) => {
  const copy = [...list];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
};

/** Waits until `done()` holds, at most `ms`; true if it did. */
async function until(done, ms) {
  const deadline = now() + ms;
  while (!done()) {
    if (now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
async function main() {
  // 1. Connect and subscribe.
  const targets = users.slice(0, subscribers);
  const rssBefore = rssKiB();
  const connectStart = now();
  const sockets = [];
  for (let i = 0; i < subscribers; i += batch) {
    const group = targets.slice(i, i + batch).map((user, k) =>
      scenario === "fan-out" ? subscribe(i + k, null, serviceToken) : subscribe(i + k, user.id, user.token),
    );
    sockets.push(...(await Promise.all(group)));
  }
  const connectSeconds = (now() - connectStart) / 1000;
  await sleep(1000); // the last subscribe messages are handled
  const rssSubscribed = rssKiB();

  // 2. Warm-up, until every subscriber has had an event.
  const warmupDrafts = [];
  const order = shuffled(targets);
  await drive(warmup, scenario === "per-user" ? subscribers : 1, (i) => order[i] ?? random(targets), warmupDrafts);
  await until(() => sockets.every((s) => s.seen.size > 0 || s.ended), 30_000);
  const silent = sockets.filter((s) => s.seen.size === 0 || s.ended).length;
  if (silent) {
    const why = listed([...problems.errors, ...mutations.errors]).join("; ") || "no event within 30 s";
    throw new Error(`${silent} of ${subscribers} subscriptions are not live after the warm-up: ${why}`);
  }
  await sleep(500);

  // 3. Measured.
  const measuredDrafts = [];
  const failedBefore = mutations.failed;
  mutations.latencies.length = 0;
  mutations.late = 0;
  const ticksStart = serverTicks();
  const clientStart = process.cpuUsage();
  const run = await drive(duration, 1, () => random(targets), measuredDrafts);
  const serverCpu = (serverTicks() - ticksStart) / 100 / run.seconds;
  const clientUsage = process.cpuUsage(clientStart);
  const clientCpu = (clientUsage.user + clientUsage.system) / 1e6 / run.seconds;

  const perDraft = scenario === "fan-out" ? subscribers : 1;
  const expected = measuredDrafts.length * perDraft;
  const measured = new Set(measuredDrafts.map((d) => d.id));
  const arrived = () => {
    let n = 0;
    for (const id of events.ids) if (measured.has(id)) n += 1;
    return n;
  };
  await until(() => arrived() >= expected, 10_000);
  await sleep(500); // anything more (duplicates) shows up
  const rssAfter = rssKiB();
  closing = true;
  for (const subscriber of sockets) subscriber.socket.close();

  const latencies = [];
  events.ids.forEach((id, i) => measured.has(id) && latencies.push(events.latencies[i]));
  latencies.sort((a, b) => a - b);
  mutations.latencies.sort((a, b) => a - b);
  const round = (x) => (x === null ? null : Math.round(x * 1000) / 1000);
  console.log(
    JSON.stringify({
      scenario,
      subscribers,
      rate,
      achievedRate: round(measuredDrafts.length / run.seconds),
      duration,
      pool,
      connectSeconds: round(connectSeconds),
      sent: measuredDrafts.length,
      failed: mutations.failed - failedBefore,
      late: mutations.late,
      expected,
      received: latencies.length,
      p50: round(percentile(latencies, 50)),
      p90: round(percentile(latencies, 90)),
      p99: round(percentile(latencies, 99)),
      max: round(latencies.at(-1) ?? null),
      mutationP50: round(percentile(mutations.latencies, 50)),
      mutationP99: round(percentile(mutations.latencies, 99)),
      rssBeforeKiB: rssBefore,
      rssSubscribedKiB: rssSubscribed,
      rssAfterKiB: rssAfter,
      perConnectionKiB: round((rssSubscribed - rssBefore) / subscribers),
      serverCpu: round(serverCpu),
      clientCpu: round(clientCpu),
      misrouted: problems.misrouted,
      duplicates: problems.duplicates,
      closed: problems.closed,
      errors: listed([...problems.errors, ...mutations.errors]),
    }),
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`live.mjs: ${scenario}: ${err.message}`);
    process.exit(1);
  },
);
