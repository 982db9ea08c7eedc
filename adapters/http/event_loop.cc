#include "adapters/http/event_loop.h"

#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace adapters::http {
namespace {

using Clock = EventLoop::Clock;

// A slot's state word: its generation (bumped each time the slot is freed)
// and its phase.
enum Phase : uint64_t {
  kFree = 0,
  kParked = 1,    // waiting in epoll (or for the sweeper); nobody uses it
  kActive = 2,    // a worker or the sweeper owns it
  kNotified = 3,  // owned, and an event arrived meanwhile: the owner serves it again
};
constexpr uint64_t Pack(uint32_t gen, Phase phase) { return (uint64_t{gen} << 8) | phase; }
constexpr uint32_t GenOf(uint64_t state) { return static_cast<uint32_t>(state >> 8); }
constexpr Phase PhaseOf(uint64_t state) { return static_cast<Phase>(state & 0xff); }
// An epoll event's data: slot index and generation.
constexpr uint64_t Tag(uint32_t index, uint32_t gen) { return (uint64_t{gen} << 32) | index; }
constexpr uint64_t kStopTag = ~uint64_t{0};

int64_t Ticks(Clock::time_point t) { return t.time_since_epoch().count(); }
Clock::time_point FromTicks(int64_t ticks) { return Clock::time_point(Clock::duration(ticks)); }

// True when bytes wait unread on `fd`.
bool Pending(int fd) {
  char c;
  ssize_t n = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n > 0;
}

// The connections we may hold: below the process's fd limit, with a margin
// for the listening socket, the databases, logs and epoll itself.
size_t Capacity(size_t wanted) {
  wanted = std::max<size_t>(wanted, 1);
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    size_t room = limit.rlim_cur > 128 ? static_cast<size_t>(limit.rlim_cur) - 64 : limit.rlim_cur / 2;
    if (room < wanted) {
      spdlog::info("HTTP: at most {} connections (the open-file limit is {}; {} wanted)", room,
                   static_cast<unsigned long long>(limit.rlim_cur), wanted);
      wanted = std::max<size_t>(room, 1);
    }
  }
  return wanted;
}

// What a connection past max_connections is told before it is closed.
const std::string& BusyResponse() {
  static const std::string response = [] {
    const std::string body = R"({"error":{"code":"unavailable","message":"too many connections, try again"}})";
    return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
           "Retry-After: 1\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  }();
  return response;
}

}  // namespace

struct EventLoop::Slot {
  std::atomic<uint64_t> state{Pack(0, kFree)};
  // Written by the owner before it parks the slot; read by the sweeper.
  std::atomic<int> kind{kIdleKind};
  std::atomic<int64_t> deadline{0};
  // Only the owner (phase kActive or kNotified) touches these.
  int fd = -1;
  std::unique_ptr<Session> session;
  size_t lingered = 0;
};

EventLoop::EventLoop(Handler& handler, Options options, LoopStats* stats)
    : handler_(handler), options_(options), stats_(stats) {
  capacity_ = Capacity(options_.max_connections);
  slots_ = std::make_unique<Slot[]>(capacity_);
  free_.reserve(capacity_);
  for (size_t i = capacity_; i > 0; i--) free_.push_back(static_cast<uint32_t>(i - 1));
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || stop_fd_ < 0) {
    spdlog::critical("HTTP: cannot create epoll/eventfd: {}", std::strerror(errno));
    std::abort();
  }
  epoll_event ev{};
  ev.events = EPOLLIN;  // level-triggered: it wakes every worker until they are all gone
  ev.data.u64 = kStopTag;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, stop_fd_, &ev);
  size_t workers = std::max<size_t>(options_.workers, 1);
  for (size_t i = 0; i < workers; i++) workers_.emplace_back([this] { Work(); });
  sweeper_ = std::thread([this] { Sweeper(); });
}

