#!/usr/bin/env bash
# Builds (once) envoy-validate, the checker of xDS resources against Envoy's own proto
# constraints (../peers/envoy-validate), into
#   ${JISTIOD_CACHE:-$HOME/.cache/jistiod}/envoy-validate-<go-control-plane version>-<source hash>/envoy-validate
# The hash covers the program's sources, go.mod and go.sum, so any edit builds a new binary and a
# cached one is never stale. Idempotent and safe to run concurrently. Progress goes to stderr; the
# last line on stdout is the binary's path.
# Usage: build-envoy-validate.sh
set -euo pipefail

script="$(basename "$0")"
die() {
  echo "$script: error: $*" >&2
  exit 1
}
log() { echo "$script: $*" >&2; }

src="$(cd "$(dirname "${BASH_SOURCE[0]}")/../peers/envoy-validate" && pwd)" || die "cannot find ../peers/envoy-validate"
for c in go flock sha256sum awk; do
  command -v "$c" >/dev/null 2>&1 || die "'$c' is not installed (needed by $script)"
done

version="$(awk '($1 == "require" && $2 == m) { print $3; exit } ($1 == m && $2 ~ /^v/) { print $2; exit }' \
  m=github.com/envoyproxy/go-control-plane/envoy "$src/go.mod")"
[[ -n "$version" ]] || die "cannot read the pinned github.com/envoyproxy/go-control-plane/envoy version from $src/go.mod"
hash="$(
  cd "$src" &&
    find . -maxdepth 1 -type f \( -name '*.go' ! -name '*_test.go' -o -name go.mod -o -name go.sum \) -print |
    LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12
)"
cache="${JISTIOD_CACHE:-$HOME/.cache/jistiod}"
dir="$cache/envoy-validate-$version-$hash"
bin="$dir/envoy-validate"

if [[ ! -x "$bin" ]]; then
  mkdir -p "$dir" || die "cannot create $dir"
  # One build at a time; whoever waited finds the binary built.
  exec 9>"$cache/.envoy-validate.lock"
  flock -w 1800 9 || die "another $script still holds $cache/.envoy-validate.lock after 1800s"
  if [[ ! -x "$bin" ]]; then
    start="$(date +%s)"
    log "building envoy-validate (go-control-plane/envoy $version, sources $hash) with $(go version | awk '{print $3}') ..."
    tmp="$(mktemp "$dir/.envoy-validate.XXXXXX")"
    # The build depends only on go.mod/go.sum: no VCS stamping, no edits to go.mod, and no
    # toolchain download behind our back.
    if ! (cd "$src" && CGO_ENABLED=0 GOTOOLCHAIN="${GOTOOLCHAIN:-local}" GOFLAGS="-buildvcs=false -mod=readonly" \
      go build -trimpath -ldflags "-s -w" -o "$tmp" .) >&2; then
      rm -f "$tmp"
      die "go build failed in $src"
    fi
    chmod 0755 "$tmp"
    mv -f "$tmp" "$bin"
    log "built $bin in $(($(date +%s) - start))s"
  fi
  exec 9>&-
fi
echo "$bin"
