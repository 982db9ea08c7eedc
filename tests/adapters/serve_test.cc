// `careerbot serve` as a real process (issue 6): a bad configuration stops
// the start with one line and a non-zero exit; SIGTERM finishes the request
// in flight and exits 0; a replaced knowledge-base file is reloaded with no
// failed request; the access log is one line per request, without secrets.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "../helpers/files.h"
#include "../helpers/process.h"
#include "../helpers/server.h"

namespace {

using nlohmann::json;
using testing_helpers::Process;
using testing_helpers::TempDir;

// The environment every child gets: nothing outside `dir` is touched.
std::vector<std::string> Env(const TempDir& dir, std::vector<std::string> more = {}) {
  std::vector<std::string> env = {"HOME=" + dir.path(), "XDG_DATA_HOME=" + dir.File("xdg"),
                                  "CAREERBOT_DB=" + dir.File("default.db"), "TMPDIR=" + dir.path(),
                                  // these tests ask many times a minute
                                  "CAREERBOT_RATE_LIMIT=0"};
  for (auto& e : more) env.push_back(std::move(e));
  return env;
}

struct Run {
  int code = -1;
  std::string out, err;
};

// Runs careerbot to completion (at most 60 s).
Run Careerbot(const TempDir& dir, std::vector<std::string> args, std::vector<std::string> env = {}) {
  args.insert(args.begin(), CAREERBOT_BINARY);
  static int n = 0;
  std::string out = dir.File("run" + std::to_string(++n) + ".out"), err = dir.File("run" + std::to_string(n) + ".err");
  Process p(args, Env(dir, env), out, err);
  Run r;
  r.code = p.Wait(std::chrono::seconds(60));
  testing_helpers::ReadWholeFile(out, &r.out);
  r.err = p.Stderr();
  return r;
}

size_t Lines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

// `careerbot serve --port 0 ARGS...`; waits for its "listening" line.
struct Server {
  std::unique_ptr<Process> process;
  int port = 0;
};
Server StartServe(const TempDir& dir, std::vector<std::string> args, std::vector<std::string> env = {},
                  const std::string& name = "serve") {
  std::vector<std::string> argv = {CAREERBOT_BINARY, "serve", "--port", "0"};
  argv.insert(argv.end(), args.begin(), args.end());
  Server s;
  s.process = std::make_unique<Process>(argv, Env(dir, env), dir.File(name + ".out"), dir.File(name + ".err"));
  std::string port = s.process->WaitForStderr(R"(listening on http://127\.0\.0\.1:(\d+))", std::chrono::seconds(30));
  INFO(s.process->Stderr());
  REQUIRE(!port.empty());
  s.port = std::stoi(port);
  return s;
}

std::unique_ptr<httplib::Client> Client(int port) {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
  c->set_connection_timeout(5, 0);
  c->set_read_timeout(20, 0);
  return c;
}

std::string Version(int port) {
  auto res = Client(port)->Get("/healthz");
  if (!res || res->status != 200) return "";
  return json::parse(res->body)["version"];
}

const char kZorblaxMd[] = R"(## Zorblax certification for backend developers
id: zorblax-cert
tags: zorblax, certification
article: Operations test
section: Hot reload
url:
updated: 2026-11-29
questions:
- What is the zorblax certification?

The zorblax certification is a made-up credential used to check that a replica answers from a new snapshot.
)";

}  // namespace

