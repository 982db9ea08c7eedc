// Conversation context: the recent turns of each conversation, so a short
// follow-up ("and how much do they earn?") can be read against the topic
// before it. Bounded (at most max_conversations, least recently used evicted;
// at most kMaxTurns turns each) and expiring (ttl_seconds after the last turn).
// Thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "bot/clock.h"

namespace bot {

struct Turn {
  std::vector<std::string> terms;  // the question's index terms
  std::string entry_id;            // the entry that answered it, empty if none
};

class ConversationStore {
 public:
  static constexpr size_t kMaxTurns = 4;

  ConversationStore(Clock* clock, size_t max_conversations = 10000, int64_t ttl_seconds = 1800);

  // The turns of `id`, oldest first; empty when unknown or expired.
  std::vector<Turn> Recent(const std::string& id);
  void Add(const std::string& id, Turn turn);
  size_t size();

 private:
  struct State {
    std::vector<Turn> turns;
    int64_t last_seen = 0;
    std::list<std::string>::iterator lru;
  };
  void EvictExpired(int64_t now);

  Clock* clock_;
  const size_t max_conversations_;
  const int64_t ttl_seconds_;
  std::mutex mu_;
  std::unordered_map<std::string, State> states_;
  std::list<std::string> lru_;  // most recently used at the front
};

}  // namespace bot
