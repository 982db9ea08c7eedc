#!/usr/bin/env bash
# scripts/check-getenv.sh must pass on the real tree and report a copy with
# getenv, secure_getenv or environ used outside app/config.cc.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
bash "$root/scripts/check-getenv.sh" "$root"
mkdir -p "$work/bench" "$work/fuzz"
cp -r "$root/bot" "$root/knowledge" "$root/app" "$root/adapters" "$root/scripts" "$work/"
echo 'static const char* kDb = std::getenv("CAREERBOT_DB");' >> "$work/adapters/cli/cli.cc"
echo 'static const char* kTmp = secure_getenv ("TMPDIR");' >> "$work/knowledge/db.cc"
echo 'extern char** environ;' >> "$work/app/service.cc"
echo '// getenv( in a comment is not a read' >> "$work/bot/text.h"
if out=$(bash "$work/scripts/check-getenv.sh" "$work" 2>&1); then
  echo "FAIL: check-getenv passed a tree that reads the environment elsewhere"; echo "$out"; exit 1
fi
for want in 'adapters/cli/cli.cc:' 'knowledge/db.cc:' 'app/service.cc:' '3 place(s)'; do
  grep -qF "$want" <<<"$out" || { echo "FAIL: not reported: $want"; echo "$out"; exit 1; }
done
if grep -qF 'bot/text.h' <<<"$out"; then echo "FAIL: a comment was reported"; echo "$out"; exit 1; fi
echo "check_getenv_test: passed"