TEST_CASE("serve refuses a bad configuration with one line on stderr and a non-zero exit", "[adapters][serve]") {
  TempDir dir;
  struct Case {
    const char* name;
    std::vector<std::string> args;
    std::vector<std::string> env;
    const char* says;
  };
  REQUIRE(testing_helpers::WriteWholeFile(dir.File("garbage.db"), "this is not a database, just text\n"));
  REQUIRE(mkdir(dir.File("a-directory").c_str(), 0755) == 0);
  const std::vector<Case> cases = {
      {"port not a number", {"--port", "eighty"}, {}, "invalid port 'eighty' from --port"},
      {"port out of range", {"--port", "65536"}, {}, "invalid port '65536'"},
      {"negative port", {"--port=-1"}, {}, "invalid port '-1'"},
      {"port from the environment", {}, {"CAREERBOT_PORT=http"}, "from $CAREERBOT_PORT"},
      {"unknown flag", {"--frobnicate"}, {}, "unknown flag --frobnicate"},
      {"flag without its value", {"--db"}, {}, "--db needs a value"},
      {"threads", {"--threads", "0"}, {}, "invalid thread count '0'"},
      {"threads from the environment", {}, {"CAREERBOT_THREADS=lots"}, "from $CAREERBOT_THREADS"},
      {"connection limit", {"--max-connections", "0"}, {}, "invalid connection limit '0'"},
      {"connection limit from the environment", {}, {"CAREERBOT_MAX_CONNECTIONS=many"},
       "from $CAREERBOT_MAX_CONNECTIONS"},
      {"log level", {"--log-level", "loud"}, {}, "invalid log level 'loud'"},
      {"log format", {}, {"CAREERBOT_LOG_FORMAT=xml"}, "invalid log format 'xml' from $CAREERBOT_LOG_FORMAT"},
      {"reload interval", {"--reload-interval", "soon"}, {}, "invalid reload interval"},
      {"threshold", {"--threshold", "2"}, {}, "threshold"},
      {"a knowledge base that is not SQLite", {"--db", dir.File("garbage.db")}, {}, "not a careerbot knowledge base"},
      {"a directory as knowledge base", {"--db", dir.File("a-directory")}, {}, "is not a file"},
      {"a question log that is not SQLite", {"--log-db", dir.File("garbage.db")}, {}, "question log"},
      {"an unexpected argument", {"extra"}, {}, "unexpected argument 'extra'"},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      // --port 0 (never 8080) unless the case is about the port's variable.
      bool port_env = !c.env.empty() && c.env[0].rfind("CAREERBOT_PORT=", 0) == 0;
      std::vector<std::string> args = {"serve"};
      if (!port_env) args = {"serve", "--port", "0"};
      args.insert(args.end(), c.args.begin(), c.args.end());
      Run r = Careerbot(dir, args, c.env);
      INFO(r.err);
      CHECK(r.code != 0);
      CHECK(r.code != -1);
      CHECK(Lines(r.err) == 1);
      CHECK(r.err.find(c.says) != std::string::npos);
      CHECK(r.out.empty());
    }
  }
  SECTION("an SQLite file that is not a careerbot knowledge base is left unchanged") {
    const std::string other = dir.File("invoices.db");
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(other.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "CREATE TABLE invoices(id INTEGER PRIMARY KEY)", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    std::string before, after;
    testing_helpers::ReadWholeFile(other, &before);
    Run r = Careerbot(dir, {"serve", "--port", "0", "--db", other});
    CHECK(r.code == 1);
    CHECK(Lines(r.err) == 1);
    CHECK(r.err.find("not a careerbot knowledge base") != std::string::npos);
    testing_helpers::ReadWholeFile(other, &after);
    CHECK(before == after);
  }
  if (geteuid() != 0) {
    SECTION("an unreadable knowledge base") {
      REQUIRE(Careerbot(dir, {"kb", "build", "--db", dir.File("locked.db")}).code == 0);
      REQUIRE(chmod(dir.File("locked.db").c_str(), 0) == 0);
      Run r = Careerbot(dir, {"serve", "--port", "0", "--db", dir.File("locked.db")});
      CHECK(r.code == 1);
      CHECK(Lines(r.err) == 1);
    }
  }
  SECTION("a port already taken") {
    int sock = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(sock >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    REQUIRE(bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(listen(sock, 1) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    Run r = Careerbot(dir, {"serve", "--port", std::to_string(ntohs(addr.sin_port)), "--db", dir.File("kb.db"),
                            "--log-level", "warn"});
    close(sock);
    INFO(r.err);
    CHECK(r.code == 1);
    CHECK(Lines(r.err) == 1);
    CHECK(r.err.find("cannot listen") != std::string::npos);
  }
  // No usage error built anything.
  CHECK_FALSE(std::filesystem::exists(dir.File("default.db")));
}

TEST_CASE("serve --help lists every flag and variable with its default", "[adapters][serve]") {
  TempDir dir;
  Run r = Careerbot(dir, {"serve", "--help"});
  CHECK(r.code == 0);
  for (const char* name : {"CAREERBOT_HOST",
                           "CAREERBOT_PORT",
                           "CAREERBOT_DB",
                           "CAREERBOT_THREADS",
                           "CAREERBOT_MAX_CONNECTIONS",
                           "CAREERBOT_LOG_LEVEL",
                           "CAREERBOT_LOG_FORMAT",
                           "CAREERBOT_LOG_DB",
                           "CAREERBOT_THRESHOLD",
                           "CAREERBOT_RELOAD_INTERVAL",
                           "CAREERBOT_DRAIN_TIMEOUT",
                           "CAREERBOT_LOG_RETENTION_DAYS",
                           "CAREERBOT_ADMIN_TOKEN",
                           "CAREERBOT_ADMIN_TOKEN_LABEL",
                           "SLACK_SIGNING_SECRET",
                           "SLACK_BOT_TOKEN",
                           "SLACK_API_BASE",
                           "SLACK_PUBLIC_KEYWORD",
                           "DISCORD_PUBLIC_KEY",
                           "DISCORD_APPLICATION_ID",
                           "DISCORD_BOT_TOKEN",
                           "DISCORD_API_BASE",
                           "MATTERMOST_TOKEN",
                           "MATTERMOST_PUBLIC_KEYWORD",
                           "--host",
                           "--port",
                           "--db",
                           "--log-db",
                           "--threads",
                           "--max-connections",
                           "--threshold",
                           "--log-level",
                           "--log-format",
                           "--reload-interval",
                           "--drain-timeout"}) {
    INFO(name);
    // The line that starts with it (after the indentation) gives its default.
    bool listed = false;
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line)) {
      size_t start = line.find_first_not_of(' ');
      if (start == std::string::npos || line.compare(start, std::strlen(name), name) != 0) continue;
      listed = true;
      CHECK(line.find("default") != std::string::npos);
    }
    CHECK(listed);
  }
}

TEST_CASE("serve --max-connections bounds the connections open at once", "[adapters][serve]") {
  TempDir dir;
  Server s = StartServe(dir, {"--db", dir.File("kb.db"), "--max-connections", "1"});
  // One idle connection takes the only place...
  int sock = testing_helpers::Connect(s.port);
  REQUIRE(sock >= 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // ...so the next one is told so and closed.
  auto busy = Client(s.port)->Get("/healthz");
  REQUIRE(busy);
  CHECK(busy->status == 503);
  CHECK(busy->body.find("\"unavailable\"") != std::string::npos);
  // Once it closes, there is room again (as soon as the server has seen the close).
  close(sock);
  bool served = false;
  for (int i = 0; i < 200 && !served; i++) {
    auto res = Client(s.port)->Get("/healthz");
    served = res && res->status == 200;
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  CHECK(served);
  REQUIRE(s.process->Signal(SIGTERM));
  CHECK(s.process->Wait(std::chrono::seconds(10)) == 0);
}

TEST_CASE("SIGTERM stops accepting, finishes the request in flight and exits 0", "[adapters][serve]") {
  TempDir dir;
  Server s = StartServe(dir, {"--db", dir.File("kb.db")});
  // A request in flight: headers and half the body sent, the rest after the signal.
  const std::string body = R"({"question": "How much do backend developers earn?"})";
  int sock = testing_helpers::Connect(s.port);
  REQUIRE(sock >= 0);
  std::string head = "POST /v1/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\nX-Request-Id: in-flight-1\r\n\r\n" + body.substr(0, 10);
  REQUIRE(send(sock, head.data(), head.size(), 0) == static_cast<ssize_t>(head.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  REQUIRE(s.process->Signal(SIGTERM));
  REQUIRE(!s.process->WaitForStderr("SIGTERM: no new connections", std::chrono::seconds(10)).empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // No new connection is accepted...
  {
    auto late = Client(s.port);
    late->set_connection_timeout(1, 0);
    auto res = late->Get("/healthz");
    CHECK(!res);
  }
  CHECK(s.process->running());
  // ...while the one in flight is answered in full.
  std::string rest = body.substr(10);
  REQUIRE(send(sock, rest.data(), rest.size(), 0) == static_cast<ssize_t>(rest.size()));
  std::string response;
  char buf[4096];
  timeval tv{10, 0};
  setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ssize_t n;
  while ((n = recv(sock, buf, sizeof buf, 0)) > 0) {
    response.append(buf, static_cast<size_t>(n));
    size_t header_end = response.find("\r\n\r\n");
    size_t cl = response.find("Content-Length: ");
    if (header_end != std::string::npos && cl != std::string::npos &&
        response.size() >= header_end + 4 + std::stoul(response.substr(cl + 16))) {
      break;
    }
  }
  close(sock);
  INFO(response);
  CHECK(response.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(response.find("X-Request-Id: in-flight-1") != std::string::npos);
  size_t json_at = response.find("\r\n\r\n");
  REQUIRE(json_at != std::string::npos);
  json answer = json::parse(response.substr(json_at + 4), nullptr, false);
  REQUIRE(answer.is_object());
  CHECK(answer["answered"] == true);
  CHECK(s.process->Wait(std::chrono::seconds(15)) == 0);
  CHECK(s.process->Stderr().find("stopped") != std::string::npos);
}

TEST_CASE("SIGINT with nothing in flight exits 0 at once", "[adapters][serve]") {
  TempDir dir;
  Server s = StartServe(dir, {"--db", dir.File("kb.db")});
  REQUIRE(!Version(s.port).empty());
  auto started = std::chrono::steady_clock::now();
  REQUIRE(s.process->Signal(SIGINT));
  CHECK(s.process->Wait(std::chrono::seconds(10)) == 0);
  // Idle keep-alive connections are closed at once when draining.
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
}

TEST_CASE("a replaced knowledge-base file is served within seconds with no failed request", "[adapters][serve][concurrency]") {
  TempDir dir;
  REQUIRE(Careerbot(dir, {"kb", "build", "--db", dir.File("writer.db")}).code == 0);
  Run published = Careerbot(dir, {"kb", "publish", "--db", dir.File("writer.db"), "--out", dir.File("served.db")});
  INFO(published.err);
  REQUIRE(published.code == 0);
  CHECK(published.out.find("published ") == 0);
  Server s = StartServe(dir, {"--db", dir.File("served.db"), "--log-db", dir.File("questions.db")});
  const std::string v1 = Version(s.port);
  REQUIRE(!v1.empty());
  CHECK(s.process->Stderr().find("read-only snapshot") != std::string::npos);

  // Clients asking all the time, on keep-alive connections.
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 3; t++) {
    clients.emplace_back([&] {
      auto c = Client(s.port);
      c->set_keep_alive(true);
      while (!stop) {
        auto res = c->Post("/v1/ask", R"({"question": "What is the zorblax certification?"})", "application/json");
        if (res && res->status == 200 && json::parse(res->body, nullptr, false).is_object()) {
          ok++;
        } else {
          failed++;
        }
      }
    });
  }
  // Under load: wait until the clients are going (slow under sanitizers), not a fixed time.
  auto wait_ok = [&](int n) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (ok < n && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  };
  wait_ok(6);
  REQUIRE(testing_helpers::WriteWholeFile(dir.File("zorblax.md"), kZorblaxMd));
  REQUIRE(Careerbot(dir, {"kb", "import", "--db", dir.File("writer.db"), dir.File("zorblax.md")}).code == 0);
  REQUIRE(Careerbot(dir, {"kb", "publish", "--db", dir.File("writer.db"), "--out", dir.File("served.db")}).code == 0);
  std::string v2;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((v2 = Version(s.port)) == v1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  wait_ok(ok + 6);
  stop = true;
  for (auto& t : clients) t.join();
  CHECK(v2 != v1);
  CHECK(failed == 0);
  CHECK(ok > 10);
  auto res =
      Client(s.port)->Post("/v1/ask", R"({"question": "What is the zorblax certification?"})", "application/json");
  REQUIRE(res);
  json a = json::parse(res->body);
  REQUIRE(a["sources"].size() >= 1);
  CHECK(a["sources"][0]["id"] == "zorblax-cert");
  CHECK(s.process->Stderr().find("knowledge base reloaded from") != std::string::npos);

  // Feedback goes to the question log of --log-db.
  auto fb = Client(s.port)->Post("/v1/feedback", json({{"answer_id", a["answer_id"]}, {"helpful", true}}).dump(),
                                 "application/json");
  REQUIRE(fb);
  CHECK(fb->status == 200);

  // SIGHUP reloads too, even when the file did not change.
  REQUIRE(s.process->Signal(SIGHUP));
  CHECK(!s.process->WaitForStderr("SIGHUP: reloading", std::chrono::seconds(10)).empty());
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string metrics;
  while (std::chrono::steady_clock::now() < deadline) {
    auto m = Client(s.port)->Get("/metrics");
    if (m && m->body.find("careerbot_knowledge_reloads_total{result=\"ok\"} 2") != std::string::npos) {
      metrics = m->body;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(!metrics.empty());
  CHECK(metrics.find("careerbot_knowledge_snapshot_info{version=\"" + v2 + "\"") != std::string::npos);

  // A broken replacement is refused; the old knowledge keeps being served.
  REQUIRE(testing_helpers::WriteWholeFile(dir.File("broken.tmp"), "not a knowledge base"));
  REQUIRE(std::rename(dir.File("broken.tmp").c_str(), dir.File("served.db").c_str()) == 0);
  CHECK(!s.process->WaitForStderr("knowledge base not reloaded", std::chrono::seconds(10)).empty());
  CHECK(Version(s.port) == v2);
  REQUIRE(s.process->Signal(SIGTERM));
  CHECK(s.process->Wait(std::chrono::seconds(15)) == 0);
}

TEST_CASE("the access log has one line per request with route, status, latency and id, and no secrets",
          "[adapters][serve]") {
  TempDir dir;
  const std::string token = "admin-token-do-not-log-0123456789";
  Server s = StartServe(dir, {"--db", dir.File("kb.db"), "--log-format", "json"},
                        {"CAREERBOT_ADMIN_TOKEN=" + token, "SLACK_SIGNING_SECRET=slack-secret-do-not-log"});
  auto c = Client(s.port);
  c->set_keep_alive(true);  // one connection, one thread: the lines come in request order
  REQUIRE(c->Get("/healthz", {{"X-Request-Id", "log-test-1"}}));
  REQUIRE(c->Get("/v1/admin/entries/us-backend-salary", {{"Authorization", "Bearer " + token}}));
  REQUIRE(c->Get("/v1/admin/entries", {{"Authorization", "Bearer wrong-token-do-not-log"}}));
  REQUIRE(c->Post("/slack/events", R"({"type":"event_callback","event":{"text":"webhook-body-do-not-log"}})",
                  "application/json"));
  REQUIRE(c->Get("/missing?token=query-do-not-log"));
  REQUIRE(c->Post("/v1/ask", R"({"question": "password hunter2-do-not-log?"})", "application/json"));
  REQUIRE(s.process->Signal(SIGTERM));
  REQUIRE(s.process->Wait(std::chrono::seconds(15)) == 0);

  std::string log = s.process->Stderr();
  for (const char* secret : {"admin-token-do-not-log", "wrong-token-do-not-log", "slack-secret-do-not-log",
                             "webhook-body-do-not-log", "query-do-not-log", "hunter2"}) {
    INFO(secret);
    CHECK(log.find(secret) == std::string::npos);
  }
  std::vector<json> access;
  bool startup_seen = false;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    json j = json::parse(line, nullptr, false);
    INFO(line);
    REQUIRE(j.is_object());  // every line is one JSON object
    CHECK(j.contains("ts"));
    CHECK(j.contains("level"));
    if (j.value("logger", "") == "access") access.push_back(j);
    if (j.value("msg", "").find("listening on") != std::string::npos) {
      startup_seen = true;
      CHECK(j["msg"].get<std::string>().find("adapters: http, slack, admin") != std::string::npos);
    }
  }
  CHECK(startup_seen);
  REQUIRE(access.size() == 6);
  CHECK(access[0]["route"] == "/healthz");
  CHECK(access[0]["request_id"] == "log-test-1");
  CHECK(access[0]["status"] == 200);
  CHECK(access[0]["method"] == "GET");
  CHECK(access[0]["latency_ms"].is_number());
  CHECK(access[1]["route"] == "/v1/admin/entries/{id}");
  CHECK(access[1]["status"] == 200);
  CHECK(access[2]["status"] == 401);
  CHECK(access[3]["route"] == "/slack/events");
  CHECK(access[3]["status"] == 401);
  CHECK(access[4]["route"] == "other");
  CHECK(access[4]["status"] == 404);
  CHECK(access[5]["route"] == "/v1/ask");
  for (const auto& a : access) CHECK(a["request_id"].get<std::string>().size() >= 1);
}
