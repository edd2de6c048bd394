#!/usr/bin/env bash
# Load comparison with Istio's reference pilot-discovery 1.27:
#   integration-tests/load/compare.sh SERVICES PROXIES[,PROXIES...]
# Puts SERVICES Services (+ EndpointSlices, VirtualServices, DestinationRules) on the rig, then for
# each PROXIES runs pilot-discovery and our istiod one after the other (never both at once) under
# the same simulated proxies (half Envoy over delta ADS, half proxyless gRPC) and the same four
# changes, and prints per figure ours, the reference's and the ratio. Its last line is
#   ratio convergence_p99=X rss=Y cpu=Z
# Builds what it needs (rig peers, pilot-discovery, istiod.jar) on first use. Not part of the tests.
#   integration-tests/load/compare.sh --chart SERVICES OUT.png
# draws convergence p99 against proxies for SERVICES (ours and the reference's) from LOAD_RESULTS.
# Only one rig run at a time on a shared machine: wrap it in `flock -o <lockfile>` there.
# Environment: JAVA_OPTS (our istiod's JVM flags; default bin/istiod's), LOAD_CONNECT_RATE
# (streams/s; default 20, 10000/SERVICES past 1000 services), LOAD_CHANGE_TIMEOUT (s; default 120,
# SERVICES/2000 x 120 past 2000), LOAD_RESULTS (TSV of figures,
# default integration-tests/target/load/compare-results.tsv), PILOT_DEBOUNCE_AFTER (both; 100ms),
# LOAD_HARNESS_OPTS (the harness's own JVM flags), LOAD_MAX_SERVER_RSS_MIB (a server above it is
# stopped and the run fails; default half the machine's memory, at least 8192), MVN_OFFLINE=1
# (maven -o), LOAD_ONLY=ours|reference
# (measure that server alone, to profile or iterate: no ratio line, nothing appended to LOAD_RESULTS).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [[ $# -ne 2 && ! ( $# -eq 3 && "$1" == --chart ) ]]; then
  sed -n '2,21p' "$0" >&2
  exit 2
fi
cd "$root"
mvn=(./mvnw -q -B -ntp)
[[ -n "${MVN_OFFLINE:-}" ]] && mvn+=(-o)
results="${LOAD_RESULTS:-$root/integration-tests/target/load/compare-results.tsv}"
if [[ "$1" == --chart ]]; then
  "${mvn[@]}" -pl integration-tests -am test-compile -Dspotless.check.skip=true >&2
  out="$(cd "$(dirname "$3")" && pwd)/$(basename "$3")"
  cp_file="$(mktemp)"
  "${mvn[@]}" -pl integration-tests -am dependency:build-classpath -Dmdep.outputFile="$cp_file" \
    -Dmdep.includeScope=test >&2
  cp="$root/integration-tests/target/test-classes:$(cat "$cp_file")"
  rm -f "$cp_file"
  exec java -Djava.awt.headless=true -cp "$cp" io.jistiod.it.load.ConvergenceChart "$results" "$2" "$out"
fi
cluster="$root/integration-tests/cluster"
"$cluster/build-peers.sh" >&2
"$cluster/build-istio.sh" pilot-discovery >&2
# The rig's daemons outlive this script: they must not inherit a lock this script runs under
# (`flock LOCK compare.sh` passes its locked fd down; a daemon holding it blocks every later run).
(
  for fd in $(ls /proc/$BASHPID/fd); do
    ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null
  done
  exec "$cluster/up.sh"
) >&2
# our istiod as users run it: istiod/target/istiod.jar (+ lib/), started through bin/istiod
"${mvn[@]}" -pl istiod -am package -DskipTests -Dspotless.check.skip=true >&2
"${mvn[@]}" -pl integration-tests -am test-compile -Dspotless.check.skip=true >&2
cp_file="$(mktemp)"
"${mvn[@]}" -pl integration-tests -am dependency:build-classpath -Dmdep.outputFile="$cp_file" \
  -Dmdep.includeScope=test >&2
cp="$root/integration-tests/target/test-classes:$(cat "$cp_file")"
rm -f "$cp_file"
for m in istiod pilot galley citadel injector; do cp="$root/$m/target/classes:$cp"; done
cd integration-tests # the harness finds cluster/ and ../crds from here, as the e2e tests do
# shellcheck disable=SC2086
exec java ${LOAD_HARNESS_OPTS:--Xmx4g} -cp "$cp" \
  io.jistiod.it.load.CompareHarness "$@"
