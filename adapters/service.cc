#include "adapters/service.h"

#include <spdlog/spdlog.h>

namespace adapters {

Service::Service(knowledge::Store* store, bot::AnswererOptions options, bot::Clock* clock, bot::IdGenerator* ids)
    : store_(store), clock_(clock), answerer_(store, options, clock, ids) {}

bot::Result<bot::Answer> Service::Ask(const bot::Question& question) {
  auto answer = answerer_.Ask(question);
  if (!answer.ok() || !logging_) return answer;
  knowledge::LoggedQuestion q;
  q.answer_id = answer->answer_id;
  q.asked_at = clock_->NowSeconds();
  q.channel = question.channel;
  q.question = question.text;
  q.normalized = answer->normalized_question;
  q.answered = answer->answered;
  q.kind = answer->kind;
  q.confidence = answer->confidence;
  q.entry_id = answer->entry_id;
  bot::Status s = store_->LogQuestion(q);
  // Losing a log line must not lose the answer.
  if (!s.ok()) spdlog::warn("question log: {}", s.ToString());
  return answer;
}

bot::Status Service::Feedback(const std::string& answer_id, bool helpful, const std::string& comment) {
  return store_->RecordFeedback(answer_id, helpful, comment, clock_->NowSeconds());
}

}  // namespace adapters
