#!/usr/bin/env bash
# Installs what is missing, builds careerbot with its tests and runs them all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAREERBOT_BUILD_TESTS=ON
time cmake --build build -j"$(nproc)"
(cd build && time ctest --output-on-failure -j"$(nproc)" --timeout 600)
# Then the same suite under AddressSanitizer + UBSan, the [concurrency] tests
# under ThreadSanitizer, and each fuzzer for 30 s (docs/testing.md: "Fuzzing and sanitizers").
time bash scripts/sanitize.sh address
time bash scripts/sanitize.sh thread
time bash scripts/fuzz.sh "${CAREERBOT_FUZZ_SECONDS:-30}"
