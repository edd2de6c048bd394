#!/usr/bin/env bash
# Builds (once) grpc-go's xDS interop client (google.golang.org/grpc/interop/xds/client) from the
# Go module proxy and caches it at
#   ${JISTIOD_CACHE:-$HOME/.cache/jistiod}/grpc-go-xds-client-<version>/client
# Used by the xDS interop e2e tests as a second, independent proxyless client.
#
# Version: v1.64.1 by default (first argument to override). It is the last grpc-go release whose
# interop client is part of the main module, so `go install pkg@version` builds it as released;
# later releases moved interop/xds into a nested module (replace directive, no tags of its own).
#
# Idempotent and safe to run concurrently. Prints the binary's path as its last line (everything
# else goes to stderr).
set -euo pipefail

version="${1:-v1.64.1}"
cache="${JISTIOD_CACHE:-$HOME/.cache/jistiod}"
out="$cache/grpc-go-xds-client-$version"
bin="$out/client"

if [[ -x "$bin" ]]; then
  echo "$bin"
  exit 0
fi
command -v go >/dev/null 2>&1 || { echo "build-grpc-go-client: go is not on PATH" >&2; exit 1; }
command -v flock >/dev/null 2>&1 || { echo "build-grpc-go-client: flock is not on PATH" >&2; exit 1; }

mkdir -p "$out"
exec 9>"$out/.lock"
flock -w 1800 9 || { echo "build-grpc-go-client: another build holds $out/.lock" >&2; exit 1; }
if [[ -x "$bin" ]]; then
  echo "$bin"
  exit 0
fi

start=$(date +%s)
tmp="$(mktemp -d "$out/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
echo "build-grpc-go-client: building google.golang.org/grpc/interop/xds/client@$version ..." >&2
(
  cd "$tmp"
  CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN="${GOTOOLCHAIN:-local}" GOBIN="$tmp" \
    go install "google.golang.org/grpc/interop/xds/client@$version"
) >&2
mv -f "$tmp/client" "$bin"
echo "build-grpc-go-client: built $bin in $(($(date +%s) - start)) s" >&2
echo "$bin"
