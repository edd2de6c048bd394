# Sourced by the build-<peer>.sh scripts of the small Go peers under ../peers (goregex, kube-yaml,
# prom-parse, envoy-validate): one way to build each once into
#   ${JISTIOD_CACHE:-$HOME/.cache/jistiod}/<peer>-<version>-<source hash>/<peer>
# The hash covers the program's sources, go.mod and go.sum, so any edit builds a new binary and a
# cached one is never stale. A flock makes concurrent runs build once; whoever waited finds the
# binary built. Progress goes to stderr; the binary's path is the last line on stdout.

go_peer_die() {
  echo "$(basename "$0"): error: $*" >&2
  exit 1
}

# go_peer_source PEER: the peer's source directory; checks the tools a build needs.
go_peer_source() {
  local dir
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../peers/$1" && pwd)" || go_peer_die "cannot find ../peers/$1"
  for c in go flock sha256sum awk; do
    command -v "$c" >/dev/null 2>&1 || go_peer_die "'$c' is not installed (needed by $(basename "$0"))"
  done
  echo "$dir"
}

# go_peer_module_version SRC MODULE: the version go.mod pins MODULE at.
go_peer_module_version() {
  local v
  v="$(awk '($1 == "require" && $2 == m) { print $3; exit } ($1 == m && $2 ~ /^v/) { print $2; exit }' \
    m="$2" "$1/go.mod")"
  [[ -n "$v" ]] || go_peer_die "cannot read the pinned $2 version from $1/go.mod"
  echo "$v"
}

# go_peer_build PEER SRC VERSION TOOLCHAIN: builds (once) and prints the binary's path. TOOLCHAIN
# is GOTOOLCHAIN for the build: "local" builds with the installed Go and never downloads one behind
# our back; a release name (go1.24.6) has the go command fetch that toolchain from the module proxy.
go_peer_build() {
  local peer="$1" src="$2" version="$3" toolchain="$4"
  local hash cache dir bin start tmp
  hash="$(
    cd "$src" &&
      find . -maxdepth 1 -type f \( -name '*.go' ! -name '*_test.go' -o -name go.mod -o -name go.sum \) -print |
      LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12
  )"
  cache="${JISTIOD_CACHE:-$HOME/.cache/jistiod}"
  dir="$cache/$peer-$version-$hash"
  bin="$dir/$peer"
  if [[ ! -x "$bin" ]]; then
    mkdir -p "$dir" || go_peer_die "cannot create $dir"
    exec 9>"$cache/.$peer.lock"
    flock -w 1800 9 || go_peer_die "another build of $peer still holds $cache/.$peer.lock after 1800s"
    if [[ ! -x "$bin" ]]; then
      start="$(date +%s)"
      echo "$(basename "$0"): building $peer ($version, sources $hash, GOTOOLCHAIN=$toolchain) ..." >&2
      tmp="$(mktemp "$dir/.$peer.XXXXXX")"
      # The build depends only on go.mod/go.sum: no VCS stamping and no edits to go.mod.
      if ! (cd "$src" && CGO_ENABLED=0 GOTOOLCHAIN="$toolchain" GOFLAGS="-buildvcs=false -mod=readonly" \
        go build -trimpath -ldflags "-s -w" -o "$tmp" .) >&2; then
        rm -f "$tmp"
        go_peer_die "go build failed in $src"
      fi
      chmod 0755 "$tmp"
      mv -f "$tmp" "$bin"
      echo "$(basename "$0"): built $bin in $(($(date +%s) - start))s" >&2
    fi
    exec 9>&-
  fi
  echo "$bin"
}
