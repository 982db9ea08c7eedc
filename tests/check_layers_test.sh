#!/usr/bin/env bash
# The layering check must catch what it is for: a copy of the tree with a
# protocol header in bot/, an adapter included from knowledge/, and one chat
# platform including another must each be reported, and the real tree must pass.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
bash "$root/scripts/check-layers.sh" "$root"
cp -r "$root/bot" "$root/knowledge" "$root/app" "$root/adapters" "$root/scripts" "$work/"
echo '#include <httplib.h>' >> "$work/bot/text.h"
echo '#include "adapters/http/server.h"' >> "$work/knowledge/store.h"
echo '#include "adapters/chat/slack/slack.h"' >> "$work/adapters/chat/discord/discord.cc"
echo '#include "adapters/cli/cli.h"' >> "$work/app/service.cc"
if out=$(bash "$work/scripts/check-layers.sh" "$work" 2>&1); then
  echo "FAIL: check-layers passed a tree that breaks the rules"; echo "$out"; exit 1
fi
for want in 'bot/text.h: includes httplib.h' 'knowledge/store.h: includes adapters/http/server.h' \
            'adapters/chat/discord/discord.cc: includes adapters/chat/slack/slack.h' \
            'app/service.cc: includes adapters/cli/cli.h' '4 include(s) break'; do
  grep -qF "$want" <<<"$out" || { echo "FAIL: not reported: $want"; echo "$out"; exit 1; }
done
echo "check_layers_test: passed"
