// Evaluation: runs a set of questions with expected outcomes through the
// answering core and scores it. The case format is ../shared/eval/dev.jsonl's:
// {"id", "q", "expect": "answer"|"decline"|"smalltalk", "facts": [[alt, ...], ...],
//  "entry": [id, ...]}.
// An "answer" case passes when the bot answers from the knowledge base and
//  - its first source is one of the "entry" ids, or
//  - "facts" is given and every facts group has one alternative in the answer
//    (case-insensitive), or
//  - the case gives neither "entry" nor "facts" (any answer counts).
// "decline" passes when kind is "fallback"; "smalltalk" when kind is "smalltalk".
// A clarification (kind "clarify") never passes a case, but is counted:
// clarifications offered, and those whose options hold one of the "entry" ids.
//
// A line may instead be a dialogue: {"id", "turns": [{"q", "expect", "entry"?,
// "facts"?}, ...]}. Its turns are asked in order in one conversation, each
// judged as a single question is; the report adds the share of dialogues
// whose every turn passed.
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
  std::vector<std::string> entries;  // "entry": ids any of which is a right first source
  std::string dialogue;              // the dialogue's id; empty for a single question
  int turn = 0;                      // 0-based position in the dialogue
};

// Whether the clarification `answer` offers one of the case's "entry" ids,
// or an option whose answer (in `chosen`, when given) is right.
bool ClarificationHoldsRight(const EvalCase& c, const bot::Answer& answer,
                             const std::vector<bot::Answer>* chosen = nullptr);

// Whether `answer` is a right answer to the "answer" case `c` (see above).
bool AnswerIsRight(const EvalCase& c, const bot::Answer& answer);

struct EvalOutcome {
  const EvalCase* c = nullptr;
  std::string kind;  // at the threshold evaluated
  bool answered = false;
  double confidence = 0;
  std::string answer;
  std::string entry_id;
  std::vector<std::string> options;  // a clarification's entry ids
  bool pass = false;
  bool clarified_right = false;  // a clarification whose options hold an expected entry
};

struct EvalReport {
  double threshold = 0;
  int answer_total = 0, answer_pass = 0;
  int decline_total = 0, decline_pass = 0;
  int smalltalk_total = 0, smalltalk_pass = 0;
  int clarify_total = 0;        // clarifications offered (any case)
  int clarify_right = 0;        // ... on answerable cases, with an expected entry among the options
  int clarify_on_decline = 0;   // ... on cases that should be declined
  int dialogue_total = 0, dialogue_pass = 0;  // dialogues, and those with every turn right
  std::vector<EvalOutcome> outcomes;
  int cases() const { return answer_total + decline_total + smalltalk_total; }
  int turn_pass() const { return answer_pass + decline_pass + smalltalk_pass; }
  double turn_rate() const { return cases() ? double(turn_pass()) / cases() : 1.0; }
  double dialogue_rate() const { return dialogue_total ? double(dialogue_pass) / dialogue_total : 1.0; }
  double clarify_rate() const { return cases() ? double(clarify_total) / cases() : 0.0; }
  // Answerable cases answered right, or offered a clarification holding the right entry.
  double answer_or_clarify_rate() const {
    return answer_total ? double(answer_pass + clarify_right) / answer_total : 1.0;
  }
  double clarify_right_rate() const { return clarify_total ? double(clarify_right) / clarify_total : 1.0; }
  double answer_rate() const { return answer_total ? double(answer_pass) / answer_total : 1.0; }
  double decline_rate() const { return decline_total ? double(decline_pass) / decline_total : 1.0; }
  double smalltalk_rate() const { return smalltalk_total ? double(smalltalk_pass) / smalltalk_total : 1.0; }
};

// Parses JSONL cases; fails with kInvalidArgument naming the bad line.
bot::Result<std::vector<EvalCase>> ParseEvalCases(const std::string& jsonl);

// The answers to every case, asked through `source` with `options` (the
// decline threshold among them), as a user would get them.
struct RawAnswers {
  std::vector<bot::Answer> answers;
  // For each clarification: what choosing each of its options answers (asked
  // by entry id, outside the conversation), so an option counts as right as
  // an answer would (entry id or facts).
  std::vector<std::vector<bot::Answer>> chosen;
};
bot::Result<RawAnswers> AskAll(bot::KnowledgeSource* source, const std::vector<EvalCase>& cases,
                               const bot::AnswererOptions& options);

// Scores the answers; `threshold` is only reported.
EvalReport Score(const std::vector<EvalCase>& cases, const RawAnswers& raw, double threshold);

// How well the confidence predicts a right answer. Each answerable or decline
// case is one prediction: the confidence of the bot's best reading (asked at
// threshold 0), and whether answering with it would be right (an answerable
// case answered right; a decline case only when its best reading is an entry
// that itself declines, tagged no-answer). Reliability bins of width 0.1, the
// expected calibration error (the bins' |accuracy - mean confidence|,
// weighted by their share of cases) and the Brier score.
struct CalibrationBin {
  double lo = 0, hi = 0;
  int count = 0;
  double mean_confidence = 0;
  double accuracy = 0;
};
struct Calibration {
  int cases = 0;
  double ece = 0;
  double brier = 0;
  std::vector<CalibrationBin> bins;  // 10 bins, empty ones included
};
Calibration ComputeCalibration(const std::vector<EvalCase>& cases, const RawAnswers& at_zero);
std::string CalibrationToText(const Calibration& c);
nlohmann::json CalibrationToJson(const Calibration& c);

nlohmann::json ReportToJson(const EvalReport& report);
std::string ReportToText(const EvalReport& report, const std::string& title);

}  // namespace adapters::cli
