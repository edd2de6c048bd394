# shellcheck shell=bash
# Source me:  source integration-tests/cluster/env.sh
# Exports KUBECONFIG (the rig's admin kubeconfig), JISTIOD_RIG_DIR, JISTIOD_CACHE,
# JISTIOD_APISERVER_URL, and puts the cached helm (and Istio binaries, if built) on PATH.
# Does not start anything: run up.sh for that.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export JISTIOD_RIG_DIR JISTIOD_CACHE
export KUBECONFIG="$JISTIOD_RIG_DIR/kubeconfig"
export JISTIOD_APISERVER_URL="https://$JISTIOD_LOOPBACK:$JISTIOD_APISERVER_PORT"
case ":$PATH:" in *":$(dirname "$HELM_BIN"):"*) ;; *) PATH="$(dirname "$HELM_BIN"):$PATH" ;; esac
if [[ -d "$ISTIO_BIN_DIR" ]]; then
  case ":$PATH:" in *":$ISTIO_BIN_DIR:"*) ;; *) PATH="$ISTIO_BIN_DIR:$PATH" ;; esac
fi
export PATH
