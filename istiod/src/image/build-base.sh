#!/usr/bin/env bash
# Builds the base of the istiod image, which Jib then puts the application on (see the "image"
# profile in istiod/pom.xml): a docker-archive tarball, built from nothing ("scratch"), with two
# layers:
#   1. runtime: the Debian bookworm packages pinned in base-packages.txt (fetched with
#      `apt-get download`, checked against their sha256, unpacked with `dpkg-deb -x`; no root
#      needed), without documentation other than copyright files and without glibc's iconv
#      modules (and of some packages only the paths listed there), plus files/ (/etc/passwd with
#      istio-proxy 1337:1337, /etc/group, nsswitch.conf), an empty /tmp (1777), the /proc and
#      /dev mount points, and dpkg's status.d entries for image scanners;
#   2. jre: /opt/java, a JRE made by jlink from the build JDK with the modules in jre-modules.txt.
# Layer tars are reproducible (sorted, mtime 0, root-owned, gzip -n), so the same inputs give the
# same bytes. The result is cached under ${JISTIOD_CACHE:-~/.cache/jistiod}/image/, keyed by a
# hash of every input (pins, modules, files, this script, the JDK), and downloaded packages under
# .../image/debs/.
#
# Usage: build-base.sh OUT   (OUT becomes a link to the cached tarball; its path is printed last)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: build-base.sh OUT.tar}"
cache="${JISTIOD_CACHE:-$HOME/.cache/jistiod}/image"
pins="$here/base-packages.txt"
modules_file="$here/jre-modules.txt"
files="$here/files"
keyring="${JISTIOD_DEBIAN_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}"

die() { echo "build-base.sh: error: $*" >&2; exit 1; }
log() { echo "build-base.sh: $*" >&2; }

[[ "$(uname -m)" == x86_64 ]] || die "the image is linux/amd64 (Debian amd64 packages); this machine is $(uname -m)"
java_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"
jlink="$java_home/bin/jlink"
[[ -x "$jlink" ]] || die "no jlink in $java_home (set JAVA_HOME to a JDK 17)"
[[ -d "$java_home/jmods" ]] || die "no jmods in $java_home: jlink needs the JDK's jmods (Debian: openjdk-17-jmods)"
for tool in dpkg-deb apt-get sha256sum tar gzip flock; do
  command -v "$tool" >/dev/null || die "$tool is needed (Debian/Ubuntu: apt, dpkg, coreutils, tar, gzip, util-linux)"
done

