#!/usr/bin/env bash
# Builds (once) gotemplate, which renders templates as istiod 1.27.0 renders injection templates
# (Go's text/template + sprig + Istio's inject.InjectionFuncmap; ../peers/gotemplate), into
#   ${JISTIOD_CACHE:-$HOME/.cache/jistiod}/gotemplate-<istio version>-<source hash>/gotemplate
# Its module graph is Istio 1.27.0's (../peers/istio/go.mod), resolved from the Go module cache
# that build-istio.sh fills; built with the local Go, as build-istio.sh builds the reference
# istiod.
# Usage: build-gotemplate.sh
# Idempotent and concurrent-safe; prints the binary path last (see go-peer.sh).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/go-peer.sh"

src="$(go_peer_source gotemplate)"
version="$(go_peer_module_version "$src" istio.io/istio)"
GONOSUMDB=istio.io/istio go_peer_build gotemplate "$src" "$version" local
