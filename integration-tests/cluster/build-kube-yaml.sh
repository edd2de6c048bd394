#!/usr/bin/env bash
# Builds (once) kube-yaml, the converter of YAML to JSON as Kubernetes reads it (../peers/kube-yaml,
# the oracle of KubeYamlAgreementTest), into
#   ${JISTIOD_CACHE:-$HOME/.cache/jistiod}/kube-yaml-<sigs.k8s.io/yaml version>-<source hash>/kube-yaml
# The hash covers the program's sources, go.mod and go.sum, so any edit builds a new binary and a
# cached one is never stale. Idempotent and safe to run concurrently. Progress goes to stderr; the
# last line on stdout is the binary's path.
# Usage: build-kube-yaml.sh
set -euo pipefail

script="$(basename "$0")"
die() {
  echo "$script: error: $*" >&2
  exit 1
}
log() { echo "$script: $*" >&2; }

src="$(cd "$(dirname "${BASH_SOURCE[0]}")/../peers/kube-yaml" && pwd)" || die "cannot find ../peers/kube-yaml"
for c in go flock sha256sum awk; do
  command -v "$c" >/dev/null 2>&1 || die "'$c' is not installed (needed by $script)"
done

version="$(awk '($1 == "require" && $2 == m) { print $3; exit } ($1 == m && $2 ~ /^v/) { print $2; exit }' \
  m=sigs.k8s.io/yaml "$src/go.mod")"
[[ -n "$version" ]] || die "cannot read the pinned sigs.k8s.io/yaml version from $src/go.mod"
hash="$(
  cd "$src" &&
    find . -maxdepth 1 -type f \( -name '*.go' ! -name '*_test.go' -o -name go.mod -o -name go.sum \) -print |
    LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12
)"
cache="${JISTIOD_CACHE:-$HOME/.cache/jistiod}"
dir="$cache/kube-yaml-$version-$hash"
bin="$dir/kube-yaml"

if [[ ! -x "$bin" ]]; then
  mkdir -p "$dir" || die "cannot create $dir"
  # One build at a time; whoever waited finds the binary built.
  exec 9>"$cache/.kube-yaml.lock"
  flock -w 1800 9 || die "another $script still holds $cache/.kube-yaml.lock after 1800s"
  if [[ ! -x "$bin" ]]; then
    start="$(date +%s)"
    log "building kube-yaml (sigs.k8s.io/yaml $version, sources $hash) with $(go version | awk '{print $3}') ..."
    tmp="$(mktemp "$dir/.kube-yaml.XXXXXX")"
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
