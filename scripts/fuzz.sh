#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang with -fsanitize=fuzzer,address,
# undefined) in build-fuzz and runs each for SECONDS (default 30) on a copy of
# its seed corpus (fuzz/corpus/<target>/; the repo is never written), with its
# dictionary (fuzz/dict/) when it has one. Fails on any crash, leak, sanitizer
# report or broken invariant; the input that did it is kept in
# build-fuzz/crashes/<target>/ (replay: build-fuzz/fuzz/<target> FILE).
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# Needs what scripts/install-deps.sh --test installs (clang, libclang-rt-14-dev).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-30}
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2; exit 2; }
shift || true
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(answer_fuzz ingest_fuzz chat_fuzz json_fuzz http_fuzz)

cxx=${CXX_FUZZ:-$(command -v clang++ || command -v clang++-14 || true)}
[[ -n "$cxx" ]] || { echo "clang++ is missing: run scripts/install-deps.sh --test" >&2; exit 1; }

cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" \
      -DCAREERBOT_FUZZ=ON -DCAREERBOT_BUILD_TESTS=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

failed=()
for target in "${targets[@]}"; do
  name=${target%_fuzz}
  corpus="$work/$name"
  mkdir -p "$corpus" "build-fuzz/crashes/$name"
  cp fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null || true
  args=(-max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1
        -artifact_prefix="build-fuzz/crashes/$name/")
  [[ -f "fuzz/dict/$name.dict" ]] && args+=(-dict="fuzz/dict/$name.dict")
  echo "== $target: ${seconds}s from $(ls "$corpus" | wc -l) seeds"
  log="build-fuzz/$name.log"
  if "build-fuzz/fuzz/$target" "${args[@]}" "$corpus" >"$log" 2>&1; then
    grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+ +DONE' "$log" | tr '\n' ' ' || true
    echo
  else
    echo "!! $target failed; the input is in build-fuzz/crashes/$name/:" >&2
    grep -E 'ERROR|SUMMARY|invariant|runtime error|^    #[0-9] ' "$log" | head -40 >&2 || tail -40 "$log" >&2
    failed+=("$target")
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzzing found problems in: ${failed[*]} (logs: build-fuzz/<target>.log)" >&2
  exit 1
fi
echo "fuzzing: no crash in ${targets[*]} (${seconds}s each)"
