#!/usr/bin/env bash
# Builds (once) prom-parse, the checker of /metrics pages with Prometheus' own text-format parser
# (../peers/prom-parse, over github.com/prometheus/common/expfmt), into
#   ${JISTIOD_CACHE:-$HOME/.cache/jistiod}/prom-parse-<prometheus/common version>-<source hash>/prom-parse
# Usage: build-prom-parse.sh
# Idempotent and concurrent-safe; prints the binary path last (see go-peer.sh).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/go-peer.sh"

src="$(go_peer_source prom-parse)"
go_peer_build prom-parse "$src" "$(go_peer_module_version "$src" github.com/prometheus/common)" "${GOTOOLCHAIN:-local}"
