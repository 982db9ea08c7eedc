// The HTTP adapter: the JSON API (POST /v1/ask, POST /v1/feedback,
// GET /healthz) over cpp-httplib. Handlers are thin: decode the request, call
// the Service, encode its result; every error is JSON
// {"error": {"code", "message"}} with a 4xx/5xx status.
// HttpServer is used from one thread (Start/Stop may be called from another).
#pragma once

#include <memory>
#include <string>

#include "adapters/service.h"
#include "bot/status.h"

namespace httplib {
class Server;
}

namespace adapters::http {

constexpr size_t kMaxBodyBytes = 16 * 1024;

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (see HttpServer::port())
  // Worker threads. cpp-httplib keeps one pool thread busy per keep-alive
  // connection for as long as the connection stays open, so the pool must be
  // larger than the number of concurrent keep-alive clients we expect, and
  // idle keep-alive connections must be let go quickly (keep_alive_timeout).
  size_t threads = 32;
  int keep_alive_timeout_s = 2;
  size_t keep_alive_max_count = 1000;
  int read_timeout_s = 5;
  int write_timeout_s = 5;
};

// Adds the API routes to `server`.
void RegisterRoutes(httplib::Server& server, Service& service);

class HttpServer {
 public:
  HttpServer(Service& service, HttpOptions options);
  ~HttpServer();
  // Binds the listening socket; fails with kUnavailable (port in use,
  // permission) or kInvalidArgument (bad port).
  bot::Status Bind();
  int port() const { return port_; }
  // Serves until Stop(); returns when the server has stopped.
  void Run();
  void Stop();
  bool running() const;

 private:
  Service& service_;
  HttpOptions options_;
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
};

}  // namespace adapters::http
