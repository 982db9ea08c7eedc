#!/usr/bin/env bash
# Runs the web chat's and the curation page's browser tests (chat.test.mjs,
# admin.test.mjs, trends.test.mjs: the Trends panel) in Debian's headless
# Chromium. Installs what is missing first: the Debian packages chromium,
# nodejs, npm and sqlite3 (plus an emoji font for the screenshots), and
# playwright-core from package-lock.json (npm ci). Never downloads a browser
# of its own: playwright-core drives /usr/bin/chromium.
#   tests/browser/run.sh PATH/TO/careerbot [ARTIFACTS_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
binary="$(realpath "${1:?usage: run.sh PATH/TO/careerbot [ARTIFACTS_DIR]}")"
artifacts="${2:-$(dirname "$binary")/artifacts}"

# ---- Debian packages (scripts/install-deps.sh: Node.js from another source,
# such as NodeSource, counts as present) and an emoji font for the screenshots ----
bash "$here/../../scripts/install-deps.sh" --only chromium nodejs npm sqlite3 fonts-noto-color-emoji

node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [[ "$node_major" -lt 20 ]]; then
  echo "browser test: playwright-core needs Node.js 20 or newer, this is $(node --version)" >&2
  exit 1
fi

# ---- npm packages: exactly what package-lock.json pins ----
cd "$here"
if [[ ! -d node_modules/playwright-core ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

# The web chat, then the curation page (admin.test.mjs) and its Trends panel
# (trends.test.mjs); all always run.
# They ask more than a client may a minute: no rate limit for them.
export CAREERBOT_RATE_LIMIT=0
status=0
node chat.test.mjs "$binary" "$artifacts" || status=1
node admin.test.mjs "$binary" "$artifacts" || status=1
node trends.test.mjs "$binary" "$artifacts" || status=1
exit "$status"
