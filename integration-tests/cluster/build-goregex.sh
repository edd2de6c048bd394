#!/usr/bin/env bash
# Builds (once) goregex, which prints Go's regexp.Compile verdict for each regex it reads
# (../peers/goregex), into
#   ${JISTIOD_CACHE:-$HOME/.cache/jistiod}/goregex-<go release>-<source hash>/goregex
# It is built with the Go release Istio 1.27 is built with (the `toolchain` line of its go.mod),
# fetched by the go command from the Go module proxy as the golang.org/toolchain module when the
# local Go is another release: Istio's regex verdicts are that release's regexp/syntax.
# The hash covers the program's sources and go.mod, so any edit builds a new binary. Idempotent and
# safe to run concurrently. Progress goes to stderr; the last line on stdout is the binary's path.
# Usage: build-goregex.sh
set -euo pipefail

script="$(basename "$0")"
die() {
  echo "$script: error: $*" >&2
  exit 1
}
log() { echo "$script: $*" >&2; }

src="$(cd "$(dirname "${BASH_SOURCE[0]}")/../peers/goregex" && pwd)" || die "cannot find ../peers/goregex"
for c in go flock sha256sum awk; do
  command -v "$c" >/dev/null 2>&1 || die "'$c' is not installed (needed by $script)"
done

toolchain="$(awk '$1 == "toolchain" { print $2; exit }' "$src/go.mod")"
[[ -n "$toolchain" ]] || die "cannot read the toolchain line of $src/go.mod"
hash="$(
  cd "$src" &&
    find . -maxdepth 1 -type f \( -name '*.go' ! -name '*_test.go' -o -name go.mod \) -print |
    LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12
)"
cache="${JISTIOD_CACHE:-$HOME/.cache/jistiod}"
dir="$cache/goregex-$toolchain-$hash"
bin="$dir/goregex"

if [[ ! -x "$bin" ]]; then
  mkdir -p "$dir" || die "cannot create $dir"
  exec 9>"$cache/.goregex.lock"
  flock -w 1800 9 || die "another $script still holds $cache/.goregex.lock after 1800s"
  if [[ ! -x "$bin" ]]; then
    start="$(date +%s)"
    log "building goregex with $toolchain (sources $hash) ..."
    tmp="$(mktemp "$dir/.goregex.XXXXXX")"
    # No dependencies beyond the standard library; the toolchain is the only download.
    if ! (cd "$src" && CGO_ENABLED=0 GOTOOLCHAIN="$toolchain" GOFLAGS="-buildvcs=false -mod=readonly" \
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
