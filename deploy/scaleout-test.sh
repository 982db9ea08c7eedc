#!/usr/bin/env bash
# Scale-out, for real: Debian's redis-server on a loopback port, a writer
# (`careerbot serve --redis-consumer` over the curators' file) and three
# `careerbot serve --redis` replicas on loopback ports behind nginx
# (deploy/nginx.conf: least_conn, no stickiness; a non-daemon nginx under a
# temporary prefix). docs/operations.md, "Many replicas".
# Part 1, under load (wrk, deploy/wrk-ask.lua POSTing /v1/ask): a curator's
#   change is published as a new snapshot and shipped to every replica, then
#   redis-server is killed and later started again (empty). Passes when every
#   replica answers from the new snapshot, wrk saw no error and nginx no
#   non-2xx (0 failed asks with Redis gone), a replica says "degraded" while
#   Redis is away, and the questions asked on each replica meanwhile reach
#   the writer's `kb gaps` once Redis is back.
# Part 2, the replicas restarted with a rate limit (a conversation started
#   before the restart continues after it): 100 three-turn dialogues through
#   nginx, every follow-up read with its context (and answered otherwise
#   alone); feedback on each of the 300 answers recorded once in the
#   writer's log; one Slack event delivered to all three replicas at once,
#   signed as Slack signs, answered once; a rate limit of R a minute holding
#   for one client across the replicas; a question asked on each replica in
#   the writer's `kb gaps`. Every process stops with exit 0 on SIGTERM.
#   deploy/scaleout-test.sh PATH/TO/careerbot [SECONDS]
# Installs nginx, wrk, curl, redis-server, jq, sqlite3, openssl and nodejs
# (a fake Slack API) with apt-get when missing. Loopback only.
set -euo pipefail
export LC_ALL=C
here="$(cd "$(dirname "$0")" && pwd)"
binary="$(realpath "${1:?usage: scaleout-test.sh PATH/TO/careerbot [SECONDS]}")"
seconds="${2:-20}"

# ---- Debian packages ----
bash "$here/../scripts/install-deps.sh" --only nginx wrk curl redis-server jq sqlite3 openssl nodejs
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
redis_bin="$(command -v redis-server || echo /usr/bin/redis-server)"
started_at=$SECONDS

