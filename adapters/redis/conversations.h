// Conversations kept in Redis (issue 16), so a follow-up that the load
// balancer sends to another replica is read with its context. The same
// bounds and expiry as this process's own store (bot::ConversationStore):
// at most kMaxTurns turns per conversation (a list, trimmed), forgotten
// ttl_seconds after its last turn (EXPIRE), and at most max_conversations
// at once for all replicas together (a sorted set of conversation ids by
// last turn; the least recently used go first). A turn is a compact JSON
// value. Adding a turn also records its answer id (careerbot:answer:ID, with
// the question log's retention), so feedback on that answer is accepted by
// any replica from the moment the answer leaves.
//
// One bounded Redis call each: Recent is one LRANGE, Add one EVAL. When Redis
// does not answer, Recent returns no turns and Add drops its turn: the
// question is read alone (a single turn), never failed, and the fallback is
// counted (careerbot_redis_fallbacks_total{what="conversation"}).
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "adapters/redis/redis_client.h"
#include "bot/conversation.h"

namespace adapters::redis {

// A turn as stored in Redis, and back; false for a value that is not one.
std::string EncodeTurn(const bot::Turn& turn);
bool DecodeTurn(const std::string& value, bot::Turn* turn);

class RedisConversations : public bot::Conversations {
 public:
  // `client` must outlive this. answer_ttl_seconds: how long an answer id is
  // known to every replica (the question log's retention; 0: forever).
  RedisConversations(RedisClient& client, int64_t answer_ttl_seconds,
                     size_t max_conversations = kDefaultMaxConversations, int64_t ttl_seconds = kDefaultTtlSeconds);

  std::vector<bot::Turn> Recent(const std::string& id) override;
  void Add(const std::string& id, bot::Turn turn) override;

  // Reads and writes that fell back to a single turn because Redis did not answer.
  uint64_t fallbacks() const { return fallbacks_.load(std::memory_order_relaxed); }

  static std::string Key(const std::string& id) { return "careerbot:conv:" + id; }
  static constexpr const char* kIndexKey = "careerbot:conv-index";
  static std::string AnswerKey(const std::string& answer_id) { return "careerbot:answer:" + answer_id; }

 private:
  RedisClient& client_;
  const int64_t answer_ttl_seconds_;
  const size_t max_conversations_;
  const int64_t ttl_seconds_;
  std::atomic<uint64_t> fallbacks_{0};
};

}  // namespace adapters::redis
