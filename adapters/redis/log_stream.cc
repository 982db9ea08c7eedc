#include "adapters/redis/log_stream.h"

#include <algorithm>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "adapters/redis/conversations.h"

namespace adapters::redis {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

// KEYS[1] the stream; ARGV[1] its approximate bound, ARGV[2] the answer
// keys' ttl (0: none), then pairs: an answer key ("" for feedback) and the
// event. One round trip for a whole batch.
constexpr const char* kShipScript = R"lua(
local ttl = tonumber(ARGV[2])
for i = 3, #ARGV, 2 do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[i + 1])
  if ARGV[i] ~= '' then
    if ttl > 0 then redis.call('SET', ARGV[i], '1', 'EX', ttl) else redis.call('SET', ARGV[i], '1') end
  end
end
return (#ARGV - 2) / 2
)lua";

constexpr size_t kMaxField = 4096;

bool GetString(const json& j, const char* key, std::string* out, bool required = false) {
  auto it = j.find(key);
  if (it == j.end()) return !required;
  if (!it->is_string()) return false;
  *out = it->get<std::string>();
  return out->size() <= kMaxField;
}

}  // namespace

std::string EncodeLogEvent(const LogEvent& e) {
  json j;
  if (e.feedback) {
    j = {{"k", "f"}, {"a", e.answer_id}, {"h", e.helpful}, {"c", e.comment}, {"at", e.at}};
  } else {
    const knowledge::LoggedQuestion& q = e.line;
    j = {{"k", "q"},          {"a", q.answer_id}, {"at", q.asked_at},       {"ch", q.channel},
         {"q", q.question},   {"n", q.normalized}, {"ok", q.answered},       {"kind", q.kind},
         {"c", q.confidence}, {"e", q.entry_id}};
    // Only when set (most lines): a reader from before them ignores them.
    if (!q.offered.empty()) j["o"] = q.offered;
    if (!q.clarifies.empty()) j["cl"] = q.clarifies;
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool DecodeLogEvent(const std::string& value, LogEvent* out) {
  json j = json::parse(value, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  std::string kind;
  if (!GetString(j, "k", &kind, true)) return false;
  auto at = j.find("at");
  if (at == j.end() || !at->is_number_integer()) return false;
  LogEvent e;
  if (kind == "f") {
    e.feedback = true;
    auto h = j.find("h");
    if (h == j.end() || !h->is_boolean()) return false;
    e.helpful = h->get<bool>();
    e.at = at->get<int64_t>();
    if (!GetString(j, "a", &e.answer_id, true) || !GetString(j, "c", &e.comment)) return false;
  } else if (kind == "q") {
    knowledge::LoggedQuestion& q = e.line;
    q.asked_at = at->get<int64_t>();
    auto ok = j.find("ok");
    auto c = j.find("c");
    if (ok == j.end() || !ok->is_boolean() || c == j.end() || !c->is_number()) return false;
    q.answered = ok->get<bool>();
    q.confidence = c->get<double>();
    if (!GetString(j, "a", &q.answer_id, true) || !GetString(j, "ch", &q.channel, true) ||
        !GetString(j, "q", &q.question, true) || !GetString(j, "n", &q.normalized) ||
        !GetString(j, "kind", &q.kind, true) || !GetString(j, "e", &q.entry_id) || !GetString(j, "o", &q.offered) ||
        !GetString(j, "cl", &q.clarifies)) {
      return false;
    }
  } else {
    return false;
  }
  const std::string& id = e.feedback ? e.answer_id : e.line.answer_id;
  if (id.empty() || id.size() > 128) return false;
  *out = std::move(e);
  return true;
}

// ---- LogShipper ----

LogShipper::LogShipper(RedisClient& sender, RedisClient& checker, int64_t answer_ttl_seconds, size_t capacity)
    : sender_(sender), checker_(checker), answer_ttl_seconds_(answer_ttl_seconds), capacity_(capacity) {
  thread_ = std::thread([this] { Run(); });
}

LogShipper::~LogShipper() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  if (!queue_.empty()) {
    spdlog::warn("shared question log: {} lines not sent to redis {} before stopping", queue_.size(),
                 sender_.Describe());
  }
}

bool LogShipper::Push(Item item) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= capacity_) {
      uint64_t dropped = ++dropped_;
      // Once, then every 10,000th: a long outage must not flood the log too.
      if (dropped % 10000 == 1) {
        spdlog::warn("shared question log: the buffer for redis is full ({} lines); {} dropped so far", capacity_,
                     dropped);
      }
      return false;
    }
    queue_.push_back(std::move(item));
  }
  cv_.notify_one();
  return true;
}

bool LogShipper::Append(const knowledge::LoggedQuestion& line) {
  LogEvent e;
  e.line = line;
  return Push({RedisConversations::AnswerKey(line.answer_id), EncodeLogEvent(e)});
}

