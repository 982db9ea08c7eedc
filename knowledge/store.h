// The knowledge-base store: one SQLite file (WAL) holding the entries, their
// FTS5 index with field weights, the synonym list they were indexed with,
// metadata (schema version, content version), the question log and the
// history of curated changes. Store is the facade every caller uses; the work
// is done by one module per responsibility, each the only code that touches
// its tables:
//   db.h              the schema, connections, RAII statements and transactions
//   index_fields.h    the fields indexed for an entry (one function)
//   content_version.h the content version's hash
//   search_index.h    the in-memory search snapshot, its codec, Search
//   entry_plan.h      planning curated changes (pure, no SQL)
//   entry_table.h     entries, their FTS5 rows and the history, in SQL
//   question_log.h    the question log (its queue and its table)
//   gaps.h            gaps, and the gaps curators resolved
//
// Thread-safety: every public method may be called from many threads. Reads
// use a small pool of connections; writes go through one connection under a
// mutex and commit atomically, so readers never see half a change.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "bot/entry.h"
#include "bot/retriever.h"
#include "bot/status.h"
#include "knowledge/db.h"
#include "knowledge/entry_plan.h"
#include "knowledge/index_fields.h"
#include "knowledge/question_log.h"
#include "knowledge/search_index.h"
#include "knowledge/stats.h"

namespace knowledge {

// kSchemaVersion (db.h), the field weights (index_fields.h), EntryChange and
// HistoryRecord (entry_plan.h), LoggedQuestion (question_log.h) and
// Fts5OrQuery (search_index.h) are declared where they are used.

class Store : public bot::KnowledgeSource {
 public:
  enum class Mode { kReadOnly, kReadWrite };

  // Opens (kReadWrite: creating if missing) the store at `path`; ":memory:"
  // gives a private temporary store, removed when closed (for tests and
  // benchmarks). Fails with kUnavailable when
  // the file cannot be opened or its schema is from a newer version.
  static bot::Result<std::unique_ptr<Store>> Open(const std::string& path, Mode mode = Mode::kReadWrite);
  ~Store() override;

  // Replaces the whole knowledge base with `entries` indexed with the synonym
  // list `synonyms_text`, in one transaction. Deterministic: the same input
  // gives the same content version. Fails with kInvalidArgument on an invalid
  // or duplicate id (nothing changes).
  bot::Status ReplaceAll(std::vector<bot::Entry> entries, const std::string& synonyms_text,
                         const std::string& origin);
  // Compacts the file (VACUUM); used after a build.
  bot::Status Compact();

  bot::Result<std::vector<bot::Entry>> ListEntries();
  bot::Result<bot::Entry> GetEntry(const std::string& id);
  bot::Result<std::string> GetMeta(const std::string& key);
  bot::Result<size_t> CountEntries();

  // bot::KnowledgeSource: the in-memory snapshot of the index for the
  // current content version (reloaded when a commit changed it). Its Search:
  // FTS5 finds the entries holding the terms (the rarest first, a bounded
  // number of candidates); BM25F with the field weights ranks them from the
  // snapshot. A version holds a read transaction of its content version (on
  // a reader connection of its own) while it is kept, so its searches read
  // that version even while curators commit: keep one for a request, not
  // for good. It may be used only while this Store is open (a StoreHandle's
  // versions keep their Store open themselves).
  bot::Result<std::shared_ptr<const bot::KnowledgeVersion>> CurrentVersion() override;
  // The current version's lexicon, and a search on whatever version is
  // current (for tools and tests; a request searches one version).
  bot::Result<std::shared_ptr<const bot::Lexicon>> GetLexicon();
  bot::Result<std::vector<bot::Hit>> Search(const std::vector<std::string>& terms, size_t limit);
  // Test seam (SearchIndex::SetBeforeReadForTesting): runs `hook` inside
  // CurrentVersion where a concurrent commit races the request.
  void SetBeforeVersionReadForTesting(std::function<void()> hook);

  // At most this many candidate rows are scored per search: terms are taken
  // rarest first until their entries would exceed it (always at least one).
  static constexpr size_t kMaxCandidates = kMaxSearchCandidates;

