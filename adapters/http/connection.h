// The connection layer of the HTTP server: its own listening socket, an
// EventLoop (event_loop.h) and, per connection, a state machine that frames
// requests with RequestParser (request_parser.h) and answers them through a
// Router (router.h). cpp-httplib is used for its public request and response
// types only; why careerbot does not use cpp-httplib's server loop is in
// docs/http-transport.md.
//
// The guarantees (tests/adapters/hostile_test.cc, smuggling_test.cc):
// - One framing rule for every method: a request's body (Content-Length or
//   chunked) is read in full whatever the method, or the request is refused
//   and the connection closed. A body is never parsed as a request.
// - No worker waits on a client. Reads and writes never block: a request is
//   handed to a handler only once its head and whole body have arrived; a
//   "100 Continue" is sent when the head passes its checks; a response the
//   client does not read waits in the connection's buffer and is sent as the
//   socket drains, holding a socket and no thread.
// - One deadline per request: from its first byte, the read timeout for its
//   head and body, plus a second per 32 KiB its body may have. Past it the
//   request is answered 408 and the connection closed.
// - A memory budget for what is still arriving: a connection's buffers grow
//   only with bytes received and shrink back after each request; all bytes
//   held for incomplete requests together stay under `pending_budget`, past
//   which a request is answered 503 and its connection closed.
//
// Thread-safety: Bind, Run and Stop as HttpServer documents them; requests
// are served on the loop's workers, one connection by one worker at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <httplib.h>

#include "adapters/http/event_loop.h"
#include "adapters/http/request_parser.h"
#include "adapters/http/router.h"
#include "bot/status.h"

namespace adapters::http {

struct TransportOptions {
  size_t workers = 4;
  size_t max_connections = 4096;
  std::chrono::milliseconds read_timeout{5000};
  std::chrono::milliseconds write_timeout{5000};
  std::chrono::milliseconds keep_alive{2000};
  size_t keep_alive_max = 1000;
  // The largest body any request may have (the admin import's 8 MiB); each
  // route's own limit comes from the head check.
  size_t max_body = 8 * 1024 * 1024;
  // All bytes held for requests still arriving, across connections.
  size_t pending_budget = 64 * 1024 * 1024;
  int listen_backlog = 1024;
};

// Called once a request's head has arrived, before its body is read (the
// request has no body yet). Sets `*body_limit` for the request's route, or
// answers the request itself and returns true: its body is then never read
// and the connection is closed after the answer.
using HeadCheck = std::function<bool(const httplib::Request& req, httplib::Response& res, size_t* body_limit)>;

class Transport : private EventLoop::Handler {
 public:
  Transport(const Router& router, HeadCheck head_check, TransportOptions options);
  ~Transport() override;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Binds and listens on host:port (0: a free port); kUnavailable when the
  // address cannot be bound.
  bot::Status Bind(const std::string& host, int port);
  int port() const { return port_; }
  // Accepts and serves until Stop(); then drains (requests in flight are
  // answered) and returns.
  void Run();
  // Makes Run() return (also when called before it); idempotent.
  void Stop();
  bool running() const { return running_.load(std::memory_order_acquire); }

  const LoopStats& stats() const { return stats_; }
  // Bytes held now for requests still arriving.
  size_t pending_bytes() const { return pending_.load(std::memory_order_relaxed); }
  // Requests refused with 503 because the pending budget was spent.
  uint64_t budget_refusals() const { return budget_refusals_.load(std::memory_order_relaxed); }

  // Serves `input` as the bytes one connection receives (then the client
  // stops sending), with no socket, and returns what the server sends back.
  // For fuzzers and tests.
  std::string ServeBytes(std::string_view input);

 private:
  struct Conn;
  EventLoop::Next Serve(EventLoop::Session& session, bool draining) override;
  EventLoop::Next Expire(EventLoop::Session& session) override;

  // Feeds what is buffered to the parser and answers a complete request;
  // returns once a response (or a 100 Continue) is queued, the connection
  // must close, or more bytes are needed.
  void Advance(Conn& c, bool draining);
  // The head check of c's request; true when it answered the request.
  bool CheckHead(Conn& c);
  void Dispatch(Conn& c, bool draining);
  // Queues an error answer of the connection layer and marks c closing.
  void Refuse(Conn& c, int status, const std::string& code, const std::string& message);
  // Queues `res` (after the router's error handler, post-routing and log)
  // as c's last response, and frees what c holds.
  void AnswerAndClose(Conn& c, const httplib::Request& req, httplib::Response& res);
  void BeginRequest(Conn& c, std::chrono::steady_clock::time_point now);
  // The bytes c holds for an incomplete request, counted in pending_.
  void Account(Conn& c);
  httplib::Request MakeRequest(const Conn& c) const;

  const Router& router_;
  HeadCheck head_check_;
  TransportOptions options_;
  LoopStats stats_;
  std::atomic<size_t> pending_{0};
  std::atomic<size_t> pending_peak_{0};
  std::atomic<uint64_t> budget_refusals_{0};
  int listen_fd_ = -1;
  int stop_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> running_{false};
  std::unique_ptr<EventLoop> loop_;
};

}  // namespace adapters::http
