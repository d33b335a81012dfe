#!/usr/bin/env bash
# Live-event benchmark: 1,000 WebSocket subscribers on one server instance, drafts created at a
# fixed rate, latency from commit to delivery and memory per connection. Run from anywhere:
# bench/live.sh. See bench/README.md.
set -euo pipefail

DB_URL=${BENCH_LIVE_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/creatorpulse_live_bench}
SUBSCRIBERS=${BENCH_LIVE_SUBSCRIBERS:-1000}
RATE=${BENCH_LIVE_RATE:-200}
FANOUT_RATE=${BENCH_LIVE_FANOUT_RATE:-20}
DURATION=${BENCH_LIVE_DURATION:-15}
WARMUP=${BENCH_LIVE_WARMUP:-3}
POOL=${BENCH_LIVE_POOL:-8}
BATCH=${BENCH_LIVE_BATCH:-100}
PORT=${BENCH_LIVE_PORT:-18090}
NODE_VERSION=${BENCH_NODE_VERSION:-22.23.3}
RUN_KIND=live
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for setting in SUBSCRIBERS RATE FANOUT_RATE DURATION POOL BATCH PORT; do
  [[ ${!setting} =~ ^[0-9]+$ && ${!setting} -gt 0 ]] || die "BENCH_LIVE_$setting must be a positive integer"
done
[[ $WARMUP =~ ^[0-9]+$ ]] || die "BENCH_LIVE_WARMUP must be a whole number of seconds"

# ---------------------------------------------------------------------------------------------
log "tools"
require psql curl npm awk
# The server and the subscribers each hold one descriptor per connection.
need=$((SUBSCRIBERS + 256))
if [[ $(ulimit -Sn) != unlimited && $(ulimit -Sn) -lt $need ]]; then
  ulimit -Sn "$need" 2>/dev/null || die "$SUBSCRIBERS subscribers need $need open files; the limit is $(ulimit -Hn)"
fi
mkdir -p "$RUN_DIR"
build_server
npm_install

log "database $DB_NAME with $SUBSCRIBERS users"
create_database
psql -q -v ON_ERROR_STOP=1 "$DB" -c "INSERT INTO users (id, email)
  SELECT gen_random_uuid(), 'live-' || n || '@example.com' FROM generate_series(1, $SUBSCRIBERS) AS n"

log "access tokens"
USERS=$RUN_DIR/users.txt
mint_user_tokens "$USERS"
[[ $(wc -l <"$USERS") -eq $SUBSCRIBERS ]] || die "expected $SUBSCRIBERS users"
SERVICE_TOKEN=$(JWT_SECRET=$JWT_SECRET "$BIN" token --role service_role --ttl 86400)

# ---------------------------------------------------------------------------------------------
# run <scenario> <rate>: a fresh server, the scenario, the server stopped; one JSON line.
run() {
  local scenario=$1 rate=$2 server
  DATABASE_URL=$DB BIND=127.0.0.1:$PORT JWT_SECRET=$JWT_SECRET LOG_LEVEL=warn GRAPHIQL=false JOBS_INTERVAL=0 WORKERS=0 \
    WS_MAX_CONNECTIONS_PER_USER=$((SUBSCRIBERS + 10)) WS_MAX_SUBSCRIPTIONS_PER_USER=$((SUBSCRIBERS + 10)) \
    "$BIN" serve >>"$RUN_DIR/server-$scenario.log" 2>&1 &
  server=$!
  PIDS+=("$server")
  wait_for "the server" "$server" curl -fsS "http://127.0.0.1:$PORT/readyz"
  LIVE_URL=http://127.0.0.1:$PORT LIVE_USERS=$USERS LIVE_SERVICE_TOKEN=$SERVICE_TOKEN LIVE_SCENARIO=$scenario \
    LIVE_SUBSCRIBERS=$SUBSCRIBERS LIVE_RATE=$rate LIVE_DURATION=$DURATION LIVE_WARMUP=$WARMUP LIVE_POOL=$POOL \
    LIVE_BATCH=$BATCH LIVE_PID=$server "$NODE" "$BENCH/live.mjs" >"$RUN_DIR/$scenario.json" \
    2>"$RUN_DIR/$scenario.err" || die "$(tail -n 5 "$RUN_DIR/$scenario.err")"
  stop "$server"
  cat "$RUN_DIR/$scenario.json" >>"$RUN_DIR/results.jsonl"
}

