// The HTTP adapter: the JSON API (POST /v1/ask, POST /v1/feedback,
// GET /healthz), on careerbot's own connection layer (connection.h) and
// router (router.h) with cpp-httplib's request and response types. Handlers are thin: decode the request, call
// the Service, encode its result; every error is JSON
// {"error": {"code", "message"}} with a 4xx/5xx status.
// HttpServer is used from one thread (Start/Stop may be called from another).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/admin/admin.h"
#include "app/chat_config.h"
#include "app/rate_limit.h"
#include "app/service.h"
#include "bot/status.h"


namespace adapters::chat {
class Platform;
}  // namespace adapters::chat
namespace adapters::redis {
class SharedState;
class RedisClient;
class RedisConversations;
class LogShipper;
class LogConsumer;
}

namespace adapters::http {

class HttpMetrics;
class Router;
class Transport;

constexpr size_t kMaxBodyBytes = 16 * 1024;

// The default worker threads: twice the cores, at least 4, at most 16.
size_t DefaultHttpThreads();

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (see HttpServer::port())
  // Worker threads, connections, keep-alive and timeouts.
  // Connections are not served by a thread each: they wait in one epoll loop
  // and `threads` workers serve the requests that have fully arrived
  // (adapters/http/event_loop.h, connection.h). An idle keep-alive client
  // or a slow one holds a socket, not a thread.
  // - threads: workers. Answering is CPU-bound and short (~0.1 ms), so a few
  //   more than the cores: enough that a handler waiting on SQLite (feedback,
  //   admin writes) or a slow client's write does not idle a core, few enough
  //   that the scheduler does not preempt requests midway. With a thread per
  //   connection (128 threads, 64 keep-alive clients, 2 cores) the p99 of
  //   POST /v1/ask was scheduling: ~20 ms at a 3.3 ms p50; with 4 workers
  //   7.5 ms, at 15% more requests a second (2 workers: p99 ~9 ms, 25% fewer
  //   requests; 8: p99 10-12 ms). Default DefaultHttpThreads(): twice the
  //   cores, 4 to 16 (measurements in docs/operations.md).
  size_t threads = DefaultHttpThreads();
  // - max_connections: open at once, idle ones included; past it a new
  //   connection is answered 503 and closed (logged once, counted in
  //   careerbot_http_connections_refused_total). Lowered to the open-file
  //   limit (ulimit -n) less a margin when that is smaller.
  size_t max_connections = 4096;
  // - keep_alive_timeout_s: an idle connection is closed after 2 s. It holds
  //   no thread any more; 2 s stays above the 1 s of the nginx upstream pool
  //   (deploy/nginx.conf) so that the proxy, not us, closes an idle
  //   connection first (a request sent on a connection we close is lost).
  int keep_alive_timeout_s = 2;
  // - keep_alive_max_count: a connection is closed after this many requests.
  //   It was 100, so that queued connections got a thread; connections no
  //   longer queue for threads, and each reconnect costs a handshake, so it
  //   is only a bound for clients that never reconnect (a proxy's pool is
  //   rebalanced when its connections close); nginx closes its own after 90.
  size_t keep_alive_max_count = 1000;
  // - read/write timeouts: one deadline per request, from its first byte:
  //   read_timeout_s for its line, headers and body, plus a second per
  //   32 KiB its body may have (adapters/http/connection.h), however slowly
  //   they trickle (the wait holds no thread; 408 past it). A response the
  //   client does not read waits in its buffer (no thread) and the
  //   connection is closed when the socket has not drained for
  //   write_timeout_s.
  int read_timeout_s = 5;
  int write_timeout_s = 5;
  // - max_pending_bytes: all bytes held for requests still arriving, over
  //   all connections; past it a request is answered 503 and its connection
  //   closed (a memory budget for unauthenticated input).
  size_t max_pending_bytes = 64 * 1024 * 1024;
  // The chat platforms (adapters/chat/registry.h); each one is on when its
  // secret is set (BuildConfig, app/config.h), else its endpoints answer 503.
  ChatConfig chat;
  // The curators' admin API and page (adapters/admin): off (404) unless a
  // token is set (CAREERBOT_ADMIN_TOKEN, app/config.h).
  admin::AdminOptions admin;
  // Requests per minute per client (POST /v1/ask and /v1/feedback by IP
  // address, the chat webhooks by platform user): past it, 429 with
  // Retry-After. 0 turns limiting off (load tests, the eval, tests that ask a
  // lot). `careerbot serve`: CAREERBOT_RATE_LIMIT (app/config.h).
  int rate_limit_per_minute = kDefaultRateLimitPerMinute;
  // Behind a local reverse proxy: rate-limit by X-Forwarded-For's last
  // address when the peer is loopback (CAREERBOT_TRUST_PROXY=1).
  bool trust_forwarded_for = false;
  // Origins whose pages may call the JSON API (CORS); none by default
  // (CAREERBOT_CORS_ORIGINS).
  std::vector<std::string> cors_origins;
  // The state replicas share (adapters/redis/): rate-limit buckets and Slack
  // event ids. Empty: this process's own (CAREERBOT_REDIS_URL, serve --redis).
  std::string redis_url;
  // With redis_url: conversations and the question log and feedback are
  // shared too (adapters/redis/conversations.h, log_stream.h). This process
  // is the writer: it reads every replica's lines and feedback into its own
  // question log (CAREERBOT_REDIS_CONSUMER=1, serve --redis-consumer). It
  // needs a log it can write. One writer per Redis.
  bool redis_consumer = false;
};

