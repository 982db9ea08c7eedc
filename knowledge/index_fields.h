// The fields indexed for an entry: what the FTS5 row of an entry holds (the
// normalized terms of its title, of each question, of its tags and of its
// body) and the weight of each field. Built in one function, used by both of
// the store's write paths (a rebuild and a curated change) and by the test
// fake (tests/fakes/fake_retriever.h), so all three index an entry alike.
// Pure; no SQL.
#pragma once

#include <string>
#include <vector>

#include "bot/entry.h"
#include "bot/text.h"

namespace knowledge {

// Field weights of the index, in column order: the curated phrasings and the
// title say what an entry is about, the body only mentions things. FTS5 is
// configured with them (bm25), and Search() ranks with BM25F over the same.
constexpr double kTitleWeight = 4.0;
constexpr double kQuestionsWeight = 5.0;
constexpr double kTagsWeight = 2.0;
constexpr double kBodyWeight = 1.0;

// Between the questions' terms in the questions column, so that each
// phrasing can be compared on its own.
constexpr char kQuestionSeparator[] = " | ";

struct IndexFields {
  std::string title;                   // Normalizer::IndexText of the title
  std::vector<std::string> questions;  // of each question, in order
  std::string tags;                    // of the tags joined by " , "
  std::string body;                    // of the body
  // The questions column: the questions' terms joined by kQuestionSeparator.
  std::string QuestionsColumn() const;
};

IndexFields IndexFieldsFor(const bot::Entry& entry, const bot::Normalizer& normalizer);

// Splits `s` on `sep`; "" gives no part. Joins `parts` with `sep`.
std::vector<std::string> SplitOn(const std::string& s, const std::string& sep);
std::string JoinWith(const std::vector<std::string>& parts, const std::string& sep);

}  // namespace knowledge
