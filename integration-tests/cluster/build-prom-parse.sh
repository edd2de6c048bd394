#!/usr/bin/env bash
# Builds (once) prom-parse, the checker of /metrics pages with Prometheus' own text-format parser
# (../peers/prom-parse, over github.com/prometheus/common/expfmt), into
#   ${JISTIOD_CACHE:-$HOME/.cache/jistiod}/prom-parse-<prometheus/common version>-<source hash>/prom-parse
# The hash covers the program's sources, go.mod and go.sum, so any edit builds a new binary and a
# cached one is never stale. Idempotent and safe to run concurrently. Progress goes to stderr; the
# last line on stdout is the binary's path.
# Usage: build-prom-parse.sh
set -euo pipefail

script="$(basename "$0")"
die() {
  echo "$script: error: $*" >&2
  exit 1
}
log() { echo "$script: $*" >&2; }

src="$(cd "$(dirname "${BASH_SOURCE[0]}")/../peers/prom-parse" && pwd)" || die "cannot find ../peers/prom-parse"
for c in go flock sha256sum awk; do
  command -v "$c" >/dev/null 2>&1 || die "'$c' is not installed (needed by $script)"
done

version="$(awk '($1 == "require" && $2 == m) { print $3; exit } ($1 == m && $2 ~ /^v/) { print $2; exit }' \
  m=github.com/prometheus/common "$src/go.mod")"
[[ -n "$version" ]] || die "cannot read the pinned github.com/prometheus/common version from $src/go.mod"
hash="$(
  cd "$src" &&
    find . -maxdepth 1 -type f \( -name '*.go' ! -name '*_test.go' -o -name go.mod -o -name go.sum \) -print |
    LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12
)"
cache="${JISTIOD_CACHE:-$HOME/.cache/jistiod}"
dir="$cache/prom-parse-$version-$hash"
bin="$dir/prom-parse"

if [[ ! -x "$bin" ]]; then
  mkdir -p "$dir" || die "cannot create $dir"
  # One build at a time; whoever waited finds the binary built.
  exec 9>"$cache/.prom-parse.lock"
  flock -w 1800 9 || die "another $script still holds $cache/.prom-parse.lock after 1800s"
  if [[ ! -x "$bin" ]]; then
    start="$(date +%s)"
    log "building prom-parse (prometheus/common $version, sources $hash) with $(go version | awk '{print $3}') ..."
    tmp="$(mktemp "$dir/.prom-parse.XXXXXX")"
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
