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
#include "bot/ranking.h"
#include "bot/retriever.h"
#include "bot/status.h"

namespace bot {

struct AnswererOptions {
  // Answers with a confidence below this are declined. Chosen with
  // `careerbot eval --sweep` on the dev sets (see docs/answering.md).
  double threshold = 0.54;
  size_t candidates = 16;        // hits re-ranked per question
  size_t max_query_terms = 24;   // distinct terms kept from a long question
  size_t max_answer_chars = 480; // longer bodies are cut to their best sentences
  // A runner-up within this score of the winner (and confident itself) is
  // answered too, in at most max_second_chars.
  double tie_margin = 0.05;
  size_t max_second_chars = 320;
  size_t max_suggestions = 3;
  // Below the threshold but at or above this confidence, a question whose
  // best entries are plausible gets a clarification (kind "clarify": "Did
  // you mean one of these?" with up to max_options of the knowledge's own
  // questions) instead of a decline. At or above the threshold: no
  // clarifications. Chosen with `careerbot eval --sweep-clarify` (docs/answering.md).
  double clarify_floor = 0.33;
  size_t max_options = 3;
  // The learned ranking (bot/ranking.h): when set, its probability orders
  // the candidates and is the confidence; `threshold` should then be the
  // model's. Null: the hand-set coverage ranking.
  std::shared_ptr<const ranking::Model> model;
};

// One candidate entry for a question, as the ranking sees it (for training
// and inspecting the learned ranking).
struct Candidate {
  std::string entry_id;
  bool no_answer = false;  // the entry is tagged no-answer (it declines)
  ranking::Features features{};
  double hand_score = 0;
  double hand_confidence = 0;
  bool curated_phrasing = false;  // the question is one of the entry's phrasings, word for word
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

// The knowledge one request answers from, taken once at its start and passed
// down to every step: one knowledge-base version (its lexicon and the search
// on exactly that version), the typo corrector made from that lexicon, and
// the learned model in use (null: the hand-set ranking). Immutable and
// shared: it keeps its version alive (and with it, for a served knowledge
// base, the store it came from) while a reload makes a newer one current, so
// no step of the request can read one version and rank or compose from another.
class KnowledgeView {
 public:
  KnowledgeView(std::shared_ptr<const KnowledgeVersion> version, std::shared_ptr<const TypoCorrector> typos,
                std::shared_ptr<const ranking::Model> model)
      : version_(std::move(version)), typos_(std::move(typos)), model_(std::move(model)) {}

  const Lexicon& lexicon() const { return *version_->lexicon(); }
  const TypoCorrector& typos() const { return *typos_; }
  const ranking::Model* model() const { return model_.get(); }
  // KnowledgeVersion::Search on this view's version.
  Result<std::vector<Hit>> Search(const std::vector<std::string>& terms, size_t limit) const {
    return version_->Search(terms, limit);
  }

 private:
  std::shared_ptr<const KnowledgeVersion> version_;
  std::shared_ptr<const TypoCorrector> typos_;
  std::shared_ptr<const ranking::Model> model_;
};

class Answerer {
 public:
  // `source` is not owned: it must outlive the Answerer.
  Answerer(KnowledgeSource* source, AnswererOptions options = {}, Clock* clock = Clock::Real(),
           IdGenerator* ids = IdGenerator::Random());

  // The view a request starting now answers from: the source's current
  // version with options().model. Fails as the source does.
  Result<std::shared_ptr<const KnowledgeView>> View();

  // Answers `question` from View(), taken once. Fails with kInvalidArgument
  // for an empty question and passes on the source's kUnavailable; anything
  // else gets an Answer (a decline is an Answer with kind "fallback").
  Result<Answer> Ask(const Question& question);
  // Answers `question` wholly from `view`.
  Result<Answer> Ask(const KnowledgeView& view, const Question& question);

  // The candidate entries for `text` (no conversation, no small talk), best
  // first by the hand-set score, with their ranking features.
  Result<std::vector<Candidate>> Candidates(const std::string& text);

  const AnswererOptions& options() const { return options_; }
  // This process's own conversations (used unless set_conversations).
  ConversationStore& conversations() { return conversations_; }
  // Keeps conversations in `shared` instead (a store every replica reaches;
  // not owned: it must outlive the Answerer, or be unset first). Set before
  // Ask is called; null goes back to this process's own store.
  void set_conversations(Conversations* shared) { shared_conversations_ = shared; }

 private:
  // Answers with entry `entry_id`, chosen among a clarification's options;
  // `text` is the option's question. kNotFound when no such entry.
  Result<Answer> AnswerChosen(const KnowledgeView& view, const Question& question, const std::string& text,
                              const std::string& entry_id, const std::string& clarified_question,
                              const std::vector<Turn>& history, Answer answer);

  KnowledgeSource* source_;
  AnswererOptions options_;
  Clock* clock_;
  IdGenerator* ids_;
  ConversationStore conversations_;
  Conversations* shared_conversations_ = nullptr;
  Conversations& Dialogue() { return shared_conversations_ ? *shared_conversations_ : conversations_; }
  // The typo corrector of the last lexicon seen, made once per version.
  std::mutex mu_;
  std::shared_ptr<const Lexicon> typos_lexicon_;  // guarded by mu_
  std::shared_ptr<const TypoCorrector> typos_;    // guarded by mu_
};

}  // namespace bot
