// The HTTP adapter: the JSON API (POST /v1/ask, POST /v1/feedback,
// GET /healthz) over cpp-httplib. Handlers are thin: decode the request, call
// the Service, encode its result; every error is JSON
// {"error": {"code", "message"}} with a 4xx/5xx status.
// HttpServer is used from one thread (Start/Stop may be called from another).
#pragma once

#include <memory>
#include <string>

#include "adapters/admin/admin.h"
#include "adapters/chat_config.h"
#include "adapters/service.h"
#include "bot/status.h"

namespace httplib {
class Server;
}

namespace adapters::slack {
class SlackAdapter;
class MattermostAdapter;
}  // namespace adapters::slack
namespace adapters::discord {
class DiscordAdapter;
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
  // The chat platforms (Slack, Discord, Mattermost); each one is on when its
  // secret is set (see ChatConfigFromEnv), else its endpoints answer 503.
  ChatConfig chat;
  // The curators' admin API and page (adapters/admin): off (404) unless a
  // token is set (see AdminOptionsFromEnv).
  admin::AdminOptions admin;
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
  // The chat adapters; declared before server_ so they outlive its handlers.
  std::unique_ptr<slack::SlackAdapter> slack_;
  std::unique_ptr<slack::MattermostAdapter> mattermost_;
  std::unique_ptr<discord::DiscordAdapter> discord_;
  std::shared_ptr<admin::AdminApi> admin_;
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
};

}  // namespace adapters::http
