#!/usr/bin/env bash
# Load benchmark of the CreatorPulse API against PostGraphile v5 and a pgbench ceiling, on one
# seeded PostgreSQL database. Run from anywhere: bench/run.sh. See bench/README.md.
set -euo pipefail

DB_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/creatorpulse_bench}
DURATION=${BENCH_DURATION:-15}
WARMUP=${BENCH_WARMUP:-3}
CONNECTIONS=${BENCH_CONNECTIONS:-10}
THREADS=${BENCH_THREADS:-2}
POOL_SIZE=${BENCH_POOL_SIZE:-10}
OUR_PORT=${BENCH_OUR_PORT:-18080}
PEER_PORT=${BENCH_POSTGRAPHILE_PORT:-15678}
PROXY_PORT=${BENCH_PROXY_PORT:-15432}
NODE_VERSION=${BENCH_NODE_VERSION:-22.23.3}
POSTGRAPHILE_VERSION=${BENCH_POSTGRAPHILE_VERSION:-5.1.5}
SHAPES=(latest_drafts nested_drafts trend_drafts update_draft create_draft)
RUN_KIND=run
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The servers, the proxy and pgbench all connect without TLS; the proxy stands before PostgreSQL.
PG_HOST=${PG_HOSTPORT%:*}
PG_PORT=5432
[[ $PG_HOSTPORT == *:* ]] && PG_PORT=${PG_HOSTPORT##*:}
PROXY_DB=${PG_BASE/"$PG_HOSTPORT"/127.0.0.1:$PROXY_PORT}?$PG_QUERY

# ---------------------------------------------------------------------------------------------
log "tools"
require psql pgbench curl npm awk sort
require_wrk
mkdir -p "$RUN_DIR"

log "build"
build_server

log "peers (cached in bench/.cache)"
PEER_CLI=$CACHE/node_modules/postgraphile/dist/cli-run.js
npm_install "postgraphile@$POSTGRAPHILE_VERSION"
cp "$BENCH/postgraphile.config.mjs" "$CACHE/graphile.config.mjs"

log "database $DB_NAME"
create_database
seed_start=$(date +%s)
psql -q "$DB" -f "$BENCH/seed.sql" >"$RUN_DIR/seed.log" 2>&1 || die "seeding failed; see $RUN_DIR/seed.log"
log "seeded in $(($(date +%s) - seed_start)) s"
ROWS=$(psql -At "$DB" -c "SELECT (SELECT count(*) FROM users) || ' users, ' || (SELECT count(*) FROM content_drafts) || ' content_drafts, '
  || (SELECT count(*) FROM trend_insights) || ' trend_insights, ' || (SELECT count(*) FROM trend_content_mapping)
  || ' trend_content_mapping, ' || (SELECT count(*) FROM content_performance) || ' content_performance'")
echo "$ROWS" >&2

log "access tokens"
USERS=$RUN_DIR/users.txt
mint_user_tokens "$USERS"
[[ $(wc -l <"$USERS") -ge 1 ]] || die "no users"
# Each user's draft that the update shape edits (the seed's k = 0 draft): a third field.
psql -At -F' ' "$DB" -c "SELECT md5('bench-user-' || u)::uuid, md5('bench-draft-' || u)::uuid
  FROM generate_series(1, 1000) AS u" >"$RUN_DIR/drafts.txt"
awk 'NR == FNR { draft[$1] = $2; next } { print $1, $2, draft[$1] }' "$RUN_DIR/drafts.txt" "$USERS" >"$USERS.new"
mv "$USERS.new" "$USERS"

# ---------------------------------------------------------------------------------------------
# The servers. $1: database URL.
OUR_PID= PEER_PID=
start_ours() {
  DATABASE_URL=$1 BIND=127.0.0.1:$OUR_PORT JWT_SECRET=$JWT_SECRET LOG_LEVEL=warn GRAPHIQL=false JOBS_INTERVAL=0 WORKERS=0 \
    DB_MAX_CONNECTIONS=$POOL_SIZE "$BIN" serve >>"$RUN_DIR/ours.log" 2>&1 &
  OUR_PID=$!
  PIDS+=("$OUR_PID")
  wait_for "our server" "$OUR_PID" curl -fsS "http://127.0.0.1:$OUR_PORT/readyz"
}
start_peer() {
  (cd "$CACHE" && exec env BENCH_PG_URL="$1" BENCH_PG_PORT="$PEER_PORT" BENCH_POOL_SIZE="$POOL_SIZE" \
    NODE_ENV=production GRAPHILE_ENV=production "$NODE" "$PEER_CLI" -C "$CACHE/graphile.config.mjs") \
    >>"$RUN_DIR/postgraphile.log" 2>&1 &
  PEER_PID=$!
  PIDS+=("$PEER_PID")
  wait_for "PostGraphile" "$PEER_PID" post peer '{"query":"{__typename}"}'
}

# post <ours|peer> <body> [user line]: one request as wrk sends it; prints the response.
post() {
  local target=$1 body=$2 line=${3:-- - -} id token draft
  read -r id token draft <<<"$line"
  body=${body//__USER__/$id}
  body=${body//__DRAFT__/$draft}
  if [[ $target == ours ]]; then
    curl -fsS "http://127.0.0.1:$OUR_PORT/graphql" -H 'Content-Type: application/json' \
      -H 'Accept: application/json' -H "Authorization: Bearer $token" --data-binary "$body"
  else
    curl -fsS "http://127.0.0.1:$PEER_PORT/graphql" -H 'Content-Type: application/json' \
      -H 'Accept: application/json' --data-binary "$body"
  fi
}

# check <ours|peer> <shape>: the shape answers without errors and with the expected rows.
check() {
  local target=$1 shape=$2 dir=ours user response nodes
  [[ $target == peer ]] && dir=postgraphile
  user=$(sed -n 7p "$USERS")
  response=$(post "$target" "$(cat "$BENCH/queries/$dir/$shape.json")" "$user") || die "$target $shape: HTTP error"
  [[ $response != *'"errors"'* ]] || die "$target $shape answered errors: ${response:0:600}"
  nodes=$( (grep -o '"node"' <<<"$response" || true) | wc -l)
  case $shape in
    latest_drafts) [[ $nodes == 20 ]] || die "$target $shape: expected 20 drafts: ${response:0:600}" ;;
    nested_drafts)
      [[ $nodes -ge 25 ]] || die "$target $shape: expected drafts with performance: ${response:0:600}"
      [[ $response == *'"trendTopic":"'* ]] || die "$target $shape: expected trends: ${response:0:600}" ;;
    trend_drafts)
      [[ $nodes -ge 30 ]] || die "$target $shape: expected 10 trends with their drafts: ${response:0:600}" ;;
    update_draft) [[ $response == *'Benchmark edit'* ]] || die "$target $shape: ${response:0:600}" ;;
    create_draft) [[ $response == *'"data":{"createContentDraft":{'* ]] || die "$target $shape: ${response:0:600}" ;;
  esac
}

