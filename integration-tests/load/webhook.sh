#!/usr/bin/env bash
# The adversarial webhook load harness: `integration-tests/load/webhook.sh [SECONDS]` (default 60).
# Builds what it needs, serves istiod's webhook server (the production class and validation) on
# 127.0.0.1 with a 1 GiB heap, and sends at once small valid objects, invalid ones, huge ones,
# pathological ones (nested-repeat regex, 60k hosts) and slow clients; prints requests by kind and
# answer, p50/p99 of the small valid objects, heap before/after and lost responses (must be 0).
# Not part of the tests.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
./mvnw -q -B -ntp -pl integration-tests -am test-compile -Dspotless.check.skip=true
cp_file="$(mktemp)"
# -am: the modules' own poms from this tree (their dependencies, e.g. Jetty), never an old copy in ~/.m2
./mvnw -q -B -ntp -pl integration-tests -am dependency:build-classpath -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test
cp="integration-tests/target/test-classes:istiod/target/classes:pilot/target/classes:galley/target/classes:citadel/target/classes:$(cat "$cp_file")"
rm -f "$cp_file"
exec java -Xmx1g -cp "$cp" io.jistiod.it.load.WebhookLoadHarness "$@"