// docs/openapi.json, compiled in: what GET /openapi.json serves.
const std::string& OpenApiDocument();

// Adds the API routes to `router`. `redis` (may be null): the shared state,
// whose health GET /healthz reports ("degraded" while it is down).
void RegisterRoutes(Router& router, Service& service, redis::SharedState* redis = nullptr);

class HttpServer {
 public:
  HttpServer(Service& service, HttpOptions options);
  ~HttpServer();
  // Binds the listening socket; fails with kUnavailable (port in use,
  // permission) or kInvalidArgument (bad port, a malformed redis_url).
  bot::Status Bind();
  // Registers every route and handler Bind() serves with (Bind() calls it;
  // later calls do nothing).
  void Configure();
  // Serves `input` as the bytes one connection receives, with every route
  // and no socket, and returns what it sends back (for the fuzzers and
  // tests; adapters/http/connection.h).
  std::string ServeBytes(std::string_view input);
  // The routes, each registered once (router.h): after Configure(), the
  // route list (Router::routes()) and the route labels (Router::Label()).
  const Router& router() const { return *router_; }
  int port() const { return port_; }
  // Serves until Stop(); returns when the server has stopped.
  void Run();
  void Stop();
  bool running() const;
  // The GET /metrics text (Prometheus text format 0.0.4).
  std::string RenderMetrics();
  // The shared question log (null without a redis_url) and its consumer
  // (null unless redis_consumer), for tests.
  redis::LogShipper* log_shipper() { return shipper_.get(); }
  redis::LogConsumer* log_consumer() { return consumer_.get(); }

 private:
  void RegisterOpsRoutes(Router& router);

  Service& service_;
  HttpOptions options_;
  // The chat platforms, one per registration; declared before the router
  // and transport so they outlive their handlers.
  std::vector<std::unique_ptr<chat::Platform>> platforms_;
  std::shared_ptr<admin::AdminApi> admin_;
  std::unique_ptr<HttpMetrics> metrics_;
  std::unique_ptr<redis::SharedState> redis_;  // null without a redis_url
  // With a redis_url: conversations in Redis, the question log's stream
  // (its own connection) and, on the writer, its consumer (another one).
  std::unique_ptr<redis::RedisConversations> conversations_;
  std::unique_ptr<redis::RedisClient> log_client_;
  std::unique_ptr<redis::LogShipper> shipper_;
  std::unique_ptr<redis::RedisClient> consumer_client_;
  std::unique_ptr<redis::LogConsumer> consumer_;
  std::shared_ptr<RateLimiter> limiter_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<Transport> transport_;
  bool configured_ = false;
  bot::Status redis_error_;  // a malformed redis_url, reported by Bind()
  std::chrono::steady_clock::time_point started_;
  double started_unix_ = 0;
  int port_ = 0;
};

}  // namespace adapters::http
