#!/usr/bin/env bash
# careerbot's benchmarks, one command (docs/testing.md, "Speed"):
#   bench/run.sh [--quick]
# 1. a Release build of careerbot, answer_bench and scale_bench (build-bench/);
# 2. in-process answer time (median, p99) on the shipped knowledge base
#    (answer_bench) and on generated ones of 1k, 10k and 100k entries, with
#    each one's knowledge-base build time, start-up time (open + index load)
#    and peak memory (scale_bench);
# 3. the server at each size: start-up until GET /healthz answers, and peak
#    resident memory (VmHWM) after serving POST /v1/ask with wrk;
# 4. HTTP on the shipped knowledge base: wrk against GET /healthz and
#    POST /v1/ask in turns, three runs each at 8 and at 64 connections, on
#    one server: medians, per-run ratios and the server's CPU per request;
# 5. POST /v1/ask with and without Redis (issue 16: conversations and the
#    question log shared through a redis-server on loopback), alternating, in
#    the same run: requests/s at 8 connections, and the added time per
#    request from the p50 at 1 connection (a new conversation each ask, and
#    a continued one: one Redis round trip, then two);
# 6. `careerbot kb stats --days 90` over a question log of 1,000,000 lines
#    (stats_bench seeds it in one transaction and times the queries in
#    process; then the command itself, 7 runs, median: target < 1 s);
# then writes bench/results/*.csv, bench/results/summary.md and the chart
# docs/bench-scale.png (gnuplot). It reports, it never fails on a target.
# Installs wrk, gnuplot-nox, curl and redis-server with apt-get when missing.
# Loopback only. Takes about 6 minutes on 2 cores (plus the build); --quick:
# shorter runs; --redis: only part 5 (bench/results/redis.csv); --stats:
# only part 6 (bench/results/stats.csv);
# CAREERBOT_BENCH_BUILD=DIR: use the binaries already built in DIR.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
quick=0
only_redis=0
only_stats=0
for a in "$@"; do
  [[ "$a" == "--quick" ]] && quick=1
  [[ "$a" == "--redis" ]] && only_redis=1
  [[ "$a" == "--stats" ]] && only_stats=1
done
ask_seconds=5; scale_seconds=3; wrk_seconds=6; http_reps=3
if [[ $quick -eq 1 ]]; then ask_seconds=2; scale_seconds=1; wrk_seconds=2; http_reps=1; fi

bash scripts/install-deps.sh --only wrk gnuplot-nox curl redis-server
bash scripts/install-deps.sh

build="$root/build-bench"
if [[ -n "${CAREERBOT_BENCH_BUILD:-}" ]]; then
  # An existing build directory (e.g. build/, RelWithDebInfo), not rebuilt:
  # for a quick measurement on a busy machine; the figures say which.
  build="$(realpath "$CAREERBOT_BENCH_BUILD")"
else
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCAREERBOT_BUILD_TESTS=OFF >/dev/null
  cmake --build "$build" -j"$(nproc)" --target careerbot answer_bench scale_bench stats_bench >/dev/null
fi
bin="$build/careerbot"

out="$root/bench/results"
mkdir -p "$out"
work="$(mktemp -d /tmp/careerbot-bench-XXXXXX)"
server_pid=""
redis_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  [[ -n "$redis_pid" ]] && kill -TERM "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

machine="$(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(date -u +%Y-%m-%d)"
echo "bench: $machine"

# ---- 6. the curators' trends over a million logged questions ----
stats_bench() {
  local rows=1000000 db="$work/stats.db" times=() t0 t1
  echo "bench: stats_bench seeds $rows logged questions and times the queries in process"
  "$build/stats_bench" --rows "$rows" --db "$db" >"$work/stats-inproc.csv"
  cat "$work/stats-inproc.csv"
  echo "bench: careerbot kb stats --days 90 over them, 7 runs"
  for _ in 1 2 3 4 5 6 7; do
    t0=$(date +%s%N)
    CAREERBOT_LOG_RETENTION_DAYS=90 "$bin" kb stats --days 90 --db "$db" >/dev/null
    t1=$(date +%s%N)
    times+=("$(( (t1 - t0) / 1000000 ))")
  done
  local median
  median="$(printf '%s\n' "${times[@]}" | sort -n | sed -n 4p)"
  {
    echo "rows,seed_s,stats90_median_ms,stats90_channel_median_ms,stats7_median_ms,file_mb,kb_stats_median_ms,kb_stats_runs_ms"
    echo "$(tail -n 1 "$work/stats-inproc.csv"),$median,$(IFS=' '; echo "${times[*]}")"
  } >"$out/stats.csv"
  cat "$out/stats.csv"
}
if [[ $only_stats -eq 1 ]]; then
  stats_bench
  exit 0
