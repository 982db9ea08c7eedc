// The connection layer under the HTTP server: cpp-httplib's Server with its
// per-socket loop replaced, so that a request as a whole has a deadline and a
// byte budget. cpp-httplib 0.11 only times out single reads: a client that
// sends one byte a second, or headers without end, would hold a worker thread
// for as long as it likes. Here the request line and headers must arrive
// within the read timeout and within kMaxHeadBytes, and a body within the
// size and time the pre-routing check allows for its route (AllowBody).
//
// Connections are not served by a thread each: GuardedServer adopts each
// accepted socket into an EventLoop (event_loop.h), whose few worker threads
// are handed a connection only once a whole request has arrived on it (its
// head and a Content-Length body, checked in what was read without waiting).
// A slow client, or an idle keep-alive one, holds a socket and no thread. A
// request whose arrival cannot be judged that way (a chunked body, "Expect:
// 100-continue", a body larger than its route takes without the admin token,
// a head past kMaxHeadBytes) is served at once and its reads wait on the
// worker, within the same deadlines as always.
//
// Thread-safety: one worker thread serves one connection at a time;
// Connection::Current() is that thread's connection, for the handlers that
// run on it (nullptr on any other thread, e.g. a test calling a handler).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <httplib.h>

#include "adapters/http/event_loop.h"

namespace adapters::http {

// The request line and headers together may not be longer than this.
constexpr size_t kMaxHeadBytes = 64 * 1024;

class Connection {
 public:
  // The connection the calling thread is serving, or nullptr.
  static Connection* Current();

  // Allows the current request a body of up to `bytes` on the wire (chunked
  // framing included), read by `seconds` from now at the latest (the head's
  // deadline stays when it is later). Called once the route is known.
  void AllowBody(size_t bytes, std::chrono::seconds seconds);
  // Closes the connection after the response (e.g. a body left unread).
  void CloseAfterResponse() { close_after_response_ = true; }
  // True when a read of this request went past its byte budget (a body
  // larger than AllowBody allowed, or an endless head).
  bool over_budget() const { return over_budget_; }
  // True when this request did not arrive by its deadline.
  bool timed_out() const { return timed_out_; }
  // True once AllowBody was called for this request.
  bool reading_body() const { return reading_body_; }

 private:
  friend class GuardedStream;
  friend class GuardedServer;
  void StartRequest(std::chrono::steady_clock::time_point deadline);

  std::chrono::steady_clock::time_point deadline_{};
  bool in_request_ = false;  // reading a request (until its response starts)
  size_t budget_ = 0;        // bytes this request may still consume
  bool over_budget_ = false;
  bool timed_out_ = false;
  bool reading_body_ = false;
  bool close_after_response_ = false;
};

// An httplib::Server whose connections are Connection-guarded. Configure it
// as any httplib::Server (timeouts, keep-alive, handlers); the read timeout
// is also the deadline of a request's head.
class GuardedServer : public httplib::Server, private EventLoop::Handler {
 public:
  GuardedServer();
  ~GuardedServer() override;

  // Worker threads (at least 1) and the most connections open at once (past
  // it a new one is answered 503 and closed); set before listening.
  void set_workers(size_t n) { workers_ = n; }
  void set_max_connections(size_t n) { max_connections_ = n; }
  // The largest Content-Length body a request to `path` may have for its
  // arrival to be awaited without a worker (larger: served at once, the
  // pre-routing check decides). Unset: none is awaited.
  void set_awaited_body_limit(std::function<size_t(const std::string& path)> limit) {
    awaited_body_limit_ = std::move(limit);
  }
  // Connection counts, for /metrics.
  const LoopStats& stats() const { return stats_; }

  // Serves the requests in `stream` as a connection would (for fuzzers and
  // tests: no socket). Returns when the stream ends or the connection would
  // be closed.
  void ServeStream(httplib::Stream& stream);

 private:
  class LoopQueue;
  struct Session;

  // Adopts `sock` into the event loop (on the accept thread, through
  // LoopQueue); it is closed there.
  bool process_and_close_socket(socket_t sock) override;
  EventLoop::Next Serve(EventLoop::Session& session, bool draining) override;
  // The keep-alive loop over one connection; `wait_readable(seconds)` says
  // whether another request has begun to arrive.
  template <typename WaitReadable>
  void ServeConnection(httplib::Stream& stream, Connection& connection, WaitReadable wait_readable);

  size_t workers_ = 4;
  size_t max_connections_ = 4096;
  std::function<size_t(const std::string&)> awaited_body_limit_;
  LoopStats stats_;
  EventLoop* loop_ = nullptr;  // while listening; used on the accept thread only
};

}  // namespace adapters::http
