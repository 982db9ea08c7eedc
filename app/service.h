// The service every adapter talks to: the answering core plus the knowledge
// store's question log and feedback. One instance per process; thread-safe.
// No protocol knowledge here: adapters turn requests into calls on it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bot/answer.h"
#include "bot/answerer.h"
#include "bot/clock.h"
#include "bot/status.h"
#include "app/metrics.h"
#include "knowledge/store.h"
#include "knowledge/store_handle.h"

namespace adapters {

// What Service::Ask has answered, for GET /metrics: counts by channel and
// outcome, and a histogram of the answering time. Lock-free.
class AnswerMetrics {
 public:
  AnswerMetrics();
  enum Outcome { kAnswered, kDeclined, kSmallTalk, kFailed, kOutcomes };
  void Record(const std::string& channel, Outcome outcome, double seconds);
  // careerbot_answers_total{channel,outcome}, careerbot_answer_duration_seconds.
  void Render(std::string* out) const;

 private:
  // http, web, every chat platform (adapters/chat/registry.h), cli, other.
  std::vector<std::string> channels_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // [channel * kOutcomes + outcome]
  metrics::Histogram latency_;
};

// The question log and feedback shared by replicas (Redis: a stream that the
// writer consumes, adapters/redis/log_stream.h). Every method returns at
// once but AnswerKnown (one bounded call). Thread-safe.
class SharedLog {
 public:
  virtual ~SharedLog() = default;
  // Queues a question-log line for the writer; false when it was dropped
  // (its bounded buffer is full: Redis has been away too long).
  virtual bool Append(const knowledge::LoggedQuestion& line) = 0;
  // Queues feedback on an answer for the writer; false when dropped.
  virtual bool AppendFeedback(const std::string& answer_id, bool helpful, const std::string& comment, int64_t at) = 0;
  // Whether any replica gave the answer `answer_id` (within the log's
  // retention); kUnavailable when that cannot be told now (Redis down).
  virtual bot::Result<bool> AnswerKnown(const std::string& answer_id) = 0;
};

// Days the question log keeps a line unless configured otherwise.
constexpr int kDefaultLogRetentionDays = 90;

class Service {
 public:
  // Answers from `store` (not owned; it must outlive the Service).
  Service(knowledge::Store* store, bot::AnswererOptions options = {}, bot::Clock* clock = bot::Clock::Real(),
          bot::IdGenerator* ids = bot::IdGenerator::Random());
  // Answers from whatever `knowledge` serves (it may be reloaded meanwhile).
  // The question log and feedback go to `log_store` when given, else into
  // the knowledge base served (a read-only snapshot keeps none), pruned of
  // lines older than `log_retention_days` at once (0 keeps them forever).
  Service(std::shared_ptr<knowledge::StoreHandle> knowledge, std::shared_ptr<knowledge::Store> log_store,
          bot::AnswererOptions options = {}, bot::Clock* clock = bot::Clock::Real(),
          bot::IdGenerator* ids = bot::IdGenerator::Random(), int log_retention_days = kDefaultLogRetentionDays);

  // Answers and logs the question (channel from question.channel).
  bot::Result<bot::Answer> Ask(const bot::Question& question);
  // Feedback on an earlier answer; kNotFound for an unknown answer id. With
  // a shared log, an answer given by another replica is known too (and
  // kUnavailable while that cannot be checked).
  bot::Status Feedback(const std::string& answer_id, bool helpful, const std::string& comment);

