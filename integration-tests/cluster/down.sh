#!/usr/bin/env bash
# Stops the end-to-end rig (kube-apiserver, then etcd).
# Usage: down.sh [--purge]   --purge also removes the state dir $JISTIOD_RIG_DIR
#                            (data, certs, logs, kubeconfig). The build cache stays.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap 'rig_on_err "$LINENO" "$BASH_COMMAND"' ERR

purge=false
for a in "$@"; do
  case "$a" in
    --purge) purge=true ;;
    -h | --help) sed -n '2,4p' "$0"; exit 0 ;;
    *) rig_die "unknown argument '$a' (usage: down.sh [--purge])" ;;
  esac
done

RIG="$JISTIOD_RIG_DIR"
if ! $purge && [[ -d "$RIG/logs" ]]; then
  exec > >(tee -a "$RIG/logs/down.log") 2>&1
fi

stop() { # <pidfile> <name>
  local pidfile="$1" name="$2" pid
  if ! rig_pid_running "$pidfile" "$name"; then
    rm -f "$pidfile"
    rig_log "$name not running"
    return 0
  fi
  pid="$(cat "$pidfile")"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    rig_log "$name (pid $pid) ignored SIGTERM for 15s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  rig_log "$name stopped (pid $pid)"
}

stop "$RIG/reference-apiserver/pid" kube-apiserver # reference-apiserver.sh (same etcd)
stop "$RIG/kube-apiserver.pid" kube-apiserver
stop "$RIG/etcd.pid" etcd

if $purge && [[ -d "$RIG" ]]; then
  [[ -e "$RIG/.jistiod-rig" ]] || rig_die "$RIG has no .jistiod-rig marker; not removing it"
  rm -rf "$RIG"
  rig_log "removed $RIG"
fi
