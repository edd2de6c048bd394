#!/usr/bin/env bash
# Builds (once) Istio's own programs from the Go module istio.io/istio at the
# pinned release (tag 1.27.0 = the pseudo-version in ../peers/istio/go.mod) into
# ${JISTIOD_CACHE:-$HOME/.cache/jistiod}/istio-<tag>/:
#   pilot-discovery  the reference istiod (side-by-side comparison, benchmarks)
#   istioctl
#   pilot-agent      the sidecar agent (proxyless gRPC mode needs no Envoy)
#   istio-echo-server, istio-echo-client   only with the "echo" target
# As Istio's own build: CGO_ENABLED=0, tags vtprotobuf,disable_pgv (agent,disable_pgv
# for pilot-agent), version stamped with -ldflags -X istio.io/istio/pkg/version.*.
# Idempotent: a binary already in the cache is skipped.
# Usage: build-istio.sh [pilot-discovery|istioctl|pilot-agent|echo]...
#        (default: pilot-discovery istioctl pilot-agent)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap 'rig_on_err "$LINENO" "$BASH_COMMAND"' ERR

rig_require_cmd go flock awk
mkdir -p "$ISTIO_BIN_DIR" "$JISTIOD_RIG_DIR/logs" || rig_die "cannot create $ISTIO_BIN_DIR or $JISTIOD_RIG_DIR/logs"
LOG="$JISTIOD_RIG_DIR/logs/build-istio.log"

export CGO_ENABLED=0
# go.sum under peers/istio pins every hash (the checksum database here does not
# know Istio's pseudo-versions), so nothing is looked up there and nothing rewritten.
export GOFLAGS="-buildvcs=false -mod=readonly"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

exec 9>"$JISTIOD_CACHE/.build.lock"
if ! flock -n 9; then
  rig_log "waiting for another build (lock $JISTIOD_CACHE/.build.lock) ..."
  flock -w 3600 9 || rig_die "another build still holds $JISTIOD_CACHE/.build.lock after 3600s"
fi

rev="${ISTIO_MODULE_VERSION##*-}" # commit of the release tag, from the pseudo-version
ldflags="-s -w"
for kv in "buildVersion=$ISTIO_TAG" "buildGitRevision=$rev" "buildStatus=Clean" "buildTag=$ISTIO_TAG" \
  "buildHub=docker.io/istio" "buildOS=linux" "buildArch=$(go env GOARCH)"; do
  ldflags+=" -X istio.io/istio/pkg/version.$kv"
done

# install <tags> <output-name> <package>
install() {
  local tags="$1" name="$2" pkg="$3" start tmp
  if [[ -x "$ISTIO_BIN_DIR/$name" ]]; then
    rig_log "$name: cached at $ISTIO_BIN_DIR/$name"
    return 0
  fi
  start="$(rig_now)"
  rig_log "$name: building istio.io/istio/$pkg@$ISTIO_MODULE_VERSION (tag $ISTIO_TAG, tags $tags; log: $LOG) ..."
  tmp="$(mktemp "$ISTIO_BIN_DIR/.$name.XXXXXX")"
  if ! (cd "$JISTIOD_PEERS_DIR/istio" && go build -trimpath -tags "$tags" -ldflags "$ldflags" \
    -o "$tmp" "istio.io/istio/$pkg") >>"$LOG" 2>&1; then
    rm -f "$tmp"
    tail -n 20 "$LOG" >&2 || true
    rig_die "$name: build failed, see $LOG"
  fi
  chmod 0755 "$tmp"
  mv -f "$tmp" "$ISTIO_BIN_DIR/$name"
  rig_log "$name: built in $(rig_elapsed "$start")s"
}

targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(pilot-discovery istioctl pilot-agent)
total_start="$(rig_now)"
: >"$LOG"
rig_log "go: $(go version | awk '{print $3}'), istio $ISTIO_TAG = istio.io/istio@$ISTIO_MODULE_VERSION, into $ISTIO_BIN_DIR"
for t in "${targets[@]}"; do
  case "$t" in
    pilot-discovery) install vtprotobuf,disable_pgv pilot-discovery pilot/cmd/pilot-discovery ;;
    istioctl) install vtprotobuf,disable_pgv istioctl istioctl/cmd/istioctl ;;
    pilot-agent)
      install agent,disable_pgv pilot-agent pilot/cmd/pilot-agent
      # The Envoy bootstrap template the proxyv2 image ships at
      # /var/lib/istio/envoy/envoy_bootstrap_tmpl.json; pilot-agent renders it in sidecar mode.
      if [[ ! -f "$ISTIO_BIN_DIR/envoy_bootstrap_tmpl.json" ]]; then
        src="$(cd "$JISTIOD_PEERS_DIR/istio" && go list -m -f '{{.Dir}}' istio.io/istio)"
        cp "$src/tools/packaging/common/envoy_bootstrap.json" "$ISTIO_BIN_DIR/envoy_bootstrap_tmpl.json"
        chmod 0644 "$ISTIO_BIN_DIR/envoy_bootstrap_tmpl.json"
      fi
      ;;
    echo)
      install vtprotobuf,disable_pgv istio-echo-server pkg/test/echo/cmd/server
      install vtprotobuf,disable_pgv istio-echo-client pkg/test/echo/cmd/client
      ;;
    *) rig_die "unknown target '$t' (expected pilot-discovery, istioctl, pilot-agent or echo)" ;;
  esac
done
rig_log "istio binaries ready in $(rig_elapsed "$total_start")s: $ISTIO_BIN_DIR"
