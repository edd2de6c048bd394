#!/usr/bin/env bash
# Regenerates the agreement table in docs/validation.md: our verdicts (istiod validate) against
# Istio 1.27.0's own (its CRD schema on a real kube-apiserver, then istioctl validate) on every Istio
# config document in Istio's source tree. Builds what it needs (istioctl, the rig), cached after the
# first run; Istio's verdicts are cached by document, so a rerun after a change of ours takes about
# a minute. Fails, after writing the table, if a disagreement is not explained in
# integration-tests/src/test/resources/agreement/explained.yaml.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/integration-tests/cluster/build-peers.sh" >/dev/null
bash "$root/integration-tests/cluster/build-istio.sh" istioctl >/dev/null
bash "$root/integration-tests/cluster/up.sh" | tail -n 1
cd "$root"
./mvnw -B -ntp -Pe2e -pl integration-tests -am verify -Dspotless.check.skip=true \
  -Dtest=AgreementE2ETest -Dsurefire.failIfNoSpecifiedTests=false -Dagreement.write=true "$@"
