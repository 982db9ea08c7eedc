// What replicas share through Redis (issue 16): rate-limit buckets and
// webhook event ids, under the key prefix "careerbot:". Each call is one
// bounded Redis command; when Redis does not answer, the call says so and
// the caller falls back to this replica's own state (counted in /metrics).
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "app/rate_limit.h"
#include "adapters/redis/redis_client.h"
#include "adapters/chat/slack/slack.h"

namespace adapters::redis {

class SharedState : public SharedRateLimit, public slack::SharedDedupe {
 public:
  explicit SharedState(std::unique_ptr<RedisClient> client) : client_(std::move(client)) {}

  // A token bucket per client in a hash, updated atomically by a Lua script
  // on Redis's own clock (replicas' clocks may differ).
  bool Take(const std::string& client, int per_minute, bool* allowed, int* retry_after_s) override;
  // SET key 1 NX EX ttl.
  bool FirstSeen(const std::string& key, int64_t ttl_seconds, bool* first) override;

  RedisClient& client() { return *client_; }
  bool up() const { return client_->up(); }
  // Whether Redis answers, asking it (PING) when nothing has for a second:
  // for GET /healthz, so that an idle replica notices too.
  bool Check();

 private:
  std::unique_ptr<RedisClient> client_;
  std::atomic<int64_t> last_probe_us_{0};
};

}  // namespace adapters::redis