log "per-user: $SUBSCRIBERS users each watching their own drafts, $RATE drafts/s for $DURATION s"
run per-user "$RATE"
log "fan-out: $SUBSCRIBERS service-role subscribers watching every draft, $FANOUT_RATE drafts/s for $DURATION s"
run fan-out "$FANOUT_RATE"

# ---------------------------------------------------------------------------------------------
RESULTS=$RUN_DIR/results.txt
{
  echo "CreatorPulse API live-event benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "machine:  $(machine_line)"
  echo "ours:     $("$BIN" --version) ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)), release build, events through PostgreSQL LISTEN/NOTIFY"
  echo "load:     one Node $("$NODE" --version) process holds the subscribers and the driver (at most $POOL mutations in flight);"
  echo "          it shares the machine with the server and PostgreSQL, so its CPU time is taken from theirs"
  echo "run:      ${DURATION} s measured after a warm-up of ${WARMUP} s or more (until every subscriber has had an event)"
  echo
  "$NODE" -e '
    const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
    const col = (values, widths) =>
      values.map((v, i) => (i ? String(v).padStart(widths[i]) : String(v).padEnd(widths[i]))).join(" ");
    const widths = [9, 6, 7, 7, 9, 9, 8, 8, 8, 8, 9, 9, 9, 9, 7, 7];
    console.log(col(["scenario", "subs", "rate/s", "sent", "expected", "received", "p50 ms", "p90 ms", "p99 ms",
      "max ms", "RSS0 MiB", "RSS1 MiB", "RSS2 MiB", "KiB/conn", "srv CPU", "gen CPU"], widths));
    const f = (x) => (x === null ? "-" : x.toFixed(2));
    const mib = (kib) => (kib / 1024).toFixed(1);
    const pct = (x) => (x * 100).toFixed(0) + "%";
    const warnings = [];
    for (const r of rows) {
      console.log(col([r.scenario, r.subscribers, r.achievedRate.toFixed(0), r.sent, r.expected, r.received,
        f(r.p50), f(r.p90), f(r.p99), f(r.max), mib(r.rssBeforeKiB), mib(r.rssSubscribedKiB), mib(r.rssAfterKiB),
        r.perConnectionKiB.toFixed(1), pct(r.serverCpu), pct(r.clientCpu)], widths));
      const w = (text) => warnings.push(`warning: ${r.scenario}: ${text}`);
      if (r.received !== r.expected) w(`${r.expected - r.received} of ${r.expected} deliveries missing`);
      if (r.failed) w(`${r.failed} mutations failed`);
      if (r.misrouted) w(`${r.misrouted} events reached a subscriber of another user`);
      if (r.duplicates) w(`${r.duplicates} events arrived twice`);
      if (r.closed) w(`${r.closed} subscriptions or connections ended during the run`);
      if (r.achievedRate < r.rate * 0.95) w(`the driver reached ${r.achievedRate.toFixed(0)} of ${r.rate} drafts/s (${r.late} sends late)`);
      for (const e of r.errors) w(e);
    }
    console.log();
    for (const r of rows) {
      console.log(`${r.scenario}: mutation round trip p50 ${f(r.mutationP50)} ms, p99 ${f(r.mutationP99)} ms;` +
        ` ${r.subscribers} subscribers connected in ${r.connectSeconds.toFixed(1)} s`);
    }
    for (const line of warnings) console.log(line);
  ' "$RUN_DIR/results.jsonl"
  echo
  echo "rate/s: drafts created per second (achieved); expected: drafts x subscribers that may see each"
  echo "p50..max: from a change's commit (occurredAt) to its arrival at a subscriber"
  echo "RSS0: the server before the subscribers connect; RSS1: all subscribed; RSS2: after the run"
  echo "KiB/conn: (RSS1 - RSS0) / subscribers; srv/gen CPU: server / load-generator CPU time during the run (100% = one core)"
  for scenario in per-user fan-out; do
    logged=$(grep -E 'WARN|ERROR' "$RUN_DIR/server-$scenario.log" | grep -cv 'ENCRYPTION_KEYS is not set' || true)
    [[ $logged == 0 ]] || echo "warning: $scenario: the server logged $logged warnings or errors; see ${RUN_DIR#"$ROOT"/}/server-$scenario.log"
  done
} >"$RESULTS"
log "results (also in ${RESULTS#"$ROOT"/})"
cat "$RESULTS"
