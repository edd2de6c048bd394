# shellcheck shell=bash disable=SC2034
# Shared settings of the jistiod end-to-end rig. Sourced by the other scripts
# (and by env.sh), so it only defines variables and functions: no `set -e`,
# no side effects.

JISTIOD_CLUSTER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JISTIOD_PEERS_DIR="$(cd "$JISTIOD_CLUSTER_DIR/../peers" && pwd)"

# ---- pinned versions --------------------------------------------------------
# etcd, kube-apiserver and Istio versions are read from the go.mod files under
# integration-tests/peers/ so that the go.mod is the single place to bump.
_jistiod_gomod_version() { # <go.mod> <module>
  awk -v m="$2" '($1 == "require" && $2 == m) { print $3; exit } ($1 == m && $2 ~ /^v/) { print $2; exit }' "$1"
}
KUBE_VERSION="$(_jistiod_gomod_version "$JISTIOD_PEERS_DIR/kube/go.mod" k8s.io/kubernetes)"
ETCD_VERSION="$(_jistiod_gomod_version "$JISTIOD_PEERS_DIR/etcd/go.mod" go.etcd.io/etcd/server/v3)"
HELM_VERSION="v3.17.4"          # helm.sh/helm/v3, built against k8s.io/client-go v0.32
HELM_K8S_MINOR="32"             # the k8s minor helm reports as its default .Capabilities
ISTIO_TAG="1.27.0"              # istio.io/istio release tag (not semver) ...
ISTIO_MODULE_VERSION="$(_jistiod_gomod_version "$JISTIOD_PEERS_DIR/istio/go.mod" istio.io/istio)" # ... = this pseudo-version

# ---- paths ------------------------------------------------------------------
JISTIOD_CACHE="${JISTIOD_CACHE:-$HOME/.cache/jistiod}"
JISTIOD_RIG_DIR="${JISTIOD_RIG_DIR:-/tmp/jistiod-rig}"

ETCD_BIN="$JISTIOD_CACHE/etcd-$ETCD_VERSION/etcd"
KUBE_APISERVER_BIN="$JISTIOD_CACHE/kube-apiserver-$KUBE_VERSION/kube-apiserver"
HELM_BIN="$JISTIOD_CACHE/helm-$HELM_VERSION/helm"
ISTIO_BIN_DIR="$JISTIOD_CACHE/istio-$ISTIO_TAG"

# ---- ports (loopback only) --------------------------------------------------
# Clear of istiod's 8080/15010/15012/15014/15017.
JISTIOD_APISERVER_PORT="${JISTIOD_APISERVER_PORT:-16443}"
JISTIOD_ETCD_CLIENT_PORT="${JISTIOD_ETCD_CLIENT_PORT:-12379}"
JISTIOD_ETCD_PEER_PORT="${JISTIOD_ETCD_PEER_PORT:-12380}"
JISTIOD_LOOPBACK="127.0.0.1"

# ---- helpers ----------------------------------------------------------------
_jistiod_script="$(basename "${0:-rig}")"

rig_die() {
  echo "$_jistiod_script: error: $*" >&2
  exit 1
}

rig_log() {
  echo "$_jistiod_script: $*"
}

# Seconds since the epoch with millisecond precision (for timings).
rig_now() { date +%s.%N; }
rig_elapsed() { # <start>
  awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'
}

# Prints a one-line error naming the failed command; used as an ERR trap.
rig_on_err() { # <line> <command>
  echo "$_jistiod_script: error: line $1: command failed: $2" >&2
}

# Is PID (from a pid file) alive and running the expected binary?
rig_pid_running() { # <pidfile> <binary-basename>
  local pidfile="$1" name="$2" pid
  [[ -s "$pidfile" ]] || return 1
  pid="$(cat "$pidfile")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" | head -n1 | grep -q "/$name\$"
}

rig_require_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || rig_die "'$c' is not installed (needed by $_jistiod_script)"
  done
}
