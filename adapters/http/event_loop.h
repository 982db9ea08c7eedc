// The connections of the HTTP server, owned by one epoll instance and served
// by a fixed set of worker threads (instead of cpp-httplib's thread per
// connection). A connection costs a slot and a socket while it waits, not a
// thread: a worker is handed a connection only when bytes (or a hang-up)
// arrived on it, serves what it can, then parks it again.
//
// Each connection lives in a slot of a fixed table. A slot is claimed
// atomically (its state word: generation, phase), by a worker that got an
// epoll event for it or by the sweeper whose deadline it passed, so that two
// threads never use one connection. Slots are never freed while the loop
// runs and each epoll event names a slot and its generation, so a stale event
// (the connection closed, the slot reused since) is recognized and dropped
// instead of touching freed memory.
//
// Thread-safety: Adopt() from one thread (the accept loop); Shutdown() once,
// from that thread or another; the rest is internal.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace adapters::http {

// Counts that outlive a loop (GET /metrics reads them): lock-free gauges.
struct LoopStats {
  std::atomic<int64_t> idle{0};     // open, waiting for a next request
  std::atomic<int64_t> reading{0};  // a request partly arrived, waiting for the rest
  std::atomic<int64_t> serving{0};  // on a worker (workers busy)
  std::atomic<int64_t> writing{0};  // a response waits for the client to read it
  std::atomic<int64_t> closing{0};  // lingering close: answered, draining what the client still sends
  std::atomic<uint64_t> refused{0};  // closed at once: max_connections open already
};

class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;

  // What to do with a connection after a worker served it.
  struct Next {
    enum Kind {
      kIdle,     // wait for the next request until `deadline`, then close
      kReading,  // wait for the rest of a request until `deadline`, then Handler::Expire()
      kWriting,  // wait until the socket is writable (a response the client has not read), until `deadline`, then close
      kLinger,   // close gracefully: shutdown(SHUT_WR), then drop what still comes for a short while
      kClose,    // close now
    };
    Kind kind = kClose;
    Clock::time_point deadline{};
  };

  // The per-connection state of the protocol (the loop only owns and frees it).
  class Session {
   public:
    virtual ~Session() = default;
  };

  class Handler {
   public:
    virtual ~Handler() = default;
    // On a worker: `session`'s socket is readable, writable or hung up. Must
    // never wait on the socket; returns what to do next.
    virtual Next Serve(Session& session, bool draining) = 0;
    // On the sweeper: a kReading deadline passed. Must not wait; returns
    // what to do next (kLinger or kClose, typically after a 408).
    virtual Next Expire(Session& session) = 0;
  };

  struct Options {
    size_t workers = 4;
    size_t max_connections = 4096;  // lowered to the fd limit (RLIMIT_NOFILE) minus a margin
    std::chrono::milliseconds sweep_interval{100};
    // The lingering close: at most this long and this many bytes dropped.
    std::chrono::milliseconds linger{500};
    size_t linger_bytes = 256 * 1024;
  };

  // Starts the workers and the sweeper; `handler` and `stats` outlive the loop.
  EventLoop(Handler& handler, Options options, LoopStats* stats);
  ~EventLoop();  // Shutdown()
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Takes `fd` (a connected socket) and its session; it waits for its first
  // request until `idle_deadline`. Past max_connections, answers 503 and
  // closes at once.
  void Adopt(int fd, std::unique_ptr<Session> session, Clock::time_point idle_deadline);
  // Drains: idle connections are closed, requests in flight (and partial ones,
  // within their deadlines) are served, each connection closed after its
  // answer; then the workers are joined. Idempotent.
  void Shutdown();

  size_t max_connections() const { return capacity_; }

 private:
  struct Slot;
  // Internal park kinds.
  enum Kind : int { kIdleKind = 0, kReadingKind = 1, kLingerKind = 2, kWritingKind = 3 };

  void Work();
  void Sweeper();
  void SweepOnce();
  // The slot's owner (its phase kActive) serves it until it is parked or closed.
  void Run(uint32_t index, uint32_t gen);
  enum class Parked { kYes, kClosed, kStillOwned };
  // Applies `next`; kStillOwned when the connection must be served again at
  // once (an event came while it was being parked).
  Parked Settle(uint32_t index, uint32_t gen, const Next& next);
  // Arms the slot's socket for `events` and releases the slot (phase
  // kParked). kStillOwned when an event arrived meanwhile (the caller still
  // owns it); kClosed when arming failed (the slot may be reused at once).
  Parked Park(uint32_t index, uint32_t gen, Kind kind, Clock::time_point deadline, uint32_t events, int op);
  // Park() for the sweeper, which does not serve: retries until parked.
  void Rearm(uint32_t index, uint32_t gen, Kind kind, Clock::time_point deadline, uint32_t events);
  // Applies `next` on the sweeper (which never serves: an event meanwhile
  // re-parks the connection for a worker).
  void SettleFromSweeper(uint32_t index, uint32_t gen, const Next& next);
  // Starts or continues a lingering close; true when it closed the connection.
  bool Linger(uint32_t index, uint32_t gen);
  void Close(uint32_t index, uint32_t gen);
  std::atomic<int64_t>& Gauge(int kind);

  Handler& handler_;
  Options options_;
  LoopStats* stats_;
  size_t capacity_ = 0;
  int epoll_fd_ = -1;
  int stop_fd_ = -1;  // an eventfd, level-triggered: once written, every worker wakes and exits
  std::unique_ptr<Slot[]> slots_;
  std::mutex free_mu_;
  std::vector<uint32_t> free_;  // free slot indexes, lowest last
  std::atomic<size_t> high_water_{0};  // slots [0, high_water_) have been used
  std::atomic<size_t> open_{0};
  std::atomic<bool> draining_{false};
  std::atomic<bool> refusal_logged_{false};
  std::mutex mu_;  // the sweeper's sleep and the drain's wait
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  bool shut_down_ = false;  // guarded by mu_
  std::vector<std::thread> workers_;
  std::thread sweeper_;
};

}  // namespace adapters::http
