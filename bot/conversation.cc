#include "bot/conversation.h"

namespace bot {

ConversationStore::ConversationStore(Clock* clock, size_t max_conversations, int64_t ttl_seconds)
    : clock_(clock), max_conversations_(max_conversations), ttl_seconds_(ttl_seconds) {}

void ConversationStore::EvictExpired(int64_t now) {
  // The LRU list is ordered by last use, so expired ones sit at the back.
  while (!lru_.empty()) {
    auto it = states_.find(lru_.back());
    if (it == states_.end() || now - it->second.last_seen <= ttl_seconds_) break;
    states_.erase(it);
    lru_.pop_back();
  }
}

std::vector<Turn> ConversationStore::Recent(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  EvictExpired(clock_->NowSeconds());
  auto it = states_.find(id);
  if (it == states_.end()) return {};
  return it->second.turns;
}

void ConversationStore::Add(const std::string& id, Turn turn) {
  if (id.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = clock_->NowSeconds();
  EvictExpired(now);
  auto it = states_.find(id);
  if (it == states_.end()) {
    while (states_.size() >= max_conversations_ && !lru_.empty()) {
      states_.erase(lru_.back());
      lru_.pop_back();
    }
    lru_.push_front(id);
    it = states_.emplace(id, State{{}, now, lru_.begin()}).first;
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }
  State& state = it->second;
  state.last_seen = now;
  state.turns.push_back(std::move(turn));
  if (state.turns.size() > kMaxTurns) state.turns.erase(state.turns.begin());
}

size_t ConversationStore::size() {
  std::lock_guard<std::mutex> lock(mu_);
  EvictExpired(clock_->NowSeconds());
  return states_.size();
}

}  // namespace bot
