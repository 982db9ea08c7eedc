// The connection layer's event loop (adapters/http/event_loop.h): idle and
// slow connections hold no worker, the connection bound answers 503, a
// request trickled in pieces or pipelined is answered, /metrics counts
// connections, Stop() closes idle connections at once and finishes what is
// in flight, and many clients at once (run under TSan: [concurrency]).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <httplib.h>

#include "../helpers/server.h"
#include "adapters/http/server.h"
#include "app/service.h"
#include "chat_test_server.h"
#include "knowledge/builtin.h"

namespace {

using chat_testing::WaitFor;
using Clock = std::chrono::steady_clock;

class LoopServer {
 public:
  explicit LoopServer(std::function<void(adapters::http::HttpOptions*)> setup = nullptr) : server_(Options(setup)) {}
  void Stop() { server_.Stop(); }
  int port() const { return server_.port(); }
  adapters::http::HttpServer& server() { return server_.server(); }

 private:
  static adapters::http::HttpOptions Options(const std::function<void(adapters::http::HttpOptions*)>& setup) {
    adapters::http::HttpOptions options = testing_helpers::TestHttpOptions(2);
    if (setup) setup(&options);
    return options;
  }
  testing_helpers::TestServer server_;
};

using testing_helpers::Connect;

using testing_helpers::SendAll;

// Reads until `responses` complete responses (Content-Length framed) came,
// the peer closed, or `timeout` passed.
std::string ReadResponses(int fd, int responses, std::chrono::milliseconds timeout, bool* closed = nullptr) {
  std::string raw;
  auto until = Clock::now() + timeout;
  if (closed) *closed = false;
  auto complete = [&] {
    size_t at = 0;
    for (int i = 0; i < responses; i++) {
      size_t head_end = raw.find("\r\n\r\n", at);
      if (head_end == std::string::npos) return false;
      size_t cl = raw.find("Content-Length: ", at);
      if (cl == std::string::npos || cl > head_end) return false;
      size_t end = head_end + 4 + std::stoul(raw.substr(cl + 16));
      if (raw.size() < end) return false;
      at = end;
    }
    return true;
  };
  while (!complete()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      if (closed) *closed = true;
      break;
    }
    raw.append(buf, static_cast<size_t>(n));
  }
  return raw;
}

// True when the peer closes `fd` within `timeout` (after any bytes).
bool ClosedWithin(int fd, std::chrono::milliseconds timeout) {
  auto until = Clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return true;
  }
}

const char kHealthz[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

std::string AskRequest(const std::string& question, const std::string& extra_headers = "") {
  std::string body = "{\"question\": \"" + question + "\"}";
  return "POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + extra_headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string Metric(adapters::http::HttpServer& server, const std::string& line_start) {
  std::string text = server.RenderMetrics();
  size_t at = text.find("\n" + line_start);
  if (at == std::string::npos) return "";
  size_t end = text.find('\n', at + 1);
  return text.substr(at + 1 + line_start.size(), end - at - 1 - line_start.size());
}

}  // namespace

TEST_CASE("ServeBytes serves a socketless connection's requests in order", "[adapters][connections]") {
  bool built = false;
  auto store = knowledge::OpenOrBuild(":memory:", &built);
  REQUIRE(store.ok());
  adapters::Service service(store->get());
  adapters::http::HttpOptions options;
  options.rate_limit_per_minute = 0;
  adapters::http::HttpServer server(service, options);
  const std::string out =
      server.ServeBytes(std::string(kHealthz) + AskRequest("What is REST?") + "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n");
  size_t first = out.find("HTTP/1.1 200");
  size_t second = out.find("HTTP/1.1 200", first + 1);
  size_t third = out.find("HTTP/1.1 404");
  REQUIRE(first == 0);
  REQUIRE(second != std::string::npos);
  REQUIRE(third != std::string::npos);
  CHECK(second < third);
  CHECK(out.find("\"answer_id\"") != std::string::npos);
}

