// What the core needs of a knowledge base: a lexicon (terms and how many
// entries hold them) and a ranked full-text search, one version at a time.
// A KnowledgeSource hands out the current KnowledgeVersion; a version is
// immutable, and its Search runs on exactly that version, so a request that
// takes one version at its start (bot::KnowledgeView, bot/answerer.h) reads,
// ranks and composes from one knowledge base even if it is replaced
// meanwhile. knowledge/ implements both over SQLite FTS5; tests implement
// them in memory. Implementations must be safe to call from many threads at once.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
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

// A set of index terms for membership tests: the distinct terms' TermHash
// values, sorted. (64-bit hashes of a few thousand distinct terms: a false
// match is a ~1e-12 event, and would only nudge one candidate's score.)
using TermSet = std::vector<uint64_t>;
uint64_t TermHash(std::string_view term);
// The TermSet of space-separated index terms (Normalizer::IndexText's output).
TermSet MakeTermSet(std::string_view terms);
inline bool Has(const TermSet& set, uint64_t term_hash) {
  // Most sets are a phrasing's few terms: a scan beats a binary search there.
  if (set.size() <= 16) return std::find(set.begin(), set.end(), term_hash) != set.end();
  return std::binary_search(set.begin(), set.end(), term_hash);
}

// An entry as the index holds it: the entry and its index terms per field
// (space-separated, as Normalizer::IndexText made them). Immutable once made,
// and shared: a retriever may keep it between searches and hand the same one
// to every search that finds it (nothing is copied per search).
struct IndexedEntry {
  int64_t rowid = 0;
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
  // The fields' terms as sets, which the ranker tests every question term
  // against (searching the strings instead took a quarter of an answer).
  // Filled by PrepareTermSets; a retriever that leaves them empty
  // (sets_ready false) has the ranker make them per search.
  bool sets_ready = false;
  TermSet title_set;
  std::vector<TermSet> question_sets;  // one per question_terms string
  TermSet head_set;                    // title, questions and tags together
  TermSet body_set;
  uint32_t ask_forms = 0;  // AskForm of each curated question, or-ed together (PrepareTermSets)
  // What the title and each curated question are about: the TermHash of
  // each one's first term that is neither weak nor generic (IsGenericTerm;
  // the first non-weak one when all are generic): "api" in "What is an API
  // in backend development?", "backenddevelop" in "What is backend
  // development?". Distinct (PrepareTermSets).
  TermSet subjects;
};

// Whether an index term says little about what a question or phrasing is
// about: a word of the domain ("backend", "developer") or one more than
// kCommonTermShare of the entries hold.
bool IsGenericTerm(const Lexicon& lexicon, const std::string& term);

// Fills doc's term sets from its term strings; its subjects with `lexicon`'s
// generic terms passed over (the first non-weak term when all are generic).
void PrepareTermSets(IndexedEntry* doc, const Lexicon& lexicon);

// `doc` with its term sets: itself when the retriever made them, else a
// copy in `*local` with them made.
const IndexedEntry& WithTermSets(const IndexedEntry& doc, const Lexicon& lexicon, IndexedEntry* local);

// One search result: an indexed entry and its score.
struct Hit {
  std::shared_ptr<const IndexedEntry> doc;  // never null
  double bm25 = 0;  // larger is better
  const Entry& entry() const { return doc->entry; }
};

// One version of a knowledge base: its lexicon and a search on that version
// only. Immutable; shared by every request that took it (and kept alive by
// them after the source has moved on to a newer version).
class KnowledgeVersion {
 public:
  virtual ~KnowledgeVersion() = default;

  // The lexicon of this version (never null).
  virtual const std::shared_ptr<const Lexicon>& lexicon() const = 0;

  // Entries of this version holding any of `terms` (index terms; never raw
  // user text), best first by weighted BM25, at most `limit`. An empty
  // `terms` gives no hits. Always this version's entries, whatever the
  // source has become since. Fails with kUnavailable when the store cannot
  // be read.
  virtual Result<std::vector<Hit>> Search(const std::vector<std::string>& terms, size_t limit) const = 0;
};

// Where the knowledge comes from: the version current now. Cheap when nothing
// changed (the same version again). Fails with kUnavailable when the store
// cannot be read.
class KnowledgeSource {
 public:
  virtual ~KnowledgeSource() = default;
  virtual Result<std::shared_ptr<const KnowledgeVersion>> CurrentVersion() = 0;
};

}  // namespace bot
