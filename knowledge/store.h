// The knowledge-base store: one SQLite file (WAL) holding the entries, their
// FTS5 index with field weights, the synonym list they were indexed with,
// metadata (schema version, content version), the question log and the
// history of curated changes. It is the only code that talks to SQLite.
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
#include "knowledge/question_log.h"

struct sqlite3;
struct sqlite3_stmt;

namespace knowledge {

constexpr int kSchemaVersion = 1;

// Field weights of the index, in column order: the curated phrasings and the
// title say what an entry is about, the body only mentions things. FTS5 is
// configured with them (bm25), and Search() ranks with BM25F over the same.
constexpr double kTitleWeight = 4.0;
constexpr double kQuestionsWeight = 5.0;
constexpr double kTagsWeight = 2.0;
constexpr double kBodyWeight = 1.0;

// One asked question, as the question log keeps it.
struct LoggedQuestion {
  std::string answer_id;
  int64_t asked_at = 0;  // Unix seconds
  std::string channel;
  std::string question;    // as asked (sanitized, capped)
  std::string normalized;  // its index terms
  bool answered = false;
  std::string kind;
  double confidence = 0;
  std::string entry_id;
  int helpful = -1;  // the feedback given later: 1 helpful, 0 not helpful, -1 none
};

// ---- Curation (see knowledge/curation.h, which validates before it writes) ----

// One change to one entry, applied by Store::ApplyEntryChanges.
struct EntryChange {
  enum class Op {
    kAdd,      // insert `entry`; kAlreadyExists when its id is taken
    kReplace,  // replace entry `id` with `entry` (same id); kNotFound when missing
    kPut,      // insert `entry`, or replace the entry with its id
    kDelete,   // delete entry `id`; kNotFound when missing
    kEdit,     // `edit` rewrites a copy of entry `id` (not its id); kNotFound when missing
  };
  Op op = Op::kPut;
  std::string id;  // kReplace, kDelete, kEdit; the others use entry.id
  bot::Entry entry;
  std::function<bot::Status(bot::Entry*)> edit;
  // When set, the entry's current EntryFingerprint ("" when it does not
  // exist) must equal it, else the change fails with kAlreadyExists: someone
  // changed the entry since the caller read it.
  std::optional<std::string> expect;
  std::string action;  // recorded in the history: add, edit, delete, import, revert, ...
};

// One recorded change to one entry.
struct HistoryRecord {
  int64_t id = 0;  // 0: the change left the entry as it was, and was not recorded
  int64_t at = 0;  // Unix seconds
  std::string who;
  std::string action;
  std::string entry_id;
  std::optional<bot::Entry> before;  // nullopt: the entry did not exist
  std::optional<bot::Entry> after;   // nullopt: the entry was deleted
  std::string version;               // the knowledge base's version after the change
};

class Store : public bot::Retriever {
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

  // bot::Retriever. Search: FTS5 finds the entries holding the terms (the
  // rarest first, a bounded number of candidates); BM25F with the field
  // weights ranks them from the in-memory snapshot of the index.
  bot::Result<std::shared_ptr<const bot::Lexicon>> GetLexicon() override;
  bot::Result<std::vector<bot::Hit>> Search(const std::vector<std::string>& terms, size_t limit) override;
  // Searches the snapshot `lexicon` belongs to while it is the current one,
  // without checking the file for a newer version again (GetLexicon just
  // did: one read transaction per question saved).
  bot::Result<std::vector<bot::Hit>> SearchIn(const bot::Lexicon& lexicon, const std::vector<std::string>& terms,
                                              size_t limit) override;

  // At most this many candidate rows are scored per search: terms are taken
  // rarest first until their entries would exceed it (always at least one).
  static constexpr size_t kMaxCandidates = 4000;

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
  bool writable() const { return mode_ == Mode::kReadWrite; }
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

  const std::string& path() const { return path_; }

 private:
  struct Conn;
  explicit Store(std::string path, Mode mode);
  bot::Result<std::unique_ptr<Conn>> Connect(bool write);
  std::unique_ptr<Conn> AcquireReader();
  void ReleaseReader(std::unique_ptr<Conn> conn);
  struct Snapshot;  // the whole index in memory for ranking; immutable
  // The snapshot of the current content version: reloaded only when another
  // commit changed the version (a question-log write does not).
  bot::Result<std::shared_ptr<const Snapshot>> CurrentSnapshot();
  bot::Result<std::shared_ptr<const Snapshot>> LoadSnapshot(Conn* conn, const std::string& version);
  // Search on one snapshot; *stale when the content changed under it.
  bot::Result<std::vector<bot::Hit>> SearchSnapshot(const Snapshot& snap, const std::vector<std::string>& terms,
                                                    size_t limit, bool* stale);
  // Reads the Hits of scored[i] for i in `missing` into (*best)[i] (and the
  // snapshot's cache), unless the content version is no longer the
  // snapshot's (*stale).
  bot::Status ReadHits(Conn* conn, const Snapshot& snap, const std::vector<std::pair<double, uint32_t>>& scored,
                       const std::vector<size_t>& missing, std::vector<std::shared_ptr<const bot::IndexedEntry>>* best,
                       bool* stale);

  std::string path_;
  Mode mode_;
  bool temporary_ = false;  // a ":memory:" store: its file goes when the store does
  std::mutex write_mu_;
  std::unique_ptr<Conn> writer_;  // guarded by write_mu_
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Conn>> readers_;  // idle readers, guarded by pool_mu_
  std::mutex lexicon_mu_;
  std::unique_ptr<Conn> watcher_;  // guarded by lexicon_mu_
  int64_t data_version_ = -1;      // guarded by lexicon_mu_
  // Written under lexicon_mu_, with std::atomic_store: SearchIn reads it
  // without the mutex (std::atomic_load).
  std::shared_ptr<const Snapshot> snapshot_;
  // The question log's writer; declared last so it is destroyed (flushed)
  // first, while the connections it writes through still exist.
  std::unique_ptr<QuestionLogQueue> log_queue_;
};

// Quotes index terms into an FTS5 MATCH expression: each term becomes a
// string ("term", embedded quotes doubled) and terms are OR'ed. The result
// never contains FTS5 operators from the input. Empty input gives "".
std::string Fts5OrQuery(const std::vector<std::string>& terms);

}  // namespace knowledge
