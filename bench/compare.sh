#!/usr/bin/env bash
# What a change costs: one query shape against this checkout and against another git revision of
# the server, on the same seeded database, in interleaved rounds (base, this, base, this, …), with
# the median of each side. See bench/README.md.
set -euo pipefail

DB_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/creatorpulse_bench}
BASE_REF=${BENCH_BASE_REF:?set BENCH_BASE_REF to the git revision to compare with}
HEAD_REF=${BENCH_HEAD_REF:-}
SHAPE=${BENCH_SHAPE:-latest_drafts}
ROUNDS=${BENCH_ROUNDS:-5}
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-3}
CONNECTIONS=${BENCH_CONNECTIONS:-10}
THREADS=${BENCH_THREADS:-2}
POOL_SIZE=${BENCH_POOL_SIZE:-10}
PORT=${BENCH_OUR_PORT:-18080}
RUN_KIND=compare
NODE_VERSION=unused
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_wrk
require psql curl git cargo

# build_ref <git revision> <binary>: the server at that revision, built in a temporary worktree
# that shares this checkout's target folder (compiled dependencies); its binary is copied out.
build_ref() {
  local src=$RUN_DIR/src-$2
  git -C "$ROOT" worktree add --detach --quiet "$src" "$1"
  (cd "$src" && CARGO_TARGET_DIR=$ROOT/target cargo build --release --quiet)
  cp "$ROOT/target/release/creatorpulse" "$RUN_DIR/creatorpulse-$2"
  git -C "$ROOT" worktree remove --force "$src"
}

log "build $BASE_REF (base) and ${HEAD_REF:-this checkout}"
BASE_BIN=$RUN_DIR/creatorpulse-base
build_ref "$BASE_REF" base
if [[ -n $HEAD_REF ]]; then
  build_ref "$HEAD_REF" head
  BIN=$RUN_DIR/creatorpulse-head
else
  (cd "$ROOT" && cargo build --release --quiet)
fi

# Each side runs on a database of its own, migrated by its own binary (a server refuses a
# database that has migrations it does not know), with the same deterministic seed.
HEAD_DB_NAME=${DB_NAME}_head
HEAD_DB=${PG_BASE%/*}/$HEAD_DB_NAME?$PG_QUERY
trap 'status=$?; psql -q "$ADMIN_DB" -c "DROP DATABASE IF EXISTS $HEAD_DB_NAME WITH (FORCE)" >/dev/null 2>&1; (exit $status); cleanup' EXIT
log "databases $DB_NAME (base) and $HEAD_DB_NAME"
HEAD_BIN=$BIN
BIN=$BASE_BIN create_database
psql -q "$DB" -f "$BENCH/seed.sql" >"$RUN_DIR/seed.log" 2>&1 || die "seeding failed; see $RUN_DIR/seed.log"
PGOPTIONS='-c client_min_messages=warning' psql -q -v ON_ERROR_STOP=1 "$ADMIN_DB" \
  -c "DROP DATABASE IF EXISTS $HEAD_DB_NAME WITH (FORCE)" -c "CREATE DATABASE $HEAD_DB_NAME"
DATABASE_URL=$HEAD_DB "$HEAD_BIN" migrate up >"$RUN_DIR/migrate-head.log" 2>&1 || die "migration failed; see $RUN_DIR/migrate-head.log"
psql -q "$HEAD_DB" -f "$BENCH/seed.sql" >>"$RUN_DIR/seed.log" 2>&1 || die "seeding failed; see $RUN_DIR/seed.log"
USERS=$RUN_DIR/users.txt
BIN=$BASE_BIN mint_user_tokens "$USERS"

# run <binary> <name> <database URL>: one round of the shape against that server; appends
# "rps p99" to <name>.txt.
run() {
  local bin=$1 name=$2 db=$3 pid out
  DATABASE_URL=$db BIND=127.0.0.1:$PORT JWT_SECRET=$JWT_SECRET LOG_LEVEL=warn GRAPHIQL=false JOBS_INTERVAL=0 WORKERS=0 \
    DB_MAX_CONNECTIONS=$POOL_SIZE "$bin" serve >>"$RUN_DIR/$name.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  wait_for "$name" "$pid" curl -fsS "http://127.0.0.1:$PORT/readyz"
  export BENCH_BODY=$BENCH/queries/ours/$SHAPE.json BENCH_USERS=$USERS BENCH_AUTH=1
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$BENCH/graphql.lua" "http://127.0.0.1:$PORT/graphql" >/dev/null
  out=$RUN_DIR/wrk-$name-$(date +%s%N).txt
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$BENCH/graphql.lua" \
    "http://127.0.0.1:$PORT/graphql" >"$out"
  grep -q "Non-2xx" "$out" && die "$name answered errors; see $out"
  awk '/^Requests\/sec:/ { rps = $2 } $1 == "99%" { p99 = $2 } END { print rps, p99 }' "$out" >>"$RUN_DIR/$name.txt"
  stop "$pid"
}

for round in $(seq 1 "$ROUNDS"); do
  log "round $round of $ROUNDS"
  run "$BASE_BIN" base "$DB"
  run "$HEAD_BIN" head "$HEAD_DB"
done

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
base_rps=$(cut -d' ' -f1 "$RUN_DIR/base.txt" | median)
head_rps=$(cut -d' ' -f1 "$RUN_DIR/head.txt" | median)
{
  echo "shape $SHAPE, $ROUNDS interleaved rounds of ${DURATION} s, $CONNECTIONS connections; $(machine_line)"
  echo "base $BASE_REF: median $base_rps req/s (each round: $(cut -d' ' -f1 "$RUN_DIR/base.txt" | tr '\n' ' '); p99: $(cut -d' ' -f2 "$RUN_DIR/base.txt" | tr '\n' ' '))"
  echo "${HEAD_REF:-this checkout}: median $head_rps req/s (each round: $(cut -d' ' -f1 "$RUN_DIR/head.txt" | tr '\n' ' '); p99: $(cut -d' ' -f2 "$RUN_DIR/head.txt" | tr '\n' ' '))"
  awk -v b="$base_rps" -v h="$head_rps" 'BEGIN { printf "change: %+.1f %%\n", (h / b - 1) * 100 }'
} | tee "$RUN_DIR/results.txt"
