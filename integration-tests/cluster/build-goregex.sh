#!/usr/bin/env bash
# Builds (once) goregex, which prints Go's regexp.Compile verdict for each regex it reads
# (../peers/goregex), into
#   ${JISTIOD_CACHE:-$HOME/.cache/jistiod}/goregex-<go release>-<source hash>/goregex
# It is built with the Go release Istio 1.27 is built with (the `toolchain` line of its go.mod),
# fetched by the go command from the Go module proxy as the golang.org/toolchain module when the
# local Go is another release: Istio's regex verdicts are that release's regexp/syntax.
# Usage: build-goregex.sh
# Idempotent and concurrent-safe; prints the binary path last (see go-peer.sh).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/go-peer.sh"

src="$(go_peer_source goregex)"
# Istio 1.27's Go release, the `toolchain` line of go.mod: its regexp/syntax gives the verdicts.
toolchain="$(awk '$1 == "toolchain" { print $2; exit }' "$src/go.mod")"
[[ -n "$toolchain" ]] || go_peer_die "cannot read the toolchain line of $src/go.mod"
go_peer_build goregex "$src" "$toolchain" "$toolchain"
