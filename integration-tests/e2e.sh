#!/usr/bin/env bash
# The end-to-end suite. In order:
#  1. builds every peer: each integration-tests/cluster/build-*.sh, run with no arguments (see
#     BUILD_SCRIPTS below), at most JISTIOD_BUILD_JOBS (default 2) at a time; cached under
#     ~/.cache/jistiod after the first run. Any failed build fails the run before a test starts;
#  2. brings up the rig (a real etcd and kube-apiserver on 127.0.0.1);
#  3. runs the tests tagged "e2e" against it. A test that needs a peer fails when the peer is
#     missing (it does not skip);
#  4. fails the run if any test was skipped, unless it is on the allow-list
#     integration-tests/e2e-allowed-skips.txt (each entry with its reason).
# Run from anywhere; needs Go, kubectl, openssl and root (for the network namespaces that serve as
# test hosts). Extra arguments go to Maven (e.g. -Dtest=CitadelE2ETest).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
it="$root/integration-tests"
start=$(date +%s)

# ---- 1. peers -------------------------------------------------------------------
# Every build script, picked up by name: a new peer only needs a cluster/build-<peer>.sh that, with
# no arguments, builds (once, cached) everything the suite needs from it, is safe to run next to
# the others (flock) and exits non-zero on failure. Sorted, so the order is stable.
mapfile -t BUILD_SCRIPTS < <(find "$it/cluster" -maxdepth 1 -name 'build-*.sh' -type f | LC_ALL=C sort)
[[ ${#BUILD_SCRIPTS[@]} -gt 0 ]] || { echo "e2e.sh: error: no build-*.sh under $it/cluster" >&2; exit 1; }
# Go compiles with every core already; two builds at once overlap one's downloads and links with
# the other's compiles without thrashing a 2-core machine. (build-peers.sh and build-istio.sh share
# one lock, so those two run one after the other anyway.)
jobs_max="${JISTIOD_BUILD_JOBS:-2}"
logs="${JISTIOD_RIG_DIR:-/tmp/jistiod-rig}/logs/e2e-builds"
mkdir -p "$logs"

build() { # <script>: runs it, records exit code and seconds next to its log
  local s="$1" name t0 rc=0
  name="$(basename "$s" .sh)"
  t0=$(date +%s)
  bash "$s" </dev/null >"$logs/$name.log" 2>&1 || rc=$?
  echo "$rc $(($(date +%s) - t0))" >"$logs/$name.status"
}

echo "e2e.sh: building ${#BUILD_SCRIPTS[@]} peer scripts, $jobs_max at a time (logs: $logs)"
for s in "${BUILD_SCRIPTS[@]}"; do
  rm -f "$logs/$(basename "$s" .sh).status"
  while (($(jobs -rp | wc -l) >= jobs_max)); do wait -n || true; done
  build "$s" &
done
wait
failed=()
for s in "${BUILD_SCRIPTS[@]}"; do
  name="$(basename "$s" .sh)"
  read -r rc secs <"$logs/$name.status" 2>/dev/null || { rc=missing secs=?; }
  if [[ "$rc" == 0 ]]; then
    echo "e2e.sh: $name: ok (${secs} s)"
  else
    echo "e2e.sh: $name: FAILED (exit $rc after ${secs} s); last lines of $logs/$name.log:" >&2
    tail -n 15 "$logs/$name.log" | sed 's/^/    /' >&2 || true
    failed+=("$name")
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "e2e.sh: error: peer build failed: ${failed[*]}; no test was run" >&2
  exit 1
fi
echo "e2e.sh: peers ready after $(($(date +%s) - start)) s"

# ---- 2. rig ---------------------------------------------------------------------
bash "$it/cluster/up.sh" | tail -n 3
echo "e2e.sh: rig up after $(($(date +%s) - start)) s"

# ---- 3. tests -------------------------------------------------------------------
cd "$root"
reports="$it/target/surefire-reports"
rm -rf "$reports" # the guard below must see this run's reports only
tests_rc=0
./mvnw -B -ntp -Pe2e -pl integration-tests -am verify \
  -Dspotless.check.skip=true -Dtest='*E2ETest' -Dsurefire.failIfNoSpecifiedTests=false "$@" || tests_rc=$?

# ---- 4. no unexplained skips ----------------------------------------------------
guard_rc=0
if [[ -d "$it/target/test-classes" ]]; then
  java -cp "$it/target/test-classes" io.jistiod.it.support.SkippedTestsGuard \
    "$reports" "$it/e2e-allowed-skips.txt" || guard_rc=$?
else
  echo "e2e.sh: error: no compiled tests under $it/target/test-classes" >&2
  guard_rc=1
fi
echo "e2e.sh: finished after $(($(date +%s) - start)) s (tests exit $tests_rc, skip guard exit $guard_rc)"
((tests_rc == 0 && guard_rc == 0))
