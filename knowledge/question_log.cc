#include "knowledge/question_log.h"

#include <algorithm>
#include <utility>

#include "knowledge/store.h"

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
    queue_.emplace_back(++pushed_, std::move(line));
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

void QuestionLogQueue::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t target = pushed_;
  if (attempted_ >= target) return;
  flush_upto_ = std::max(flush_upto_, target);
  work_cv_.notify_all();  // no lingering, no waiting to retry: write now
  done_cv_.wait(lock, [&] { return attempted_ >= target; });
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
  std::vector<std::pair<uint64_t, LoggedQuestion>> batch;
  std::vector<LoggedQuestion> lines;
  bool failing = false;
  std::unique_lock<std::mutex> lock(mu_);
  auto flush_waiting = [&] { return attempted_ < flush_upto_; };
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
    for (const auto& b : batch) lines.push_back(b.second);
    lock.unlock();
    bot::Status s = write_(lines);
    lock.lock();
    uint64_t last = 0;
    for (const auto& b : batch) last = std::max(last, b.first);
    attempted_ = std::max(attempted_, last);
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

}  // namespace knowledge
