// The question log and feedback of every replica, through a Redis stream to
// the writer (issue 16).
//
// LogShipper (every replica): Service::Ask and Service::Feedback hand it a
// line and return at once; a background thread appends what is queued to
// the stream careerbot:log (XADD MAXLEN ~ kStreamMaxLen, in one EVAL per
// batch) and records each answer id (careerbot:answer:ID, with the question
// log's retention) so feedback on it is accepted by any replica. While
// Redis is down or slow, lines wait in a bounded buffer (kDefaultCapacity)
// and are sent when it answers again; beyond the bound the newest are
// dropped and counted. The answer itself never waits for Redis.
//
// LogConsumer (the writer, serve --redis-consumer): reads the stream with a
// consumer group (XREADGROUP + XACK) into this process's question log.
// Idempotent: a line whose answer id is logged already is not logged again
// (a batch sent twice after a timeout, a line this process logged itself).
// A line is acknowledged only once written, so after a crash the writer
// reads what it had not acknowledged again (its own pending entries, and
// those another consumer left pending for a minute: XAUTOCLAIM). Feedback on
// an answer whose line has not arrived yet stays pending and is tried again
// (a replica's line may reach the stream after another replica's feedback
// on it); given up on (and counted) after kFeedbackPatience.
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/redis/redis_client.h"
#include "app/service.h"
#include "knowledge/store.h"

namespace adapters::redis {

constexpr const char* kLogStream = "careerbot:log";
constexpr const char* kLogGroup = "careerbot-writer";
// About this many entries are kept in the stream (trimmed as it grows; the
// writer normally reads each within milliseconds).
constexpr size_t kStreamMaxLen = 100000;

// One stream entry: a question-log line or a feedback event, as JSON.
struct LogEvent {
  bool feedback = false;
  knowledge::LoggedQuestion line;  // !feedback
  std::string answer_id;           // feedback
  bool helpful = false;
  std::string comment;
  int64_t at = 0;
};
std::string EncodeLogEvent(const LogEvent& event);
bool DecodeLogEvent(const std::string& value, LogEvent* event);

class LogShipper : public SharedLog {
 public:
  static constexpr size_t kDefaultCapacity = 10000;
  static constexpr size_t kMaxBatch = 256;
  // `sender` (one connection of its own, used by the background thread) and
  // `checker` (the replica's pool, for AnswerKnown) must outlive this.
  LogShipper(RedisClient& sender, RedisClient& checker, int64_t answer_ttl_seconds,
             size_t capacity = kDefaultCapacity);
  // Sends what is queued for at most `stop_timeout`, then stops.
  ~LogShipper() override;
  LogShipper(const LogShipper&) = delete;
  LogShipper& operator=(const LogShipper&) = delete;

  bool Append(const knowledge::LoggedQuestion& line) override;
  bool AppendFeedback(const std::string& answer_id, bool helpful, const std::string& comment, int64_t at) override;
  bot::Result<bool> AnswerKnown(const std::string& answer_id) override;

  // Waits until nothing is queued, at most `timeout`; true when so.
  bool Flush(std::chrono::milliseconds timeout);

  struct Stats {
    uint64_t sent = 0;     // entries appended to the stream
    uint64_t dropped = 0;  // refused: the buffer was full
    size_t queued = 0;     // waiting (Redis away, or just queued)
  };
  Stats stats() const;
  std::chrono::milliseconds stop_timeout{2000};

 private:
  struct Item {
    std::string answer_key;  // set for a question line
    std::string event;
  };
  bool Push(Item item);
  void Run();

  RedisClient& sender_;
  RedisClient& checker_;
  const int64_t answer_ttl_seconds_;
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;       // queued, or stopping
  std::condition_variable idle_cv_;  // the queue emptied
  std::deque<Item> queue_;           // guarded by mu_
  uint64_t sent_ = 0, dropped_ = 0;  // guarded by mu_
  bool stop_ = false;                // guarded by mu_
  std::thread thread_;
};

class LogConsumer {
 public:
  static constexpr std::chrono::seconds kFeedbackPatience{300};
  // Reads as consumer `name` of the group into `service`'s question log.
  // `client` (its own connection; a command timeout above kBlock) and
  // `service` must outlive this.
  LogConsumer(RedisClient& client, Service& service, std::string name = "writer");
  ~LogConsumer();
  LogConsumer(const LogConsumer&) = delete;
  LogConsumer& operator=(const LogConsumer&) = delete;
  void Start();
  void Stop();

  struct Stats {
    uint64_t lines = 0;       // question-log lines written (or found logged already)
    uint64_t feedback = 0;    // feedback events recorded
    uint64_t unresolved = 0;  // feedback on an answer never logged, given up on
    uint64_t malformed = 0;   // entries that were not a careerbot event
  };
  Stats stats() const;
  static constexpr std::chrono::milliseconds kBlock{500};

 private:
  void Run();
  bool EnsureGroup();
  // Reads once with `id` (">" new entries, else pending from that id);
  // sets *last to the last id seen, *count to the entries read. False when
  // Redis did not answer.
  bool Read(const std::string& id, bool block, std::string* last, size_t* count);
  void Process(const std::vector<std::pair<std::string, const Reply*>>& entries);
  void Ack(const std::vector<std::string>& ids);

  RedisClient& client_;
  Service& service_;
  const std::string name_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  bool group_ready_ = false;                 // consumer thread only
  bool pending_dirty_ = true;                // consumer thread only: read own pending entries again
  std::map<std::string, std::chrono::steady_clock::time_point> unresolved_since_;  // consumer thread only
  std::atomic<uint64_t> lines_{0}, feedback_{0}, unresolved_{0}, malformed_{0};
};

}  // namespace adapters::redis
