#!/usr/bin/env bash
# The end-to-end suite: brings up the rig (a real etcd and kube-apiserver on 127.0.0.1, built
# from the Go module proxy and cached under ~/.cache/jistiod on first use), then runs the tests
# tagged "e2e" against it. Run from anywhere; needs Go, kubectl, openssl and root (for the
# network namespaces that serve as test hosts).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
start=$(date +%s)
bash "$root/integration-tests/cluster/up.sh" | tail -n 3
echo "rig up after $(( $(date +%s) - start )) s"
cd "$root"
./mvnw -B -ntp -Pe2e -pl integration-tests -am verify \
  -Dspotless.check.skip=true -Dtest='*E2ETest' -Dsurefire.failIfNoSpecifiedTests=false "$@"
