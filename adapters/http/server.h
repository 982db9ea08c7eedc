// The HTTP adapter: the JSON API (POST /v1/ask, POST /v1/feedback,
// GET /healthz) over cpp-httplib. Handlers are thin: decode the request, call
// the Service, encode its result; every error is JSON
// {"error": {"code", "message"}} with a 4xx/5xx status.
// HttpServer is used from one thread (Start/Stop may be called from another).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "adapters/admin/admin.h"
#include "adapters/chat_config.h"
#include "adapters/rate_limit.h"
#include "adapters/service.h"
#include "bot/status.h"

namespace httplib {
class Server;
class Stream;
}

namespace adapters::slack {
class SlackAdapter;
class MattermostAdapter;
}  // namespace adapters::slack
namespace adapters::discord {
class DiscordAdapter;
}

namespace adapters::http {

class HttpMetrics;
class GuardedServer;

constexpr size_t kMaxBodyBytes = 16 * 1024;

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (see HttpServer::port())
  // Worker threads, keep-alive and timeouts, chosen for keep-alive clients.
  // cpp-httplib serves a connection on one pool thread for as long as it
  // stays open, and queues every other accepted connection until a thread is
  // free: measured with its default 8 threads and 64 keep-alive clients, the
  // slowest requests waited 850 ms in that queue. So:
  // - threads: more than the keep-alive clients expected at once (the
  //   browsers of the chat page, a proxy's upstream keep-alive pool, the chat
  //   platforms' callbacks). An idle thread costs a few KiB; answering is
  //   CPU-bound and short (~0.1 ms), so threads beyond the cores do not slow
  //   it. `careerbot serve` defaults to 128 (CAREERBOT_THREADS).
  //   Checked again with bench/run.sh (2 cores, the listen backlog widened
  //   to 1024, below): at 64 keep-alive clients GET /healthz has a p99 of
  //   ~10 ms (an earlier run measured 2.2 s, most likely SYNs dropped past
  //   httplib's backlog of 5 and retried a second later; not seen since),
  //   and POST /v1/ask's p99 (~50 ms) is CPU
  //   queueing: 64 clients at ~7,000 answers/s wait ~9 ms on average
  //   (Little's law) whatever the thread count. Fewer threads than clients
  //   would only add the keep-alive queueing described above.
  size_t threads = 128;
  // - keep_alive_timeout_s: an idle connection gives its thread back after
  //   2 s (cpp-httplib's default is 5 s), so idle browsers do not starve
  //   busy clients, while a client asking again within 2 s keeps its socket.
  int keep_alive_timeout_s = 2;
  // - keep_alive_max_count: after 100 requests a connection is closed (the
  //   client reconnects: ~0.05 ms on loopback, 1% of its requests), so when
  //   clients ever outnumber threads, queued connections get a thread within
  //   100 requests of another client instead of waiting for it to go idle.
  size_t keep_alive_max_count = 100;
  // - read/write timeouts: a client that stalls mid-request or stops reading
  //   holds its thread at most 5 s per read or write; a request's line and
  //   headers must all arrive within read_timeout_s, its body within the time
  //   its size allows (adapters/http/connection.h), however slowly they trickle.
  int read_timeout_s = 5;
  int write_timeout_s = 5;
  // The chat platforms (Slack, Discord, Mattermost); each one is on when its
  // secret is set (see ChatConfigFromEnv), else its endpoints answer 503.
  ChatConfig chat;
  // The curators' admin API and page (adapters/admin): off (404) unless a
  // token is set (see AdminOptionsFromEnv).
  admin::AdminOptions admin;
  // Requests per minute per client (POST /v1/ask and /v1/feedback by IP
  // address, the chat webhooks by platform user): past it, 429 with
  // Retry-After. 0 turns limiting off (load tests, the eval, tests that ask a
  // lot). `careerbot serve`: CAREERBOT_RATE_LIMIT (RateLimitFromEnv).
  int rate_limit_per_minute = kDefaultRateLimitPerMinute;
  // Behind a local reverse proxy: rate-limit by X-Forwarded-For's last
  // address when the peer is loopback (CAREERBOT_TRUST_PROXY=1).
  bool trust_forwarded_for = false;
  // Origins whose pages may call the JSON API (CORS); none by default
  // (CAREERBOT_CORS_ORIGINS).
  std::vector<std::string> cors_origins;
};

// One route of the HTTP server. Routes() is the single list of them: the
// 405 answers, the route labels of the access log and of /metrics, and the
// test that docs/openapi.json describes every route all read it. A route
// added anywhere (an adapter's RegisterRoutes) must be added there too.
struct RouteInfo {
  const char* method;
  const char* path;     // as in docs/openapi.json; "{name}" stands for one path segment
  const char* adapter;  // api, ops, web, slack, discord, mattermost, admin
};
const std::vector<RouteInfo>& Routes();
// The first route whose path pattern `path` matches, whatever its method
// ("/admin/" counts as "/admin"); nullptr when none does.
const RouteInfo* FindRoutePath(const std::string& path);

// docs/openapi.json, compiled in: what GET /openapi.json serves.
const std::string& OpenApiDocument();

// Adds the API routes to `server`.
void RegisterRoutes(httplib::Server& server, Service& service);

class HttpServer {
 public:
  HttpServer(Service& service, HttpOptions options);
  ~HttpServer();
  // Binds the listening socket; fails with kUnavailable (port in use,
  // permission) or kInvalidArgument (bad port).
  bot::Status Bind();
  // Registers every route and handler Bind() serves with (Bind() calls it;
  // later calls do nothing).
  void Configure();
  // Serves the raw requests in `stream` as one connection would, with every
  // route, no socket (for the fuzzers; adapters/http/connection.h).
  void ServeStream(httplib::Stream& stream);
  int port() const { return port_; }
  // Serves until Stop(); returns when the server has stopped.
  void Run();
  void Stop();
  bool running() const;
  // The GET /metrics text (Prometheus text format 0.0.4).
  std::string RenderMetrics();

 private:
  void RegisterOpsRoutes(httplib::Server& server);

  Service& service_;
  HttpOptions options_;
  // The chat adapters; declared before server_ so they outlive its handlers.
  std::unique_ptr<slack::SlackAdapter> slack_;
  std::unique_ptr<slack::MattermostAdapter> mattermost_;
  std::unique_ptr<discord::DiscordAdapter> discord_;
  std::shared_ptr<admin::AdminApi> admin_;
  std::unique_ptr<HttpMetrics> metrics_;
  std::unique_ptr<GuardedServer> server_;
  bool configured_ = false;
  std::chrono::steady_clock::time_point started_;
  double started_unix_ = 0;
  int port_ = 0;
};

}  // namespace adapters::http
