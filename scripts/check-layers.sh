#!/usr/bin/env bash
# Checks the include rules each folder's README states (the layering of
# bot/ → knowledge/ → app/ → adapters/) in the tree at $1 (default: this
# repository). Prints every violation and exits 1
# if there is one. Run from anywhere: bash scripts/check-layers.sh
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"

violations=0
# includes FILE: every `#include "..."` and `#include <...>` target in FILE.
includes() { sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]+)[>"].*/\1/p' "$1"; }

# check DIR ALLOWED_REGEX FORBIDDEN_SYSTEM_REGEX [EXCLUDE_DIR_REGEX]
# A project include (one containing '/', or embedded.h) must match ALLOWED;
# no include may match FORBIDDEN.
check() {
  local dir=$1 allowed=$2 forbidden=$3 exclude=${4:-'^$'}
  while IFS= read -r file; do
    [[ $file =~ $exclude ]] && continue
    while IFS= read -r inc; do
      if [[ $inc =~ $forbidden ]]; then
        echo "$file: includes $inc, which $dir/ may not use"; violations=$((violations + 1))
      elif [[ -e $inc || $inc == embedded.h ]] && ! [[ $inc =~ $allowed ]]; then
        echo "$file: includes $inc, outside what $dir/ may include"; violations=$((violations + 1))
      fi
    done < <(includes "$file")
  done < <(find "$dir" -name '*.h' -o -name '*.cc' | sort)
}

protocol='^(httplib\.h|openssl/|hiredis/)'
check bot '^(bot/|embedded\.h$)' "$protocol|^(sqlite3\.h|nlohmann/|spdlog/|md4c)"
check knowledge '^(bot/|knowledge/|embedded\.h$)' "$protocol|^spdlog/"
check app '^(bot/|knowledge/|app/|adapters/chat/registry\.h$)' "$protocol" '^app/main\.cc$'
check adapters/web '^(bot/|app/|adapters/(web|http)/|embedded\.h$)' '^(hiredis/)'
check adapters/admin '^(bot/|knowledge/|app/|adapters/(admin|http|web)/|embedded\.h$)' '^(hiredis/)'
check adapters/http '^(bot/|app/|adapters/(http|web|admin|chat|redis)/|embedded\.h$)' '^(hiredis/)'
check adapters/redis '^(bot/|knowledge/|app/|adapters/redis/|adapters/chat/slack/slack\.h$)' '^(httplib\.h)'
# The chat platforms: a platform folder includes the shared chat files, never
# another platform's folder; only registry.cc names them all.
for platform in slack discord mattermost; do
  others=$(printf '%s\n' slack discord mattermost | grep -vx "$platform" | paste -sd'|')
  check "adapters/chat/$platform" "^(bot/|app/|adapters/http/|adapters/redis/|adapters/chat/[a-z_]+\.h$|adapters/chat/$platform/)" "^adapters/chat/($others)/"
done
check adapters/chat '^(bot/|app/|adapters/(http|redis|chat)/)' '^(hiredis/)' '^adapters/chat/(slack|discord|mattermost)/|^adapters/chat/registry\.cc$'

if ((violations)); then
  echo "check-layers: $violations include(s) break the folder rules (see each folder's README.md)"
  exit 1
fi
echo "check-layers: every include follows the folder rules"
