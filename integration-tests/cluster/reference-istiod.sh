#!/usr/bin/env bash
# Runs Istio's own pilot-discovery 1.27.0 (the reference istiod) against the rig, on loopback
# ports of its own, for side-by-side comparisons with jistiod.
#
#   reference-istiod.sh start NAME [--mesh FILE] [--scenario-label VALUE] [--grpc-port P]
#                                  [--http-port P] [--monitoring-port P] [--inject-dir DIR]
#                                  [--log-level LEVELS] [--env NAME=VALUE]...
#   reference-istiod.sh stop NAME
#
# start: builds pilot-discovery if it is not cached (build-istio.sh), starts it in the background
# and waits for its /ready. Prints "grpc=127.0.0.1:P http=127.0.0.1:P monitoring=127.0.0.1:P" as
# its last line. Ports default to free ones. State (pid, log, mesh config) in
# $JISTIOD_RIG_DIR/reference/NAME/. A second start with the same NAME stops the first.
#   --mesh FILE            MeshConfig YAML (default: Istio's defaults)
#   --scenario-label VALUE[,VALUE...]
#                          adds discoverySelectors for namespaces labelled
#                          jistiod.io/scenario=VALUE (any of the values), so nothing else on the
#                          shared rig leaks in
#   --inject-dir DIR       injection config: DIR holds files `config` and `values` (the keys of an
#                          istio-sidecar-injector ConfigMap), copied to ./var/lib/istio/inject/
#                          under the state dir (pilot-discovery's cwd), where its injector reads
#                          them. With it the injector runs (its /inject on the http port, as
#                          --httpsAddr is "") and so does the Gateway deployment controller's
#                          rendering (kube-gateway template) for Gateways of class istio, once it
#                          holds the lease istio-gateway-deployment-default in the reference's
#                          namespace (one reference at a time on the rig). Without it: no injector,
#                          and that controller renders nothing.
#   --log-level LEVELS     pilot-discovery's --log_output_level (default default:info), e.g.
#                          default:info,gateway:debug
#   --env NAME=VALUE       an environment variable more for pilot-discovery (repeatable), e.g.
#                          PILOT_ENABLE_AMBIENT=true or PILOT_ENABLE_ALPHA_GATEWAY_API=true; it
#                          overrides the ones set here
# What it leaves alone: plaintext xDS only (no --secureGRPCAddr, no CA: ENABLE_CA_SERVER=false),
# no https webhook server and no webhook patching (VALIDATION_/INJECTION_WEBHOOK_CONFIG_NAME empty),
# POD_NAMESPACE=jistiod-reference (leader-election leases only), never istio-system.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap 'rig_on_err "$LINENO" "$BASH_COMMAND"' ERR

usage() { sed -n '2,35p' "$0" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
cmd="$1" name="$2"
shift 2
[[ "$name" =~ ^[A-Za-z0-9._-]+$ ]] || rig_die "bad NAME '$name'"
STATE="$JISTIOD_RIG_DIR/reference/$name"
REF_NS="${JISTIOD_REFERENCE_NAMESPACE:-jistiod-reference}"
KUBECONFIG_RIG="$JISTIOD_RIG_DIR/kubeconfig"

# A port nobody listens on, below the kernel's ephemeral range (32768 and up) so that outgoing
# connections cannot take it between this check and pilot-discovery's bind, and none of the
# ports given as arguments. Another process may still bind it first: the start is then retried.
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 12000))
    [[ " $* " == *" $p "* ]] && continue
    ss -Hltn "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return 0; }
  done
  rig_die "no free port found"
}

stop() {
  if [[ -s "$STATE/pid" ]]; then
    local pid
    pid="$(cat "$STATE/pid")"
    if kill -0 "$pid" 2>/dev/null && grep -q pilot-discovery "/proc/$pid/cmdline" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$STATE/pid"
  fi
}

case "$cmd" in
  stop)
    stop
    exit 0
    ;;
  start) ;;
  *) usage ;;
esac