# ---------------------------------------------------------------------------------------------
log "SQL statements per request (through a counting proxy)"
"$NODE" "$BENCH/pgcount.mjs" "$PROXY_PORT" "$PG_HOST" "$PG_PORT" "$((PROXY_PORT + 1))" >"$RUN_DIR/pgcount.log" 2>&1 &
PROXY_PID=$!
PIDS+=("$PROXY_PID")
wait_for "the counting proxy" "$PROXY_PID" curl -fsS "http://127.0.0.1:$((PROXY_PORT + 1))/"
start_ours "$PROXY_DB"
start_peer "$PROXY_DB"
declare -A STATEMENTS ROUNDTRIPS
field() { grep -o "\"$1\":[0-9]*" <<<"$counts" | cut -d: -f2; }
SAMPLES=10
for shape in "${SHAPES[@]}"; do
  for target in ours peer; do
    dir=ours
    [[ $target == peer ]] && dir=postgraphile
    body=$(cat "$BENCH/queries/$dir/$shape.json")
    check "$target" "$shape"
    for i in 1 2 3; do post "$target" "$body" "$(sed -n "${i}p" "$USERS")" >/dev/null; done
    curl -fsS "http://127.0.0.1:$((PROXY_PORT + 1))/reset" >/dev/null
    for i in $(seq 11 $((10 + SAMPLES))); do post "$target" "$body" "$(sed -n "${i}p" "$USERS")" >/dev/null; done
    counts=$(curl -fsS "http://127.0.0.1:$((PROXY_PORT + 1))/")
    # Statements: simple queries plus executes. Round trips: simple queries plus syncs.
    STATEMENTS[$target/$shape]=$(awk -v q="$(field simple)" -v e="$(field executes)" -v n=$SAMPLES \
      'BEGIN { printf "%g", (q + e) / n }')
    ROUNDTRIPS[$target/$shape]=$(awk -v q="$(field simple)" -v s="$(field syncs)" -v n=$SAMPLES \
      'BEGIN { printf "%g", (q + s) / n }')
    echo "$target $shape: $counts" >>"$RUN_DIR/statements.log"
  done
