#!/usr/bin/env bash
# Smoke test of a running rig (start it with up.sh): what the end-to-end tests
# rely on, with kubectl and helm against the rig's kubeconfig. Creates its
# objects in a namespace of its own and removes them again (also the
# cluster-scoped CRD and ValidatingWebhookConfiguration).
# Prints "N passed, N failed" at the end; exits non-zero on a failure.
set -euo pipefail
# shellcheck source=env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

[[ -s "$KUBECONFIG" ]] || rig_die "no kubeconfig at $KUBECONFIG: run up.sh first"
rig_require_cmd kubectl
[[ -x "$HELM_BIN" ]] || rig_die "helm not built: run build-peers.sh"

NS="jistiod-smoke-$$"
SUFFIX="smoke$$"
CRD_GROUP="$SUFFIX.jistiod.test"
VWC="jistiod-$SUFFIX"
passed=0
failed=0
tmp="$(mktemp -d)"

check() { # <description> <command...>
  local what="$1"
  shift
  if out="$("$@" 2>&1)"; then
    passed=$((passed + 1))
    echo "ok   - $what"
  else
    failed=$((failed + 1))
    echo "FAIL - $what"
    echo "$out" | sed 's/^/       /' | tail -n 10
  fi
}

k() { kubectl --request-timeout=20s "$@"; }

# Deletes a namespace completely. There is no controller-manager, so nobody
# empties a deleted namespace and removes its "kubernetes" finalizer: do both.
delete_namespace() { # <ns>
  local ns="$1"
  k delete --ignore-not-found --wait=false -n "$ns" \
    pods,services,endpointslices.discovery.k8s.io,serviceaccounts,configmaps,secrets --all >/dev/null
  k delete --ignore-not-found --wait=false namespace "$ns" >/dev/null
  if k get namespace "$ns" >/dev/null 2>&1; then
    k get namespace "$ns" -o json |
      sed 's/"kubernetes"//' |
      k replace --raw "/api/v1/namespaces/$ns/finalize" -f - >/dev/null
  fi
}

cleanup() {
  k delete --ignore-not-found validatingwebhookconfiguration "$VWC" >/dev/null 2>&1 || true
  k delete --ignore-not-found crd "widgets.$CRD_GROUP" >/dev/null 2>&1 || true
  delete_namespace "$NS" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "# rig: $JISTIOD_APISERVER_URL, kubeconfig $KUBECONFIG, namespace $NS"

check "server reports version $KUBE_VERSION" \
  bash -c "kubectl version -o json | grep -q '\"gitVersion\": \"$KUBE_VERSION\"'"

check "create Namespace" k create namespace "$NS"

cat >"$tmp/objects.yaml" <<EOF
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: $NS, labels: {app: echo}}
spec:
  type: ClusterIP
  selector: {app: echo}
  ports: [{name: grpc, port: 7070, targetPort: 7070, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: echo-abc
  namespace: $NS
  labels: {kubernetes.io/service-name: echo, endpointslice.kubernetes.io/managed-by: jistiod-tests}
addressType: IPv4
ports: [{name: grpc, port: 7070, protocol: TCP}]
endpoints:
- addresses: [10.244.0.5]
  conditions: {ready: true}
  targetRef: {kind: Pod, name: echo-0, namespace: $NS}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: echo, namespace: $NS}
---
apiVersion: v1
kind: Pod
metadata: {name: echo-0, namespace: $NS, labels: {app: echo}}
spec:
  serviceAccountName: echo
  containers: [{name: app, image: example.invalid/echo:1}]
EOF
check "create Service (ClusterIP), EndpointSlice (10.244.0.5), ServiceAccount, Pod" \
  k apply -f "$tmp/objects.yaml"
check "Service got a ClusterIP from 10.96.0.0/16" \
  bash -c "kubectl -n $NS get svc echo -o jsonpath='{.spec.clusterIP}' | grep -q '^10\.96\.'"

cat >"$tmp/loopback-slice.yaml" <<EOF
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: echo-loopback, namespace: $NS, labels: {kubernetes.io/service-name: echo}}
addressType: IPv4
endpoints: [{addresses: [127.0.0.1]}]
EOF
check "EndpointSlice with a loopback address is refused (as documented)" \
  bash -c "! kubectl create -f $tmp/loopback-slice.yaml"

