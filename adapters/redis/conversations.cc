#include "adapters/redis/conversations.h"

#include <nlohmann/json.hpp>

namespace adapters::redis {
namespace {

using nlohmann::json;

// KEYS[1] the conversation's list, KEYS[2] the index of conversations by last
// turn, KEYS[3] the answer's key (may be ""). ARGV: the turn, max turns, ttl
// seconds, max conversations, the conversation id, the answer key's ttl
// (0: none), the conversation key prefix. On Redis's clock: replicas' clocks
// may differ.
constexpr const char* kAddScript = R"lua(
local t = redis.call('TIME')
local ttl = tonumber(ARGV[3])
-- Microseconds, as strings (a Lua number would be formatted with 14 digits).
local micros = string.format('%06d', tonumber(t[2]))
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], t[1] .. micros, ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. string.format('%d', tonumber(t[1]) - ttl) .. micros)
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if over > 0 then
  local old = redis.call('ZPOPMIN', KEYS[2], over)
  for i = 1, #old, 2 do redis.call('DEL', ARGV[7] .. old[i]) end
end
if KEYS[3] ~= '' then
  local answer_ttl = tonumber(ARGV[6])
  if answer_ttl > 0 then
    redis.call('SET', KEYS[3], '1', 'EX', answer_ttl)
  else
    redis.call('SET', KEYS[3], '1')
  end
end
return 1
)lua";

json Strings(const std::vector<std::string>& v) { return json(v); }

bool ReadStrings(const json& j, const char* key, std::vector<std::string>* out) {
  auto it = j.find(key);
  if (it == j.end()) return true;
  if (!it->is_array()) return false;
  for (const auto& s : *it) {
    if (!s.is_string()) return false;
    out->push_back(s.get<std::string>());
  }
  return true;
}

bool ReadString(const json& j, const char* key, std::string* out) {
  auto it = j.find(key);
  if (it == j.end()) return true;
  if (!it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}

}  // namespace

std::string EncodeTurn(const bot::Turn& turn) {
  json j = json::object();
  if (!turn.terms.empty()) j["t"] = Strings(turn.terms);
  if (!turn.entry_id.empty()) j["e"] = turn.entry_id;
  if (!turn.names.empty()) j["n"] = Strings(turn.names);
  if (!turn.topic.empty()) j["s"] = Strings(turn.topic);
  if (!turn.text.empty()) j["q"] = turn.text;
  if (!turn.normalized.empty()) j["z"] = turn.normalized;
  if (turn.near_miss) j["m"] = true;
  if (turn.named_people) j["p"] = true;
  if (!turn.options.empty()) {
    json options = json::array();
    for (const auto& o : turn.options) options.push_back(json::array({o.question, o.entry_id}));
    j["o"] = options;
  }
  // Invalid UTF-8 (questions are sanitized, but never throw here) is replaced.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool DecodeTurn(const std::string& value, bot::Turn* turn) {
  json j = json::parse(value, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  bot::Turn t;
  if (!ReadStrings(j, "t", &t.terms) || !ReadString(j, "e", &t.entry_id) || !ReadStrings(j, "n", &t.names) ||
      !ReadStrings(j, "s", &t.topic) ||
      !ReadString(j, "q", &t.text) || !ReadString(j, "z", &t.normalized)) {
    return false;
  }
  auto m = j.find("m");
  if (m != j.end()) {
    if (!m->is_boolean()) return false;
    t.near_miss = m->get<bool>();
  }
  auto p = j.find("p");
  if (p != j.end()) {
    if (!p->is_boolean()) return false;
    t.named_people = p->get<bool>();
  }
  auto o = j.find("o");
  if (o != j.end()) {
    if (!o->is_array()) return false;
    for (const auto& option : *o) {
      if (!option.is_array() || option.size() != 2 || !option[0].is_string() || !option[1].is_string()) return false;
      t.options.push_back({option[0].get<std::string>(), option[1].get<std::string>()});
    }
  }
  *turn = std::move(t);
  return true;
}

RedisConversations::RedisConversations(RedisClient& client, int64_t answer_ttl_seconds, size_t max_conversations,
                                       int64_t ttl_seconds)
    : client_(client),
      answer_ttl_seconds_(answer_ttl_seconds),
      max_conversations_(max_conversations == 0 ? 1 : max_conversations),
      ttl_seconds_(ttl_seconds <= 0 ? 1 : ttl_seconds) {}

std::vector<bot::Turn> RedisConversations::Recent(const std::string& id) {
  if (id.empty()) return {};
  auto r = client_.Command({"LRANGE", Key(id), "0", "-1"});
  if (!r.ok() || r->type != Reply::kArray) {
    fallbacks_.fetch_add(1, std::memory_order_relaxed);
    return {};
  }
  std::vector<bot::Turn> turns;
  for (const Reply& e : r->elements) {
    bot::Turn t;
    if (e.type == Reply::kString && DecodeTurn(e.str, &t)) turns.push_back(std::move(t));
  }
  // At most kMaxTurns, the newest (the list is trimmed; a value written by
  // anything else is not trusted to be).
  if (turns.size() > kMaxTurns) turns.erase(turns.begin(), turns.end() - kMaxTurns);
  return turns;
}

void RedisConversations::Add(const std::string& id, bot::Turn turn) {
  if (id.empty()) return;
  auto r = client_.Command({"EVAL", kAddScript, "3", Key(id), kIndexKey,
                            turn.answer_id.empty() ? std::string() : AnswerKey(turn.answer_id), EncodeTurn(turn),
                            std::to_string(kMaxTurns), std::to_string(ttl_seconds_),
                            std::to_string(max_conversations_), id, std::to_string(answer_ttl_seconds_),
                            "careerbot:conv:"});
  if (!r.ok() || r->type == Reply::kError) fallbacks_.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace adapters::redis
