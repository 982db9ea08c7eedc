// Evaluation: runs a set of questions with expected outcomes through the
// answering core and scores it. The case format is ../shared/eval/dev.jsonl's:
// {"id", "q", "expect": "answer"|"decline"|"smalltalk", "facts": [[alt, ...], ...]}.
// An "answer" case passes when the bot answers and every facts group has one
// alternative in the answer (case-insensitive); "decline" when kind is
// "fallback"; "smalltalk" when kind is "smalltalk".
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bot/answerer.h"
#include "bot/status.h"

namespace adapters::cli {

struct EvalCase {
  std::string id;
  std::string question;
  std::string expect;
  std::vector<std::vector<std::string>> facts;
};

struct EvalOutcome {
  const EvalCase* c = nullptr;
  std::string kind;  // at the threshold evaluated
  bool answered = false;
  double confidence = 0;
  std::string answer;
  std::string entry_id;
  bool pass = false;
};

struct EvalReport {
  double threshold = 0;
  int answer_total = 0, answer_pass = 0;
  int decline_total = 0, decline_pass = 0;
  int smalltalk_total = 0, smalltalk_pass = 0;
  std::vector<EvalOutcome> outcomes;
  double answer_rate() const { return answer_total ? double(answer_pass) / answer_total : 1.0; }
  double decline_rate() const { return decline_total ? double(decline_pass) / decline_total : 1.0; }
  double smalltalk_rate() const { return smalltalk_total ? double(smalltalk_pass) / smalltalk_total : 1.0; }
};

// Parses JSONL cases; fails with kInvalidArgument naming the bad line.
bot::Result<std::vector<EvalCase>> ParseEvalCases(const std::string& jsonl);

// The answers to every case, asked through `retriever` with `options` (the
// decline threshold among them), as a user would get them.
struct RawAnswers {
  std::vector<bot::Answer> answers;
};
bot::Result<RawAnswers> AskAll(bot::Retriever* retriever, const std::vector<EvalCase>& cases,
                               const bot::AnswererOptions& options);

// Scores the answers; `threshold` is only reported.
EvalReport Score(const std::vector<EvalCase>& cases, const RawAnswers& raw, double threshold);

nlohmann::json ReportToJson(const EvalReport& report);
std::string ReportToText(const EvalReport& report, const std::string& title);

}  // namespace adapters::cli
