// A real careerbot HTTP server for tests: on a free loopback port, running on
// its own thread, stopped and joined when it goes out of scope. Every test
// that talks HTTP to the server starts it through these.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <httplib.h>

#include "adapters/http/router.h"
#include "adapters/http/server.h"
#include "app/service.h"
#include "bot/clock.h"
#include "knowledge/builtin.h"
#include "knowledge/store.h"

namespace testing_helpers {

// HttpOptions for tests: any free port, `threads` workers, and no rate limit
// (tests ask many times a minute; the limiter has tests of its own).
inline adapters::http::HttpOptions TestHttpOptions(size_t threads = 4) {
  adapters::http::HttpOptions options;
  options.port = 0;
  options.threads = threads;
  options.rate_limit_per_minute = 0;
  return options;
}

// The knowledge base at `db` (a path, or ":memory:"), built from the shipped
// knowledge when it has none yet. *built says whether it was.
inline std::unique_ptr<knowledge::Store> OpenKnowledge(const std::string& db = ":memory:", bool* built = nullptr) {
  bool was_built = false;
  auto store = knowledge::OpenOrBuild(db, &was_built);
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  if (built) *built = was_built;
  return std::move(*store);
}

// An HttpServer over `service` (not owned: it must outlive this), bound to a
// free loopback port (options.port is ignored) and running on a thread.
class RunningServer {
 public:
  RunningServer(adapters::Service& service, adapters::http::HttpOptions options) {
    options.port = 0;
    server_ = std::make_unique<adapters::http::HttpServer>(service, options);
    bot::Status s = server_->Bind();
    INFO(s.ToString());
    REQUIRE(s.ok());
    thread_ = std::thread([this] { server_->Run(); });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!server_->running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!server_->running()) {
      Stop();  // before REQUIRE throws: a joinable thread must not be destroyed
      FAIL("the server did not start within 10 s");
    }
  }
  ~RunningServer() { Stop(); }
  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;

  // Stops accepting, drains and joins; idempotent.
  void Stop() {
    server_->Stop();
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return server_->port(); }
  adapters::http::HttpServer& server() { return *server_; }

  // A client of this server: 5 s to connect, `read_timeout_s` to answer.
  std::unique_ptr<httplib::Client> Client(int read_timeout_s = 20) const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port());
    c->set_connection_timeout(5, 0);
    c->set_read_timeout(read_timeout_s, 0);
    c->set_write_timeout(read_timeout_s, 0);
    return c;
  }

 private:
  std::unique_ptr<adapters::http::HttpServer> server_;
  std::thread thread_;
};

// A server with its own knowledge base (`db`, built from the shipped
// knowledge when missing) and service: the store, the service and the
// running server in one.
class TestServer {
 public:
  explicit TestServer(adapters::http::HttpOptions options, const std::string& db = ":memory:",
                      bot::Clock* clock = bot::Clock::Real())
      : store_(OpenKnowledge(db, &built_)),
        service_(std::make_unique<adapters::Service>(store_.get(), bot::AnswererOptions{}, clock)),
        running_(std::make_unique<RunningServer>(*service_, std::move(options))) {}
  ~TestServer() { running_.reset(); }  // the server stops before the service and store go
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  void Stop() { running_->Stop(); }
  int port() const { return running_->port(); }
  adapters::http::HttpServer& server() { return running_->server(); }
  knowledge::Store& store() { return *store_; }
  adapters::Service& service() { return *service_; }
  // True when the knowledge base was built from the shipped knowledge.
  bool built() const { return built_; }
  std::unique_ptr<httplib::Client> Client(int read_timeout_s = 20) const { return running_->Client(read_timeout_s); }

 private:
  bool built_ = false;
  std::unique_ptr<knowledge::Store> store_;
  std::unique_ptr<adapters::Service> service_;
  std::unique_ptr<RunningServer> running_;
};

// A server with every route registered (the admin API on), configured but
// neither bound nor running: its router() is the route list and the route
// labels, as `careerbot serve` with an admin token has them.
// `admin_token` empty: the admin API off. ServeBytes() serves a request's
// bytes through the whole server (head check, guard, router) without a socket.
class AllRoutes {
 public:
  static constexpr const char* kAdminToken = "all-routes-test-token-0123456789";
  explicit AllRoutes(const std::string& admin_token = kAdminToken)
      : store_(OpenKnowledge(":memory:")),
        service_(std::make_unique<adapters::Service>(store_.get(), bot::AnswererOptions{})) {
    adapters::http::HttpOptions options = TestHttpOptions(1);
    options.admin.token = admin_token;
    server_ = std::make_unique<adapters::http::HttpServer>(*service_, options);
    server_->Configure();
  }
  ~AllRoutes() { server_.reset(); }  // the server goes before the service and store
  const adapters::http::Router& router() const { return server_->router(); }
  const std::vector<adapters::http::RouteInfo>& routes() const { return router().routes(); }
  std::string ServeBytes(const std::string& bytes) { return server_->ServeBytes(bytes); }

 private:
  std::unique_ptr<knowledge::Store> store_;
  std::unique_ptr<adapters::Service> service_;
  std::unique_ptr<adapters::http::HttpServer> server_;
};

// A raw TCP connection to 127.0.0.1:`port` (for requests no HTTP client
// would send); the socket, or -1.
inline int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends all of `data` on `fd`; false when the connection failed.
inline bool SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace testing_helpers
