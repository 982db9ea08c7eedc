// What goes into the answering core and what comes out: Question and Answer,
// plain value types shared by every channel's adapter.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace bot {

struct Question {
  std::string text;
  std::string conversation_id;  // empty: a new conversation
  std::string channel = "cli";  // http, web, slack, discord, mattermost, cli
  bool explain = false;
  // Asks this entry directly: a choice among a clarification's options
  // (ClarifyOption::entry_id). The text is then the option's question.
  std::string entry_id;
  // With entry_id: the answer id of the clarification that offered it, as
  // the option's button carries it, so that the choice is logged as that
  // clarification resolved even when the conversation has expired. Claimed
  // by the caller, not trusted: the question log checks that the line
  // exists, was a clarification and offered entry_id (Answer::clarification_id).
  std::string clarification_id;
};

// An answer id as the answering core makes them (32 hex digits; tests' own
// ids are shorter): 1 to 64 of [A-Za-z0-9_-]. Anything else a caller sends as
// one (Question::clarification_id) is malformed.
inline bool IsWellFormedAnswerId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// One choice of a clarification: one of the knowledge's own questions, and
// the entry that choosing it asks.
struct ClarifyOption {
  std::string question;
  std::string entry_id;
};

struct AnswerSource {
  std::string id;
  std::string title;
  std::string article;
  std::string section;
  std::string url;
  double score = 0;
};

// Why an answer was chosen (Question::explain).
struct Explanation {
  struct FieldMatch {
    std::string field;               // title, questions, tags, body
    std::vector<std::string> terms;  // index terms of the question found there
  };
  std::vector<std::string> query_terms;        // index terms the question became
  std::vector<std::string> corrected;          // "salery -> salari" typo corrections
  std::vector<std::string> context_terms;      // terms carried over from the conversation
  bool context_used = false;                   // the previous turn's terms took part
  std::string context_reason;                  // why the previous turn was used or not
  std::vector<FieldMatch> matches;             // for the winning entry
  std::string winner_id;
  double winner_score = 0;
  std::string runner_up_id;
  double runner_up_score = 0;
  double runner_up_confidence = 0;
  double margin = 0;                // winner_score - runner_up_score
  double coverage = 0;              // weighted share of the question's topic terms the winner holds
  double question_similarity = 0;   // closeness to the winner's nearest curated phrasing
  double confidence = 0;            // the confidence the decision used
  // Its parts: the hand-set confidence (coverage adjusted by
  // question_similarity) and the learned model's probability (-1 when no
  // model is in use; bot/ranking.h, Model::hand_floor, says how they combine).
  double hand_confidence = 0;
  double learned_confidence = -1;
  double threshold = 0;
  std::string kb_version;
};

struct Answer {
  std::string text;
  bool answered = false;
  std::string kind;  // "kb", "smalltalk", "clarify" or "fallback"
  double confidence = 0;
  std::string answer_id;
  std::vector<AnswerSource> sources;
  std::vector<std::string> suggestions;
  // kind "clarify": the entries the question most likely means, best first
  // (at most three, one question each); choosing one asks that entry.
  std::vector<ClarifyOption> options;
  // This answer is a choice among the previous turn's clarification options:
  // the question that needed the clarification (for the question log).
  std::string clarified_question;
  std::string clarified_normalized;  // its index terms
  // A choice of an entry (Question::entry_id or a clarification's option):
  // the answer id of the clarification it answers. From the conversation
  // when clarified_question is set; else as the question claimed it
  // (Question::clarification_id), for the question log to check.
  std::string clarification_id;
  std::string conversation_id;
  std::string entry_id;             // the winning entry, empty when none
  std::string normalized_question;  // the question's index terms, space-separated
  std::optional<Explanation> explanation;
};

}  // namespace bot
