#!/usr/bin/env bash
# Scale-out, for real: three `careerbot serve` replicas on loopback ports
# behind nginx (deploy/nginx.conf, a non-daemon nginx under a temporary
# prefix), loaded with wrk (deploy/wrk-ask.lua POSTing /v1/ask). In the
# middle of the run a curator's change is published as a new snapshot
# (`careerbot kb publish`) and shipped to every replica (copied beside its
# file, renamed over it). The test passes when every replica then answers
# from the new snapshot (GET /healthz version and a question only it answers,
# through each replica's own port), wrk saw no error and no non-2xx response,
# and every replica stops with exit 0 on SIGTERM.
#   deploy/scaleout-test.sh PATH/TO/careerbot [SECONDS]
# Installs nginx, wrk and curl with apt-get when missing. Loopback only.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
binary="$(realpath "${1:?usage: scaleout-test.sh PATH/TO/careerbot [SECONDS]}")"
seconds="${2:-20}"

# ---- Debian packages ----
bash "$here/../scripts/install-deps.sh" --only nginx wrk curl
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

work="$(mktemp -d /tmp/careerbot-scaleout-XXXXXX)"
pids=()
nginx_pid=""
wrk_pid=""
status=1
cleanup() {
  [[ -n "$wrk_pid" ]] && kill "$wrk_pid" 2>/dev/null || true
  [[ -n "$nginx_pid" ]] && kill -QUIT "$nginx_pid" 2>/dev/null || true
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ $status -ne 0 ]]; then
    echo "scaleout: FAILED; logs follow" >&2
    for f in "$work"/r*/serve.log "$work"/logs/error.log "$work"/wrk.out; do
      [[ -f "$f" ]] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
    done
  fi
  [[ -n "${SCALEOUT_KEEP:-}" ]] && echo "scaleout: kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "scaleout: FAIL: $*" >&2
  exit 1
}

# A loopback port nothing listens on (bash's /dev/tcp: a refused connect).
# Below Linux's ephemeral range (32768-60999): there, a connection of an
# earlier run still in TIME_WAIT (nginx's to a replica) holds its local port
# and a replica's bind fails. Never one of the ports already picked.
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((10000 + RANDOM % 22000))
    [[ " ${ports[*]:-} " == *" $p "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  fail "no free port"
}

version_of() {  # version_of PORT: the knowledge-base version /healthz reports
  curl -s --max-time 2 "http://127.0.0.1:$1/healthz" | sed -n 's/.*"version":"\([^"]*\)".*/\1/p'
}

wait_healthy() {  # wait_healthy PORT
  for _ in $(seq 1 300); do
    [[ -n "$(version_of "$1")" ]] && return 0
    sleep 0.1
  done
  fail "nothing answers on port $1"
}

# ---- The writer's knowledge base, published and shipped to three replicas ----
mkdir -p "$work/ship" "$work/logs" "$work/tmp"
"$binary" kb build --db "$work/writer.db" >/dev/null
"$binary" kb publish --db "$work/writer.db" --out "$work/ship/kb.db" >/dev/null
ship() {  # a copy beside each replica's file, then an atomic rename over it
  for r in 1 2 3; do
    cp "$work/ship/kb.db" "$work/r$r/.kb.db.incoming"
    mv -f "$work/r$r/.kb.db.incoming" "$work/r$r/kb.db"
  done
}
ports=()
for r in 1 2 3; do
  mkdir -p "$work/r$r"
  ports+=("$(free_port)")
done
ship
for r in 1 2 3; do
  # --log-level warn: no access line per request under load.
  # CAREERBOT_RATE_LIMIT=0: wrk is one client asking thousands of times a minute.
  CAREERBOT_RATE_LIMIT=0 CAREERBOT_RELOAD_INTERVAL=1 "$binary" serve --host 127.0.0.1 --port "${ports[$((r - 1))]}" \
    --db "$work/r$r/kb.db" --log-db "$work/r$r/questions.db" --log-level warn \
    >"$work/r$r/serve.out" 2>"$work/r$r/serve.log" &
  pids+=($!)
done
for p in "${ports[@]}"; do wait_healthy "$p"; done
v1="$(version_of "${ports[0]}")"

# ---- nginx in front, from deploy/nginx.conf with these ports ----
front="$(free_port)"
sed -e "s/127\.0\.0\.1:8080/127.0.0.1:$front/" -e "s/127\.0\.0\.1:8081/127.0.0.1:${ports[0]}/" \
    -e "s/127\.0\.0\.1:8082/127.0.0.1:${ports[1]}/" -e "s/127\.0\.0\.1:8083/127.0.0.1:${ports[2]}/" \
    "$here/nginx.conf" >"$work/nginx.conf"
grep -q "127.0.0.1:$front" "$work/nginx.conf" || fail "deploy/nginx.conf does not listen on 127.0.0.1:8080"
"$nginx_bin" -p "$work/" -c "$work/nginx.conf" -e stderr 2>"$work/logs/nginx.stderr" &
nginx_pid=$!
wait_healthy "$front"
echo "scaleout: replicas on ${ports[*]}, nginx on $front, knowledge base $v1"

# ---- Request smuggling through nginx's kept upstream connections (issue 13) ----
# nginx forwards a GET's Content-Length body to the replica on a connection it
# keeps and shares. A replica that does not read that body as a body would
# run it as the next request, and hand its answer to the next client.
smuggled=$'GET /smuggled-by-a-body HTTP/1.1\r\nHost: x\r\n\r\n'
for i in 1 2 3 4 5 6; do
  exec 3<>"/dev/tcp/127.0.0.1/$front"
  printf 'GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
    "${#smuggled}" "$smuggled" >&3
  attacker="$(timeout 3 cat <&3 || true)"
  exec 3<&-
  [[ "$(grep -c '^HTTP/1.1 ' <<<"$attacker")" == "1" && "$attacker" == *'"status":"ok"'* ]] ||
    fail "the smuggling request got other than its own one answer: $attacker"
done
for i in $(seq 1 30); do
  honest="$(curl -s --max-time 3 "http://127.0.0.1:$front/healthz")"
  [[ "$honest" == *'"status":"ok"'* ]] || fail "an honest request through nginx got another request's answer: $honest"
done
echo "scaleout: 6 GET requests with a smuggled body through nginx, then 30 honest ones: each got its own answer"

# ---- Load through nginx, and a new snapshot in the middle of it ----
wrk -t2 -c32 -d"${seconds}s" --timeout 5s -s "$here/wrk-ask.lua" "http://127.0.0.1:$front" >"$work/wrk.out" 2>&1 &
wrk_pid=$!
sleep $((seconds / 3))
cat >"$work/zorblax.md" <<'MD'
## Zorblax certification for backend developers
id: zorblax-cert
tags: zorblax, certification
article: Scale-out test
section: Hot reload
url:
updated: 2026-11-29
questions:
- What is the zorblax certification?

The zorblax certification is a made-up credential: only the new snapshot knows it.
MD
"$binary" kb import --db "$work/writer.db" "$work/zorblax.md" >/dev/null
published="$("$binary" kb publish --db "$work/writer.db" --out "$work/ship/kb.db")"
v2="$(echo "$published" | sed -n 's/.*version \([^ ]*\)$/\1/p')"
[[ -n "$v2" && "$v2" != "$v1" ]] || fail "publishing gave no new version ($published)"
ship
echo "scaleout: published and shipped $v2 at $(date +%T)"

# Every replica, through its own port, answers from the new snapshot.
for p in "${ports[@]}"; do
  for _ in $(seq 1 150); do
    [[ "$(version_of "$p")" == "$v2" ]] && break
    sleep 0.1
  done
  [[ "$(version_of "$p")" == "$v2" ]] || fail "replica on $p still serves $(version_of "$p"), not $v2"
  answer="$(curl -s --max-time 5 "http://127.0.0.1:$p/v1/ask" -H 'Content-Type: application/json' \
            -d '{"question": "What is the zorblax certification?"}')"
  [[ "$answer" == *'"id":"zorblax-cert"'* ]] || fail "replica on $p does not answer from $v2: $answer"
