#!/usr/bin/env bash
# Installs the Debian packages careerbot needs that are missing.
#   scripts/install-deps.sh          build and run
#   scripts/install-deps.sh --test   also what the test suite needs
#   scripts/install-deps.sh --only PACKAGE...   just these (the browser test,
#                                    the scale-out test and the benchmarks' tools)
set -euo pipefail

packages=(cmake g++ make pkg-config libcpp-httplib-dev libsqlite3-dev nlohmann-json3-dev libspdlog-dev
          libssl-dev libhiredis-dev libmd4c-dev libcli11-dev wamerican wordnet-base dict-foldoc zlib1g-dev)
if [[ "${1:-}" == "--only" ]]; then
  shift
  packages=("$@")
elif [[ "${1:-}" == "--test" ]]; then
  # chromium, nodejs, npm and sqlite3: the web chat's browser test (tests/browser).
  packages+=(catch2 chromium nodejs npm sqlite3)
  # redis-server: the replicas' shared state, tested for real (tests/adapters/redis_test.cc).
  packages+=(redis-server)
  # clang and its runtimes (libFuzzer, ASan/UBSan for clang): scripts/fuzz.sh.
  # g++'s own ASan, UBSan and TSan runtimes come with g++ (scripts/sanitize.sh).
  packages+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  # Node.js from another source (such as NodeSource) brings its own npm, and
  # Debian's npm package would conflict with it: a command on PATH counts.
  case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "installing: ${missing[*]}"
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
# Try the cached package lists first; refresh them only when that fails.
if ! "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; then
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
