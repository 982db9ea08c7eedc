#include "adapters/redis/shared_state.h"

#include <chrono>

namespace adapters::redis {
namespace {

// KEYS[1] the bucket; ARGV[1] requests a minute. Returns {allowed, retry_after_s}.
constexpr const char* kTakeScript = R"lua(
local rate = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or rate
local at = tonumber(b[2]) or now
if now > at then tokens = math.min(rate, tokens + (now - at) * rate / 60000000) end
local allowed, retry = 0, 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry = math.max(1, math.ceil((1 - tokens) * 60 / rate))
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(60 + 60 / rate))
return {allowed, retry}
)lua";

}  // namespace

bool SharedState::Take(const std::string& client, int per_minute, bool* allowed, int* retry_after_s) {
  auto r = client_->Command({"EVAL", kTakeScript, "1", "careerbot:rate:" + client, std::to_string(per_minute)});
  if (!r.ok() || r->type != Reply::kArray || r->elements.size() != 2 || r->elements[0].type != Reply::kInteger ||
      r->elements[1].type != Reply::kInteger) {
    return false;
  }
  *allowed = r->elements[0].integer == 1;
  *retry_after_s = static_cast<int>(r->elements[1].integer);
  return true;
}

bool SharedState::Check() {
  const int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  int64_t last = last_probe_us_.load(std::memory_order_relaxed);
  if (now - last >= 1000000 && last_probe_us_.compare_exchange_strong(last, now, std::memory_order_relaxed)) {
    client_->Command({"PING"});
  }
  return client_->up();
}

bool SharedState::FirstSeen(const std::string& key, int64_t ttl_seconds, bool* first) {
  auto r = client_->Command({"SET", "careerbot:" + key, "1", "NX", "EX", std::to_string(ttl_seconds)});
  if (!r.ok() || (r->type != Reply::kStatus && r->type != Reply::kNil)) return false;
  *first = r->type == Reply::kStatus;  // "OK": set now; nil: it was there
  return true;
}

}  // namespace adapters::redis
