// The Answerer is the whole answering core behind one call, Ask(): small talk,
// normalization, typo tolerance, retrieval, re-ranking on coverage, the
// confidence that decides between answering and declining, answer
// composition, suggestions, conversation context and explanations. Every
// channel (HTTP, web chat, Slack, Discord, CLI) calls the same Ask().
// Thread-safe: Ask() may run on many threads at once.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bot/answer.h"
#include "bot/clock.h"
#include "bot/conversation.h"
#include "bot/retriever.h"
#include "bot/status.h"

namespace bot {

struct AnswererOptions {
  // Answers with a confidence below this are declined. Chosen with
  // `careerbot eval --sweep` on the dev sets (see README).
  double threshold = 0.54;
  size_t candidates = 16;        // hits re-ranked per question
  size_t max_query_terms = 24;   // distinct terms kept from a long question
  size_t max_answer_chars = 480; // longer bodies are cut to their best sentences
  // A runner-up within this score of the winner (and confident itself) is
  // answered too, in at most max_second_chars.
  double tie_margin = 0.05;
  size_t max_second_chars = 320;
  size_t max_suggestions = 3;
};

// Typo tolerance against the knowledge base's own vocabulary: the closest
// known term within a small edit distance. Immutable; thread-safe.
class TypoCorrector {
 public:
  explicit TypoCorrector(const Lexicon& lexicon);
  // The index term most likely meant by the typed word `surface` (whose index
  // term is `term`), or "" when none is close enough. Real English words and
  // words shorter than 5 letters are never corrected.
  std::string Correct(const std::string& surface, const std::string& term) const;

 private:
  struct Candidate {
    std::string term;       // the string compared against
    std::string canonical;  // the index term it stands for
    uint32_t doc_freq;
  };
  std::vector<std::vector<Candidate>> by_length_;
};

class Answerer {
 public:
  Answerer(Retriever* retriever, AnswererOptions options = {}, Clock* clock = Clock::Real(),
           IdGenerator* ids = IdGenerator::Random());

  // Answers `question`. Fails with kInvalidArgument for an empty question and
  // passes on the retriever's kUnavailable; anything else gets an Answer
  // (a decline is an Answer with kind "fallback").
  Result<Answer> Ask(const Question& question);

  const AnswererOptions& options() const { return options_; }
  ConversationStore& conversations() { return conversations_; }

 private:
  struct Prepared;  // a lexicon with its typo corrector
  Result<std::shared_ptr<const Prepared>> Prepare();

  Retriever* retriever_;
  AnswererOptions options_;
  Clock* clock_;
  IdGenerator* ids_;
  ConversationStore conversations_;
  std::mutex mu_;
  std::shared_ptr<const Prepared> prepared_;  // guarded by mu_
};

}  // namespace bot