fi

# ---- 2. in process ----
if [[ $only_redis -eq 0 ]]; then
echo "bench: answer_bench on the shipped knowledge base (${ask_seconds}s)"
echo "entries,asks,median_us,p90_us,p99_us" >"$out/answer.csv"
"$build/answer_bench" --seconds "$ask_seconds" --csv >>"$out/answer.csv"
sizes="137,1000,10000,100000"
echo "bench: scale_bench over $sizes entries (${scale_seconds}s of questions each)"
"$build/scale_bench" --sizes "$sizes" --seconds "$scale_seconds" --dir "$work" --keep >"$out/scale.csv"
cat "$out/scale.csv"

fi

# ---- 3 and 4. the server ----
free_port() {
  # Below Linux's ephemeral range (32768-60999), so no outgoing connection
  # (wrk's, or another program's) holds the port between this check and the
  # server's bind; start_server tries another port if the bind still fails.
  local p
  for _ in $(seq 1 200); do
    p=$((10000 + RANDOM % 22000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "no free port" >&2; exit 1
}
now_ms() { date +%s%3N; }
start_server() {  # start_server DB: sets server_pid, port, startup_ms
  local attempt
  for attempt in 1 2 3 4 5; do
    start_server_once "$@" && return
    grep -q "cannot listen" "$work/serve.err" || { cat "$work/serve.err" >&2; exit 1; }
  done
  cat "$work/serve.err" >&2; exit 1
}
start_server_once() {
  port="$(free_port)"
  local t0; t0="$(now_ms)"
  # No per-client rate limit: wrk is one client asking as fast as it can (with
  # the default 60 a minute, all but the first 60 answers are 429s, which
  # wrk counts as errors: an earlier summary showed every request as one).
  # Log level warn: no access line per request (stderr is a file here, but
  # formatting and writing 20,000 lines a second is not what is measured).
  CAREERBOT_RATE_LIMIT=0 "$bin" serve --port "$port" --db "$1" --log-level warn --reload-interval 0 "${@:2}" \
    >"$work/serve.out" 2>"$work/serve.err" &
  server_pid=$!
  until curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/healthz"; do
    kill -0 "$server_pid" 2>/dev/null || { wait "$server_pid" || true; server_pid=""; return 1; }
    sleep 0.002
  done
  startup_ms=$(($(now_ms) - t0))
}
stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=""
}
run_wrk() {  # run_wrk MODE CONNECTIONS SECONDS: prints the WRK_RESULT json
  wrk -t"$(( $2 < 2 ? $2 : 2 ))" -c"$2" -d"$3s" --timeout 5s -s "$root/deploy/wrk-ask.lua" "http://127.0.0.1:$port" -- "$1" |
    sed -n 's/^WRK_RESULT //p'
}
field() { echo "$1" | sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p"; }
# The server's own count of answers to ROUTE that were not 2xx (GET /metrics).
server_non2xx() {
  curl -s "http://127.0.0.1:$port/metrics" |
    awk -v r="route=\"$1\"" 'index($0, "careerbot_http_requests_total{") == 1 && index($0, r) && $0 !~ /status="2/ {n += $2}
                               END {print n + 0}'
}
# Before measuring: the answers must be real answers. 70 asks on one
# connection (more than the default rate limit of 60 a minute) must all be 200.
check_answers() {
  local codes
  local urls=()
  for _ in $(seq 1 70); do urls+=(-o /dev/null "http://127.0.0.1:$port/v1/ask"); done
  codes="$(curl -s -w '%{http_code}\n' -H 'Content-Type: application/json' -d '{"question":"What is REST?"}' "${urls[@]}" |
    sort | uniq -c | tr -s ' ' | tr '\n' ';')"
  if [[ "$codes" != " 70 200;" ]]; then
    echo "bench: POST /v1/ask answered:$codes not 70 times 200 (rate limit on?); not measuring" >&2
    exit 1
  fi
}

redis_bench() {  # part 5: POST /v1/ask with and without Redis
  local redis_port db="$work/shipped-redis.db" runs_r="$work/redis-runs.csv" rep mode c r label
  redis_port="$(free_port)"
  redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning \
    --logfile "$work/redis.log" &
  redis_pid=$!
  until (exec 3<>"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null; do sleep 0.02; done
  "$bin" kb build --db "$db" >/dev/null
  echo "bench: POST /v1/ask with and without Redis ($http_reps alternating runs of ${wrk_seconds}s each)"
  : >"$runs_r"
  for rep in $(seq 1 "$http_reps"); do
    for label in without with; do
      if [[ $label == with ]]; then
        start_server "$db" --redis "redis://127.0.0.1:$redis_port/0"
      else
        start_server "$db"
      fi
      for mode in ask conversation; do
        for c in 1 8; do
          run_wrk "$mode" "$c" 1 >/dev/null  # warm-up
          r="$(run_wrk "$mode" "$c" "$wrk_seconds")"
          echo "$label,$mode,$c,$rep,$(field "$r" rps),$(field "$r" p50_ms),$(field "$r" p99_ms),$(field "$r" errors_status)" >>"$runs_r"
        done
      done
      stop_server
    done
  done
  kill -TERM "$redis_pid"; wait "$redis_pid" 2>/dev/null || true; redis_pid=""
  rmed() {  # rmed LABEL MODE CONNECTIONS COLUMN: the median over the runs
    awk -F, -v l="$1" -v m="$2" -v c="$3" -v k="$4" '$1==l && $2==m && $3==c {print $k}' "$runs_r" | sort -g |
      awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
  }
  echo "mode,connections,rps_without,rps_with,p50_ms_without,p50_ms_with,added_p50_ms,p99_ms_without,p99_ms_with,errors" >"$out/redis.csv"
  for mode in ask conversation; do
    for c in 1 8; do
      local errs
      errs="$(awk -F, -v m="$mode" -v c="$c" '$2==m && $3==c {n += $8} END {print n + 0}' "$runs_r")"
      local p0 p1
      p0="$(rmed without "$mode" "$c" 6)"; p1="$(rmed with "$mode" "$c" 6)"
      echo "$mode,$c,$(rmed without "$mode" "$c" 5),$(rmed with "$mode" "$c" 5),$p0,$p1,$(awk -v a="$p1" -v b="$p0" 'BEGIN {printf "%.3f", a - b}'),$(rmed without "$mode" "$c" 7),$(rmed with "$mode" "$c" 7),$errs" >>"$out/redis.csv"
    done
  done
  cp "$runs_r" "$out/redis-runs.csv"
  cat "$out/redis.csv"
}
if [[ $only_redis -eq 1 ]]; then
  redis_bench
  exit 0
fi

echo "entries,startup_ms,peak_rss_mb,ask_rps_c8" >"$out/server.csv"
for n in ${sizes//,/ }; do
  db="$work/careerbot-scale-$n.db"
  # Cold-ish start: the file is in the page cache, the process is new.
  start_server "$db"
  r="$(run_wrk ask 8 "$scale_seconds")"
  rss_kb="$(sed -n 's/^VmHWM:\s*\([0-9]*\) kB/\1/p' "/proc/$server_pid/status")"
  stop_server
  printf '%s,%s,%.1f,%s\n' "$n" "$startup_ms" "$(awk -v k="$rss_kb" 'BEGIN {print k / 1024}')" "$(field "$r" rps)" >>"$out/server.csv"
done
cat "$out/server.csv"

echo "bench: HTTP on the shipped knowledge base ($http_reps alternating runs of ${wrk_seconds}s each)"
"$bin" kb build --db "$work/shipped.db" >/dev/null
start_server "$work/shipped.db"
check_answers
# The server's CPU time so far (user + system), in clock ticks.
server_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
ticks_per_s="$(getconf CLK_TCK)"
# Each (connections, endpoint) pair is measured $http_reps times, the two
# endpoints alternating, so a burst of load from elsewhere on a shared
# machine hits both alike; the summary reports the medians.
# errors: what wrk counted (connect, read, write, timeout, and status >= 400);
# server_non2xx: the server's own count of non-2xx answers on the route
# during the run (from /metrics), as a cross-check. cpu_us: the server's CPU
# time (user + system, all threads: the question log's writer too) per
# request, which wrk's own share of the 2 cores does not blur.
runs="$work/http-runs.csv"
: >"$runs"
for c in 8 64; do
  for mode in healthz ask; do run_wrk "$mode" "$c" 1 >/dev/null; done  # warm-up
  for rep in $(seq 1 "$http_reps"); do
    for mode in healthz ask; do
      route_path=$([[ $mode == ask ]] && echo "/v1/ask" || echo "/healthz")
      bad_before="$(server_non2xx "$route_path")"
      t0="$(server_ticks)"
      r="$(run_wrk "$mode" "$c" "$wrk_seconds")"
      t1="$(server_ticks)"
      bad=$(($(server_non2xx "$route_path") - bad_before))
      errors=$(($(field "$r" errors_connect) + $(field "$r" errors_read) + $(field "$r" errors_write) +
                $(field "$r" errors_timeout) + $(field "$r" errors_status)))
      cpu_us="$(awk -v d=$((t1 - t0)) -v hz="$ticks_per_s" -v n="$(field "$r" requests)" 'BEGIN {printf "%.1f", d / hz * 1e6 / n}')"
      route=$([[ $mode == ask ]] && echo "POST /v1/ask" || echo "GET /healthz")
      echo "$route,$c,$rep,$(field "$r" rps),$(field "$r" p50_ms),$(field "$r" p90_ms),$(field "$r" p99_ms),$(field "$r" max_ms),$errors,$bad,$cpu_us" >>"$runs"
    done
  done
done
stop_server
redis_bench
# The median of column $3 of the runs of endpoint $1 at $2 connections.
median() {
  awk -F, -v e="$1" -v c="$2" -v k="$3" '$1==e && $2==c {print $k}' "$runs" | sort -g |
    awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
echo "endpoint,connections,runs,rps,p50_ms,p90_ms,p99_ms,max_ms,errors,server_non2xx,cpu_us_per_request" >"$out/http.csv"
for c in 8 64; do
  for route in "GET /healthz" "POST /v1/ask"; do
    # Errors are summed over the runs, everything else is the median.
    errors="$(awk -F, -v e="$route" -v c="$c" '$1==e && $2==c {n += $9} END {print n + 0}' "$runs")"
    bad="$(awk -F, -v e="$route" -v c="$c" '$1==e && $2==c {n += $10} END {print n + 0}' "$runs")"
    echo "$route,$c,$http_reps,$(median "$route" "$c" 4),$(median "$route" "$c" 5),$(median "$route" "$c" 6),$(median "$route" "$c" 7),$(median "$route" "$c" 8),$errors,$bad,$(median "$route" "$c" 11)" >>"$out/http.csv"
  done
done
cp "$runs" "$out/http-runs.csv"
cat "$out/http.csv"

stats_bench

# ---- the chart and the summary ----
gnuplot <<GP
set terminal pngcairo size 960,420 font "DejaVu Sans,10"
set output "$root/docs/bench-scale.png"
set datafile separator ","
set multiplot layout 1,2 title "careerbot scale curve ($machine)"
set logscale xy
set key top left
set grid
set xlabel "knowledge-base entries"
set ylabel "answer time, in process (µs)"
set xrange [80:150000]
plot "$out/scale.csv" every ::1 using 1:5 with linespoints lw 2 pt 7 title "median", \
     "" every ::1 using 1:6 with linespoints lw 2 pt 5 title "p99", \
     2000 with lines dt 2 lc rgb "gray" title "2 ms target (100k)"
unset logscale y
set logscale x
set ylabel "MB / ms"
plot "$out/server.csv" every ::1 using 1:3 with linespoints lw 2 pt 7 title "server peak memory (MB)", \
     "" every ::1 using 1:2 with linespoints lw 2 pt 5 title "server start-up (ms)", \
     "$out/scale.csv" every ::1 using 1:(\$2/1000) with linespoints lw 2 pt 9 title "knowledge-base build (s)"
unset multiplot
GP

{
  echo "Measured on $machine, by \`bench/run.sh\`."
  echo
  echo "| entries | KB build | start-up (in process) | server start-up | server peak memory | answer median | answer p99 |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  tail -n +2 "$out/scale.csv" | while IFS=, read -r entries build_ms startup_ms asks median p99 rss; do
    IFS=, read -r _ s_start s_rss _ < <(grep "^${entries}," "$out/server.csv" || grep "^137," "$out/server.csv")
    printf '| %s | %.0f ms | %.0f ms | %s ms | %s MB | %.0f µs | %.0f µs |\n' "$entries" "$build_ms" "$startup_ms" \
      "$s_start" "$s_rss" "$median" "$p99"
  done
  echo
  echo "HTTP on the shipped knowledge base: medians of $http_reps alternating runs of ${wrk_seconds} s (bench/results/http-runs.csv has each run)."
  echo
  echo "| endpoint | connections | requests/s | p50 | p99 | server CPU per request | errors (wrk) | non-2xx (server) |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  tail -n +2 "$out/http.csv" | while IFS=, read -r ep c reps rps p50 p90 p99 max errors bad cpu; do
    printf '| %s | %s | %.0f | %.2f ms | %.2f ms | %.0f µs | %s | %s |\n' "$ep" "$c" "$rps" "$p50" "$p99" "$cpu" "$errors" "$bad"
  done
  for c in 8 64; do
    a="$(awk -F, -v c="$c" '$1=="POST /v1/ask" && $2==c {print $4}' "$out/http.csv")"
    h="$(awk -F, -v c="$c" '$1=="GET /healthz" && $2==c {print $4}' "$out/http.csv")"
    printf '\n/v1/ask throughput / /healthz throughput at %s connections: %.2f' "$c" "$(awk -v a="$a" -v h="$h" 'BEGIN {print a / h}')"
  done
  # The same ratio from each run pair (healthz, then ask, same repetition).
  for c in 8 64; do
    printf '\nper run at %s connections:' "$c"
    for rep in $(seq 1 "$http_reps"); do
      a="$(awk -F, -v c="$c" -v r="$rep" '$1=="POST /v1/ask" && $2==c && $3==r {print $4}' "$runs")"
      h="$(awk -F, -v c="$c" -v r="$rep" '$1=="GET /healthz" && $2==c && $3==r {print $4}' "$runs")"
      printf ' %.2f' "$(awk -v a="$a" -v h="$h" 'BEGIN {print a / h}')"
    done
  done
  echo
  echo
  echo "POST /v1/ask without and with Redis (conversations and the question log shared; medians of $http_reps alternating runs; 'conversation' continues one of 100 conversations, so it reads earlier turns too):"
  echo
  echo "| asks | connections | requests/s without | with | p50 without | with | added at p50 |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  tail -n +2 "$out/redis.csv" | while IFS=, read -r mode c r0 r1 p0 p1 added _ _ _; do
    printf '| %s | %s | %.0f | %.0f | %.3f ms | %.3f ms | %.3f ms |\n' "$mode" "$c" "$r0" "$r1" "$p0" "$p1" "$added"
  done
  echo
  echo "In process, shipped knowledge base (answer_bench, ${ask_seconds}s): $(tail -n 1 "$out/answer.csv" |
    awk -F, '{printf "%d entries, %d asks, median %.0f µs, p90 %.0f µs, p99 %.0f µs", $1, $2, $3, $4, $5}')"
  echo
  echo "Trends (issue 19): $(tail -n 1 "$out/stats.csv" | awk -F, '{printf "`careerbot kb stats --days 90` over %d logged questions: median %d ms of 7 runs (target < 1 s); the queries alone, in process: %d ms (90 days), %d ms (90 days, one channel), %d ms (7 days)", $1, $7, $3, $4, $5}')"
} >"$out/summary.md"
cat "$out/summary.md"
echo "bench: wrote $out/*.csv, $out/summary.md and docs/bench-scale.png"
