#!/usr/bin/env bash
# scripts/check-getenv.sh must pass on the real tree, and on a small tree of
# its own must report getenv, secure_getenv and environ outside app/config.cc
# while letting app/config.cc and comments be.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/check-getenv.sh" "$root"
fake=$(mktemp -d); trap 'rm -rf "$fake"' EXIT
mkdir -p "$fake"/{app,bot,knowledge,adapters/cli}
printf 'extern char** environ;\nconst char* p = std::getenv("HOME");\n' > "$fake/app/config.cc"
printf 'static const char* kDb = std::getenv("CAREERBOT_DB");\n' > "$fake/adapters/cli/cli.cc"
printf 'static const char* kTmp = secure_getenv ("TMPDIR");\n' > "$fake/knowledge/db.cc"
printf 'extern char** environ;\n' > "$fake/app/service.cc"
printf '// getenv( in a comment is not a read\n' > "$fake/bot/text.h"
if out=$(bash "$root/scripts/check-getenv.sh" "$fake" 2>&1); then
  echo "FAIL: check-getenv passed a tree that reads the environment elsewhere"; echo "$out"; exit 1
fi
for want in 'adapters/cli/cli.cc:1:' 'knowledge/db.cc:1:' 'app/service.cc:1:' '3 place(s)'; do
  grep -qF "$want" <<<"$out" || { echo "FAIL: not reported: $want"; echo "$out"; exit 1; }
done
if grep -qE '^(bot/text.h|app/config.cc):' <<<"$out"; then echo "FAIL: reported what is allowed"; echo "$out"; exit 1; fi
echo "check_getenv_test: passed"