  // The question log. Never stores secrets: only what LoggedQuestion holds.
  bot::Status LogQuestion(const LoggedQuestion& q);
  // Logs `qs` in one transaction (group commit: one WAL commit for many
  // answers under load); all or none.
  bot::Status LogQuestions(const std::vector<LoggedQuestion>& qs);
  // Queues `q` for the asynchronous writer (knowledge/question_log.h): never
  // waits for the disk. False only when the queue is full and the line was
  // dropped. A read-only store keeps no log (true, nothing queued).
  // RecordFeedback, ListGapQuestions and PruneQuestionLog flush the queue
  // first, and closing the store flushes it.
  bool EnqueueQuestion(LoggedQuestion q);
  // Waits until every line queued so far is written.
  void FlushQuestionLog();
  // The writer of a writable store (nullptr for a read-only one).
  QuestionLogQueue* question_log_queue() { return log_queue_.get(); }
  bool writable() const { return db_->writable(); }
  // Records feedback on a logged answer; kNotFound for an unknown answer id.
  bot::Status RecordFeedback(const std::string& answer_id, bool helpful, const std::string& comment,
                             int64_t at);

  // Deletes the log lines asked before `before` (Unix seconds); returns how many.
  bot::Result<int64_t> PruneQuestionLog(int64_t before);
  // The log lines asked at or after `since` that a curator should look at,
  // oldest first, with their feedback: declined questions (not small talk),
  // answers with a confidence below `low_confidence`, and answers marked not
  // helpful.
  bot::Result<std::vector<LoggedQuestion>> ListGapQuestions(int64_t since, double low_confidence);

  // Applies `changes` in order, in one transaction: all or nothing, and no
  // reader ever sees part of it. Each change that alters an entry updates its
  // row and its FTS row in place (no rebuild) and adds a history row (when,
  // `who`, action, before and after); a change that alters nothing is not
  // recorded (its HistoryRecord has id 0). When anything changed, meta
  // "version" becomes a hash of the previous version and the changes (so
  // every channel answers from the new content at once) and meta "origin"
  // becomes "curated" (so OpenOrBuild never replaces it with the built-in
  // knowledge). Returns one HistoryRecord per change. Fails, changing
  // nothing, with kInvalidArgument (an id that is not a slug, an empty title
  // or body, a failing edit; the caller validates fully before), kNotFound,
  // kAlreadyExists or kUnavailable. `progress(done, total)` is called as the
  // changes are written.
  bot::Result<std::vector<HistoryRecord>> ApplyEntryChanges(
      const std::vector<EntryChange>& changes, const std::string& who, int64_t at,
      const std::function<void(size_t, size_t)>& progress = nullptr);
  // The recorded changes of entry `entry_id`, newest first, at most `limit`.
  bot::Result<std::vector<HistoryRecord>> History(const std::string& entry_id, size_t limit = 100);
  // One recorded change; kNotFound when there is none with that id.
  bot::Result<HistoryRecord> GetHistoryRecord(int64_t id);

  // Gaps a curator has dealt with (accepted as a question, or dismissed):
  // their wording keys, when, how and by whom. Log lines with such a key
  // asked before that time no longer count as gaps.
  bot::Status ResolveGaps(const std::vector<std::string>& keys, int64_t at, const std::string& how,
                          const std::string& entry_id, const std::string& who);
  // Key -> when it was resolved.
  bot::Result<std::map<std::string, int64_t>> GapResolutions();

  // The question log's trends (knowledge/stats.h): counts and entry ids
  // only. Both flush the queue first.
  bot::Result<LogStats> ReadLogStats(const StatsQuery& query);
  bot::Result<EntryLogStats> ReadEntryLogStats(const EntryStatsQuery& query);

  const std::string& path() const { return db_->path(); }

 private:
  explicit Store(std::unique_ptr<Database> db) : db_(std::move(db)) {}

  std::unique_ptr<Database> db_;
  std::unique_ptr<SearchIndex> index_;
  // The question log's writer; declared last so it is destroyed (flushed)
  // first, while the connections it writes through still exist.
  std::unique_ptr<QuestionLogQueue> log_queue_;
};

}  // namespace knowledge