work="$(mktemp -d /tmp/careerbot-scaleout-XXXXXX)"
pids=()
nginx_pid=""
wrk_pid=""
redis_pid=""
writer_pid=""
slack_pid=""
status=1
cleanup() {
  [[ -n "$wrk_pid" ]] && kill "$wrk_pid" 2>/dev/null || true
  [[ -n "$nginx_pid" ]] && kill -QUIT "$nginx_pid" 2>/dev/null || true
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  [[ -n "$writer_pid" ]] && kill -TERM "$writer_pid" 2>/dev/null || true
  [[ -n "$slack_pid" ]] && kill -TERM "$slack_pid" 2>/dev/null || true
  [[ -n "$redis_pid" ]] && kill -TERM "$redis_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  if [[ $status -ne 0 ]]; then
    echo "scaleout: FAILED; logs follow" >&2
    for f in "$work"/r*/serve.log "$work"/writer.log "$work"/logs/error.log "$work"/wrk.out "$work"/dialogues/*.err; do
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
    [[ " ${ports[*]:-} ${taken[*]:-} " == *" $p "* ]] && continue
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

# ---- Redis, started by the test itself; the writer consumes every replica's log ----
taken=()
redis_port="$(free_port)"
taken+=("$redis_port")
# With a password, which no log may show.
redis_pass="scaleout-redis-pass-$RANDOM$RANDOM"
redis_url="redis://:$redis_pass@127.0.0.1:$redis_port/0"
start_redis() {
  "$redis_bin" --port "$redis_port" --bind 127.0.0.1 --requirepass "$redis_pass" --save "" --appendonly no --loglevel warning \
    --logfile "$work/redis.log" &
  redis_pid=$!
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null && return 0
    sleep 0.05
  done
  fail "redis-server does not listen on $redis_port"
}
start_redis
writer_port="$(free_port)"
taken+=("$writer_port")
# The writer: the curators' file (its question log in it, which `kb gaps`
# reads), not behind nginx. It also answers, like any replica.
CAREERBOT_REDIS_URL="$redis_url" CAREERBOT_RATE_LIMIT=0 CAREERBOT_RELOAD_INTERVAL=0 "$binary" serve --host 127.0.0.1 \
  --port "$writer_port" --db "$work/writer.db" --redis-consumer --log-level warn \
  >"$work/writer.out" 2>"$work/writer.log" &
writer_pid=$!

start_replica() {  # start_replica N [VAR=VALUE...]: replica N (1-3) on its port, with --redis
  local r=$1
  shift
  # --log-level warn: no access line per request under load.
  env CAREERBOT_REDIS_URL="$redis_url" CAREERBOT_RELOAD_INTERVAL=1 "$@" "$binary" serve --host 127.0.0.1 \
    --port "${ports[$((r - 1))]}" --db "$work/r$r/kb.db" --log-db "$work/r$r/questions.db" --log-level warn \
    >>"$work/r$r/serve.out" 2>>"$work/r$r/serve.log" &
  pids[$((r - 1))]=$!
}
for r in 1 2 3; do
  # CAREERBOT_RATE_LIMIT=0: wrk is one client asking thousands of times a minute.
  start_replica "$r" CAREERBOT_RATE_LIMIT=0
done
for p in "${ports[@]}" "$writer_port"; do wait_healthy "$p"; done
v1="$(version_of "${ports[0]}")"

# Clients: every request comes from 127.0.0.1; the client each one stands for
# is a documentation address (TEST-NET) in X-Forwarded-For, which nginx
# passes on with its own entry appended and a replica with
# CAREERBOT_TRUST_PROXY=1 counts (its rate limit is per client).
ask_json() {  # ask_json PORT CLIENT_ADDRESS QUESTION [CONVERSATION]: the answer's JSON (fails on a non-200)
  local body
  body="$(jq -cn --arg q "$3" --arg c "${4:-}" '{question: $q, explain: true} + (if $c == "" then {} else {conversation_id: $c} end)')"
  curl -sf --max-time 10 -H "X-Forwarded-For: $2" "http://127.0.0.1:$1/v1/ask" -H 'Content-Type: application/json' -d "$body"
}
gaps_have() {  # gaps_have TEXT...: every text is among the writer's `kb gaps`
  local gaps t
  gaps="$("$binary" kb gaps --db "$work/writer.db" --limit 100000 --json 2>/dev/null)" || return 1
  for t in "$@"; do
    [[ "$gaps" == *"$t"* ]] || return 1
  done
}

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

# ---- redis-server killed under load, started again later ----
kill -KILL "$redis_pid"
wait "$redis_pid" 2>/dev/null || true
redis_pid=""
echo "scaleout: redis-server killed at $(date +%T), wrk still running"
outage=()
for r in 1 2 3; do
  q="How do I become a glassblower, asked on replica $r while Redis was away?"
  a="$(ask_json "${ports[$((r - 1))]}" 192.0.2.9 "$q")" || fail "replica $r failed an ask while Redis was away"
  [[ "$(jq -r .answered <<<"$a")" == "false" ]] || fail "the outage question is answered, it should be a gap: $a"
  outage+=("$q")
done
for _ in $(seq 1 50); do
  [[ "$(curl -s --max-time 2 "http://127.0.0.1:${ports[0]}/healthz" | jq -r .status)" == "degraded" ]] && break
  sleep 0.1
done
health="$(curl -s --max-time 2 "http://127.0.0.1:${ports[0]}/healthz")"
[[ "$(jq -r .status <<<"$health")" == "degraded" && "$(jq -r .redis <<<"$health")" == "down" ]] ||
  fail "a replica without Redis does not say degraded: $health"
buffered="$(curl -s "http://127.0.0.1:${ports[0]}/metrics" | sed -n 's/^careerbot_redis_log_buffered //p')"
[[ "${buffered:-0}" -ge 1 ]] || fail "no question-log line is buffered while Redis is away"
sleep 1
start_redis
echo "scaleout: redis-server started again (empty) at $(date +%T); $buffered+ lines were buffered on replica 1"

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
echo "scaleout: $(wc -l <"$work/logs/access.log") requests through nginx, 0 non-2xx ($gone cut off by wrk's stop), redis-server killed and restarted meanwhile"

# The lines buffered while Redis was away reach the writer.
for _ in $(seq 1 100); do
  gaps_have "${outage[@]}" && break
  sleep 0.2
done
gaps_have "${outage[@]}" || fail "the questions asked while Redis was away did not reach the writer's kb gaps"
dropped=0
for p in "${ports[@]}"; do
  d="$(curl -s "http://127.0.0.1:$p/metrics" | sed -n 's/^careerbot_redis_log_dropped_total //p')"
  dropped=$((dropped + ${d:-0}))
done
echo "scaleout: the questions asked on each replica while Redis was away are in the writer's kb gaps" \
  "($dropped lines over the replicas' buffers of 10,000 dropped and counted while wrk asked)"

stop() {  # stop PID NAME: SIGTERM, and exit 0 expected
  local code=0
  kill -TERM "$1"
  wait "$1" || code=$?
  [[ $code -eq 0 ]] || fail "$2 exited $code after SIGTERM"
}

# ---- Part 2: the replicas restarted, with a shared rate limit and Slack ----
rate=10  # R: requests a minute per client (each dialogue is a client of its own)
slack_secret="scaleout-slack-signing-secret"
slack_port="$(free_port)"
taken+=("$slack_port")
cat >"$work/fake-slack.js" <<'JS'
// A fake Slack Web API: records each call (path and body) in a file.
const http = require('http'), fs = require('fs');
http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    fs.appendFileSync(process.argv[3], req.url + ' ' + body.replace(/\n/g, ' ') + '\n');
    res.setHeader('Content-Type', 'application/json');
    res.end('{"ok":true,"channel":"C1","ts":"1700000000.000100"}');
  });
}).listen(Number(process.argv[2]), '127.0.0.1');
JS
: >"$work/slack-calls.log"
node "$work/fake-slack.js" "$slack_port" "$work/slack-calls.log" &
slack_pid=$!

# A conversation started before the replicas restart goes on after.
before="$(ask_json "$front" 192.0.2.5 "What is Kubernetes?")" || fail "ask before the restart failed"
for i in 0 1 2; do stop "${pids[$i]}" "replica on ${ports[$i]}"; done
for r in 1 2 3; do
  start_replica "$r" CAREERBOT_RATE_LIMIT=$rate CAREERBOT_TRUST_PROXY=1 SLACK_SIGNING_SECRET="$slack_secret" \
    SLACK_BOT_TOKEN=xoxb-scaleout SLACK_API_BASE="http://127.0.0.1:$slack_port/api"
done
for p in "${ports[@]}"; do wait_healthy "$p"; done
after="$(ask_json "$front" 192.0.2.5 "is it hard to learn?" "$(jq -r .conversation_id <<<"$before")")" ||
  fail "ask after the restart failed"
[[ "$(jq -r .explain.context.used <<<"$after")" == "true" ]] ||
  fail "a conversation started before the replicas restarted lost its context: $after"
echo "scaleout: replicas restarted (rate limit $rate a minute, Slack on); a conversation went on across the restart"

# ---- 100 three-turn dialogues through nginx ----
# Follow-ups over the shipped knowledge whose second and third turns are
# answered otherwise (or declined) when asked alone.
templates=(
  "What is Kubernetes?|is it hard to learn?|how much of it does a backend developer need?"
  "What is Docker?|how popular is it?|how much of it does a backend developer need?"
  "What do cloud engineers do?|how much do they earn?|which certifications should they get?"
  "Do I need a degree to become a backend developer?|what about a bootcamp?|is it worth it?"
  "What is PostgreSQL?|how does it differ from MySQL?|which one should I learn?"
)
mkdir -p "$work/dialogues"
# Each follow-up alone, once per template (a client of its own): the answer a
# follow-up read without its context gets.
declare -A alone
for t in "${!templates[@]}"; do
  IFS='|' read -r _ q2 q3 <<<"${templates[$t]}"
  for k in 2 3; do
    q="q$k"
    a="$(ask_json "$front" "203.0.113.$((t + 1))" "${!q}")" || fail "ask failed: ${!q}"
    alone[$t.$k]="$(jq -r '(.sources[0].id // "-") + "/" + .kind' <<<"$a")"
  done
done
dialogue() {  # dialogue N: dialogue N (1-100) from client 198.51.100.N; one line per turn to its .out file
  # Two processes a turn (curl, jq): on 2 busy cores each one counts.
  local n=$1 t=$(( ($1 - 1) % ${#templates[@]} )) conv="" k q body out id entry used
  local -a turns
  IFS='|' read -r -a turns <<<"${templates[$t]}"
  for k in 1 2 3; do
    q="${turns[$((k - 1))]}"  # the templates hold no quote or backslash
    body="{\"question\": \"$q\", \"explain\": true${conv:+, \"conversation_id\": \"$conv\"}}"
    out="$(curl -sf --max-time 10 -H "X-Forwarded-For: 198.51.100.$n" "http://127.0.0.1:$front/v1/ask" \
             -H 'Content-Type: application/json' -d "$body" |
           jq -r '[.conversation_id, .answer_id, ((.sources[0].id // "-") + "/" + .kind), (.explain.context.used | tostring)] | @tsv')" ||
      { echo "dialogue $n turn $k: the ask failed" >>"$work/dialogues/$n.err"; return; }
    IFS=$'\t' read -r conv id entry used <<<"$out"
    printf '%s\t%s\t%s\t%s\t%s\n' "$t" "$k" "$id" "$entry" "$used" >>"$work/dialogues/$n.out"
  done
}
t0=$SECONDS
for w in 0 1 2 3; do  # four clients at once
  ( for n in $(seq $((w * 25 + 1)) $((w * 25 + 25))); do dialogue "$n"; done ) &
  dialogue_pids+=($!)
done
for p in "${dialogue_pids[@]}"; do wait "$p"; done
cat "$work"/dialogues/*.err 2>/dev/null | head -3 | grep . && fail "dialogues failed"
cat "$work"/dialogues/*.out >"$work/turns.tsv"
[[ "$(wc -l <"$work/turns.tsv")" == "300" ]] || fail "$(wc -l <"$work/turns.tsv") turns answered, not 300"
without=0
while IFS=$'\t' read -r t k id entry used; do
  [[ "$k" == "1" ]] && continue
  [[ "$used" == "true" ]] || fail "template $t turn $k was read without its context ($entry)"
  [[ "$entry" != "${alone[$t.$k]}" ]] || without=$((without + 1))
done <"$work/turns.tsv"
[[ $without -eq 0 ]] || fail "$without follow-ups got the answer they get alone"
echo "scaleout: 100 three-turn dialogues through nginx in $((SECONDS - t0)) s: all 200 follow-ups read with their context (answered otherwise alone)"

# ---- Feedback on every answer, through nginx: recorded once in the writer's log ----
t0=$SECONDS
feedback() {  # feedback N: feedback on dialogue N's answers, from its client
  local n=$1 i=0 id helpful code
  while IFS=$'\t' read -r _ _ id _ _; do
    i=$((i + 1))
    helpful=$([[ $(( (n + i) % 2 )) -eq 0 ]] && echo true || echo false)
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H "X-Forwarded-For: 198.51.100.$n" "http://127.0.0.1:$front/v1/feedback" \
            -H 'Content-Type: application/json' -d "{\"answer_id\": \"$id\", \"helpful\": $helpful}")"
    [[ "$code" == "200" ]] || echo "feedback on $id: $code" >>"$work/dialogues/$n.err"
    printf '%s\t%s\n' "$id" "$([[ $helpful == true ]] && echo 1 || echo 0)" >>"$work/dialogues/$n.feedback"
  done <"$work/dialogues/$n.out"
}
dialogue_pids=()
for w in 0 1 2 3; do
  ( for n in $(seq $((w * 25 + 1)) $((w * 25 + 25))); do feedback "$n"; done ) &
  dialogue_pids+=($!)
done
for p in "${dialogue_pids[@]}"; do wait "$p"; done
cat "$work"/dialogues/*.err 2>/dev/null | head -3 | grep . && fail "feedback refused"
cat "$work"/dialogues/*.feedback | sort >"$work/feedback.expected"
recorded() {  # the answers of the dialogues with their feedback, as the writer's log has them
  sqlite3 -cmd ".timeout 5000" -separator $'\t' "$work/writer.db" \
    "SELECT answer_id, helpful FROM question_log WHERE helpful IS NOT NULL" 2>/dev/null | sort |
    join -t $'\t' - <(cut -f1 "$work/feedback.expected")
}
for _ in $(seq 1 100); do
  [[ "$(recorded)" == "$(cat "$work/feedback.expected")" ]] && break
  sleep 0.2
done
diff <(recorded) "$work/feedback.expected" >"$work/feedback.diff" ||
  fail "the writer's log does not hold the feedback given: $(head -5 "$work/feedback.diff")"
lines="$(sqlite3 -cmd ".timeout 5000" "$work/writer.db" "SELECT count(*) FROM question_log WHERE answer_id IN ($(cut -f1 "$work/feedback.expected" | sed "s/.*/'&'/" | paste -sd,))")"
[[ "$lines" == "300" ]] || fail "$lines lines in the writer's log for the 300 answers"
echo "scaleout: feedback on each of the 300 answers (given through any replica) recorded once in the writer's log, in $((SECONDS - t0)) s"