done
echo "scaleout: every replica serves $v2"

wait "$wrk_pid" || fail "wrk failed"
wrk_pid=""
result="$(sed -n 's/^WRK_RESULT //p' "$work/wrk.out")"
[[ -n "$result" ]] || fail "no result from wrk: $(cat "$work/wrk.out")"
echo "scaleout: wrk through nginx: $result"
field() { echo "$result" | sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }
[[ "$(field requests)" -gt 100 ]] || fail "too few requests"
for e in errors_connect errors_read errors_write errors_timeout errors_status; do
  [[ "$(field "$e")" == "0" ]] || fail "$e is $(field "$e")"
done
# 499 is nginx's note that the client went away before the answer: wrk
# closes its 32 connections when its time is up, with requests in flight.
# Those are no response at all, so at most one per connection is allowed;
# anything else that is not 2xx fails.
non2xx="$(awk '$9 !~ /^2/ && $9 != "499"' "$work/logs/access.log" | wc -l)"
[[ "$non2xx" == "0" ]] || fail "$non2xx non-2xx responses in nginx's access log: $(awk '$9 !~ /^2/ && $9 != "499"' "$work/logs/access.log" | head -3)"
gone="$(awk '$9 == "499"' "$work/logs/access.log" | wc -l)"
[[ "$gone" -le 32 ]] || fail "$gone requests whose client went away (499), more than wrk's 32 connections"
echo "scaleout: $(wc -l <"$work/logs/access.log") requests through nginx, 0 non-2xx ($gone cut off by wrk's stop)"

# ---- Every replica stops cleanly ----
for i in 0 1 2; do
  kill -TERM "${pids[$i]}"
  code=0
  wait "${pids[$i]}" || code=$?
  [[ $code -eq 0 ]] || fail "replica on ${ports[$i]} exited $code after SIGTERM"
done
pids=()
status=0
echo "scaleout: PASS"
