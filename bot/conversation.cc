#include "bot/conversation.h"

#include <algorithm>
#include <functional>

namespace bot {

ConversationStore::ConversationStore(Clock* clock, size_t max_conversations, int64_t ttl_seconds)
    : clock_(clock),
      shard_count_(max_conversations >= kMinPerShard * kShards ? kShards : 1),
      max_per_shard_(std::max<size_t>(1, max_conversations / shard_count_)),
      ttl_seconds_(ttl_seconds) {}

ConversationStore::Shard& ConversationStore::ShardOf(const std::string& id) {
  return shard_count_ == 1 ? shards_[0] : shards_[std::hash<std::string>{}(id) % shard_count_];
}

void ConversationStore::EvictExpired(Shard& shard, int64_t now) {
  // The LRU list is ordered by last use, so expired ones sit at the back.
  while (!shard.lru.empty()) {
    auto it = shard.states.find(shard.lru.back());
    if (it == shard.states.end() || now - it->second.last_seen <= ttl_seconds_) break;
    shard.states.erase(it);
    shard.lru.pop_back();
  }
}

std::vector<Turn> ConversationStore::Recent(const std::string& id) {
  Shard& shard = ShardOf(id);
  std::lock_guard<std::mutex> lock(shard.mu);
  EvictExpired(shard, clock_->NowSeconds());
  auto it = shard.states.find(id);
  if (it == shard.states.end()) return {};
  return it->second.turns;
}

void ConversationStore::Add(const std::string& id, Turn turn) {
  if (id.empty()) return;
  Shard& shard = ShardOf(id);
  std::lock_guard<std::mutex> lock(shard.mu);
  int64_t now = clock_->NowSeconds();
  EvictExpired(shard, now);
  auto it = shard.states.find(id);
  if (it == shard.states.end()) {
    while (shard.states.size() >= max_per_shard_ && !shard.lru.empty()) {
      shard.states.erase(shard.lru.back());
      shard.lru.pop_back();
    }
    shard.lru.push_front(id);
    it = shard.states.emplace(id, State{{}, now, shard.lru.begin()}).first;
  } else {
    shard.lru.splice(shard.lru.begin(), shard.lru, it->second.lru);
  }
  State& state = it->second;
  state.last_seen = now;
  state.turns.push_back(std::move(turn));
  if (state.turns.size() > kMaxTurns) state.turns.erase(state.turns.begin());
}

size_t ConversationStore::size() {
  int64_t now = clock_->NowSeconds();
  size_t n = 0;
  for (size_t i = 0; i < shard_count_; i++) {
    Shard& shard = shards_[i];
    std::lock_guard<std::mutex> lock(shard.mu);
    EvictExpired(shard, now);
    n += shard.states.size();
  }
  return n;
}

}  // namespace bot