# ---- One Slack event delivered to each replica at once, answered once ----
event='{"token":"ignored","team_id":"T1","type":"event_callback","event_id":"EvScaleout0001","authorizations":[{"team_id":"T1","user_id":"UBOT0001","is_bot":true}],"event":{"type":"app_mention","user":"UHUMAN1","text":"<@UBOT0001> Which databases should I learn for the scale-out test?","ts":"1700000001.000200","channel":"C1","event_ts":"1700000001.000200"}}'
slack_pids=()
for r in 1 2 3; do
  (
    ts="$(date +%s)"
    sig="v0=$(printf 'v0:%s:%s' "$ts" "$event" | openssl dgst -sha256 -hmac "$slack_secret" | sed 's/^.* //')"
    retry=()
    [[ $r -gt 1 ]] && retry=(-H "X-Slack-Retry-Num: $((r - 1))" -H "X-Slack-Retry-Reason: http_timeout")
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:${ports[$((r - 1))]}/slack/events" \
            -H 'Content-Type: application/json' -H "X-Slack-Request-Timestamp: $ts" -H "X-Slack-Signature: $sig" \
            "${retry[@]}" -d "$event")"
    [[ "$code" == "200" ]] || echo "slack delivery to replica $r: $code" >>"$work/dialogues/slack.err"
  ) &
  slack_pids+=($!)
