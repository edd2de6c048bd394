#!/usr/bin/env bash
# The control-plane load harness: `integration-tests/load/run.sh [SERVICES] [PROXIES]`
# (defaults 1000 services, 500 proxies). Builds what it needs, runs istiod as its own process on
# 127.0.0.1, connects simulated proxies over raw ADS, times a VirtualService change and an
# endpoint change until every proxy has them, and prints the figures. Not part of the tests.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
./mvnw -q -B -ntp -pl integration-tests -am test-compile -Dspotless.check.skip=true
cp_file="$(mktemp)"
./mvnw -q -B -ntp -pl integration-tests -am dependency:build-classpath -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test
cp="integration-tests/target/test-classes:istiod/target/classes:pilot/target/classes:galley/target/classes:citadel/target/classes:$(cat "$cp_file")"
rm -f "$cp_file"
exec java -Xmx1g -cp "$cp" io.jistiod.it.load.LoadHarness "$@"
