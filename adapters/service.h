// The service every adapter talks to: the answering core plus the knowledge
// store's question log and feedback. One instance per process; thread-safe.
// No protocol knowledge here: adapters turn requests into calls on it.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "bot/answer.h"
#include "bot/answerer.h"
#include "bot/clock.h"
#include "bot/status.h"
#include "knowledge/store.h"

namespace adapters {

class Service {
 public:
  Service(knowledge::Store* store, bot::AnswererOptions options = {}, bot::Clock* clock = bot::Clock::Real(),
          bot::IdGenerator* ids = bot::IdGenerator::Random());

  // Answers and logs the question (channel from question.channel).
  bot::Result<bot::Answer> Ask(const bot::Question& question);
  // Feedback on an earlier answer; kNotFound for an unknown answer id.
  bot::Status Feedback(const std::string& answer_id, bool helpful, const std::string& comment);

  // The question log keeps a line this many days, then it is deleted: when
  // the service is made, then once a day as questions come in. 0 keeps lines
  // forever. Default: $CAREERBOT_LOG_RETENTION_DAYS, else 90.
  void set_log_retention_days(int days) { retention_days_ = days; }
  int log_retention_days() const { return retention_days_; }
  // Deletes the log lines older than the retention now; returns how many.
  bot::Result<int64_t> PruneLog();

  knowledge::Store& store() { return *store_; }
  bot::Answerer& answerer() { return answerer_; }
  bot::Clock& clock() { return *clock_; }
  // Turns off the question log (for evaluation runs, which are not users).
  void set_logging(bool on) { logging_ = on; }

 private:
  knowledge::Store* store_;
  bot::Clock* clock_;
  bot::Answerer answerer_;
  std::atomic<bool> logging_{true};
  std::atomic<int> retention_days_;
  std::atomic<int64_t> last_prune_{0};  // clock seconds
};

// $CAREERBOT_LOG_RETENTION_DAYS as a number of days (0 or more), else 90.
int LogRetentionDaysFromEnv();

// `text` with whatever looks like a credential replaced by "[redacted]":
// chat-platform and cloud tokens (xoxb-..., ghp_..., sk-..., AKIA..., JWTs),
// the value after "Bearer", "token=", "password:" and the like, and long
// random-looking strings. The question log keeps questions only after this.
std::string RedactSecrets(const std::string& text);

}  // namespace adapters
