#!/usr/bin/env bash
# Builds (once) the real peers of the end-to-end rig from the Go module proxy and
# caches them under ${JISTIOD_CACHE:-$HOME/.cache/jistiod}/<tool>-<version>/:
#   etcd            go.etcd.io/etcd/server/v3      (recipe: ../peers/etcd/go.mod)
#   kube-apiserver  k8s.io/kubernetes/cmd/kube-apiserver (recipe: ../peers/kube/go.mod)
#   helm            helm.sh/helm/v3/cmd/helm       (go install, GOBIN into the cache)
# Idempotent: a tool whose cached binary exists is skipped.
# Usage: build-peers.sh [etcd|kube-apiserver|helm]...   (default: all three)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap 'rig_on_err "$LINENO" "$BASH_COMMAND"' ERR

rig_require_cmd go flock awk
mkdir -p "$JISTIOD_CACHE" "$JISTIOD_RIG_DIR/logs" || rig_die "cannot create $JISTIOD_CACHE or $JISTIOD_RIG_DIR/logs"

# Builds are outputs of dependencies, never of this repo: no VCS stamping, and
# go.mod/go.sum under peers/ must already be complete (never rewritten here).
export CGO_ENABLED=0
export GOFLAGS="-buildvcs=false -mod=readonly"
# A module cache entry for a pinned version is enough: never ask GOTOOLCHAIN to
# download a toolchain behind our back.
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

# Only one build at a time (other engineers share the cache).
exec 9>"$JISTIOD_CACHE/.build.lock"
if ! flock -n 9; then
  rig_log "waiting for another build-peers.sh (lock $JISTIOD_CACHE/.build.lock) ..."
  flock -w 3600 9 || rig_die "another build-peers.sh still holds $JISTIOD_CACHE/.build.lock after 3600s"
fi

total_start="$(rig_now)"

# build_one <name> <binary> <log> <command...>: runs command (which must write
# "$tmp_out"), then moves the result into place atomically.
build_one() {
  local name="$1" bin="$2" log="$3"
  shift 3
  if [[ -x "$bin" ]]; then
    rig_log "$name: cached at $bin"
    return 0
  fi
  local start dir
  start="$(rig_now)"
  dir="$(dirname "$bin")"
  mkdir -p "$dir"
  tmp_out="$(mktemp "$dir/.$(basename "$bin").XXXXXX")"
  rig_log "$name: building (log: $log) ..."
  if ! "$@" >"$log" 2>&1; then
    rm -f "$tmp_out"
    tail -n 20 "$log" >&2 || true
    rig_die "$name: build failed, see $log"
  fi
  chmod 0755 "$tmp_out"
  mv -f "$tmp_out" "$bin"
  rig_log "$name: built $bin in $(rig_elapsed "$start")s"
}

do_etcd() {
  (
    cd "$JISTIOD_PEERS_DIR/etcd" &&
      go build -trimpath -ldflags "-s -w" -o "$tmp_out" go.etcd.io/etcd/server/v3
  )
}

do_kube_apiserver() {
  local ver="$KUBE_VERSION" major minor date pkg ldflags
  major="${ver#v}"; major="${major%%.*}"
  minor="${ver#v*.}"; minor="${minor%%.*}"
  # The release's own timestamp, so the binary is reproducible.
  date="$(cd "$JISTIOD_PEERS_DIR/kube" && go list -m -f '{{if .Time}}{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' k8s.io/kubernetes)"
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$ver -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=${date:-1970-01-01T00:00:00Z}"
  done
  (
    cd "$JISTIOD_PEERS_DIR/kube" &&
      go build -trimpath -ldflags "$ldflags" -o "$tmp_out" k8s.io/kubernetes/cmd/kube-apiserver
  )
}

do_helm() {
  local ldflags gobin
  ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  ldflags+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$HELM_K8S_MINOR"
  ldflags+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$HELM_K8S_MINOR"
  # go install needs GOBIN; install into a private dir, then hand the binary over.
  gobin="$(mktemp -d "$JISTIOD_CACHE/.gobin.XXXXXX")"
  (
    # outside any module: `go install pkg@version` mode
    cd "$gobin" &&
      GOFLAGS="-buildvcs=false" GOBIN="$gobin" go install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  ) || { rm -rf "$gobin"; return 1; }
  mv -f "$gobin/helm" "$tmp_out"
  rm -rf "$gobin"
}

targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(etcd kube-apiserver helm)
[[ -n "$KUBE_VERSION" && -n "$ETCD_VERSION" ]] || rig_die "cannot read pinned versions from $JISTIOD_PEERS_DIR/*/go.mod"
rig_log "go: $(go version | awk '{print $3}'), cache: $JISTIOD_CACHE, module cache: $(go env GOMODCACHE)"

for t in "${targets[@]}"; do
  case "$t" in
    etcd) build_one "etcd $ETCD_VERSION" "$ETCD_BIN" "$JISTIOD_RIG_DIR/logs/build-etcd.log" do_etcd ;;
    kube-apiserver) build_one "kube-apiserver $KUBE_VERSION" "$KUBE_APISERVER_BIN" "$JISTIOD_RIG_DIR/logs/build-kube-apiserver.log" do_kube_apiserver ;;
    helm) build_one "helm $HELM_VERSION" "$HELM_BIN" "$JISTIOD_RIG_DIR/logs/build-helm.log" do_helm ;;
    *) rig_die "unknown target '$t' (expected etcd, kube-apiserver or helm)" ;;
  esac
done

rig_log "all peers ready in $(rig_elapsed "$total_start")s"
