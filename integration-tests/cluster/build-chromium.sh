#!/usr/bin/env bash
# Installs Debian's Chromium (package chromium, /usr/bin/chromium), the headless browser the
# dashboard's e2e test drives over Chromium's DevTools protocol. Idempotent: nothing to do when it
# is there. Needs root and Debian's package registry (apt).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap 'rig_on_err "$LINENO" "$BASH_COMMAND"' ERR

if [[ -x /usr/bin/chromium ]]; then
  rig_log "chromium: installed ($(/usr/bin/chromium --version 2>/dev/null || echo '?'))"
  exit 0
fi
rig_require_cmd apt-get
[[ "$(id -u)" == 0 ]] || rig_die "chromium: installing Debian's package needs root"
start="$(rig_now)"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends chromium; then
  rig_log "chromium: package lists stale, updating them"
  apt-get update
  apt-get install -y --no-install-recommends chromium
fi
[[ -x /usr/bin/chromium ]] || rig_die "chromium: /usr/bin/chromium still missing after apt-get"
rig_log "chromium: installed $(/usr/bin/chromium --version) in $(rig_elapsed "$start")s"
