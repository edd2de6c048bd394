#!/usr/bin/env bash
# Builds (once) kube-yaml, the converter of YAML to JSON as Kubernetes reads it (../peers/kube-yaml,
# the oracle of KubeYamlAgreementTest), into
#   ${JISTIOD_CACHE:-$HOME/.cache/jistiod}/kube-yaml-<sigs.k8s.io/yaml version>-<source hash>/kube-yaml
# Usage: build-kube-yaml.sh
# Idempotent and concurrent-safe; prints the binary path last (see go-peer.sh).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/go-peer.sh"

src="$(go_peer_source kube-yaml)"
go_peer_build kube-yaml "$src" "$(go_peer_module_version "$src" sigs.k8s.io/yaml)" "${GOTOOLCHAIN:-local}"
