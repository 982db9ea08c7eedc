// Per-client rate limits: a token bucket per client key (an IP address, or a
// chat platform's user), refilled at `per_minute` requests a minute and
// holding at most that many, so a client may burst up to its minute's worth
// and then goes at the steady rate. Memory is bounded: buckets that are full
// again are forgotten, and past `max_clients` the stalest ones go.
// Thread-safe (sharded mutexes).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "bot/clock.h"
#include "bot/status.h"

namespace adapters {

// Requests per minute per client when CAREERBOT_RATE_LIMIT is not set.
constexpr int kDefaultRateLimitPerMinute = 60;


class RateLimiter;

// A rate limit kept where every replica sees it (Redis: adapters/redis/).
// Take returns false when the shared store could not answer; the limiter
// then decides with its own buckets (a fallback, counted).
class SharedRateLimit {
 public:
  virtual ~SharedRateLimit() = default;
  virtual bool Take(const std::string& client, int per_minute, bool* allowed, int* retry_after_s) = 0;
};

class RateLimiter {
 public:
  // `per_minute` 0 (or less) never limits.
  explicit RateLimiter(int per_minute, bot::Clock* clock = bot::Clock::Real(), size_t max_clients = 100000);

  struct Decision {
    bool allowed = true;
    int retry_after_s = 0;  // when refused: whole seconds until a request is allowed again (>= 1)
  };
  // Takes one request from `client`'s bucket.
  Decision Take(const std::string& client);

  // Shares the buckets with other replicas through `shared` (which must
  // outlive the limiter); set before use. Null: this process's buckets only.
  void set_shared(SharedRateLimit* shared) { shared_ = shared; }
  // Decisions taken locally because the shared store did not answer.
  uint64_t fallbacks() const { return fallbacks_.load(std::memory_order_relaxed); }

  int per_minute() const { return per_minute_; }
  bool enabled() const { return per_minute_ > 0; }
  // How many clients are remembered (for tests).
  size_t tracked();

 private:
  struct Bucket {
    double tokens = 0;
    int64_t at_us = 0;  // when `tokens` was computed (steady microseconds)
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Bucket> buckets;  // guarded by mu
    int64_t last_sweep_us = 0;                        // guarded by mu
  };
  static constexpr size_t kShards = 16;
  void Sweep(Shard& shard, int64_t now_us);

  int per_minute_;
  bot::Clock* clock_;
  SharedRateLimit* shared_ = nullptr;
  std::atomic<uint64_t> fallbacks_{0};
  size_t max_per_shard_;
  std::unique_ptr<Shard[]> shards_;
};

// The message of a 429: "too many requests: at most N a minute; try again in S s".
std::string RateLimitedMessage(int per_minute, int retry_after_s);

}  // namespace adapters