  // Shares the question log and feedback with other replicas through
  // `shared` (not owned; it must outlive the Service, or be unset first):
  // every line logged and every feedback recorded is also appended there.
  // Set before serving. Null: this process's log only.
  void set_shared_log(SharedLog* shared) { shared_log_ = shared; }
  // The writer's side of a shared log: lines from every replica written into
  // this process's question log now (idempotent: a line whose answer id is
  // logged already is not logged again), and feedback recorded on a logged
  // answer (kNotFound while its line has not arrived). kUnavailable when this
  // process keeps no log (a read-only snapshot without --log-db).
  bot::Status WriteSharedLines(const std::vector<knowledge::LoggedQuestion>& lines);
  bot::Status WriteSharedFeedback(const std::string& answer_id, bool helpful, const std::string& comment, int64_t at);
  // Whether this process keeps a question log it can write.
  bool log_writable();
  // Feedback refused because an answer from another replica could not be
  // checked (Redis down): careerbot_redis_fallbacks_total{what="feedback"}.
  uint64_t shared_feedback_refused() const { return shared_feedback_refused_.load(std::memory_order_relaxed); }

  // The question log keeps a line this many days, then it is deleted: when
  // the service is made, then once a day as questions come in. 0 keeps lines
  // forever. Default: the constructor's, 90 unless configured
  // (CAREERBOT_LOG_RETENTION_DAYS, app/config.h).
  void set_log_retention_days(int days) { retention_days_ = days; }
  int log_retention_days() const { return retention_days_; }
  // Deletes the log lines older than the retention now; returns how many.
  bot::Result<int64_t> PruneLog();

  // The Store served now (knowledge::StoreHandle::Current): a reload may
  // replace it meanwhile, so hold the shared_ptr for as long as the work on
  // it must see one Store. (Ask needs none of this: it answers from one
  // view of the knowledge, bot::KnowledgeView.)
  std::shared_ptr<knowledge::Store> store() { return knowledge_->Current(); }
  knowledge::StoreHandle& knowledge() { return *knowledge_; }
  // Where the question log is kept: the --log-db store, else the knowledge
  // base served now (held as store()'s is).
  std::shared_ptr<knowledge::Store> log_store() { return LogStore(); }
  const AnswerMetrics& metrics() const { return metrics_; }
  bot::Answerer& answerer() { return answerer_; }
  bot::Clock& clock() { return *clock_; }
  // Turns off the question log (for evaluation runs, which are not users).
  void set_logging(bool on) { logging_ = on; }
  // Waits until every question logged so far is written to the log store.
  void FlushLog();
  // Lines the question log dropped because its queue was full.
  uint64_t log_dropped() const { return log_dropped_.load(std::memory_order_relaxed); }
  // The log store's writer now: lines written, failed, waiting.
  knowledge::QuestionLogQueue::Stats LogStats();

 private:
  // Where the question log goes: log_store_, else the knowledge base served now.
  std::shared_ptr<knowledge::Store> LogStore() { return log_store_ ? log_store_ : store(); }

  std::shared_ptr<knowledge::StoreHandle> knowledge_;
  std::shared_ptr<knowledge::Store> log_store_;
  bot::Clock* clock_;
  bot::Answerer answerer_;
  std::atomic<bool> logging_{true};
  std::atomic<int> retention_days_;
  std::atomic<int64_t> last_prune_{0};  // clock seconds
  AnswerMetrics metrics_;

  // The question log is written asynchronously: Ask queues its line on the
  // log store's bounded writer (knowledge/question_log.h) and returns. It
  // used to wait for the line's commit (a group commit behind the store's
  // one write connection): with 8 keep-alive clients on 2 cores that held
  // POST /v1/ask to 0.18 of GET /healthz's rate (0.28 with this writer, same
  // machine; what is left is answering itself). Lines dropped because the
  // queue was full are counted here (careerbot_question_log_dropped_total).
  std::atomic<uint64_t> log_dropped_{0};
  SharedLog* shared_log_ = nullptr;
  std::atomic<uint64_t> shared_feedback_refused_{0};
};


// `text` with whatever looks like a credential replaced by "[redacted]":
// chat-platform and cloud tokens (xoxb-..., ghp_..., sk-..., AKIA..., JWTs),
// the value after "Bearer", "token=", "password:" and the like, and long
// random-looking strings. The question log keeps questions only after this.
std::string RedactSecrets(const std::string& text);

}  // namespace adapters
