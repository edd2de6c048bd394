#!/usr/bin/env bash
# Starts the end-to-end rig: a real etcd and a real kube-apiserver on 127.0.0.1
# (no controller-manager, scheduler or kubelet), with an admin kubeconfig at
# $JISTIOD_RIG_DIR/kubeconfig. Builds the peers first if they are not cached.
# Reuses a rig that is already running and healthy (exits 0 fast).
# Prints the kubeconfig path as its last line.
set -euo pipefail
# Descriptors inherited from the caller (a lock held by `flock LOCK up.sh`, say) would be held by
# the daemons started below for as long as they run, and block the caller's next run: close them.
# (255 is bash's own descriptor of this script.)
for fd in $(ls /proc/$$/fd); do
  if ((fd > 2 && fd < 255)); then eval "exec $fd>&-" 2>/dev/null || true; fi
done
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap 'rig_on_err "$LINENO" "$BASH_COMMAND"' ERR

rig_require_cmd openssl curl kubectl setsid awk

RIG="$JISTIOD_RIG_DIR"
CERTS="$RIG/certs"
LOGS="$RIG/logs"
KUBECONFIG_OUT="$RIG/kubeconfig"
API_URL="https://$JISTIOD_LOOPBACK:$JISTIOD_APISERVER_PORT"
ETCD_URL="http://$JISTIOD_LOOPBACK:$JISTIOD_ETCD_CLIENT_PORT"
ETCD_PEER_URL="http://$JISTIOD_LOOPBACK:$JISTIOD_ETCD_PEER_PORT"
SA_ISSUER="https://kubernetes.default.svc.cluster.local"
START_TIMEOUT="${JISTIOD_RIG_START_TIMEOUT:-120}"

mkdir -p "$RIG" "$CERTS" "$LOGS" || rig_die "cannot create state dir $RIG"
touch "$RIG/.jistiod-rig" # marker: down.sh --purge only removes a dir that has it
# Everything this script prints also goes to the state dir.
exec > >(tee -a "$LOGS/up.log") 2>&1
start="$(rig_now)"
rig_log "$(date -u +%FT%TZ) state dir $RIG"

# Only one up.sh at a time on one state dir.
# (fd 8 is closed for the daemons started below, so they do not hold it.)
exec 8>"$RIG/.up.lock"
if ! flock -n 8; then
  rig_log "waiting for another up.sh on $RIG ..."
  flock -w 600 8 || rig_die "another up.sh still holds $RIG/.up.lock after 600s"
fi

apiserver_ready() {
  [[ -s "$CERTS/admin.crt" ]] || return 1
  [[ "$(curl -sS --max-time 3 --cacert "$CERTS/ca.crt" --cert "$CERTS/admin.crt" --key "$CERTS/admin.key" \
    "$API_URL/readyz" 2>/dev/null)" == "ok" ]]
}

etcd_healthy() {
  curl -sS --max-time 3 "$ETCD_URL/health" 2>/dev/null | grep -q '"health":"true"'
}