mesh="" label="" grpc="" http="" mon="" inject="" loglevel="default:info"
extra_env=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --mesh) mesh="$2"; shift 2 ;;
    --scenario-label) label="$2"; shift 2 ;;
    --grpc-port) grpc="$2"; shift 2 ;;
    --http-port) http="$2"; shift 2 ;;
    --monitoring-port) mon="$2"; shift 2 ;;
    --inject-dir) inject="$2"; shift 2 ;;
    --log-level) loglevel="$2"; shift 2 ;;
    --env)
      [[ "$2" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || rig_die "--env $2: expected NAME=VALUE"
      extra_env+=("$2"); shift 2 ;;
    *) usage ;;
  esac
done
given_grpc="$grpc" given_http="$http" given_mon="$mon"
if [[ -n "$inject" ]] && ! [[ -r "$inject/config" && -r "$inject/values" ]]; then
  rig_die "--inject-dir $inject: needs readable files config and values"
fi
pick_ports() {
  grpc="$given_grpc" http="$given_http" mon="$given_mon"
  [[ -n "$grpc" ]] || grpc="$(free_port "$http" "$mon")"
  [[ -n "$http" ]] || http="$(free_port "$grpc" "$mon")"
  [[ -n "$mon" ]] || mon="$(free_port "$grpc" "$http")"
}

[[ -s "$KUBECONFIG_RIG" ]] || rig_die "no rig kubeconfig at $KUBECONFIG_RIG (run up.sh first)"
if [[ ! -x "$ISTIO_BIN_DIR/pilot-discovery" ]]; then
  "$JISTIOD_CLUSTER_DIR/build-istio.sh" pilot-discovery >&2
fi

mkdir -p "$STATE"
stop

# Its namespace must exist for leader election; created once, never deleted.
KUBECONFIG="$KUBECONFIG_RIG" kubectl get namespace "$REF_NS" >/dev/null 2>&1 ||
  KUBECONFIG="$KUBECONFIG_RIG" kubectl create namespace "$REF_NS" >/dev/null 2>&1 || true

# Mesh config: the given file (or empty = Istio's defaults), plus the root namespace and the
# discovery selector.
{
  if [[ -n "$mesh" ]]; then
    [[ -r "$mesh" ]] || rig_die "cannot read mesh config $mesh"
    grep -v '^discoverySelectors:' "$mesh" || true
  fi
  # A scenario may name its own root namespace (mesh-wide policies live there); otherwise the
  # reference's namespace, so nothing in a scenario's namespaces is mesh-wide by accident.
  if [[ -z "$mesh" ]] || ! grep -q '^rootNamespace:' "$mesh"; then
    echo "rootNamespace: $REF_NS"
  fi
  if [[ -n "$label" ]]; then
    printf 'discoverySelectors:\n- matchExpressions:\n  - key: jistiod.io/scenario\n    operator: In\n    values:\n'
    IFS=',' read -ra values <<<"$label"
    for v in "${values[@]}"; do printf '    - "%s"\n' "$v"; done
  fi
} >"$STATE/mesh.yaml"
: >"$STATE/meshNetworks.yaml"

# Injection config: pilot-discovery reads ./var/lib/istio/inject/{config,values} when `config`
# is there (else the istio-sidecar-injector ConfigMap of its namespace, which the rig never has).
# Cleared first so that a start without --inject-dir after one with it has none.
rm -rf "$STATE/var"
if [[ -n "$inject" ]]; then
  mkdir -p "$STATE/var/lib/istio/inject"
  cp "$inject/config" "$inject/values" "$STATE/var/lib/istio/inject/"
fi

log="$STATE/pilot-discovery.log"

# Starts pilot-discovery and waits for /ready. Returns 3 when a port was taken (worth another
# try on other ports), dies on any other failure.
launch() {
  : >"$log"
  # Env (Istio's pilot/pkg/features): no CA, no webhook patching; POD_NAMESPACE for leases.
  (
    cd "$STATE"
    # env's last assignment wins: --env comes last and overrides any of these
    exec env PILOT_ENABLE_GATEWAY_API=true \
      POD_NAMESPACE="$REF_NS" POD_NAME="reference-$name" \
      ENABLE_CA_SERVER=false \
      VALIDATION_WEBHOOK_CONFIG_NAME= INJECTION_WEBHOOK_CONFIG_NAME= \
      KUBECONFIG="$KUBECONFIG_RIG" \
      "${extra_env[@]}" \
      setsid "$ISTIO_BIN_DIR/pilot-discovery" discovery \
      --kubeconfig "$KUBECONFIG_RIG" \
      --meshConfig "$STATE/mesh.yaml" \
      --networksConfig "$STATE/meshNetworks.yaml" \
      --registries Kubernetes \
      --clusterID Kubernetes \
      --domain cluster.local \
      --grpcAddr "127.0.0.1:$grpc" \
      --httpAddr "127.0.0.1:$http" \
      --monitoringAddr "127.0.0.1:$mon" \
      --httpsAddr "" \
      --secureGRPCAddr "" \
      --keepaliveMaxServerConnectionAge 30m \
      --log_output_level "$loglevel" \
      </dev/null >>"$log" 2>&1
  ) &
  echo $! >"$STATE/pid"

  local deadline=$((SECONDS + ${JISTIOD_REFERENCE_START_TIMEOUT:-90}))
  until curl -sf --max-time 2 "http://127.0.0.1:$http/ready" >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$STATE/pid")" 2>/dev/null; then
      if grep -q 'address already in use' "$log"; then
        rm -f "$STATE/pid"
        return 3
      fi
      tail -n 20 "$log" >&2 || true
      rig_die "pilot-discovery exited during startup, see $log"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 20 "$log" >&2 || true
      stop
      rig_die "pilot-discovery not ready after ${JISTIOD_REFERENCE_START_TIMEOUT:-90}s, see $log"
    fi
    sleep 0.3
  done
}

for attempt in 1 2 3 4 5; do
  pick_ports
  rc=0
  launch || rc=$?
  ((rc == 0)) && break
  if [[ -n "$given_grpc$given_http$given_mon" ]] || ((attempt == 5)); then
    tail -n 20 "$log" >&2 || true
    rig_die "pilot-discovery could not bind its ports (grpc=$grpc http=$http monitoring=$mon), see $log"
  fi
  echo "reference-istiod.sh: a port was taken (grpc=$grpc http=$http monitoring=$mon); trying others" >&2
done
echo "grpc=127.0.0.1:$grpc http=127.0.0.1:$http monitoring=127.0.0.1:$mon"
