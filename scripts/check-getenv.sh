#!/usr/bin/env bash
# The process environment is read in one place, app/config.cc (BuildConfig,
# Environment::FromProcess); every other source file takes its values from
# the configuration. Reports each other .cc/.h under bot/, knowledge/, app/,
# adapters/, bench/ and fuzz/ of the tree at $1 (default: this checkout) that
# calls getenv or secure_getenv or reads environ, and exits 1 if any does.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"
found=0
while IFS= read -r hit; do
  file=${hit%%:*}
  [[ "$file" == "app/config.cc" ]] && continue
  echo "$hit: reads the environment outside app/config.cc (take the value from app/config.h instead)"
  found=$((found + 1))
done < <(grep -rnE --include='*.cc' --include='*.h' '(\b(secure_)?getenv[[:space:]]*\(|\benviron\b)' \
           bot knowledge app adapters bench fuzz 2>/dev/null | grep -vE '^[^:]+:[0-9]+:[[:space:]]*//' || true)
if [[ $found -gt 0 ]]; then
  echo "$found place(s) read the environment outside app/config.cc"
  exit 1
fi
echo "check-getenv: only app/config.cc reads the environment"
