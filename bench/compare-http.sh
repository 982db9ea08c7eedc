#!/usr/bin/env bash
# Two careerbot binaries under the same HTTP load, in one run: for a change to
# the connection layer, "within noise of before" measured on the same machine
# at the same time (issue 13; the shared machine's noise cancels out in the
# ratios, not in figures taken on different days).
#   bench/compare-http.sh OLD/careerbot NEW/careerbot [ROUNDS] [SECONDS]
# Each round starts both servers on the shipped knowledge base (rate limit
# off, log level warn) and runs wrk (deploy/wrk-ask.lua) against each in turn,
# old then new, for GET /healthz and POST /v1/ask at 8 and 64 connections,
# flat out, and paced to the same rate for both (healthz@1ms, ask@5ms).
# Prints the median requests/s, p99 and the server's CPU time per request
# (user + system, from /proc: the figure least disturbed by a busy machine)
# per binary, and the new/old ratios.
# It reports, it never fails on a figure. Needs wrk and curl; loopback only.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
old="$(realpath "${1:?usage: compare-http.sh OLD NEW [ROUNDS] [SECONDS]}")"
new="$(realpath "${2:?usage: compare-http.sh OLD NEW [ROUNDS] [SECONDS]}")"
rounds="${3:-3}"
seconds="${4:-5}"
bash "$root/scripts/install-deps.sh" --only wrk curl

work="$(mktemp -d /tmp/careerbot-compare-XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$new" kb build --db "$work/kb.db" >/dev/null
start() {  # start NAME BINARY PORT
  cp "$work/kb.db" "$work/$1.db"
  CAREERBOT_RATE_LIMIT=0 "$2" serve --host 127.0.0.1 --port "$3" --db "$work/$1.db" --log-level warn \
    >"$work/$1.out" 2>"$work/$1.log" &
  pids+=($!)
  for _ in $(seq 1 100); do
    curl -s --max-time 1 "http://127.0.0.1:$3/healthz" >/dev/null && return 0
    sleep 0.1
  done
  echo "compare: $1 does not answer on port $3" >&2
  exit 1
}
port_old=$((20000 + RANDOM % 5000))
port_new=$((port_old + 1))
start old "$old" "$port_old"
start new "$new" "$port_new"
pid_old="${pids[0]}"
pid_new="${pids[1]}"
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }  # user + system CPU of a process, in clock ticks
hz="$(getconf CLK_TCK)"

echo "binary,mode,connections,round,rps,p50_ms,p99_ms,errors,cpu_us_per_request" >"$work/runs.csv"
run() {  # run NAME PORT PID MODE CONNECTIONS ROUND [PACE_MS]
  local r before after label="$4"
  [ -n "${7:-}" ] && label="$4@${7}ms"
  before="$(ticks "$3")"
  r="$(wrk -t2 -c"$5" -d"${seconds}s" --timeout 5s -s "$root/deploy/wrk-ask.lua" "http://127.0.0.1:$2" -- "$4" ${7:-} |
       sed -n 's/^WRK_RESULT //p')"
  after="$(ticks "$3")"
  f() { echo "$r" | sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }
  local errors=$(( $(f errors_connect) + $(f errors_read) + $(f errors_write) + $(f errors_timeout) + $(f errors_status) ))
  local cpu
  cpu="$(awk -v t=$((after - before)) -v hz="$hz" -v n="$(f requests)" 'BEGIN { printf "%.2f", (n > 0 ? t / hz / n * 1e6 : 0) }')"
  echo "$1,$label,$5,$6,$(f rps),$(f p50_ms),$(f p99_ms),$errors,$cpu" >>"$work/runs.csv"
}
for mode in healthz ask; do  # warm-up
  wrk -t2 -c8 -d1s -s "$root/deploy/wrk-ask.lua" "http://127.0.0.1:$port_old" -- "$mode" >/dev/null
  wrk -t2 -c8 -d1s -s "$root/deploy/wrk-ask.lua" "http://127.0.0.1:$port_new" -- "$mode" >/dev/null
done
for round in $(seq 1 "$rounds"); do
  for c in 8 64; do
    for mode in healthz ask; do
      run old "$port_old" "$pid_old" "$mode" "$c" "$round"
      run new "$port_new" "$pid_new" "$mode" "$c" "$round"
    done
  done
  # Paced: each connection waits after each response, so both binaries see
  # the same request rate and their latencies compare at equal load (at
  # saturation a faster server also makes its own queue longer).
  run old "$port_old" "$pid_old" healthz 8 "$round" 1
  run new "$port_new" "$pid_new" healthz 8 "$round" 1
  run old "$port_old" "$pid_old" ask 64 "$round" 5
  run new "$port_new" "$pid_new" ask 64 "$round" 5
done
cp "$work/runs.csv" "$root/bench/results/compare-http.csv"
awk -F, 'NR > 1 { key = $2 "," $3; rps[$1 "," key] = rps[$1 "," key] " " $5; p99[$1 "," key] = p99[$1 "," key] " " $7;
                  cpu[$1 "," key] = cpu[$1 "," key] " " $9; err[$1 "," key] += $8; keys[key] = 1 }
  function median(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    printf "%-11s %-4s %10s %10s %6s %8s %8s %6s %10s %10s %6s %s\n", "mode", "conn", "old req/s", "new req/s", "ratio",
           "old p99", "new p99", "ratio", "old cpu/req", "new cpu/req", "ratio", "errors old/new"
    for (key in keys) {
      split(key, k, ",")
      ro = median(rps["old," key]); rn = median(rps["new," key]); po = median(p99["old," key]); pn = median(p99["new," key])
      co = median(cpu["old," key]); cn = median(cpu["new," key])
      printf "%-11s %-4s %10.0f %10.0f %6.2f %8.2f %8.2f %6.2f %8.1fus %8.1fus %6.2f %d/%d\n", k[1], k[2], ro, rn, rn / ro, po, pn,
             pn / po, co, cn, cn / co, err["old," key], err["new," key]
    }
  }' "$work/runs.csv" | sort
echo "compare: $rounds rounds of ${seconds}s each; per-run figures in bench/results/compare-http.csv"
