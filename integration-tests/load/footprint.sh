#!/usr/bin/env bash
# The control plane's idle footprint: `integration-tests/load/footprint.sh [RUNS]` (default 3).
# Each run starts istiod standalone on samples/mesh through bin/istiod (JAVA_OPTS applies, so flags
# can be compared: JAVA_OPTS='-XX:+UseG1GC' footprint.sh), times process start to GET /ready 200,
# connects one Envoy-like sidecar and one proxyless gRPC client over ADS (FootprintProbe), waits
# IDLE seconds (default 10) and reads RSS (VmRSS, VmHWM), threads and CPU seconds from /proc, and
# heap used/committed and loaded classes from istiod's /metrics. Prints each run and the medians.
#
# REFERENCE=1 measures Istio's pilot-discovery 1.27.0 the same way instead (built by
# integration-tests/cluster/build-istio.sh if not cached), standalone: --configDir and no
# service registry (--registries ""). Its /ready never turns 200 there (its injector and webhook
# wait for files and a cluster), so its "ready" is its xDS port accepting connections.
#
# Not part of the tests. Loopback only. The figures are upper bounds on a shared machine: the
# load average is printed with them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
runs="${1:-3}"
idle="${IDLE:-10}"
mesh="${MESH:-$root/samples/mesh}"

if [[ ! -f istiod/target/istiod.jar ]]; then
  ./mvnw -q -B -ntp -pl istiod -am package -DskipTests -Dspotless.check.skip=true
fi
./mvnw -q -B -ntp -pl integration-tests -am test-compile -Dspotless.check.skip=true
cp_file="$(mktemp)"
./mvnw -q -B -ntp -pl integration-tests -am dependency:build-classpath \
  -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test
probe_cp="integration-tests/target/test-classes:$(cat "$cp_file")"
rm -f "$cp_file"

reference_bin="${JISTIOD_CACHE:-$HOME/.cache/jistiod}/istio-1.27.0/pilot-discovery"
if [[ -n "${REFERENCE:-}" && ! -x "$reference_bin" ]]; then
  integration-tests/cluster/build-istio.sh pilot-discovery >&2
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# utime+stime of a process in seconds (clock ticks of 1/100 s).
cpu_seconds() {
  awk '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / 100 }' "/proc/$1/stat"
}

status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# Sum of a Prometheus metric's samples whose labels contain $3 (or all of them).
metric_sum() {
  awk -v m="$2" -v f="${3:-}" '
    index($0, m) == 1 && (f == "" || index($0, f) > 0) { s += $NF; n++ }
    END { if (n) printf "%.0f", s; else print "-" }' "$1"
}

work="$(mktemp -d)"
pid=""
probe=""
cleanup() {
  [[ -n "$probe" ]] && kill "$probe" 2>/dev/null || true
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap 'cleanup; rm -rf "$work"' EXIT

results="$work/results"
: >"$results"
for run in $(seq 1 "$runs"); do
  grpc="$(free_port)"; http="$(free_port)"; mon="$(free_port)"
  sec="$(free_port)"; hook="$(free_port)"
  log="$work/server-$run.log"
  start="$(now_ms)"
  if [[ -n "${REFERENCE:-}" ]]; then
    (cd "$work" && exec "$reference_bin" discovery --configDir "$mesh" --registries "" \
      --grpcAddr "127.0.0.1:$grpc" --httpAddr "127.0.0.1:$http" \
      --monitoringAddr "127.0.0.1:$mon" --secureGRPCAddr "127.0.0.1:$sec" \
      --httpsAddr "127.0.0.1:$hook" --ctrlz_port 0 >"$log" 2>&1) &
    pid=$!
    ready() { (exec 3<>"/dev/tcp/127.0.0.1/$grpc") 2>/dev/null; }
  else
    bin/istiod discovery --configDir "$mesh" \
      --grpcAddr "127.0.0.1:$grpc" --httpAddr "127.0.0.1:$http" \
      --monitoringAddr "127.0.0.1:$mon" --secureGRPCAddr "127.0.0.1:$sec" \
      --httpsAddr "127.0.0.1:$hook" >"$log" 2>&1 &
    pid=$!
    ready() { curl -sf -o /dev/null "http://127.0.0.1:$http/ready"; }
  fi
  until ready; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "footprint: the server exited; its log:" >&2
      cat "$log" >&2
      exit 1
    fi
    if (($(now_ms) - start > 120000)); then
      echo "footprint: not ready within 120 s; log: $log" >&2
      exit 1
    fi
    sleep 0.02
  done
  ready_ms=$(($(now_ms) - start))
  cpu_ready="$(cpu_seconds "$pid")"

  java -cp "$probe_cp" io.jistiod.it.load.FootprintProbe "$grpc" >"$work/probe-$run.log" 2>&1 &
  probe=$!
  until grep -q CONNECTED "$work/probe-$run.log"; do
    if ! kill -0 "$probe" 2>/dev/null; then
      echo "footprint: the probe failed:" >&2
      cat "$work/probe-$run.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  sleep "$idle"

  rss=$(($(status_kib "$pid" VmRSS) / 1024))
  hwm=$(($(status_kib "$pid" VmHWM) / 1024))
  threads="$(status_kib "$pid" Threads)"
  cpu="$(cpu_seconds "$pid")"
  curl -s "http://127.0.0.1:$mon/metrics" >"$work/metrics" || : >"$work/metrics"
  if [[ -n "${REFERENCE:-}" ]]; then
    heap_used="$(metric_sum "$work/metrics" go_memstats_heap_inuse_bytes)"
    heap_committed="$(metric_sum "$work/metrics" go_memstats_heap_sys_bytes)"
    classes="-"
  else
    heap_used="$(metric_sum "$work/metrics" jvm_memory_used_bytes 'area="heap"')"
    heap_committed="$(metric_sum "$work/metrics" jvm_memory_committed_bytes 'area="heap"')"
    classes="$(metric_sum "$work/metrics" jvm_classes_loaded_classes)"
  fi
  mib() { [[ "$1" == "-" ]] && echo - || echo $(($1 / 1048576)); }
  line="ready_ms=$ready_ms cpu_at_ready_s=$cpu_ready rss_mib=$rss hwm_mib=$hwm"
  line+=" heap_used_mib=$(mib "$heap_used") heap_committed_mib=$(mib "$heap_committed")"
  line+=" threads=$threads classes=$classes cpu_s=$cpu"
  echo "run $run: $line ($(sed -n 's/^CONNECTED //p' "$work/probe-$run.log"))"
  echo "$line" >>"$results"

  kill "$probe" "$pid" 2>/dev/null || true
  wait "$probe" "$pid" 2>/dev/null || true
  probe=""
  pid=""
done

# Medians per figure over the runs.
echo -n "median of $runs ($([[ -n "${REFERENCE:-}" ]] && echo "pilot-discovery 1.27.0" || echo "istiod, JAVA_OPTS='${JAVA_OPTS:-}'")):"
for key in ready_ms cpu_at_ready_s rss_mib hwm_mib heap_used_mib heap_committed_mib threads classes cpu_s; do
  tr ' ' '\n' <"$results" | sed -n "s/^$key=//p" | sort -g |
    awk -v k="$key" '{ v[NR] = $1 } END { printf " %s=%s", k, v[int((NR + 1) / 2)] }'
done
echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