check "set Pod status.podIP via the status subresource" \
  k -n "$NS" patch pod echo-0 --subresource=status --type=merge \
  -p '{"status":{"phase":"Running","podIP":"10.244.0.5","podIPs":[{"ip":"10.244.0.5"}],"conditions":[{"type":"Ready","status":"True"}]}}'
check "Pod reads back podIP 10.244.0.5" \
  bash -c "[ \"\$(kubectl -n $NS get pod echo-0 -o jsonpath='{.status.podIP}')\" = 10.244.0.5 ]"

token=""
check "TokenRequest: kubectl create token echo --audience istio-ca" \
  bash -c "kubectl -n $NS create token echo --audience istio-ca --duration 1h > $tmp/token"
token="$(cat "$tmp/token" 2>/dev/null || true)"
cat >"$tmp/tokenreview.yaml" <<EOF
apiVersion: authentication.k8s.io/v1
kind: TokenReview
spec:
  token: "$token"
  audiences: [istio-ca]
EOF
check "TokenReview (audiences [istio-ca]) authenticates system:serviceaccount:$NS:echo" \
  bash -c "kubectl create -f $tmp/tokenreview.yaml -o json > $tmp/tr.json &&
           grep -q '\"authenticated\": true' $tmp/tr.json &&
           grep -q '\"username\": \"system:serviceaccount:$NS:echo\"' $tmp/tr.json &&
           grep -q '\"istio-ca\"' $tmp/tr.json"
cat >"$tmp/tokenreview-wrong.yaml" <<EOF
apiVersion: authentication.k8s.io/v1
kind: TokenReview
spec:
  token: "$token"
  audiences: [some-other-audience]
EOF
check "TokenReview with another audience is not authenticated" \
  bash -c "kubectl create -f $tmp/tokenreview-wrong.yaml -o json | grep -vq '\"authenticated\": true'"

cat >"$tmp/crd.yaml" <<EOF
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.$CRD_GROUP}
spec:
  group: $CRD_GROUP
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
EOF
check "create CustomResourceDefinition" k create -f "$tmp/crd.yaml"
check "CRD becomes Established" \
  k wait --for=condition=Established --timeout=30s "crd/widgets.$CRD_GROUP"

cat >"$tmp/vwc.yaml" <<EOF
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: $VWC}
webhooks:
- name: validation.$CRD_GROUP
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Ignore
  timeoutSeconds: 2
  clientConfig:
    url: https://127.0.0.1:15017/validate
  rules:
  - apiGroups: ["$CRD_GROUP"]
    apiVersions: ["*"]
    operations: [CREATE, UPDATE]
    resources: ["*"]
EOF
check "create ValidatingWebhookConfiguration (https://127.0.0.1:15017/validate, failurePolicy Ignore)" \
  k create -f "$tmp/vwc.yaml"
cat >"$tmp/widget.yaml" <<EOF
apiVersion: $CRD_GROUP/v1
kind: Widget
metadata: {name: w1, namespace: $NS}
spec: {size: 1}
EOF
# The CRD's REST endpoint appears a moment after Established; retry briefly.
check "create a custom resource through the webhook (Ignore)" \
  bash -c "for i in 1 2 3 4 5 6 7 8 9 10; do kubectl create -f $tmp/widget.yaml && exit 0; sleep 1; done; exit 1"

check "helm version" "$HELM_BIN" version --short
check "helm list -A talks to the API server" "$HELM_BIN" list -A

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
