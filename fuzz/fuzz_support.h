// Shared by the libFuzzer targets: the shipped knowledge in an in-memory
// knowledge base (built once per process), fixed time and ids so a crash
// replays, logging off (spdlog would dominate the time and the output).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "bot/clock.h"
#include "knowledge/builtin.h"
#include "knowledge/store.h"

namespace fuzz {

// Aborts with `what` when `ok` is false: a broken invariant is a crash.
inline void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
    std::abort();
  }
}

// Slack's published example time (docs: chat-platforms.md, section 1).
constexpr int64_t kNow = 1531420618;

class FixedClock : public bot::Clock {
 public:
  int64_t NowSeconds() override { return kNow; }
  int64_t SteadyMicros() override { return micros_ += 100; }

 private:
  int64_t micros_ = 0;
};

class CountingIds : public bot::IdGenerator {
 public:
  std::string NewId() override {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%032llx", static_cast<unsigned long long>(++n_));
    return buf;
  }

 private:
  uint64_t n_ = 0;
};

inline FixedClock* Clock() {
  static FixedClock clock;
  return &clock;
}
inline CountingIds* Ids() {
  static CountingIds ids;
  return &ids;
}

inline void QuietLogs() { spdlog::set_level(spdlog::level::off); }

// The shipped knowledge, built into a private in-memory store once.
inline knowledge::Store* ShippedStore() {
  static knowledge::Store* store = [] {
    QuietLogs();
    bool built = false;
    auto opened = knowledge::OpenOrBuild(":memory:", &built);
    if (!opened.ok()) {
      std::fprintf(stderr, "cannot build the knowledge base: %s\n", opened.status().ToString().c_str());
      std::abort();
    }
    return opened.value().release();  // lives as long as the process
  }();
  return store;
}

inline std::string_view AsView(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

}  // namespace fuzz