done
for p in "${slack_pids[@]}"; do wait "$p"; done
[[ -f "$work/dialogues/slack.err" ]] && fail "$(cat "$work/dialogues/slack.err")"
for _ in $(seq 1 50); do
  grep -q 'chat.postMessage' "$work/slack-calls.log" && break
  sleep 0.1
done
sleep 1
posts="$(grep -c 'chat.postMessage' "$work/slack-calls.log" || true)"
[[ "$posts" == "1" ]] || fail "the Slack event delivered three times was answered $posts times"
slack_lines=0
for _ in $(seq 1 50); do
  slack_lines="$(sqlite3 -cmd ".timeout 5000" "$work/writer.db" "SELECT count(*) FROM question_log WHERE channel = 'slack' AND question LIKE '%for the scale-out test%'")"
  [[ "$slack_lines" == "1" ]] && break
  sleep 0.1
done
[[ "$slack_lines" == "1" ]] || fail "the writer's log has $slack_lines lines for the Slack event"
echo "scaleout: one Slack event delivered to the three replicas at once: answered once (1 chat.postMessage, 1 log line)"

# ---- One rate limit for all replicas ----
limited() {  # the 429s of POST /v1/ask each replica answered, space-separated
  local p
  for p in "${ports[@]}"; do
    curl -s "http://127.0.0.1:$p/metrics" |
      awk '/^careerbot_http_requests_total[{]/ && /route="[/]v1[/]ask"/ && /status="429"/ {s += $2} END {print s + 0}'
  done | paste -sd' '
}
before_429="$(limited)"
t0=$(date +%s%N)
allowed=0 refused=0
for i in $(seq 1 $((3 * rate))); do
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H "X-Forwarded-For: 192.0.2.1" "http://127.0.0.1:$front/v1/ask" \
          -H 'Content-Type: application/json' -d '{"question": "What is REST?"}')"
  case "$code" in
    200) allowed=$((allowed + 1)) ;;
    429) refused=$((refused + 1)) ;;
    *) fail "an ask over the limit got $code" ;;
  esac
