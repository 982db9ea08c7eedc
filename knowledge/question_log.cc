#include "knowledge/question_log.h"

#include <sqlite3.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "bot/text.h"
#include "knowledge/db.h"

namespace knowledge {

namespace {
// After a failed write (a full disk), the next try waits this long, unless
// someone flushes: a failing disk is not hammered, nor the log flooded.
constexpr std::chrono::seconds kRetryDelay{1};
}  // namespace

QuestionLogQueue::QuestionLogQueue(WriteFn write, size_t capacity, size_t max_batch, std::chrono::milliseconds linger)
    : write_(std::move(write)),
      capacity_(capacity == 0 ? 1 : capacity),
      max_batch_(max_batch == 0 ? 1 : max_batch),
      linger_(linger) {}

QuestionLogQueue::~QuestionLogQueue() {
  Flush();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool QuestionLogQueue::Push(LoggedQuestion line) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ || queue_.size() >= capacity_) {
      dropped_++;
      return false;
    }
    queue_.push_back(Queued{++pushed_, 0, std::move(line)});
    if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
    // The writer waits for one of two things: a first line (the queue was
    // empty), or, while it lets lines gather, a full batch. Any other push
    // would only wake it to go back to sleep: a context switch per answer,
    // which under load cost more than the write itself.
    wake = queue_.size() == 1 || queue_.size() == max_batch_;
  }
  if (wake) work_cv_.notify_one();
  return true;
}

// The queue holds at most its capacity, and flushes are rare (feedback, gaps,
// stopping): a scan is fine.
bool QuestionLogQueue::Untried(uint64_t target, uint64_t since) const {
  if (in_flight_min_ <= target) return true;  // its outcome is not known yet
  return std::any_of(queue_.begin(), queue_.end(),
                     [&](const Queued& q) { return q.number <= target && q.tried <= since; });
}

void QuestionLogQueue::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t target = pushed_;
  const uint64_t since = attempts_;  // a try begun before the call does not count
  if (!Untried(target, since)) return;
  flush_upto_ = std::max(flush_upto_, target);
  flush_since_ = std::max(flush_since_, since);
  work_cv_.notify_all();  // no lingering, no waiting to retry: write now
  done_cv_.wait(lock, [&] { return !Untried(target, since); });
}

QuestionLogQueue::Stats QuestionLogQueue::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  Stats s;
  s.written = written_;
  s.dropped = dropped_;
  s.failed = failed_;
  s.retried = retried_;
  s.queued = queue_.size();
  return s;
}

void QuestionLogQueue::set_on_error(std::function<void(const bot::Status&)> on_error) {
  std::lock_guard<std::mutex> lock(mu_);
  on_error_ = std::move(on_error);
}

void QuestionLogQueue::Run() {
  std::vector<Queued> batch;
  std::vector<LoggedQuestion> lines;
  bool failing = false;
  std::unique_lock<std::mutex> lock(mu_);
  auto flush_waiting = [&] { return Untried(flush_upto_, flush_since_); };
  while (true) {
    work_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left
    if (failing && !stop_) {
      // The last write failed: give the disk a moment, unless someone waits.
      work_cv_.wait_for(lock, kRetryDelay, [&] { return stop_ || flush_waiting(); });
    } else if (linger_.count() > 0) {
      // Let more lines gather into this commit, unless it is full already
      // or someone waits for it.
      work_cv_.wait_for(lock, linger_, [&] { return stop_ || flush_waiting() || queue_.size() >= max_batch_; });
    }
    batch.clear();
    lines.clear();
    while (!queue_.empty() && batch.size() < max_batch_) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    const uint64_t attempt = ++attempts_;
    in_flight_min_ = UINT64_MAX;
    for (auto& b : batch) {
      lines.push_back(b.line);
      b.tried = attempt;
      in_flight_min_ = std::min(in_flight_min_, b.number);
    }
    lock.unlock();
    bot::Status s = write_(lines);
    lock.lock();
    in_flight_min_ = UINT64_MAX;
    failing = !s.ok();
    if (s.ok()) {
      written_ += batch.size();
    } else if (stop_) {
      failed_ += batch.size();  // shutting down: this was their last try
    } else {
      // Behind the newer lines, so that the next tries reach those too (and
      // a Flush() waiting for them returns) while the disk still fails.
      retried_ += batch.size();
      for (auto& b : batch) queue_.push_back(std::move(b));
    }
    if (!s.ok() && on_error_) {
      auto on_error = on_error_;
      lock.unlock();
      on_error(s);
      lock.lock();
    }
    done_cv_.notify_all();
  }
}

// ---- The question_log table ----

using bot::Result;
using bot::Status;


namespace {

// Whether `line` (a choice: line.clarifies set) resolves the clarification
// it names: that line is logged as kind "clarify", offered line.entry_id and
// is not resolved by another line yet. When it does, a claimed choice
// becomes kind "clarified" with the clarification's question and index
// terms in *resolved.
Result<bool> CheckChoice(Stmt& find, const LoggedQuestion& line, LoggedQuestion* resolved) {
  find.Bind(1, line.clarifies);
  int rc = find.Step();
  if (rc != SQLITE_ROW) {
    find.Reset();
    if (rc != SQLITE_DONE) return SqlError(find.db(), "read the clarification");
    return false;  // no such clarification (an old or forged id, or pruned)
  }
  const std::string question = find.Text(0), normalized = find.Text(1), offered = find.Text(2);
  const std::string resolved_by = find.Text(3);
  find.Reset();
  bool was_offered = false;
  for (size_t pos = 0; pos <= offered.size() && !line.entry_id.empty();) {
    size_t end = offered.find(' ', pos);
    if (end == std::string::npos) end = offered.size();
    if (offered.compare(pos, end - pos, line.entry_id) == 0 && end - pos == line.entry_id.size()) was_offered = true;
    pos = end + 1;
  }
  // Resolved once: by the first choice (this very line again when the
  // shared log delivers it twice).
  const bool open = resolved_by.empty() || resolved_by == line.answer_id;
  if (line.kind == "clarified") return open;  // the conversation knew the clarification: logged as it is
  if (!was_offered || !open) return false;
  *resolved = line;
  resolved->kind = "clarified";
  resolved->question = question;
  resolved->normalized = normalized;
  return true;
}

}  // namespace

