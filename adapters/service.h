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
};

}  // namespace adapters
