// The question log's asynchronous writer: answering hands a line to a bounded
// queue and returns at once; one background thread writes what is queued in
// batched transactions (Store::LogQuestions: one WAL commit per batch).
//
// Why: a synchronous write per answer made every ask wait for SQLite's one
// writer (WAL allows one at a time): its commit, its file locks, the group
// commit's hand-offs. Measured on 2 cores, 8 keep-alive clients, POST /v1/ask
// ran at 0.18 of GET /healthz's rate with the log written in the request.
//
// Bounded: at most `capacity` lines wait; when the disk cannot keep up the
// newest lines are dropped (and counted: careerbot_question_log_dropped_total)
// rather than making answers wait or memory grow. A batch that fails (a full
// disk) stays queued, behind the newer lines, and is tried again a second
// later, so a disk that fills up for a while loses no line that fits in the
// queue. Flush() waits until every line queued before it has been tried, so a
// reader of the log in this process (feedback on an answer just given, the
// gaps report, pruning) sees it once it could be written; the destructor
// flushes, and tries what failed once more, so nothing queued is lost on a
// clean shutdown with a working disk.
// Thread-safety: every method may be called from any thread.
//
// This file also owns the question_log table's SQL (writing lines,
// feedback, pruning, reading the lines that may be gaps); Store calls it on
// its connections.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bot/status.h"

struct sqlite3;

namespace knowledge {

struct Conn;

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
  // Kind "clarify": the entries it offered, best first, space-separated
  // (column `offered`), so that a choice can be checked against them later.
  std::string offered;
  // A choice of an entry: the answer id of the clarification it answers
  // (bot::Answer::clarification_id), "" when none; not a column. Checked as
  // the line is written (WriteQuestionLines): when that clarification is
  // logged, offered this line's entry and is not resolved yet, the line is
  // written as kind "clarified" with the clarification's question and index
  // terms, and the clarification is marked resolved by it (column
  // `resolved_by`), so it is resolved once. Otherwise the line is written as
  // it came: a choice claimed by an old or forged button is then a plain
  // answer of that entry. A line of kind "clarified" already (the
  // conversation knew the clarification) stays so, and resolves it too.
  std::string clarifies;
};

// ---- The question_log table (the caller holds the writer's mutex for writes) ----

// Writes `lines` in one transaction on the writer connection, all or none; a
// line whose answer id is logged already is skipped. A line that clarifies
// an earlier one is checked against it first (LoggedQuestion::clarifies).
bot::Status WriteQuestionLines(Conn* writer, const std::vector<LoggedQuestion>& lines);
// Records feedback on answer `answer_id`; kNotFound when it was not logged.
bot::Status WriteFeedback(sqlite3* db, const std::string& answer_id, bool helpful, const std::string& comment,
                          int64_t at);
// Deletes the lines asked before `before`; returns how many.
bot::Result<int64_t> DeleteQuestionsBefore(sqlite3* db, int64_t before);
// See Store::ListGapQuestions.
bot::Result<std::vector<LoggedQuestion>> ReadGapQuestions(sqlite3* db, int64_t since, double low_confidence);

class QuestionLogQueue {
 public:
  // Writes one batch, all or none (Store::LogQuestions).
  using WriteFn = std::function<bot::Status(const std::vector<LoggedQuestion>&)>;
  // 10,000 lines of at most ~2 KiB (questions are capped at 2000 bytes; most
  // are under 100): a few MiB at worst, tens of seconds of a slow disk at
  // the rates one replica answers.
  static constexpr size_t kDefaultCapacity = 10000;
  // Lines per transaction: large enough that a commit's fixed cost is spread
  // thin, small enough that the write lock is held only a few milliseconds.
  static constexpr size_t kDefaultMaxBatch = 512;
  // How long the writer lets lines gather before it commits them (unless a
  // batch is full or someone flushes). Every commit appends the pages it
  // touched (the table and its three indexes) to the WAL, whether it holds one
  // line or fifty: at thousands of answers a second, 10 ms gathers tens of
  // lines per commit. A crash loses at most the lines queued, linger or not.
  static constexpr std::chrono::milliseconds kDefaultLinger{10};

  explicit QuestionLogQueue(WriteFn write, size_t capacity = kDefaultCapacity, size_t max_batch = kDefaultMaxBatch,
                            std::chrono::milliseconds linger = kDefaultLinger);
  // Flushes, then stops the writer.
  ~QuestionLogQueue();
  QuestionLogQueue(const QuestionLogQueue&) = delete;
  QuestionLogQueue& operator=(const QuestionLogQueue&) = delete;

  // Queues `line`; false when the queue is full (the line is dropped and
  // counted). Never waits for the disk. The writer thread starts on the
  // first line.
  bool Push(LoggedQuestion line);
  // Returns when every line pushed before the call has been written, or
  // tried since the call and failed (it stays queued). A line whose try
  // before the call failed is tried again at once, not after the retry
  // delay: feedback on an answer logged while the disk was full finds its
  // line as soon as there is room. Does not wait for lines pushed meanwhile.
  void Flush();

  struct Stats {
    uint64_t written = 0;  // lines committed
    uint64_t dropped = 0;  // lines refused because the queue was full
    uint64_t failed = 0;   // lines given up on: their write failed while stopping
    uint64_t retried = 0;  // lines queued again after a failed write (the error went to on_error)
    size_t queued = 0;     // lines waiting now
  };
  Stats stats() const;
  // Called on the writer thread when a batch fails (for logging; at most one
  // failed attempt a second, but for flushes).
  void set_on_error(std::function<void(const bot::Status&)> on_error);

 private:
  void Run();
  // Lines numbered up to `target` not tried since attempt `since` (or in flight).
  bool Untried(uint64_t target, uint64_t since) const;

  WriteFn write_;
  const size_t capacity_;
  const size_t max_batch_;
  const std::chrono::milliseconds linger_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // lines queued, or stopping
  std::condition_variable done_cv_;  // a batch finished
  // Each line with its number (1, 2, ... in the order pushed) and the write
  // attempt that last tried it (0: none yet).
  struct Queued {
    uint64_t number = 0;
    uint64_t tried = 0;
    LoggedQuestion line;
  };
  std::deque<Queued> queue_;  // guarded by mu_
  uint64_t pushed_ = 0;     // guarded by mu_: lines accepted so far (the last number given)
  uint64_t in_flight_min_ = UINT64_MAX;  // guarded by mu_: the lowest number in the batch being written
  uint64_t attempts_ = 0;                // guarded by mu_: write attempts begun (the last one's number)
  uint64_t written_ = 0, dropped_ = 0, failed_ = 0, retried_ = 0;  // guarded by mu_
  bool stop_ = false;                                // guarded by mu_
  // guarded by mu_: the latest Flush() waits for the lines numbered up to
  // flush_upto_ to be tried after attempt flush_since_ (the writer neither
  // lingers nor waits to retry meanwhile).
  uint64_t flush_upto_ = 0;
  uint64_t flush_since_ = 0;
  std::function<void(const bot::Status&)> on_error_;  // guarded by mu_
  std::thread thread_;                                // started under mu_ by the first Push
};

}  // namespace knowledge