TEST_CASE("idle and slow connections hold no worker", "[adapters][connections][concurrency]") {
  LoopServer server([](adapters::http::HttpOptions* o) {
    o->threads = 2;
    o->keep_alive_timeout_s = 30;
  });
  // 100 idle keep-alive connections (each served once), and 20 that sent
  // half a head: far more than the 2 workers.
  std::vector<int> idle, slow;
  for (int i = 0; i < 100; i++) {
    int fd = Connect(server.port());
    REQUIRE(fd >= 0);
    REQUIRE(SendAll(fd, kHealthz));
    REQUIRE(ReadResponses(fd, 1, std::chrono::seconds(10)).find("HTTP/1.1 200") == 0);
    idle.push_back(fd);
  }
  for (int i = 0; i < 20; i++) {
    int fd = Connect(server.port());
    REQUIRE(fd >= 0);
    REQUIRE(SendAll(fd, "POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Le"));
    slow.push_back(fd);
  }
  // A connection is parked (idle) just after its response is written, so
  // the client may read the response first: wait for both counts.
  auto reading = [&] { return Metric(server.server(), "careerbot_http_connections{state=\"reading\"} "); };
  auto idle_count = [&] { return Metric(server.server(), "careerbot_http_connections{state=\"idle\"} "); };
  CHECK(WaitFor([&] { return reading() == "20" && idle_count() == "100"; }, std::chrono::seconds(10)));
  CHECK(reading() == "20");
  CHECK(idle_count() == "100");
  // A new client is answered at once.
  auto started = Clock::now();
  httplib::Client c("127.0.0.1", server.port());
  auto res = c.Get("/healthz");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(Clock::now() - started < std::chrono::seconds(1));
  // The idle ones are still open and answer again; the slow ones finish.
  for (int fd : idle) {
    REQUIRE(SendAll(fd, kHealthz));
    CHECK(ReadResponses(fd, 1, std::chrono::seconds(10)).find("HTTP/1.1 200") == 0);
  }
  for (int fd : slow) {
    std::string body = R"({"question": "What is REST?"})";
    REQUIRE(SendAll(fd, "ngth: " + std::to_string(body.size()) + "\r\nContent-Type: application/json\r\n\r\n" + body));
    CHECK(ReadResponses(fd, 1, std::chrono::seconds(10)).find("HTTP/1.1 200") == 0);
  }
  for (int fd : idle) ::close(fd);
  for (int fd : slow) ::close(fd);
}