done
elapsed_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
after_429="$(limited)"
# A token bucket of R a minute: R at once, then one more each 60/R s.
most=$(( rate + 1 + elapsed_ms * rate / 60000 ))
[[ $allowed -ge $rate && $allowed -le $most ]] ||
  fail "$allowed of $((3 * rate)) asks from one client allowed in ${elapsed_ms} ms across 3 replicas (limit $rate a minute)"
read -r -a b429 <<<"$before_429"
read -r -a a429 <<<"$after_429"
refusing=0
for i in 0 1 2; do [[ ${a429[$i]} -gt ${b429[$i]} ]] && refusing=$((refusing + 1)); done
[[ $refusing -ge 2 ]] || fail "only $refusing replica(s) refused over the limit (429s before: $before_429, after: $after_429)"
echo "scaleout: rate limit $rate a minute across the replicas: $allowed of $((3 * rate)) asks allowed in ${elapsed_ms} ms, $refusing replicas refused"

# ---- A question asked on each replica reaches the writer's kb gaps ----
asked=()
for r in 1 2 3; do
  q="How do I become a lighthouse keeper, asked on replica $r?"
  a="$(ask_json "${ports[$((r - 1))]}" "203.0.113.$((100 + r))" "$q")" || fail "ask on replica $r failed"
  [[ "$(jq -r .answered <<<"$a")" == "false" ]] || fail "the gap question is answered: $a"
  asked+=("$q")
done
for _ in $(seq 1 100); do
  gaps_have "${asked[@]}" && break
  sleep 0.1
done
gaps_have "${asked[@]}" || fail "the questions asked on the replicas are not all in the writer's kb gaps"
echo "scaleout: a question asked on each replica is in the writer's kb gaps"

# ---- Every process stops cleanly ----
for i in 0 1 2; do stop "${pids[$i]}" "replica on ${ports[$i]}"; done
pids=()
stop "$writer_pid" "the writer"
writer_pid=""
grep -F -e "$slack_secret" -e xoxb-scaleout -e "$redis_pass" "$work"/r*/serve.log "$work/writer.log" && fail "a secret in a log"
status=0
echo "scaleout: PASS in $((SECONDS - started_at)) s"