EventLoop::~EventLoop() {
  Shutdown();
  for (size_t i = 0; i < capacity_; i++) {
    if (slots_[i].fd >= 0) ::close(slots_[i].fd);
  }
  if (stop_fd_ >= 0) ::close(stop_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

std::atomic<int64_t>& EventLoop::Gauge(int kind) {
  switch (kind) {
    case kIdleKind: return stats_->idle;
    case kLingerKind: return stats_->closing;
    case kWritingKind: return stats_->writing;
    default: return stats_->reading;
  }
}

void EventLoop::Adopt(int fd, std::unique_ptr<Session> session, Clock::time_point idle_deadline) {
  uint32_t index = 0;
  bool full = false;
  {
    std::lock_guard<std::mutex> lock(free_mu_);
    if (free_.empty()) {
      full = true;
    } else {
      index = free_.back();
      free_.pop_back();
    }
  }
  if (full) {
    stats_->refused.fetch_add(1, std::memory_order_relaxed);
    if (!refusal_logged_.exchange(true)) {
      spdlog::warn("HTTP: {} connections open, the most allowed: new ones get 503 and are closed "
                   "(logged once; careerbot_http_connections_refused_total counts them)",
                   capacity_);
    }
    ::send(fd, BusyResponse().data(), BusyResponse().size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    ::close(fd);
    return;
  }
  Slot& slot = slots_[index];
  const uint32_t gen = GenOf(slot.state.load(std::memory_order_acquire));
  slot.fd = fd;
  slot.session = std::move(session);
  slot.lingered = 0;
  open_.fetch_add(1, std::memory_order_relaxed);
  size_t high = high_water_.load(std::memory_order_relaxed);
  while (high < index + 1 && !high_water_.compare_exchange_weak(high, index + 1, std::memory_order_relaxed)) {
  }
  // Ours until parked: an event for it can only come once it is registered.
  slot.state.store(Pack(gen, kActive), std::memory_order_relaxed);
  if (Park(index, gen, kIdleKind, idle_deadline, EPOLLIN, EPOLL_CTL_ADD) == Parked::kStillOwned) {
    // Its first bytes came while parking: park it again for a worker (the
    // accept thread never serves).
    Rearm(index, gen, kIdleKind, idle_deadline, EPOLLIN);
  }
}

EventLoop::Parked EventLoop::Park(uint32_t index, uint32_t gen, Kind kind, Clock::time_point deadline,
                                  uint32_t events, int op) {
  Slot& slot = slots_[index];
  slot.kind.store(kind, std::memory_order_relaxed);
  slot.deadline.store(Ticks(deadline), std::memory_order_relaxed);
  epoll_event ev{};
  ev.events = events | EPOLLRDHUP | EPOLLONESHOT;
  ev.data.u64 = Tag(index, gen);
  if (::epoll_ctl(epoll_fd_, op, slot.fd, &ev) != 0) {
    spdlog::warn("HTTP: epoll_ctl on a connection failed: {}", std::strerror(errno));
    Close(index, gen);
    return Parked::kClosed;
  }
  // Counted before it is released, so that whoever claims it next never
  // takes the gauge below zero.
  Gauge(kind).fetch_add(1, std::memory_order_relaxed);
  uint64_t expected = Pack(gen, kActive);
  if (slot.state.compare_exchange_strong(expected, Pack(gen, kParked), std::memory_order_release,
                                         std::memory_order_relaxed)) {
    return Parked::kYes;
  }
  // kNotified: an event for it was delivered while we owned it (a worker
  // gave it back to us). The socket is disarmed again (one-shot): still ours.
  Gauge(kind).fetch_sub(1, std::memory_order_relaxed);
  slot.state.store(Pack(gen, kActive), std::memory_order_relaxed);
  return Parked::kStillOwned;
}

void EventLoop::Rearm(uint32_t index, uint32_t gen, Kind kind, Clock::time_point deadline, uint32_t events) {
  while (Park(index, gen, kind, deadline, events, EPOLL_CTL_MOD) == Parked::kStillOwned) {
  }
}

void EventLoop::Close(uint32_t index, uint32_t gen) {
  Slot& slot = slots_[index];
  slot.session.reset();
  ::close(slot.fd);  // also removes it from the epoll set
  slot.fd = -1;
  slot.state.store(Pack(gen + 1, kFree), std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(free_mu_);
    free_.push_back(index);
  }
  if (open_.fetch_sub(1, std::memory_order_acq_rel) == 1 && draining_.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> lock(mu_);
    cv_.notify_all();
  }
}

bool EventLoop::Linger(uint32_t index, uint32_t gen) {
  Slot& slot = slots_[index];
  char sink[4096];
  for (;;) {
    ssize_t n = ::recv(slot.fd, sink, sizeof sink, MSG_DONTWAIT);
    if (n > 0) {
      slot.lingered += static_cast<size_t>(n);
      if (slot.lingered < options_.linger_bytes) continue;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return false;  // wait for more, or the deadline
    }
    // The client closed, an error, or enough dropped.
    Close(index, gen);
    return true;
  }
}

EventLoop::Parked EventLoop::Settle(uint32_t index, uint32_t gen, const Next& next) {
  Slot& slot = slots_[index];
  switch (next.kind) {
    case Next::kClose:
      Close(index, gen);
      return Parked::kClosed;
    case Next::kLinger:
      // A lingering close: closing a socket with unread bytes (a refused
      // body) would reset the connection, and the client could lose the
      // answer sent just before. Say we are done, then read and drop what
      // still comes, for a short while, parked here rather than on a worker.
      ::shutdown(slot.fd, SHUT_WR);
      slot.lingered = 0;
      if (Linger(index, gen)) return Parked::kClosed;
      return Park(index, gen, kLingerKind, Clock::now() + options_.linger, EPOLLIN, EPOLL_CTL_MOD);
    case Next::kIdle:
      return Park(index, gen, kIdleKind, next.deadline, EPOLLIN, EPOLL_CTL_MOD);
    case Next::kReading:
      return Park(index, gen, kReadingKind, next.deadline, EPOLLIN, EPOLL_CTL_MOD);
    case Next::kWriting:
      return Park(index, gen, kWritingKind, next.deadline, EPOLLOUT, EPOLL_CTL_MOD);
  }
  return Parked::kYes;
}

void EventLoop::SettleFromSweeper(uint32_t index, uint32_t gen, const Next& next) {
  Slot& slot = slots_[index];
  switch (next.kind) {
    case Next::kClose:
      Close(index, gen);
      return;
    case Next::kLinger:
      ::shutdown(slot.fd, SHUT_WR);
      slot.lingered = 0;
      if (Linger(index, gen)) return;
      Rearm(index, gen, kLingerKind, Clock::now() + options_.linger, EPOLLIN);
      return;
    case Next::kIdle:
      Rearm(index, gen, kIdleKind, next.deadline, EPOLLIN);
      return;
    case Next::kReading:
      Rearm(index, gen, kReadingKind, next.deadline, EPOLLIN);
      return;
    case Next::kWriting:
      Rearm(index, gen, kWritingKind, next.deadline, EPOLLOUT);
      return;
  }
}

void EventLoop::Run(uint32_t index, uint32_t gen) {
  Slot& slot = slots_[index];
  stats_->serving.fetch_add(1, std::memory_order_relaxed);
  for (;;) {
    Parked parked;
    if (slot.kind.load(std::memory_order_relaxed) == kLingerKind) {
      if (Linger(index, gen)) break;
      // Still lingering: park again with the same deadline.
      parked = Park(index, gen, kLingerKind, FromTicks(slot.deadline.load(std::memory_order_relaxed)), EPOLLIN,
                    EPOLL_CTL_MOD);
    } else {
      parked = Settle(index, gen, handler_.Serve(*slot.session, draining_.load(std::memory_order_acquire)));
    }
    if (parked != Parked::kStillOwned) break;
  }
  stats_->serving.fetch_sub(1, std::memory_order_relaxed);
}

void EventLoop::Work() {
  for (;;) {
    epoll_event ev{};
    // One event at a time: each ready connection goes to one waiting worker.
    int n = ::epoll_wait(epoll_fd_, &ev, 1, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      spdlog::error("HTTP: epoll_wait failed: {}", std::strerror(errno));
      return;
    }
    if (n == 0) continue;
    if (ev.data.u64 == kStopTag) return;
    const uint32_t index = static_cast<uint32_t>(ev.data.u64);
    const uint32_t gen = static_cast<uint32_t>(ev.data.u64 >> 32);
    if (index >= capacity_) continue;
    Slot& slot = slots_[index];
    uint64_t s = slot.state.load(std::memory_order_acquire);
    bool claimed = false;
    while (GenOf(s) == gen) {
      Phase phase = PhaseOf(s);
      if (phase == kParked) {
        if (slot.state.compare_exchange_weak(s, Pack(gen, kActive), std::memory_order_acq_rel,
                                             std::memory_order_acquire)) {
          claimed = true;
          break;
        }
      } else if (phase == kActive) {
        // Its owner (the sweeper, or a worker parking it) is to serve it again.
        if (slot.state.compare_exchange_weak(s, Pack(gen, kNotified), std::memory_order_acq_rel,
                                             std::memory_order_acquire)) {
          break;
        }
      } else {
        break;  // already notified, or freed (a stale event)
      }
    }
    if (!claimed) continue;
    Gauge(slot.kind.load(std::memory_order_relaxed)).fetch_sub(1, std::memory_order_relaxed);
    Run(index, gen);
  }
}

void EventLoop::SweepOnce() {
  const auto now = Clock::now();
  const bool draining = draining_.load(std::memory_order_acquire);
  const size_t high = high_water_.load(std::memory_order_relaxed);
  for (size_t i = 0; i < high; i++) {
    Slot& slot = slots_[i];
    uint64_t s = slot.state.load(std::memory_order_acquire);
    if (PhaseOf(s) != kParked) continue;
    int kind = slot.kind.load(std::memory_order_relaxed);
    bool due = Ticks(now) >= slot.deadline.load(std::memory_order_relaxed);
    if (!due && !(draining && kind == kIdleKind)) continue;
    const uint32_t gen = GenOf(s);
    if (!slot.state.compare_exchange_strong(s, Pack(gen, kActive), std::memory_order_acq_rel,
                                            std::memory_order_relaxed)) {
      continue;  // a worker took it
    }
    const auto index = static_cast<uint32_t>(i);
    kind = slot.kind.load(std::memory_order_relaxed);
    Gauge(kind).fetch_sub(1, std::memory_order_relaxed);
    switch (kind) {
      case kIdleKind:
        if (Pending(slot.fd)) {
          // A request came just now: let a worker serve it (parking re-arms
          // the socket, which is readable, so an event follows at once).
          Rearm(index, gen, kIdleKind, FromTicks(slot.deadline.load(std::memory_order_relaxed)), EPOLLIN);
        } else {
          Close(index, gen);  // idle past the keep-alive timeout, or draining
        }
        break;
      case kReadingKind:
        // Its deadline passed with the request incomplete: answered (408)
        // here, without waiting, and closed.
        SettleFromSweeper(index, gen, handler_.Expire(*slot.session));
        break;
      default:  // kLingerKind, kWritingKind: out of time
        Close(index, gen);
        break;
    }
  }
}

void EventLoop::Sweeper() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, draining_.load(std::memory_order_relaxed) ? std::chrono::milliseconds(10)
                                                                  : options_.sweep_interval);
    if (stopping_) break;
    lock.unlock();
    SweepOnce();
    lock.lock();
  }
}

void EventLoop::Shutdown() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (shut_down_) return;
    shut_down_ = true;
    draining_.store(true, std::memory_order_release);
    cv_.notify_all();
    // Requests in flight finish (the connection is closed after its answer),
    // partial ones within their deadlines; the sweeper closes idle ones.
    while (open_.load(std::memory_order_acquire) > 0) cv_.wait_for(lock, std::chrono::milliseconds(20));
    stopping_ = true;
    cv_.notify_all();
  }
  sweeper_.join();
  uint64_t one = 1;
  ssize_t ignored = ::write(stop_fd_, &one, sizeof one);
  (void)ignored;
  for (auto& t : workers_) t.join();
  workers_.clear();
}

}  // namespace adapters::http
