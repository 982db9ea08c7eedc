// Store: the facade over the knowledge base's modules (see store.h). It opens
// the database, takes the writer's mutex around every write, and hands each
// call to the module that owns it; it holds no SQL of its own.
#include "knowledge/store.h"

#include "knowledge/entry_table.h"
#include "knowledge/gaps.h"

namespace knowledge {

using bot::Entry;
using bot::Result;
using bot::Status;

Store::~Store() {
  // Write what the question log still has queued, through the writer; then
  // close the search index's connection before the database (a temporary
  // store's files go with it).
  log_queue_.reset();
  index_.reset();
  db_.reset();
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, Mode mode) {
  ASSIGN_OR_RETURN(auto db, Database::Open(path, mode == Mode::kReadWrite));
  std::unique_ptr<Store> store(new Store(std::move(db)));
  if (store->writable()) {
    Store* raw = store.get();
    store->log_queue_ = std::make_unique<QuestionLogQueue>(
        [raw](const std::vector<LoggedQuestion>& lines) { return raw->LogQuestions(lines); });
  }
  ASSIGN_OR_RETURN(auto watcher, store->db_->Connect(false));
  store->index_ = std::make_unique<SearchIndex>(store->db_.get(), std::move(watcher));
  return store;
}

// ---- entries ----

Status Store::ReplaceAll(std::vector<Entry> entries, const std::string& synonyms_text, const std::string& origin) {
  RETURN_IF_ERROR(db_->CheckWritable());
  std::lock_guard<std::mutex> lock(db_->write_mu());
  return RebuildEntries(db_->writer(), std::move(entries), synonyms_text, origin);
}

Status Store::Compact() {
  std::lock_guard<std::mutex> lock(db_->write_mu());
  return Exec(db_->writer()->db, "VACUUM", "vacuum");
}

Result<std::vector<Entry>> Store::ListEntries() {
  ASSIGN_OR_RETURN(auto conn, db_->Reader());
  return ReadAllEntries(conn->db);
}

Result<Entry> Store::GetEntry(const std::string& id) {
  ASSIGN_OR_RETURN(auto conn, db_->Reader());
  return ReadOneEntry(conn->db, id);
}

Result<std::string> Store::GetMeta(const std::string& key) {
  ASSIGN_OR_RETURN(auto conn, db_->Reader());
  ASSIGN_OR_RETURN(auto meta, ReadMeta(conn->db, {key}));
  auto it = meta.find(key);
  if (it == meta.end()) return Status::NotFound("no metadata '" + key + "'");
  return it->second;
}

Result<size_t> Store::CountEntries() {
  ASSIGN_OR_RETURN(auto lexicon, GetLexicon());
  return lexicon->entry_count;
}

Result<std::vector<HistoryRecord>> Store::ApplyEntryChanges(const std::vector<EntryChange>& changes,
                                                          const std::string& who, int64_t at,
                                                          const std::function<void(size_t, size_t)>& progress) {
  RETURN_IF_ERROR(db_->CheckWritable());
  std::lock_guard<std::mutex> lock(db_->write_mu());
  return knowledge::ApplyEntryChanges(db_->writer(), changes, who, at, progress);
}

Result<std::vector<HistoryRecord>> Store::History(const std::string& entry_id, size_t limit) {
  ASSIGN_OR_RETURN(auto conn, db_->Reader());
  return ReadHistory(conn->db, entry_id, limit);
}

Result<HistoryRecord> Store::GetHistoryRecord(int64_t id) {
  ASSIGN_OR_RETURN(auto conn, db_->Reader());
  return ReadHistoryRecord(conn->db, id);
}

// ---- search ----

Result<std::shared_ptr<const bot::KnowledgeVersion>> Store::CurrentVersion() { return index_->CurrentVersion(); }

Result<std::shared_ptr<const bot::Lexicon>> Store::GetLexicon() { return index_->GetLexicon(); }

Result<std::vector<bot::Hit>> Store::Search(const std::vector<std::string>& terms, size_t limit) {
  return index_->Search(terms, limit);
}

void Store::SetBeforeVersionReadForTesting(std::function<void()> hook) {
  index_->SetBeforeReadForTesting(std::move(hook));
}

// ---- the question log ----

Status Store::LogQuestion(const LoggedQuestion& q) { return LogQuestions({q}); }

Status Store::LogQuestions(const std::vector<LoggedQuestion>& qs) {
  if (!writable() || qs.empty()) return Status::Ok();
  std::lock_guard<std::mutex> lock(db_->write_mu());
  return WriteQuestionLines(db_->writer(), qs);
}

bool Store::EnqueueQuestion(LoggedQuestion q) {
  if (!log_queue_) return true;  // a read-only snapshot keeps no log
  return log_queue_->Push(std::move(q));
}

void Store::FlushQuestionLog() {
  if (log_queue_) log_queue_->Flush();
}

Status Store::RecordFeedback(const std::string& answer_id, bool helpful, const std::string& comment, int64_t at) {
  RETURN_IF_ERROR(db_->CheckWritable());
  // The answer's line may still be queued: write it first.
  FlushQuestionLog();
  std::lock_guard<std::mutex> lock(db_->write_mu());
  return WriteFeedback(db_->writer()->db, answer_id, helpful, comment, at);
}

Result<int64_t> Store::PruneQuestionLog(int64_t before) {
  if (!writable()) return int64_t{0};  // a read-only store keeps no log
  FlushQuestionLog();
  std::lock_guard<std::mutex> lock(db_->write_mu());
  return DeleteQuestionsBefore(db_->writer()->db, before);
}

Result<std::vector<LoggedQuestion>> Store::ListGapQuestions(int64_t since, double low_confidence) {
  FlushQuestionLog();  // the lines answered so far, also those still queued
  ASSIGN_OR_RETURN(auto conn, db_->Reader());
  return ReadGapQuestions(conn->db, since, low_confidence);
}

// ---- gaps ----

Status Store::ResolveGaps(const std::vector<std::string>& keys, int64_t at, const std::string& how,
                          const std::string& entry_id, const std::string& who) {
  RETURN_IF_ERROR(db_->CheckWritable());
  std::lock_guard<std::mutex> lock(db_->write_mu());
  return WriteGapResolutions(db_->writer(), keys, at, how, entry_id, who);
}

// ---- trends ----

Result<LogStats> Store::ReadLogStats(const StatsQuery& query) {
  FlushQuestionLog();
  ASSIGN_OR_RETURN(auto conn, db_->Reader());
  return knowledge::ReadLogStats(conn.get(), query);
}

Result<EntryLogStats> Store::ReadEntryLogStats(const EntryStatsQuery& query) {
  FlushQuestionLog();
  ASSIGN_OR_RETURN(auto conn, db_->Reader());
  return knowledge::ReadEntryLogStats(conn.get(), query);
}

Result<std::map<std::string, int64_t>> Store::GapResolutions() {
  ASSIGN_OR_RETURN(auto conn, db_->Reader());
  return ReadGapResolutions(conn->db);
}

}  // namespace knowledge
