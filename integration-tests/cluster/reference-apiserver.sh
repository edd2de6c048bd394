#!/usr/bin/env bash
# A second kube-apiserver on the rig's etcd, with a storage prefix of its own, that serves Istio's
# own CRDs (istio.io/istio 1.27.0's manifests/charts/base/files/crd-all.gen.yaml). It gives Istio's
# verdict from the CRD schema (OpenAPI constraints and CEL x-kubernetes-validations rules, as a real
# API server enforces them) without touching the rig's API server, where jistiod's own CRDs live.
#
#   reference-apiserver.sh start   starts it (or reuses a healthy one), installs Istio's CRDs,
#                                  prints its kubeconfig path as the last line
#   reference-apiserver.sh stop
#
# No webhooks, and NamespaceLifecycle is off, so a server-side dry run in any namespace is judged
# by the schema alone. Needs the rig (up.sh) running: it shares etcd and certificates.
# Port: JISTIOD_REFERENCE_APISERVER_PORT (default 16444), on 127.0.0.1.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap 'rig_on_err "$LINENO" "$BASH_COMMAND"' ERR

RIG="$JISTIOD_RIG_DIR"
STATE="$RIG/reference-apiserver"
PORT="${JISTIOD_REFERENCE_APISERVER_PORT:-16444}"
URL="https://$JISTIOD_LOOPBACK:$PORT"
KCFG="$STATE/kubeconfig"
CERTS="$RIG/certs"

ready() {
  [[ "$(curl -sS --max-time 3 --cacert "$CERTS/ca.crt" --cert "$CERTS/admin.crt" --key "$CERTS/admin.key" \
    "$URL/readyz" 2>/dev/null)" == "ok" ]]
}

stop() {
  if rig_pid_running "$STATE/pid" kube-apiserver; then
    local pid
    pid="$(cat "$STATE/pid")"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    rig_log "reference kube-apiserver stopped (pid $pid)"
  fi
  rm -f "$STATE/pid"
}

case "${1:-}" in
  stop) stop; exit 0 ;;
  start) ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac

rig_require_cmd curl kubectl setsid go
[[ -s "$RIG/kubeconfig" && -s "$CERTS/admin.crt" ]] || rig_die "the rig is not up (run $JISTIOD_CLUSTER_DIR/up.sh first)"
[[ -x "$KUBE_APISERVER_BIN" ]] || rig_die "kube-apiserver is not built (run $JISTIOD_CLUSTER_DIR/build-peers.sh)"
mkdir -p "$STATE"
crds="$(cd "$JISTIOD_PEERS_DIR/istio" && GOFLAGS=-mod=readonly GOTOOLCHAIN="${GOTOOLCHAIN:-local}" \
  go list -m -f '{{.Dir}}' istio.io/istio)/manifests/charts/base/files/crd-all.gen.yaml"
[[ -s "$crds" ]] || rig_die "Istio's CRDs not found at $crds (run $JISTIOD_CLUSTER_DIR/build-istio.sh, which downloads istio.io/istio)"

exec 7>"$STATE/.lock"
flock -w 300 7 || rig_die "another reference-apiserver.sh holds $STATE/.lock"

if rig_pid_running "$STATE/pid" kube-apiserver && ready; then
  rig_log "reference kube-apiserver already running on $URL"
else
  stop
  ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q . &&
    rig_die "port $JISTIOD_LOOPBACK:$PORT is taken by another process (set JISTIOD_REFERENCE_APISERVER_PORT)"
  rig_log "starting the reference kube-apiserver $KUBE_VERSION on $URL (log: $STATE/kube-apiserver.log)"
  setsid "$KUBE_APISERVER_BIN" \
    --etcd-servers="http://$JISTIOD_LOOPBACK:$JISTIOD_ETCD_CLIENT_PORT" \
    --etcd-prefix=/jistiod-reference-apiserver \
    --bind-address="$JISTIOD_LOOPBACK" \
    --advertise-address="$JISTIOD_LOOPBACK" \
    --secure-port="$PORT" \
    --cert-dir="$STATE" \
    --tls-cert-file="$CERTS/apiserver.crt" \
    --tls-private-key-file="$CERTS/apiserver.key" \
    --client-ca-file="$CERTS/ca.crt" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$CERTS/sa.pub" \
    --service-account-signing-key-file="$CERTS/sa.key" \
    --service-cluster-ip-range=10.97.0.0/16 \
    --authorization-mode=RBAC \
    --disable-admission-plugins=NamespaceLifecycle,ServiceAccount,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ValidatingAdmissionPolicy \
    --endpoint-reconciler-type=none \
    --profiling=false \
    --v=1 \
    </dev/null >>"$STATE/kube-apiserver.log" 2>&1 7>&- &
  echo $! >"$STATE/pid"
  for _ in $(seq 1 240); do
    ready && break
    rig_pid_running "$STATE/pid" kube-apiserver || { tail -n 15 "$STATE/kube-apiserver.log" >&2; rig_die "the reference kube-apiserver exited, see $STATE/kube-apiserver.log"; }
    sleep 0.5
  done
  ready || rig_die "the reference kube-apiserver not ready after 120s, see $STATE/kube-apiserver.log"
fi

sed "s#server: .*#server: $URL#" "$RIG/kubeconfig" >"$KCFG.tmp"
chmod 0600 "$KCFG.tmp"
mv -f "$KCFG.tmp" "$KCFG"
kubectl --kubeconfig "$KCFG" apply --server-side --force-conflicts -f "$crds" >"$STATE/crds.log" 2>&1 ||
  { tail -n 15 "$STATE/crds.log" >&2; rig_die "cannot install Istio's CRDs, see $STATE/crds.log"; }
kubectl --kubeconfig "$KCFG" wait --for condition=established --timeout=60s -f "$crds" >>"$STATE/crds.log" 2>&1 ||
  rig_die "Istio's CRDs not established, see $STATE/crds.log"
rig_log "Istio's CRDs served by $URL"
echo "$KCFG"
