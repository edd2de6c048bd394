#!/usr/bin/env bash
# Builds (once) envoy-validate, the checker of xDS resources against Envoy's own proto
# constraints (../peers/envoy-validate), into
#   ${JISTIOD_CACHE:-$HOME/.cache/jistiod}/envoy-validate-<go-control-plane version>-<source hash>/envoy-validate
# Usage: build-envoy-validate.sh
# Idempotent and concurrent-safe; prints the binary path last (see go-peer.sh).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/go-peer.sh"

src="$(go_peer_source envoy-validate)"
go_peer_build envoy-validate "$src" "$(go_peer_module_version "$src" github.com/envoyproxy/go-control-plane/envoy)" "${GOTOOLCHAIN:-local}"