TEST_CASE("a request in many small pieces and pipelined requests are answered in order",
          "[adapters][connections]") {
  LoopServer server;
  int fd = Connect(server.port());
  REQUIRE(fd >= 0);
  std::string request = AskRequest("What is REST?");
  for (char ch : request) {
    REQUIRE(SendAll(fd, std::string(1, ch)));
    if (ch == '\n') std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::string one = ReadResponses(fd, 1, std::chrono::seconds(10));
  CHECK(one.find("HTTP/1.1 200") == 0);
  CHECK(one.find("\"answer_id\"") != std::string::npos);
  // 40 requests in one write, then more on the same connection.
  std::string many;
  for (int i = 0; i < 20; i++) many += kHealthz + AskRequest("What is REST?");
  REQUIRE(SendAll(fd, many));
  std::string raw = ReadResponses(fd, 40, std::chrono::seconds(20));
  size_t count = 0;
  for (size_t at = raw.find("HTTP/1.1 200"); at != std::string::npos; at = raw.find("HTTP/1.1 200", at + 1)) count++;
  CHECK(count == 40);
  CHECK(raw.find("HTTP/1.1 200", 0) < raw.find("\"answer_id\""));  // healthz first
  ::close(fd);
}

TEST_CASE("past max_connections a new connection gets 503 and is closed", "[adapters][connections]") {
  LoopServer server([](adapters::http::HttpOptions* o) { o->max_connections = 4; });
  std::vector<int> open;
  for (int i = 0; i < 4; i++) {
    int fd = Connect(server.port());
    REQUIRE(fd >= 0);
    REQUIRE(SendAll(fd, kHealthz));
    REQUIRE(ReadResponses(fd, 1, std::chrono::seconds(10)).find("HTTP/1.1 200") == 0);
    open.push_back(fd);
  }
  int extra = Connect(server.port());
  REQUIRE(extra >= 0);
  bool closed = false;
  std::string refused = ReadResponses(extra, 1, std::chrono::seconds(10), &closed);
  CHECK(refused.find("HTTP/1.1 503") == 0);
  CHECK(refused.find("\"unavailable\"") != std::string::npos);
  CHECK(ClosedWithin(extra, std::chrono::seconds(5)));
  ::close(extra);
  CHECK(Metric(server.server(), "careerbot_http_connections_refused_total ") == "1");
  // Once one closes, there is room again.
  ::close(open.back());
  open.pop_back();
  // The slot is free once a worker has seen the close (a moment later; a
  // client that comes before that is still refused).
  REQUIRE(WaitFor(
      [&] {
        httplib::Client c("127.0.0.1", server.port());
        auto res = c.Get("/healthz");
        return res && res->status == 200;
      },
      std::chrono::seconds(10)));
  for (int fd : open) ::close(fd);
}

TEST_CASE("Stop closes idle connections at once and answers the request in flight",
          "[adapters][connections][concurrency]") {
  LoopServer server([](adapters::http::HttpOptions* o) { o->keep_alive_timeout_s = 60; });
  std::vector<int> idle;
  for (int i = 0; i < 10; i++) {
    int fd = Connect(server.port());
    REQUIRE(fd >= 0);
    REQUIRE(SendAll(fd, kHealthz));
    REQUIRE(ReadResponses(fd, 1, std::chrono::seconds(10)).find("HTTP/1.1 200") == 0);
    idle.push_back(fd);
  }
  // Headers and half the body, the rest after Stop().
  std::string request = AskRequest("What is REST?");
  size_t half = request.size() - 10;
  int in_flight = Connect(server.port());
  REQUIRE(in_flight >= 0);
  REQUIRE(SendAll(in_flight, request.substr(0, half)));
  REQUIRE(WaitFor([&] { return Metric(server.server(), "careerbot_http_connections{state=\"reading\"} ") == "1"; },
                  std::chrono::seconds(10)));
  auto started = Clock::now();
  std::thread stopper([&] { server.Stop(); });
  for (int fd : idle) CHECK(ClosedWithin(fd, std::chrono::seconds(2)));
  CHECK(Clock::now() - started < std::chrono::seconds(2));
  REQUIRE(SendAll(in_flight, request.substr(half)));
  std::string answer = ReadResponses(in_flight, 1, std::chrono::seconds(10));
  CHECK(answer.find("HTTP/1.1 200") == 0);
  CHECK(answer.find("Connection: close") != std::string::npos);
  stopper.join();
  CHECK(Clock::now() - started < std::chrono::seconds(4));
  for (int fd : idle) ::close(fd);
  ::close(in_flight);
}

TEST_CASE("many clients at once: keep-alive, pipelined, closing, half-closed and abandoned",
          "[adapters][connections][concurrency]") {
  LoopServer server([](adapters::http::HttpOptions* o) {
    o->threads = 3;
    o->keep_alive_timeout_s = 1;
    o->keep_alive_max_count = 7;
    o->read_timeout_s = 1;
  });
  std::atomic<int> ok{0}, bad{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; t++) {
    clients.emplace_back([&, t] {
      for (int round = 0; round < 12; round++) {
        int fd = Connect(server.port());
        if (fd < 0) {
          bad++;
          continue;
        }
        switch ((t + round) % 5) {
          case 0: {  // keep-alive, one at a time (the server closes after 7)
            for (int i = 0; i < 7; i++) {
              if (!SendAll(fd, i % 2 ? kHealthz : AskRequest("Is Docker worth learning?"))) break;
              (ReadResponses(fd, 1, std::chrono::seconds(10)).find("HTTP/1.1 200") == 0 ? ok : bad)++;
            }
            break;
          }
          case 1: {  // pipelined
            std::string all;
            for (int i = 0; i < 5; i++) all += AskRequest("What is REST?");
            SendAll(fd, all);
            std::string raw = ReadResponses(fd, 5, std::chrono::seconds(10));
            int n = 0;
            for (size_t at = raw.find("HTTP/1.1 200"); at != std::string::npos; at = raw.find("HTTP/1.1 200", at + 1)) n++;
            (n == 5 ? ok : bad)++;
            break;
          }
          case 2: {  // Connection: close
            SendAll(fd, AskRequest("hello", "Connection: close\r\n"));
            bool closed = false;
            (ReadResponses(fd, 1, std::chrono::seconds(10), &closed).find("HTTP/1.1 200") == 0 ? ok : bad)++;
            break;
          }
          case 3: {  // sends, half-closes, reads
            SendAll(fd, kHealthz);
            ::shutdown(fd, SHUT_WR);
            (ReadResponses(fd, 1, std::chrono::seconds(10)).find("HTTP/1.1 200") == 0 ? ok : bad)++;
            break;
          }
          default:  // a partial head, abandoned (or left to time out)
            SendAll(fd, "GET /healthz HTTP/1.1\r\nHo");
            if (round % 2) std::this_thread::sleep_for(std::chrono::milliseconds(20));
            break;
        }
        ::close(fd);
      }
    });
  }
  for (auto& c : clients) c.join();
  CHECK(bad == 0);
  CHECK(ok > 50);
  // Everything is let go: abandoned connections by their deadline.
  CHECK(WaitFor(
      [&] {
        std::string text = server.server().RenderMetrics();
        return text.find("careerbot_http_connections{state=\"idle\"} 0") != std::string::npos &&
               text.find("careerbot_http_connections{state=\"reading\"} 0") != std::string::npos &&
               text.find("careerbot_http_connections{state=\"closing\"} 0") != std::string::npos;
      },
      std::chrono::seconds(10)));
  httplib::Client c("127.0.0.1", server.port());
  auto res = c.Get("/healthz");
  REQUIRE(res);
  CHECK(res->status == 200);
}
