#!/usr/bin/env bash
# Faults: PostgreSQL restarted (fast, then immediate) and stopped for 10 s under a write load of
# four clients, against a throwaway PostgreSQL that the test starts itself (the machine's initdb
# and pg_ctl, in a temporary directory, on a free port). It is the suite's own fault test
# (tests/api/faults.rs), run BENCH_FAULT_RUNS times (3) with its figures printed. Run from
# anywhere: bench/faults.sh. See BENCHMARKS.md, "Reliability".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS=${BENCH_FAULT_RUNS:-3}
[[ $RUNS =~ ^[0-9]+$ && $RUNS -gt 0 ]] || { echo "BENCH_FAULT_RUNS must be a positive integer" >&2; exit 1; }

cargo test --quiet --test api --no-run
for run in $(seq "$RUNS"); do
  echo "== run $run of $RUNS"
  FAULT_REPORT=1 LOG_LEVEL=error TEST_LOG=off cargo test --quiet --test api faults:: -- --nocapture --test-threads 1 \
    | grep -E '^[a-z].*: [0-9]+$'
done