bool LogShipper::AppendFeedback(const std::string& answer_id, bool helpful, const std::string& comment, int64_t at) {
  LogEvent e;
  e.feedback = true;
  e.answer_id = answer_id;
  e.helpful = helpful;
  e.comment = comment;
  e.at = at;
  return Push({"", EncodeLogEvent(e)});
}

bot::Result<bool> LogShipper::AnswerKnown(const std::string& answer_id) {
  if (answer_id.empty() || answer_id.size() > 128) return false;
  auto r = checker_.Command({"EXISTS", RedisConversations::AnswerKey(answer_id)});
  if (!r.ok()) return r.status();
  if (r->type != Reply::kInteger) return bot::Status::Unavailable("redis: unexpected reply to EXISTS");
  return r->integer == 1;
}

bool LogShipper::Flush(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_cv_.wait_for(lock, timeout, [&] { return queue_.empty(); });
}

LogShipper::Stats LogShipper::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {sent_, dropped_, queue_.size()};
}

void LogShipper::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  SteadyClock::time_point stop_deadline{};
  while (true) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (stop_ && stop_deadline == SteadyClock::time_point{}) stop_deadline = SteadyClock::now() + stop_timeout;
    if (queue_.empty()) return;
    if (stop_ && SteadyClock::now() >= stop_deadline) return;
    // The oldest lines, sent while newer ones queue behind them.
    const size_t n = std::min(queue_.size(), kMaxBatch);
    std::vector<std::string> argv = {"EVAL", kShipScript, "1", kLogStream, std::to_string(kStreamMaxLen),
                                     std::to_string(answer_ttl_seconds_)};
    argv.reserve(6 + 2 * n);
    for (size_t i = 0; i < n; i++) {
      argv.push_back(queue_[i].answer_key);
      argv.push_back(queue_[i].event);
    }
    lock.unlock();
    auto r = sender_.Command(argv);
    const bool ok = r.ok() && r->type == Reply::kInteger;
    lock.lock();
    if (ok) {
      // Only this thread pops, so the first n are still the ones sent.
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
      sent_ += n;
      if (queue_.empty()) idle_cv_.notify_all();
    } else {
      if (r.ok() && r->type == Reply::kError) {
        spdlog::warn("shared question log: redis refused a batch: {}", r->str);
      }
      // Redis away: the lines wait (bounded) and are tried again shortly;
      // the client fails at once until its retry time, so this costs nothing.
      cv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return stop_ && SteadyClock::now() >= stop_deadline; });
    }
  }
}

// ---- LogConsumer ----

LogConsumer::LogConsumer(RedisClient& client, Service& service, std::string name)
    : client_(client), service_(service), name_(std::move(name)) {}

LogConsumer::~LogConsumer() { Stop(); }

void LogConsumer::Start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void LogConsumer::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

LogConsumer::Stats LogConsumer::stats() const {
  return {lines_.load(std::memory_order_relaxed), feedback_.load(std::memory_order_relaxed),
          unresolved_.load(std::memory_order_relaxed), malformed_.load(std::memory_order_relaxed)};
}

bool LogConsumer::EnsureGroup() {
  if (group_ready_) return true;
  // From the stream's start: lines appended before the writer first came
  // up are read too. MKSTREAM: the writer may come up first.
  auto r = client_.Command({"XGROUP", "CREATE", kLogStream, kLogGroup, "0", "MKSTREAM"});
  if (!r.ok()) return false;
  if (r->type == Reply::kError && r->str.rfind("BUSYGROUP", 0) != 0) {
    spdlog::warn("shared question log: cannot create the consumer group: {}", r->str);
    return false;
  }
  group_ready_ = true;
  pending_dirty_ = true;
  return true;
}

void LogConsumer::Ack(const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  std::vector<std::string> argv = {"XACK", kLogStream, kLogGroup};
  argv.insert(argv.end(), ids.begin(), ids.end());
  // Not acknowledged (Redis away): read again from the pending entries and
  // written again, which changes nothing.
  auto r = client_.Command(argv);
  if (!r.ok()) pending_dirty_ = true;
}

