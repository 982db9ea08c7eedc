// The in-memory search snapshot of the index and searching it: a compact
// copy of every entry's indexed terms (its codec is in search_index.cc),
// reloaded when the content version changes; FTS5 finds the candidates of a
// search (its answer for each rare term kept in the snapshot as postings,
// with the term's counts), BM25F with the field weights (index_fields.h)
// ranks them from the snapshot, and the best candidates' Hits are read from
// SQLite by rowid (and cached per snapshot). A request's bot::KnowledgeVersion is a snapshot with
// a read transaction of its own that holds the snapshot's content version in
// SQLite while the request keeps it: every search of the request reads that
// version, whatever curators commit meanwhile.
// Thread-safety: every method may be called from many threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "bot/retriever.h"
#include "bot/status.h"
#include "knowledge/db.h"

namespace knowledge {

// At most this many candidate rows are scored per search: terms are taken
// rarest first until their entries would exceed it (always at least one).
constexpr size_t kMaxSearchCandidates = 4000;

// Quotes index terms into an FTS5 MATCH expression: each term becomes a
// string ("term", embedded quotes doubled) and terms are OR'ed. The result
// never contains FTS5 operators from the input. Empty input gives "".
std::string Fts5OrQuery(const std::vector<std::string>& terms);

class SearchIndex {
 public:
  // Reads through `db`'s readers; `watcher` is a connection of its own that
  // notices commits (PRAGMA data_version).
  SearchIndex(Database* db, std::unique_ptr<Conn> watcher);
  ~SearchIndex();

  // See Store::CurrentVersion, Store::GetLexicon and Store::Search. A
  // version may be used only while this index (its Store) exists.
  bot::Result<std::shared_ptr<const bot::KnowledgeVersion>> CurrentVersion();
  bot::Result<std::shared_ptr<const bot::Lexicon>> GetLexicon();
  bot::Result<std::vector<bot::Hit>> Search(const std::vector<std::string>& terms, size_t limit);

  // Test seam: `hook` runs in CurrentVersion between taking the shared
  // snapshot and beginning the request's read transaction, where a
  // curator's commit makes the two versions differ. Set it before any
  // request runs; not synchronized.
  void SetBeforeReadForTesting(std::function<void()> hook) { before_read_for_testing_ = std::move(hook); }

 private:
  struct Snapshot;  // the whole index in memory for ranking; immutable
  class Version;    // a snapshot and a read transaction of its content version
  // The snapshot of the current content version: reloaded only when another
  // commit changed the version (a question-log write does not).
  bot::Result<std::shared_ptr<const Snapshot>> CurrentSnapshot();
  // Reads the index through `conn` in a read transaction of its own, or in
  // the one `conn` is in already (`in_transaction`).
  bot::Result<std::shared_ptr<const Snapshot>> LoadSnapshot(Conn* conn, const std::string& version,
                                                            bool in_transaction = false);
  // Search on one snapshot through `conn`, which is in a read transaction
  // of the snapshot's content version.
  bot::Result<std::vector<bot::Hit>> SearchSnapshot(const Snapshot& snap, Conn* conn,
                                                    const std::vector<std::string>& terms, size_t limit) const;
  // Reads the Hits of scored[i] for i in `missing` into (*best)[i] (and the
  // snapshot's cache), in the caller's read transaction.
  bot::Status ReadHits(Conn* conn, const Snapshot& snap, const std::vector<std::pair<double, uint32_t>>& scored,
                       const std::vector<size_t>& missing,
                       std::vector<std::shared_ptr<const bot::IndexedEntry>>* best) const;

  Database* db_;
  std::mutex lexicon_mu_;
  std::unique_ptr<Conn> watcher_;  // guarded by lexicon_mu_
  int64_t data_version_ = -1;      // guarded by lexicon_mu_
  std::shared_ptr<const Snapshot> snapshot_;  // guarded by lexicon_mu_
  std::function<void()> before_read_for_testing_;
};

}  // namespace knowledge
