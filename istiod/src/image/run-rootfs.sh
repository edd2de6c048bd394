#!/usr/bin/env bash
# Runs a command of an unpacked container image the way a container runtime with the istiod
# chart's securityContext would, without Docker and without root: in new user, mount, PID and
# network namespaces, chrooted into ROOTFS, as uid:gid 1337:1337 (or --user), with
#   - the root filesystem read-only (readOnlyRootFilesystem: true),
#   - a fresh tmpfs on /tmp (the chart's "tmp" emptyDir), /proc of the new PID namespace, and
#     /dev/{null,zero,random,urandom} from the host,
#   - only loopback (up) for a network, so nothing outside is reached or bound,
#   - exactly the environment given with --env (the image config's Env).
# Used by ImageE2ETest and .ci/run.
#
#   run-rootfs.sh [--env K=V]... [--bind SRC:DST]... [--user UID:GID] ROOTFS -- CMD [ARG]...
#       runs CMD in the foreground and exits with its status.
#   run-rootfs.sh ... --ready URL [--timeout SECONDS] ROOTFS -- CMD [ARG]...
#       starts CMD, polls URL (from inside the network namespace) until it answers 200, prints
#       "ready: URL", stops CMD and prints its output: exit 0; exit 1 with CMD's output when CMD exits first or the
#       timeout (default 120 s) passes.
#       With --also URL (repeatable), each URL must then answer 200 too; https is checked with
#       an elliptic-curve key exchange only (X25519, P-256), so a JRE without its EC provider
#       fails it (the server certificate is not verified: it comes from the run's own CA).
# --bind mounts SRC read-only at DST (which must exist in ROOTFS).
# Needs unprivileged user namespaces (util-linux unshare >= 2.38, iproute2's ip, curl); where
# they are restricted (Ubuntu 24.04: kernel.apparmor_restrict_unprivileged_userns=1), run as root.
set -euo pipefail
envs=() binds=() also=() user=1337:1337 ready="" timeout=120
while [[ $# -gt 0 && "$1" != -- ]]; do
  case "$1" in
    --env) envs+=("$2"); shift 2 ;;
    --bind) binds+=("$2"); shift 2 ;;
    --user) user="$2"; shift 2 ;;
    --ready) ready="$2"; shift 2 ;;
    --also) also+=("$2"); shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    -*) echo "run-rootfs.sh: error: unknown option $1" >&2; exit 2 ;;
    *) rootfs="$1"; shift ;;
  esac
done
[[ "${1:-}" == -- && -n "${rootfs:-}" && $# -ge 2 ]] || {
  echo "usage: run-rootfs.sh [--env K=V]... [--bind SRC:DST]... [--user UID:GID] [--ready URL [--also URL]... [--timeout S]] ROOTFS -- CMD [ARG]..." >&2
  exit 2
}
shift
rootfs="$(cd "$rootfs" && pwd)"
for tool in unshare ip curl; do
  command -v "$tool" >/dev/null || { echo "run-rootfs.sh: error: $tool is needed" >&2; exit 1; }
done

# The inner script runs as root of the new user namespace (the caller's uid outside): it sets up
# the mounts and loopback, then a nested user namespace maps 1337 onto that root, chroots (unshare
# --root) and runs the command, which so holds no capability at all.
inner() {
  set -euo pipefail
  trap 'echo "run-rootfs.sh: error: namespace setup failed at: $BASH_COMMAND" >&2' ERR
  r="$ROOTFS"
  mount --bind "$r" "$r"
  mount -t proc proc "$r/proc"
  mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$r/tmp"
  for d in null zero random urandom; do
    [[ -e "$r/dev/$d" ]] || touch "$r/dev/$d" 2>/dev/null || true
    mount --bind "/dev/$d" "$r/dev/$d"
  done
  while IFS= read -r b; do
    [[ -n "$b" ]] || continue
    mount --bind "${b%%:*}" "$r/${b#*:}"
    mount -o remount,bind,ro "$r/${b#*:}"
  done <<<"$BINDS"
  mount -o remount,bind,ro "$r"
  ip link set lo up
  mapfile -t envs <<<"$ENVS"
  [[ -n "${envs[0]}" ]] || envs=()
  run=(env -i "${envs[@]}" unshare --user --map-user="${USER_ID%%:*}" --map-group="${USER_ID#*:}"
    --root="$r" --wd=/ -- "$@")
  if [[ -z "$READY" ]]; then
    exec "${run[@]}"
  fi
  log="$(mktemp)"
  "${run[@]}" >"$log" 2>&1 &
  pid=$!
  deadline=$((SECONDS + TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "run-rootfs.sh: error: the command exited before $READY was ready; its output:" >&2
      cat "$log" >&2
      exit 1
    fi
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$READY" || true)" == 200 ]]; then
      echo "ready: $READY"
      rc=0
      while IFS= read -r url; do
        [[ -n "$url" ]] || continue
        code="$(curl -sk --curves X25519:P-256 -o /dev/null -w '%{http_code}' --max-time 10 "$url" || true)"
        if [[ "$code" == 200 ]]; then echo "ok: $url"; else echo "run-rootfs.sh: error: $url answered ${code:-nothing}" >&2; rc=1; fi
      done <<<"$ALSO"
      kill -TERM "$pid"
      wait "$pid" || true
      cat "$log"
      exit "$rc"
    fi
    sleep 0.5
  done
  echo "run-rootfs.sh: error: $READY not ready after ${TIMEOUT}s; the command's output:" >&2
  cat "$log" >&2
  kill -KILL "$pid" 2>/dev/null || true
  exit 1
}

export ROOTFS="$rootfs" READY="$ready" TIMEOUT="$timeout" USER_ID="$user"
ENVS="$(printf '%s\n' "${envs[@]+"${envs[@]}"}")" BINDS="$(printf '%s\n' "${binds[@]+"${binds[@]}"}")"
ALSO="$(printf '%s\n' "${also[@]+"${also[@]}"}")"
export ENVS BINDS ALSO
exec unshare --user --map-root-user --mount --pid --fork --net -- \
  bash -c "$(declare -f inner); inner \"\$@\"" inner "$@"
