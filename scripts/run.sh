#!/usr/bin/env bash
# Installs what is missing, builds careerbot and serves the shipped knowledge
# base at http://127.0.0.1:8080 (flags are passed to `careerbot serve`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCAREERBOT_BUILD_TESTS=OFF
cmake --build build -j"$(nproc)" --target careerbot
exec build/careerbot serve "$@"
