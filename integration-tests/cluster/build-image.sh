#!/usr/bin/env bash
# Builds istiod's container image tarball without Docker (the istiod module's "image" profile:
# Jib on a base from istiod/src/image/build-base.sh; README "Container image") and prints its path
# on the last line: istiod/target/istiod-image.tar. Not cached here, since it is this tree's own
# code: Maven rebuilds what changed, and build-base.sh caches the base (Debian packages and the
# jlink'ed JRE) under ${JISTIOD_CACHE:-~/.cache/jistiod}/image. Maven options (e.g. -o) can come
# in MAVEN_ARGS.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache="${JISTIOD_CACHE:-$HOME/.cache/jistiod}"
mkdir -p "$cache"
exec 9>"$cache/image-build.lock"
flock 9
cd "$root"
# -am: the image takes galley, pilot, citadel and injector as jars from this tree.
./mvnw -B -ntp -q -pl istiod -am -Pimage package -Dmaven.test.skip=true -Dspotless.check.skip=true \
  -Djib.disableUpdateChecks=true >&2
tar="$root/istiod/target/istiod-image.tar"
[[ -s "$tar" ]] || { echo "build-image.sh: error: Maven finished but wrote no $tar" >&2; exit 1; }
echo "$tar"