Status WriteQuestionLines(Conn* writer, const std::vector<LoggedQuestion>& lines) {
  sqlite3* db = writer->db;
  ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(writer, Transaction::Kind::kImmediate, "begin log"));
  Stmt s(db,
         "INSERT OR IGNORE INTO question_log(answer_id, asked_at, channel, question, normalized, answered, kind, "
         "confidence, entry_id, offered) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  if (!s.ok()) return SqlError(db, "prepare log");
  // Prepared only when a batch holds a choice (most hold none).
  std::unique_ptr<Stmt> find, resolve;
  for (const LoggedQuestion& line : lines) {
    const LoggedQuestion* chosen = &line;
    LoggedQuestion resolved;
    bool resolves = false;
    if (!line.clarifies.empty()) {
      if (!find) {
        find = std::make_unique<Stmt>(db,
                                      "SELECT question, normalized, COALESCE(offered, ''), COALESCE(resolved_by, '') "
                                      "FROM question_log WHERE answer_id = ?1 AND kind = 'clarify'");
        resolve = std::make_unique<Stmt>(
            db, "UPDATE question_log SET resolved_by = ?2 WHERE answer_id = ?1 AND kind = 'clarify' AND "
                "resolved_by IS NULL");
        if (!find->ok() || !resolve->ok()) return SqlError(db, "prepare the clarification check");
      }
      ASSIGN_OR_RETURN(resolves, CheckChoice(*find, line, &resolved));
      if (resolves && line.kind != "clarified") chosen = &resolved;
    }
    const LoggedQuestion& q = *chosen;
    s.Bind(1, q.answer_id);
    s.Bind(2, q.asked_at);
    s.Bind(3, q.channel);
    s.Bind(4, std::string(bot::TruncateUtf8(q.question, 2000)));
    s.Bind(5, q.normalized);
    s.Bind(6, static_cast<int64_t>(q.answered ? 1 : 0));
    s.Bind(7, q.kind);
    s.BindDouble(8, q.confidence);
    s.Bind(9, q.entry_id);
    if (q.offered.empty()) {
      s.BindNull(10);
    } else {
      s.Bind(10, q.offered);
    }
    RETURN_IF_ERROR(s.Run("log question"));
    if (resolves && sqlite3_changes(db) > 0) {
      resolve->Bind(1, line.clarifies);
      resolve->Bind(2, line.answer_id);
      RETURN_IF_ERROR(resolve->Run("resolve the clarification"));
    }
  }
  return tx.Commit("commit log");
}

Status WriteFeedback(sqlite3* db, const std::string& answer_id, bool helpful, const std::string& comment, int64_t at) {
  Stmt s(db, "UPDATE question_log SET helpful = ?2, comment = ?3, feedback_at = ?4 WHERE answer_id = ?1");
  if (!s.ok()) return SqlError(db, "prepare feedback");
  s.Bind(1, answer_id);
  s.Bind(2, static_cast<int64_t>(helpful ? 1 : 0));
  s.Bind(3, std::string(bot::TruncateUtf8(comment, 2000)));
  s.Bind(4, at);
  RETURN_IF_ERROR(s.Run("record feedback"));
  if (sqlite3_changes(db) == 0) return Status::NotFound("no answer with id '" + answer_id + "'");
  return Status::Ok();
}

Result<int64_t> DeleteQuestionsBefore(sqlite3* db, int64_t before) {
  Stmt s(db, "DELETE FROM question_log WHERE asked_at < ?1");
  if (!s.ok()) return SqlError(db, "prepare prune");
  s.Bind(1, before);
  RETURN_IF_ERROR(s.Run("prune the question log"));
  return static_cast<int64_t>(sqlite3_changes(db));
}

Result<std::vector<LoggedQuestion>> ReadGapQuestions(sqlite3* db, int64_t since, double low_confidence) {
  Stmt s(db,
         "SELECT answer_id, asked_at, channel, question, normalized, answered, kind, confidence, entry_id, "
         "COALESCE(helpful, -1) FROM question_log WHERE asked_at >= ?1 AND kind != 'smalltalk' AND "
         "(answered = 0 OR confidence < ?2 OR helpful = 0 OR kind = 'clarified') ORDER BY asked_at, id");
  if (!s.ok()) return SqlError(db, "read the question log");
  s.Bind(1, since);
  s.BindDouble(2, low_confidence);
  std::vector<LoggedQuestion> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    LoggedQuestion q;
    q.answer_id = s.Text(0);
    q.asked_at = s.Int(1);
    q.channel = s.Text(2);
    q.question = s.Text(3);
    q.normalized = s.Text(4);
    q.answered = s.Int(5) != 0;
    q.kind = s.Text(6);
    q.confidence = s.Double(7);
    q.entry_id = s.Text(8);
    q.helpful = static_cast<int>(s.Int(9));
    out.push_back(std::move(q));
  }
  if (rc != SQLITE_DONE) return SqlError(db, "read the question log");
  return out;
}

}  // namespace knowledge
