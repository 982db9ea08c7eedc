// Conversation context: the recent turns of each conversation, so a short
// follow-up ("and how much do they earn?") can be read against the topic
// before it. Bounded (at most max_conversations, least recently used evicted;
// at most kMaxTurns turns each) and expiring (ttl_seconds after the last turn).
// Thread-safe. A large store (max_conversations >= kMinPerShard * kShards,
// the server's 10,000) spreads conversations over kShards shards by id, each
// with its own lock and an equal share of max_conversations (least recently
// used is then per shard), so answers on many threads do not queue on one
// lock: every answer adds a turn, and under load most of them start a new
// conversation. A smaller one is a single exact LRU.
#pragma once

#include <cstdint>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "bot/answer.h"
#include "bot/clock.h"

namespace bot {

struct Turn {
  std::vector<std::string> terms;  // the question's index terms
  std::string entry_id;            // the entry that answered it, empty if none
  std::vector<std::string> names;  // its terms typed as names ("Express", "Kubernetes")
  // Its own topic terms (not carried over from an earlier turn, not weak,
  // not the domain's): what a later pronoun may stand for ("bootcamp" in
  // "is a bootcamp a good alternative?", then "how long do they take?").
  std::vector<std::string> topic;
  std::string text;                // the question as asked (kept when it got a clarification)
  std::string normalized;          // ... and its index terms
  std::vector<ClarifyOption> options;  // the clarification's options, when it got one
  // Declined as a near miss: the question was about another occupation or
  // person ("How much does a firefighter earn?"), which its terms cannot
  // say, so a follow-up without words of its own is not read with them.
  bool near_miss = false;
  // The question named people ("backend developers", "engineers"): a later
  // "they" may stand for them rather than for the entry that answered.
  bool named_people = false;
  // The answer given to this turn. Not needed to read a follow-up; a store
  // shared by replicas (adapters/redis/conversations.h) also records it, so
  // that feedback on this answer is accepted by any replica.
  std::string answer_id;
};

// Where conversations are kept: this process's memory (ConversationStore),
// or a store every replica reaches (adapters/redis/conversations.h). Both
// keep at most kMaxTurns turns per conversation and forget one ttl_seconds
// after its last turn. A store that cannot answer (Redis down or slow)
// returns no turns and drops the turn added: the question is then read
// alone, never failed. Thread-safe.
class Conversations {
 public:
  static constexpr size_t kMaxTurns = 4;
  static constexpr size_t kDefaultMaxConversations = 10000;
  static constexpr int64_t kDefaultTtlSeconds = 1800;
  virtual ~Conversations() = default;
  // The turns of `id`, oldest first; empty when unknown or expired.
  virtual std::vector<Turn> Recent(const std::string& id) = 0;
  virtual void Add(const std::string& id, Turn turn) = 0;
};

class ConversationStore : public Conversations {
 public:
  ConversationStore(Clock* clock, size_t max_conversations = kDefaultMaxConversations,
                    int64_t ttl_seconds = kDefaultTtlSeconds);

  std::vector<Turn> Recent(const std::string& id) override;
  void Add(const std::string& id, Turn turn) override;
  size_t size();

 private:
  static constexpr size_t kShards = 16;
  static constexpr size_t kMinPerShard = 64;
  struct State {
    std::vector<Turn> turns;
    int64_t last_seen = 0;
    std::list<std::string>::iterator lru;
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, State> states;  // guarded by mu
    std::list<std::string> lru;                     // guarded by mu; most recently used at the front
  };
  Shard& ShardOf(const std::string& id);
  void EvictExpired(Shard& shard, int64_t now);

  Clock* clock_;
  const size_t shard_count_;  // kShards or 1
  const size_t max_per_shard_;
  const int64_t ttl_seconds_;
  Shard shards_[kShards];
};

}  // namespace bot