void LogConsumer::Process(const std::vector<std::pair<std::string, const Reply*>>& entries) {
  std::vector<knowledge::LoggedQuestion> lines;
  std::vector<std::string> line_ids, done;
  std::vector<std::pair<std::string, LogEvent>> feedback;
  for (const auto& [id, fields] : entries) {
    std::string value;
    if (fields != nullptr && fields->type == Reply::kArray) {
      for (size_t i = 0; i + 1 < fields->elements.size(); i += 2) {
        if (fields->elements[i].str == "e") value = fields->elements[i + 1].str;
      }
    }
    LogEvent e;
    if (fields == nullptr || fields->type != Reply::kArray) {
      done.push_back(id);  // trimmed from the stream before it was read: nothing left to write
      continue;
    }
    if (!DecodeLogEvent(value, &e)) {
      malformed_.fetch_add(1, std::memory_order_relaxed);
      done.push_back(id);
      continue;
    }
    if (e.feedback) {
      feedback.emplace_back(id, std::move(e));
    } else {
      lines.push_back(std::move(e.line));
      line_ids.push_back(id);
    }
  }
  if (!lines.empty()) {
    bot::Status s = service_.WriteSharedLines(lines);
    if (s.ok()) {
      lines_.fetch_add(lines.size(), std::memory_order_relaxed);
      done.insert(done.end(), line_ids.begin(), line_ids.end());
    } else {
      spdlog::warn("shared question log: {} lines not written yet: {}", lines.size(), s.ToString());
      pending_dirty_ = true;
    }
  }
  const auto now = SteadyClock::now();
  for (auto& [id, e] : feedback) {
    bot::Status s = service_.WriteSharedFeedback(e.answer_id, e.helpful, e.comment, e.at);
    if (s.ok()) {
      feedback_.fetch_add(1, std::memory_order_relaxed);
      unresolved_since_.erase(id);
      done.push_back(id);
    } else if (s.code() == bot::Status::Code::kNotFound) {
      // Its line may still be on its way (another replica's buffer).
      auto it = unresolved_since_.emplace(id, now).first;
      if (now - it->second >= kFeedbackPatience) {
        spdlog::warn("shared question log: feedback on an answer never logged ({}), given up", e.answer_id);
        unresolved_.fetch_add(1, std::memory_order_relaxed);
        unresolved_since_.erase(it);
        done.push_back(id);
      } else {
        pending_dirty_ = true;
      }
    } else {
      spdlog::warn("shared question log: feedback not recorded yet: {}", s.ToString());
      pending_dirty_ = true;
    }
  }
  Ack(done);
}

bool LogConsumer::Read(const std::string& id, bool block, std::string* last, size_t* count) {
  std::vector<std::string> argv = {"XREADGROUP", "GROUP", kLogGroup, name_, "COUNT", "512"};
  if (block) {
    argv.push_back("BLOCK");
    argv.push_back(std::to_string(kBlock.count()));
  }
  argv.insert(argv.end(), {"STREAMS", kLogStream, id});
  auto r = client_.Command(argv);
  *count = 0;
  if (!r.ok()) return false;
  if (r->type == Reply::kError) {
    // NOGROUP: Redis restarted empty (or the stream was deleted): create it again.
    if (r->str.rfind("NOGROUP", 0) == 0) {
      group_ready_ = false;
    } else {
      spdlog::warn("shared question log: XREADGROUP: {}", r->str);
    }
    return false;
  }
  if (r->type != Reply::kArray || r->elements.empty()) return true;  // nothing new within the block time
  const Reply& stream = r->elements[0];
  if (stream.type != Reply::kArray || stream.elements.size() != 2 || stream.elements[1].type != Reply::kArray) {
    return true;
  }
  std::vector<std::pair<std::string, const Reply*>> entries;
  for (const Reply& entry : stream.elements[1].elements) {
    if (entry.type != Reply::kArray || entry.elements.size() != 2) continue;
    entries.emplace_back(entry.elements[0].str, entry.elements[1].type == Reply::kArray ? &entry.elements[1] : nullptr);
    *last = entry.elements[0].str;
  }
  *count = entries.size();
  if (!entries.empty()) Process(entries);
  return true;
}

void LogConsumer::Run() {
  auto last_claim = SteadyClock::time_point{};
  auto last_pending = SteadyClock::time_point{};
  while (!stop_) {
    if (!EnsureGroup()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    const auto now = SteadyClock::now();
    // Entries delivered to this consumer and not acknowledged: after a crash,
    // a failed write, feedback waiting for its line (again each second).
    if (pending_dirty_ && now - last_pending >= std::chrono::seconds(1)) {
      last_pending = now;
      pending_dirty_ = false;
      std::string from = "0", last;
      size_t count = 0;
      while (!stop_ && Read(from, false, &last, &count) && count > 0) from = last;
    }
    // Entries another consumer (a writer that went away under another name)
    // left pending for a minute.
    if (now - last_claim >= std::chrono::seconds(30)) {
      last_claim = now;
      auto r = client_.Command({"XAUTOCLAIM", kLogStream, kLogGroup, name_, "60000", "0-0", "COUNT", "512"});
      if (r.ok() && r->type == Reply::kArray && r->elements.size() >= 2 && r->elements[1].type == Reply::kArray &&
          !r->elements[1].elements.empty()) {
        pending_dirty_ = true;  // claimed: now this consumer's pending entries
        last_pending = {};
      }
    }
    std::string last;
    size_t count = 0;
    if (!Read(">", true, &last, &count)) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace adapters::redis