done
stop "$OUR_PID"
stop "$PEER_PID"
stop "$PROXY_PID"
psql -q "$DB" -c "DELETE FROM content_drafts WHERE content LIKE 'Benchmark draft:%'" -c "VACUUM ANALYZE content_drafts"

# ---------------------------------------------------------------------------------------------
# Load. Reads first, then the mutation, so no server reads rows another one created.
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# per_request <ticks> <requests>: microseconds per request.
per_request() { awk -v t="$1" -v hz="$CLK_TCK" -v n="$2" 'BEGIN { printf "%.0f", n ? t / hz * 1e6 / n : 0 }'; }
# idle_share <idle ticks> <busy ticks>: the idle percentage.
idle_share() { awk -v i="$1" -v b="$2" 'BEGIN { printf "%.0f", i + b ? 100 * i / (i + b) : 0 }'; }
# Every PostgreSQL process of the machine (backends, writer, WAL): their CPU ticks summed.
pg_ticks() { local t=0 pid; for pid in $(pgrep -x postgres); do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0))); done; echo "$t"; }
# The whole machine's busy ticks (user, nice, system, irq, softirq, steal) and its idle ticks.
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat; }
to_ms() { # wrk durations: 812.00us, 1.23ms, 1.02s, 1.50m
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    printf "%.2f", n }'
}

