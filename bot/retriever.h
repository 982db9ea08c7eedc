// The Retriever is the core's view of a knowledge base: a lexicon (terms and
// how many entries hold them) and a ranked full-text search. knowledge/
// implements it over SQLite FTS5; tests implement it in memory.
// Implementations must be safe to call from many threads at once.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bot/entry.h"
#include "bot/status.h"
#include "bot/text.h"

namespace bot {

// What the core needs to know about the whole knowledge base, immutable once
// built; a new one is made when the knowledge base changes.
struct Lexicon {
  std::string version;     // changes whenever any entry or the synonyms change
  size_t entry_count = 0;
  std::unordered_map<std::string, uint32_t> doc_freq;  // index term -> entries holding it
  // Index terms that some entry holds in its title, curated questions or
  // tags: what the knowledge base is about, as opposed to words its bodies
  // merely use.
  std::unordered_set<std::string> head_terms;
  Normalizer normalizer;   // built from the knowledge base's own synonym list
};

// How rare a term is: the BM25 inverse document frequency (always > 0).
inline double Idf(size_t entries, uint32_t doc_freq) {
  return std::log(1.0 + (static_cast<double>(entries) - doc_freq + 0.5) / (doc_freq + 0.5));
}

// One search result: the entry and its indexed terms per field (space-separated
// index terms, as Normalizer::IndexText made them).
struct Hit {
  int64_t rowid = 0;
  double bm25 = 0;  // larger is better
  Entry entry;
  std::string title_terms;
  std::vector<std::string> question_terms;  // one string per alternate question
  std::string tag_terms;
  std::string body_terms;
  // Sum of Idf() over the distinct terms of the title and of each question.
  // Optional: a retriever that precomputes them saves the ranker the work;
  // left at -1 / empty, the ranker computes them.
  double title_idf = -1;
  std::vector<double> question_idf;
};

class Retriever {
 public:
  virtual ~Retriever() = default;

  // The current lexicon. Cheap when nothing changed (returns the cached one).
  // Fails with kUnavailable when the store cannot be read.
  virtual Result<std::shared_ptr<const Lexicon>> GetLexicon() = 0;

  // Entries holding any of `terms` (index terms; never raw user text), best
  // first by weighted BM25, at most `limit`. An empty `terms` gives no hits.
  // Fails with kUnavailable when the store cannot be read.
  virtual Result<std::vector<Hit>> Search(const std::vector<std::string>& terms, size_t limit) = 0;
};

}  // namespace bot
