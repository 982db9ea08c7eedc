#include "app/rate_limit.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace adapters {

RateLimiter::RateLimiter(int per_minute, bot::Clock* clock, size_t max_clients)
    : per_minute_(std::max(per_minute, 0)),
      clock_(clock),
      max_per_shard_(std::max<size_t>(max_clients / kShards, 1)),
      shards_(new Shard[kShards]) {}

RateLimiter::Decision RateLimiter::Take(const std::string& client) {
  Decision d;
  if (per_minute_ <= 0) return d;
  if (shared_ != nullptr) {
    if (shared_->Take(client, per_minute_, &d.allowed, &d.retry_after_s)) return d;
    fallbacks_.fetch_add(1, std::memory_order_relaxed);
    d = Decision();
  }
  const double capacity = per_minute_;
  const double per_us = per_minute_ / 60e6;  // tokens per microsecond
  int64_t now = clock_->SteadyMicros();
  Shard& shard = shards_[std::hash<std::string>()(client) % kShards];
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.buckets.find(client);
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= max_per_shard_ || now - shard.last_sweep_us > 60000000) Sweep(shard, now);
    it = shard.buckets.emplace(client, Bucket{capacity, now}).first;
  }
  Bucket& b = it->second;
  b.tokens = std::min(capacity, b.tokens + static_cast<double>(now - b.at_us) * per_us);
  b.at_us = now;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return d;
  }
  d.allowed = false;
  d.retry_after_s = std::max(1, static_cast<int>(std::ceil((1.0 - b.tokens) / per_us / 1e6)));
  return d;
}

void RateLimiter::Sweep(Shard& shard, int64_t now) {
  shard.last_sweep_us = now;
  const double capacity = per_minute_;
  const double per_us = per_minute_ / 60e6;
  // Forget the clients whose bucket is full again: they are as if new.
  for (auto it = shard.buckets.begin(); it != shard.buckets.end();) {
    double tokens = it->second.tokens + static_cast<double>(now - it->second.at_us) * per_us;
    it = tokens >= capacity ? shard.buckets.erase(it) : std::next(it);
  }
  // Still full: forget the stalest half (they get a fresh bucket; a flood
  // of new keys cannot grow memory without bound).
  if (shard.buckets.size() >= max_per_shard_) {
    std::vector<std::pair<int64_t, std::string>> by_age;
    by_age.reserve(shard.buckets.size());
    for (const auto& [key, bucket] : shard.buckets) by_age.emplace_back(bucket.at_us, key);
    size_t drop = by_age.size() / 2 + 1;
    std::nth_element(by_age.begin(), by_age.begin() + static_cast<long>(drop - 1), by_age.end());
    for (size_t i = 0; i < drop; i++) shard.buckets.erase(by_age[i].second);
  }
}

size_t RateLimiter::tracked() {
  size_t n = 0;
  for (size_t i = 0; i < kShards; i++) {
    std::lock_guard<std::mutex> lock(shards_[i].mu);
    n += shards_[i].buckets.size();
  }
  return n;
}

std::string RateLimitedMessage(int per_minute, int retry_after_s) {
  return "too many requests: at most " + std::to_string(per_minute) + " a minute; try again in " +
         std::to_string(retry_after_s) + " s";
}

}  // namespace adapters