port_in_use() { # <port>
  ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

# ---- reuse a healthy rig ------------------------------------------------------
if rig_pid_running "$RIG/etcd.pid" etcd && rig_pid_running "$RIG/kube-apiserver.pid" kube-apiserver &&
  [[ -s "$KUBECONFIG_OUT" ]] && apiserver_ready; then
  rig_log "rig already running and healthy (apiserver $API_URL, etcd $ETCD_URL), reused in $(rig_elapsed "$start")s"
  echo "$KUBECONFIG_OUT"
  exit 0
fi

# ---- build (cached after the first time) --------------------------------------
if [[ ! -x "$ETCD_BIN" || ! -x "$KUBE_APISERVER_BIN" || ! -x "$HELM_BIN" ]]; then
  "$JISTIOD_CLUSTER_DIR/build-peers.sh"
fi

# ---- certificates and keys (generated once per state dir) ---------------------
gen_certs() {
  local tmp
  tmp="$(mktemp -d "$CERTS/.gen.XXXXXX")"
  (
    cd "$tmp"
    openssl req -x509 -new -nodes -newkey rsa:2048 -sha256 -days 3650 \
      -keyout ca.key -out ca.crt -subj "/CN=jistiod-rig-ca" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"

    # serving certificate of the API server
    cat >apiserver.ext <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.96.0.1
EOF
    openssl req -new -nodes -newkey rsa:2048 -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver"
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days 3650 \
      -extfile apiserver.ext -out apiserver.crt

    # admin client certificate (group system:masters = cluster-admin)
    cat >admin.ext <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth
EOF
    openssl req -new -nodes -newkey rsa:2048 -keyout admin.key -out admin.csr -subj "/O=system:masters/CN=jistiod-admin"
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days 3650 \
      -extfile admin.ext -out admin.crt

    # service-account token signing key pair
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sa.key
    openssl pkey -in sa.key -pubout -out sa.pub

    rm -f ./*.csr ./*.ext ./*.srl
    chmod 0600 ./*.key
  ) >"$LOGS/certs.log" 2>&1 || { rm -rf "$tmp"; rig_die "certificate generation failed, see $LOGS/certs.log"; }
  mv "$tmp"/* "$CERTS/"
  rmdir "$tmp"
}

if [[ ! -s "$CERTS/ca.crt" || ! -s "$CERTS/apiserver.crt" || ! -s "$CERTS/admin.crt" || ! -s "$CERTS/sa.key" ]]; then
  rig_log "generating CA, serving cert, admin client cert, service-account keys in $CERTS"
  rm -f "$CERTS"/*.crt "$CERTS"/*.key "$CERTS"/*.pub
  gen_certs
fi

write_kubeconfig() {
  local tmp="$KUBECONFIG_OUT.tmp"
  cat >"$tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: jistiod-rig
  cluster:
    server: $API_URL
    certificate-authority-data: $(base64 -w0 <"$CERTS/ca.crt")
users:
- name: jistiod-admin
  user:
    client-certificate-data: $(base64 -w0 <"$CERTS/admin.crt")
    client-key-data: $(base64 -w0 <"$CERTS/admin.key")
contexts:
- name: jistiod-rig
  context:
    cluster: jistiod-rig
    user: jistiod-admin
    namespace: default
current-context: jistiod-rig
EOF
  chmod 0600 "$tmp"
  mv -f "$tmp" "$KUBECONFIG_OUT"
}
write_kubeconfig

# ---- stop leftovers of an unhealthy rig ----------------------------------------
stop_pidfile() { # <pidfile> <name>
  if rig_pid_running "$1" "$2"; then
    local pid
    pid="$(cat "$1")"
    rig_log "stopping unhealthy $2 (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}

# wait_for <what> <logfile> <pidfile> <name> <check-function>
wait_for() {
  local what="$1" log="$2" pidfile="$3" name="$4" check="$5" deadline
  deadline=$((SECONDS + START_TIMEOUT))
  until "$check"; do
    if ! rig_pid_running "$pidfile" "$name"; then
      tail -n 15 "$log" >&2 || true
      rig_die "$what exited during startup, see $log"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 15 "$log" >&2 || true
      rig_die "$what not ready after ${START_TIMEOUT}s, see $log"
    fi
    sleep 0.5
  done
}

# ---- etcd -------------------------------------------------------------------
if rig_pid_running "$RIG/etcd.pid" etcd && etcd_healthy; then
  rig_log "etcd already running (pid $(cat "$RIG/etcd.pid"))"
else
  stop_pidfile "$RIG/etcd.pid" etcd
  for p in "$JISTIOD_ETCD_CLIENT_PORT" "$JISTIOD_ETCD_PEER_PORT"; do
    port_in_use "$p" && rig_die "port $JISTIOD_LOOPBACK:$p is taken by another process (set JISTIOD_ETCD_CLIENT_PORT / JISTIOD_ETCD_PEER_PORT)"
  done
  # A new etcd starts empty: what an earlier run left (objects of a scenario's earlier version,
  # another test's namespaces) must not become the next run's input. The apiserver is restarted
  # below in any case.
  rm -rf "$RIG/etcd"
  mkdir -p "$RIG/etcd"
  chmod 0700 "$RIG/etcd"
  rig_log "starting etcd $ETCD_VERSION on $ETCD_URL (log: $LOGS/etcd.log)"
  # --unsafe-no-fsync: a throw-away test store; fsync only slows the rig down.
  setsid "$ETCD_BIN" \
    --name=jistiod-rig \
    --data-dir="$RIG/etcd" \
    --listen-client-urls="$ETCD_URL" \
    --advertise-client-urls="$ETCD_URL" \
    --listen-peer-urls="$ETCD_PEER_URL" \
    --initial-advertise-peer-urls="$ETCD_PEER_URL" \
    --initial-cluster="jistiod-rig=$ETCD_PEER_URL" \
    --initial-cluster-state=new \
    --unsafe-no-fsync \
    --log-level=warn \
    </dev/null >>"$LOGS/etcd.log" 2>&1 8>&- &
  echo $! >"$RIG/etcd.pid"
  wait_for etcd "$LOGS/etcd.log" "$RIG/etcd.pid" etcd etcd_healthy
  rig_log "etcd healthy after $(rig_elapsed "$start")s"
fi

# ---- kube-apiserver -------------------------------------------------------------
stop_pidfile "$RIG/kube-apiserver.pid" kube-apiserver
port_in_use "$JISTIOD_APISERVER_PORT" &&
  rig_die "port $JISTIOD_LOOPBACK:$JISTIOD_APISERVER_PORT is taken by another process (set JISTIOD_APISERVER_PORT)"
rig_log "starting kube-apiserver $KUBE_VERSION on $API_URL (log: $LOGS/kube-apiserver.log)"
# Flags, as envtest uses them, plus:
#  --endpoint-reconciler-type=none: the reconciler refuses a loopback advertise address.
#  --disable-admission-plugins=ServiceAccount: with no controller-manager no namespace
#    has a "default" ServiceAccount, and the plugin then refuses every Pod; tests create
#    Pods as plain objects (set spec.serviceAccountName explicitly where identity matters).
#  --allow-privileged: Istio's sidecar/init containers ask for privileges.
setsid "$KUBE_APISERVER_BIN" \
  --etcd-servers="$ETCD_URL" \
  --etcd-prefix=/registry \
  --bind-address="$JISTIOD_LOOPBACK" \
  --advertise-address="$JISTIOD_LOOPBACK" \
  --secure-port="$JISTIOD_APISERVER_PORT" \
  --cert-dir="$CERTS" \
  --tls-cert-file="$CERTS/apiserver.crt" \
  --tls-private-key-file="$CERTS/apiserver.key" \
  --client-ca-file="$CERTS/ca.crt" \
  --service-account-issuer="$SA_ISSUER" \
  --service-account-key-file="$CERTS/sa.pub" \
  --service-account-signing-key-file="$CERTS/sa.key" \
  --api-audiences="$SA_ISSUER" \
  --service-cluster-ip-range=10.96.0.0/16 \
  --authorization-mode=RBAC \
  --enable-admission-plugins=NamespaceLifecycle,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ValidatingAdmissionPolicy \
  --disable-admission-plugins=ServiceAccount \
  --endpoint-reconciler-type=none \
  --allow-privileged=true \
  --profiling=false \
  --v=1 \
  </dev/null >>"$LOGS/kube-apiserver.log" 2>&1 8>&- &
echo $! >"$RIG/kube-apiserver.pid"
wait_for kube-apiserver "$LOGS/kube-apiserver.log" "$RIG/kube-apiserver.pid" kube-apiserver apiserver_ready
rig_log "kube-apiserver ready after $(rig_elapsed "$start")s"

# ---- bootstrap objects ------------------------------------------------------------
bootstrap_done() {
  KUBECONFIG="$KUBECONFIG_OUT" kubectl get --request-timeout=5s namespace/default namespace/kube-system \
    clusterrole/cluster-admin clusterrole/admin clusterrole/system:auth-delegator \
    clusterrolebinding/cluster-admin >/dev/null 2>&1
}
wait_for "bootstrap namespaces and RBAC roles" "$LOGS/kube-apiserver.log" "$RIG/kube-apiserver.pid" kube-apiserver bootstrap_done

rig_log "rig up in $(rig_elapsed "$start")s: apiserver $API_URL, etcd $ETCD_URL"
rig_log "use: source $JISTIOD_CLUSTER_DIR/env.sh   (or KUBECONFIG=$KUBECONFIG_OUT)"
echo "$KUBECONFIG_OUT"