declare -A RPS P50 P99 ERRORS CPU PGCPU TOTALCPU IDLE
run_wrk() { # run_wrk <ours|peer> <shape> [name the figures are kept under; default: the target]
  local target=$1 shape=$2 key=${3:-$1} dir=ours auth=1 url pid out before after requests
  if [[ $target == ours ]]; then url=http://127.0.0.1:$OUR_PORT/graphql pid=$OUR_PID
  else dir=postgraphile auth=0 url=http://127.0.0.1:$PEER_PORT/graphql pid=$PEER_PID; fi
  export BENCH_BODY=$BENCH/queries/$dir/$shape.json BENCH_USERS=$USERS BENCH_AUTH=$auth
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$BENCH/graphql.lua" "$url" >/dev/null
  before=$(cpu_ticks "$pid") pg_before=$(pg_ticks)
  read -r busy_before idle_before < <(machine_ticks)
  out=$RUN_DIR/wrk-$key-$shape.txt
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$BENCH/graphql.lua" "$url" >"$out"
  after=$(cpu_ticks "$pid") pg_after=$(pg_ticks)
  read -r busy_after idle_after < <(machine_ticks)
  cat "$out" >&2
  requests=$(awk '/requests in/ { print $1 }' "$out")
  RPS[$key/$shape]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
  P50[$key/$shape]=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
  P99[$key/$shape]=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
  ERRORS[$key/$shape]=$(awk '/Non-2xx/ { n += $NF } /Socket errors/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 }
    END { print n + 0 }' "$out")
  # Server CPU time per request, in microseconds.
  CPU[$key/$shape]=$(per_request $((after - before)) "$requests")
  PGCPU[$key/$shape]=$(per_request $((pg_after - pg_before)) "$requests")
  # The whole machine's busy time: server, PostgreSQL, load generator, the kernel's network work.
  TOTALCPU[$key/$shape]=$(per_request $((busy_after - busy_before)) "$requests")
  IDLE[$key/$shape]=$(idle_share $((idle_after - idle_before)) $((busy_after - busy_before)))
}

run_pgbench() { # run_pgbench <shape>
  local shape=$1 out=$RUN_DIR/pgbench-$shape.txt
  pgbench -n -M prepared -c "$CONNECTIONS" -j "$THREADS" -T "$WARMUP" -f "$BENCH/sql/$shape.sql" "$DB" >/dev/null 2>&1
  rm -f "$RUN_DIR/pgbench-$shape.log"*
  local busy_before busy_after idle_before idle_after requests
  read -r busy_before idle_before < <(machine_ticks)
  pgbench -n -M prepared -c "$CONNECTIONS" -j "$THREADS" -T "$DURATION" -f "$BENCH/sql/$shape.sql" \
    -l --log-prefix="$RUN_DIR/pgbench-$shape.log" "$DB" >"$out" 2>&1
  read -r busy_after idle_after < <(machine_ticks)
  requests=$(awk '/number of transactions actually processed/ { print $NF }' "$out")
  # pgbench's backends come and go within the run: only the machine's total is measured.
  TOTALCPU[pgbench/$shape]=$(per_request $((busy_after - busy_before)) "$requests")
  IDLE[pgbench/$shape]=$(idle_share $((idle_after - idle_before)) $((busy_after - busy_before)))
  cat "$out" >&2
  RPS[pgbench/$shape]=$(awk '/^tps = / { printf "%.0f", $3 }' "$out")
  # Per-transaction log: the third field is the latency in microseconds.
  cat "$RUN_DIR/pgbench-$shape.log"* | awk '{ print $3 }' | sort -n >"$RUN_DIR/pgbench-$shape.latencies"
  local n
  n=$(wc -l <"$RUN_DIR/pgbench-$shape.latencies")
  P50[pgbench/$shape]=$(awk -v n="$n" 'NR == int(n * 0.50 + 0.999) { printf "%.2f", $1 / 1000; exit }' "$RUN_DIR/pgbench-$shape.latencies")
  P99[pgbench/$shape]=$(awk -v n="$n" 'NR == int(n * 0.99 + 0.999) { printf "%.2f", $1 / 1000; exit }' "$RUN_DIR/pgbench-$shape.latencies")
  ERRORS[pgbench/$shape]=$(awk '/number of failed transactions/ { print $5 + 0 }' "$out")
  ERRORS[pgbench/$shape]=${ERRORS[pgbench/$shape]:-0}
  rm -f "$RUN_DIR/pgbench-$shape.log"*
}

log "load: $CONNECTIONS connections, $THREADS threads, ${WARMUP} s warm-up, ${DURATION} s measured"
start_ours "$DB"
start_peer "$DB"
# Idle: started, one request answered each (the checks below come after), two seconds quiet.
post ours '{"query":"{__typename}"}' "$(sed -n 1p "$USERS")" >/dev/null
post peer '{"query":"{__typename}"}' >/dev/null
sleep 2
OUR_IDLE=$(awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$OUR_PID/status")
PEER_IDLE=$(awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$PEER_PID/status")
for shape in "${SHAPES[@]}"; do
  check ours "$shape"
  check peer "$shape"
  log "$shape: ours"
  run_wrk ours "$shape"
  log "$shape: PostGraphile"
  run_wrk peer "$shape"
  log "$shape: pgbench"
  run_pgbench "$shape"
done
# PostgreSQL cannot serve PostGraphile's order (`created_at DESC` puts nulls first) from our
# index (nulls last, the order this API defines). For a comparison that favours neither, the list
# runs once more against PostGraphile with an index in its own order.
log "latest_drafts: PostGraphile with an index in its own order"
psql -q "$DB" -c "CREATE INDEX bench_postgraphile_order_idx ON content_drafts (user_id, created_at DESC, id)" \
  -c "ANALYZE content_drafts"
check peer latest_drafts
run_wrk peer latest_drafts peer_indexed
psql -q "$DB" -c "DROP INDEX bench_postgraphile_order_idx"
OUR_HWM=$(awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$OUR_PID/status")
OUR_RSS=$(awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$OUR_PID/status")
PEER_HWM=$(awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$PEER_PID/status")
PEER_RSS=$(awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$PEER_PID/status")
stop "$OUR_PID"
stop "$PEER_PID"

# ---------------------------------------------------------------------------------------------
RESULTS=$RUN_DIR/results.txt
{
  echo "CreatorPulse API benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "machine:      $(machine_line)"
  echo "ours:         $("$BIN" --version) ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)), release build"
  echo "PostGraphile: $POSTGRAPHILE_VERSION (Amber preset), Node $("$NODE" --version)"
  echo "PostgreSQL:   $(psql -At "$DB" -c 'SHOW server_version'), $(pgbench --version)"
  echo "load:         $(wrk -v 2>&1 | head -1 | awk '{ print $1, $2 }'), $CONNECTIONS connections, $THREADS threads, ${DURATION} s after ${WARMUP} s warm-up; pools of $POOL_SIZE"
  echo "data:         $ROWS"
  echo
  printf '%-14s %-13s %9s %9s %9s %8s %11s %9s %9s %6s %8s %7s\n' shape server 'req/s' 'p50 ms' 'p99 ms' errors \
    'CPU us/req' 'PG us/req' 'total us' 'idle' 'stmts' 'trips'
  for shape in "${SHAPES[@]}"; do
    for target in ours peer peer_indexed pgbench; do
      [[ -n ${RPS[$target/$shape]:-} ]] || continue
      name=$target
      [[ $target == peer ]] && name=PostGraphile
      [[ $target == peer_indexed ]] && name='PostGraphile*'
      [[ $target == pgbench ]] && name='pgbench (SQL)'
      printf '%-14s %-13s %9s %9s %9s %8s %11s %9s %9s %6s %8s %7s\n' "$shape" "$name" "${RPS[$target/$shape]}" \
        "${P50[$target/$shape]}" "${P99[$target/$shape]}" "${ERRORS[$target/$shape]}" \
        "${CPU[$target/$shape]:--}" "${PGCPU[$target/$shape]:--}" "${TOTALCPU[$target/$shape]:--}" \
        "${IDLE[$target/$shape]:+${IDLE[$target/$shape]}%}" "${STATEMENTS[$target/$shape]:-1}" "${ROUNDTRIPS[$target/$shape]:-1}"
    done
  done
  echo
  printf '%-14s %18s %18s %18s\n' shape 'req/s ours/PG' 'p99 ours/PG' 'req/s ours/SQL'
  for shape in "${SHAPES[@]}"; do
    awk -v s="$shape" -v a="${RPS[ours/$shape]}" -v b="${RPS[peer/$shape]}" -v c="${RPS[pgbench/$shape]}" \
      -v x="${P99[ours/$shape]}" -v y="${P99[peer/$shape]}" \
      'BEGIN { printf "%-14s %17.2fx %17.2fx %17.0f%%\n", s, b ? a / b : 0, y ? x / y : 0, c ? 100 * a / c : 0 }'
  done
  awk -v a="${RPS[ours/latest_drafts]}" -v b="${RPS[peer_indexed/latest_drafts]}" \
    -v x="${P99[ours/latest_drafts]}" -v y="${P99[peer_indexed/latest_drafts]}" \
    'BEGIN { printf "%-14s %17.2fx %17.2fx\n", "latest_drafts*", b ? a / b : 0, y ? x / y : 0 }'
  echo
  echo "memory: ours idle RSS ${OUR_IDLE} MiB, peak ${OUR_HWM} MiB (${OUR_RSS} MiB at the end); PostGraphile idle ${PEER_IDLE} MiB, peak ${PEER_HWM} MiB (${PEER_RSS} MiB at the end)"
  echo "PostGraphile*, latest_drafts*: PostGraphile with an index in its own order (nulls first), which ours cannot use"
  echo "stmts: SQL statements per request; trips: round trips to PostgreSQL per request (counted by bench/pgcount.mjs)"
  echo "CPU us/req: the server process's CPU time per request; PG us/req: PostgreSQL's (every postgres process);"
  echo "total us: the whole machine's busy time per request (servers, PostgreSQL, load generator, kernel); idle: its idle share"
} >"$RESULTS"
log "results (also in ${RESULTS#"$ROOT"/})"
cat "$RESULTS"
