// `careerbot kb train`: builds the training data for the learned ranker
// (bot/ranking.h) and fits it, reporting held-out figures first.
//
// Training questions: knowledge/train/questions.jsonl (careerbot eval's format
// with "entry" ids), generated variants of each (filler, Title Case, a typo,
// lower case without punctuation, a cut-off start) and the entries' own
// curated phrasings. Each candidate the retrieval finds for a question is one
// example: its ranking features, and whether it is one of the question's
// entries.
//
// Held-out figures come from k-fold cross-validation grouped by question: a
// question and its generated variants are always in the same fold, so no
// variant of a test question is ever trained on.
#pragma once

#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "adapters/cli/eval.h"
#include "bot/answerer.h"
#include "bot/entry.h"
#include "bot/ranking.h"

namespace adapters::cli {

struct TrainQuestion {
  std::string text;
  std::string group;    // the written question it comes from (cross-validation keeps a group together)
  std::string source;   // "written", "variant", "curated" or "paraphrase"
  bool answerable = false;
  std::vector<std::string> entries;  // right entries (a no-answer entry for some declines)
  // "paraphrase": a curated phrasing asked of the knowledge base without it
  // (entry `entries[0]`, phrasing number `phrasing`), as a clean question
  // the entry's other phrasings, title and text must answer.
  int phrasing = -1;
};

// The written questions, their generated variants and the curated phrasings
// of `entries`, in a stable order. Deterministic.
std::vector<TrainQuestion> BuildTrainingQuestions(const std::vector<EvalCase>& written,
                                                  const std::vector<bot::Entry>& entries, bool variants,
                                                  bool paraphrases = false);

// The entries without the phrasings of the paraphrase questions in `fold` of
// `folds` (by group): the knowledge base those questions are asked of. Adds
// to `held_out` the (entry id, phrasing number) pairs really left out (an
// entry keeps at least one phrasing).
std::vector<bot::Entry> WithoutParaphrases(const std::vector<bot::Entry>& entries,
                                           const std::vector<TrainQuestion>& questions, int fold, int folds,
                                           std::set<std::pair<std::string, int>>* held_out);
// The fold (of `folds`) a question's group falls in, as cross-validation splits them.
int FoldOf(const std::string& group, int folds);

// The generated variants of one question (deterministic for a given text).
std::vector<std::string> QuestionVariants(const std::string& question);

// A question with its candidates' features, computed once.
struct TrainItem {
  const TrainQuestion* q = nullptr;
  std::vector<bot::Candidate> candidates;
};

// Held-out figures for one way of ranking.
struct HeldOut {
  int answerable = 0, answerable_right = 0;  // right entry first and confident enough
  int top1_right = 0;                        // right entry first, whatever the confidence
  int decline = 0, decline_right = 0;
  double ece = 0, brier = 0;
  double answer_rate() const { return answerable ? double(answerable_right) / answerable : 1; }
  double top1_rate() const { return answerable ? double(top1_right) / answerable : 1; }
  double decline_rate() const { return decline ? double(decline_right) / decline : 1; }
};

struct TrainReport {
  int folds = 0;
  size_t questions = 0, examples = 0;
  double threshold = 0.5;
  // Per source ("all", "written", "variant", "curated"): the learned model's
  // held-out figures, and the hand-set ranking's on the same questions.
  std::vector<std::pair<std::string, HeldOut>> learned, hand;
  std::string text;  // the printable report
};

// Writes every candidate's features as tab-separated text, for comparing
// other learners offline (scripts/compare_rankers.py): a header line, then
// one line per candidate: the question's group, source and whether it is
// answerable, the candidate's position in the hand-set order (0 first), whether
// it is a right answer, whether it is a no-answer entry, and the features
// (bot/ranking.h, by name).
void WriteFeatures(const std::vector<TrainItem>& items, std::ostream& out);

// Cross-validates, then fits the model on everything. `l2` is the penalty.
// With `hand_order`, the candidates keep the hand-set order and only the
// confidence is learned; with `hand_floor` too, the confidence is never below
// the hand-set one (bot::ranking::Model::hand_floor).
bot::ranking::Model TrainRanker(const std::vector<TrainItem>& items, int folds, double l2, double threshold,
                                TrainReport* report, bool hand_order = false, bool hand_floor = false);

}  // namespace adapters::cli