# ---- cache key ----------------------------------------------------------------------------------
key="$( {
  sha256sum "$pins" "$modules_file" "${BASH_SOURCE[0]}" | awk '{print $1}'
  (cd "$files" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
  cat "$java_home/release"
  "$java_home/bin/java" -version 2>&1
} | sha256sum | cut -c1-16)"
dir="$cache/base-$key"
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [[ ! -f "$dir/base.tar" ]]; then
  log "building the image base ($dir)"
  work="$(mktemp -d "$cache/.work.XXXXXX")"
  trap 'rm -rf "$work"' EXIT

  # ---- 1. the pinned Debian packages ------------------------------------------------------------
  debs="$cache/debs"
  mkdir -p "$debs"
  deb_file() { echo "$debs/${1}_${2//:/%3a}_amd64.deb"; } # apt's own file name for NAME VERSION
  have() { [[ -f "$1" ]] && [[ "$(sha256sum "$1" | cut -d' ' -f1)" == "$2" ]]; }
  mapfile -t wanted < <(grep -v '^\s*\(#\|$\)' "$pins")
  missing=()
  for line in "${wanted[@]}"; do
    read -r name version sum _ <<<"$line"
    have "$(deb_file "$name" "$version")" "$sum" || missing+=("$name=$version")
  done
  if ((${#missing[@]})); then
    # A private apt state under the cache: the host's sources, pins and lists play no part, and
    # nothing needs root.
    [[ -f "$keyring" ]] || die "no Debian archive keyring at $keyring (package debian-archive-keyring; or set JISTIOD_DEBIAN_KEYRING)"
    apt_dir="$cache/apt"
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/parts"
    cat >"$apt_dir/sources.list" <<EOF
deb [arch=amd64 signed-by=$keyring] http://deb.debian.org/debian bookworm main
deb [arch=amd64 signed-by=$keyring] http://deb.debian.org/debian bookworm-updates main
deb [arch=amd64 signed-by=$keyring] http://deb.debian.org/debian-security bookworm-security main
EOF
    apt_opts=(-q -o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=$apt_dir/parts"
      -o "Dir::Etc::PreferencesParts=$apt_dir/parts" -o "Dir::Etc::Preferences=/dev/null"
      -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o "Dir::State::status=/dev/null"
      -o APT::Architecture=amd64 -o APT::Architectures=amd64 -o Debug::NoLocking=1
      -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false
      -o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false
      -o "APT::Sandbox::User=$(id -un)")
    log "fetching ${missing[*]}"
    apt-get "${apt_opts[@]}" update >&2 || die "apt-get update of the private bookworm lists failed"
    (cd "$work" && apt-get "${apt_opts[@]}" download "${missing[@]}" >&2) ||
      die "apt-get download ${missing[*]} failed: a pinned version may have left the archive (see base-packages.txt)"
    for line in "${wanted[@]}"; do
      read -r name version sum _ <<<"$line"
      f="$(deb_file "$name" "$version")"
      have "$f" "$sum" && continue
      got="$work/$(basename "$f")"
      [[ -f "$got" ]] || die "apt-get download left no $(basename "$f")"
      actual="$(sha256sum "$got" | cut -d' ' -f1)"
      [[ "$actual" == "$sum" ]] || die "$name $version: sha256 $actual, base-packages.txt pins $sum"
      mv "$got" "$f"
    done
  fi

  # ---- 2. layer "runtime" -----------------------------------------------------------------------
  rt="$work/runtime"
  mkdir -p "$rt/var/lib/dpkg/status.d" "$rt/etc"
  for line in "${wanted[@]}"; do
    read -r name version sum only <<<"$line"
    f="$(deb_file "$name" "$version")"
    if [[ -n "$only" ]]; then
      # Only the listed paths (and the copyright file) of a package that is mostly of no use here.
      mkdir -p "$work/pkg/$name"
      dpkg-deb -x "$f" "$work/pkg/$name"
      IFS=, read -r -a paths <<<"$only"
      (cd "$work/pkg/$name" && cp -a --parents "${paths[@]}" "usr/share/doc/$name/copyright" "$rt/") ||
        die "$name: a path listed in base-packages.txt is not in the package"
    else
      dpkg-deb -x "$f" "$rt"
    fi
    # What distroless images record: scanners read the installed packages from here.
    { dpkg-deb -f "$f" Package Version Architecture Source Maintainer Homepage Description |
        sed -n '1,/^Description:/p' | sed '/^Description:/q'; echo "Status: install ok installed"; } \
      >"$rt/var/lib/dpkg/status.d/$name"
  done
  # Documentation goes, copyright notices stay; iconv's gconv modules (8 MB) are never used by
  # the JVM, and gdb/gcc pretty printers or lintian overrides have no use at run time.
  find "$rt/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
  find "$rt/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$rt/usr/lib/x86_64-linux-gnu/gconv" "$rt/usr/share/gcc" "$rt/usr/share/gdb" "$rt/usr/share/lintian"
  cp -R "$files/." "$rt/"
  chmod 0644 "$rt/etc/passwd" "$rt/etc/group" "$rt/etc/nsswitch.conf"
  # /tmp is where the JVM and Netty write (the chart mounts an emptyDir there); the other two are
  # mount points every runtime fills, present so a read-only root needs no new directory.
  mkdir -p "$rt/tmp" "$rt/proc" "$rt/dev"
  chmod 1777 "$rt/tmp"

  # ---- 3. layer "jre" ---------------------------------------------------------------------------
  mapfile -t modules < <(grep -v '^\s*\(#\|$\)' "$modules_file")
  jre="$work/jre"
  mkdir -p "$jre/opt"
  # --compress=0: the layer is gzipped as a whole anyway, and uncompressed modules start faster.
  # java.desktop's natives (AWT, sound, fonts) would need X11 and freetype; java.beans needs none.
  log "jlink ${modules[*]}"
  "$jlink" --add-modules "$(IFS=,; echo "${modules[*]}")" --output "$jre/opt/java" \
    --strip-debug --no-header-files --no-man-pages --compress=0 \
    --exclude-files='glob:/java.desktop/lib/**' >&2
  "$jre/opt/java/bin/java" -version >/dev/null 2>&1 || die "the jlink'ed JRE does not start on this machine"

  # ---- 4. the docker-archive --------------------------------------------------------------------
  layer() { # <dir> <name>: writes name.tar.gz, prints the uncompressed tar's sha256
    (cd "$1" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort >"$work/$2.list")
    tar -C "$1" --no-recursion -T "$work/$2.list" -cf "$work/$2.tar" \
      --owner=0 --group=0 --numeric-owner --mtime=@0 --format=posix \
      --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime
    gzip -n -9 -c "$work/$2.tar" >"$work/out/$2.tar.gz"
    sha256sum "$work/$2.tar" | cut -d' ' -f1
  }
  mkdir -p "$work/out"
  rt_id="$(layer "$rt" runtime)"
  jre_id="$(layer "$jre" jre)"
  pkgs="$(for line in "${wanted[@]}"; do read -r n v _ <<<"$line"; printf '%s=%s ' "$n" "$v"; done)"
  cat >"$work/out/config.json" <<EOF
{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z","config":{"Env":["PATH=/opt/java/bin:/usr/bin:/bin","JAVA_HOME=/opt/java","LANG=C.UTF-8"]},"rootfs":{"type":"layers","diff_ids":["sha256:$rt_id","sha256:$jre_id"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"jistiod build-base.sh: Debian bookworm ${pkgs% }"},{"created":"1970-01-01T00:00:00Z","created_by":"jistiod build-base.sh: jlink $(IFS=,; echo "${modules[*]}")"}]}
EOF
  cat >"$work/out/manifest.json" <<EOF
[{"Config":"config.json","RepoTags":["jistiod-istiod-base:$key"],"Layers":["runtime.tar.gz","jre.tar.gz"]}]
EOF
  tar -C "$work/out" -cf "$work/base.tar" --owner=0 --group=0 --numeric-owner --mtime=@0 \
    --format=posix --pax-option=delete=atime,delete=ctime manifest.json config.json runtime.tar.gz jre.tar.gz
  mkdir -p "$dir"
  mv "$work/base.tar" "$dir/base.tar"
  log "base: $(du -h "$dir/base.tar" | cut -f1) ($pkgs)"
fi
# Each change of an input leaves a 27 MB base behind: keep the three used last (branches in other
# worktrees may still want theirs).
touch "$dir"
find "$cache" -maxdepth 1 -name 'base-*' -type d -printf '%T@ %p\n' | sort -rn | tail -n +4 |
  cut -d' ' -f2- | xargs -r rm -rf
mkdir -p "$(dirname "$out")"
ln -sfn "$dir/base.tar" "$out"
echo "$out"
