// The HTTP API on a real loopback socket: every contract of POST /v1/ask,
// POST /v1/feedback and GET /healthz, every error path, and the server
// staying alive after each.
#include "adapters/http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "app/service.h"
#include "../helpers/files.h"
#include "../helpers/server.h"
#include "knowledge/builtin.h"
#include "knowledge/store.h"

namespace {

using nlohmann::json;

// A live server over the built-in knowledge, stopped and joined on scope exit.
class LiveServer {
 public:
  explicit LiveServer(const std::string& db_path = ":memory:") {
    auto store = knowledge::Store::Open(db_path);
    REQUIRE(store.ok());
    store_ = std::move(*store);
    const knowledge::KnowledgeFiles files = knowledge::BuiltinKnowledge();
    entry_count_ = files.entries.size();
    REQUIRE(store_->ReplaceAll(files.entries, files.synonyms, "builtin:" + files.fingerprint).ok());
    service_ = std::make_unique<adapters::Service>(store_.get());
    running_ = std::make_unique<testing_helpers::RunningServer>(*service_, testing_helpers::TestHttpOptions(4));
    REQUIRE(running_->port() > 0);
  }
  ~LiveServer() { running_.reset(); }  // the server stops before the service and store go
  LiveServer(const LiveServer&) = delete;
  LiveServer& operator=(const LiveServer&) = delete;

  int port() const { return running_->port(); }
  size_t entry_count() const { return entry_count_; }
  knowledge::Store& store() { return *store_; }

  std::unique_ptr<httplib::Client> Client() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port());
    c->set_connection_timeout(5, 0);
    c->set_read_timeout(20, 0);
    c->set_write_timeout(5, 0);
    return c;
  }

 private:
  std::unique_ptr<knowledge::Store> store_;
  std::unique_ptr<adapters::Service> service_;
  std::unique_ptr<testing_helpers::RunningServer> running_;
  size_t entry_count_ = 0;
};

struct Reply {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string allow;
};

Reply PostJson(const LiveServer& s, const std::string& path, const std::string& body,
               const char* content_type = "application/json") {
  auto c = s.Client();
  auto res = c->Post(path.c_str(), body, content_type);
  Reply r;
  if (!res) {
    r.status = -1;
    r.body = "transport error " + std::to_string(static_cast<int>(res.error()));
    return r;
  }
  r.status = res->status;
  r.body = res->body;
  r.content_type = res->get_header_value("Content-Type");
  r.allow = res->get_header_value("Allow");
  return r;
}

Reply Get(const LiveServer& s, const std::string& path) {
  auto c = s.Client();
  auto res = c->Get(path.c_str());
  Reply r;
  if (!res) {
    r.status = -1;
    return r;
  }
  r.status = res->status;
  r.body = res->body;
  r.content_type = res->get_header_value("Content-Type");
  r.allow = res->get_header_value("Allow");
  return r;
}

// Sends raw bytes on a new connection and returns everything read back (the
// server closes the connection after "Connection: close"). With `half_close`
// the sending side is shut down after the request, so an incomplete request
// ends there instead of waiting for the server's read timeout (cpp-httplib
// then answers nothing, which is fine for junk).
std::string RawExchange(int port, const std::string& request, bool half_close = false) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    size_t sent = 0;
    while (sent < request.size()) {
      ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    if (half_close) ::shutdown(fd, SHUT_WR);
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

int RawStatus(const std::string& response) {
  // "HTTP/1.1 415 Unsupported Media Type"
  if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12) return -1;
  return std::stoi(response.substr(9, 3));
}

std::string RawBody(const std::string& response) {
  size_t p = response.find("\r\n\r\n");
  return p == std::string::npos ? "" : response.substr(p + 4);
}

// Checks the error contract: {"error": {"code": string, "message": string}}.
void CheckErrorBody(const Reply& r, int status) {
  INFO("status " << r.status << ", body: " << r.body);
  CHECK(r.status == status);
  CHECK(r.content_type.find("application/json") != std::string::npos);
  json j = json::parse(r.body, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  REQUIRE(j.is_object());
  REQUIRE(j.contains("error"));
  REQUIRE(j["error"].is_object());
  REQUIRE(j["error"].contains("code"));
  REQUIRE(j["error"].contains("message"));
  CHECK(j["error"]["code"].is_string());
  CHECK(j["error"]["message"].is_string());
  CHECK_FALSE(j["error"]["code"].get<std::string>().empty());
  CHECK_FALSE(j["error"]["message"].get<std::string>().empty());
  CHECK(j.size() == 1);
}

std::string ErrorCode(const Reply& r) {
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.contains("error") || !j["error"].contains("code")) return "";
  return j["error"]["code"].is_string() ? j["error"]["code"].get<std::string>() : "";
}

// Checks the /v1/ask answer contract and returns the parsed body.
json CheckAnswerBody(const Reply& r) {
  INFO("status " << r.status << ", body: " << r.body.substr(0, 2000));
  REQUIRE(r.status == 200);
  CHECK(r.content_type.find("application/json") != std::string::npos);
  json j = json::parse(r.body, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  REQUIRE(j.is_object());
  REQUIRE(j.contains("answer"));
  CHECK(j["answer"].is_string());
  CHECK_FALSE(j["answer"].get<std::string>().empty());
  REQUIRE(j.contains("answered"));
  CHECK(j["answered"].is_boolean());
  REQUIRE(j.contains("kind"));
  REQUIRE(j["kind"].is_string());
  const std::string kind = j["kind"];
  CHECK((kind == "kb" || kind == "smalltalk" || kind == "fallback" || kind == "clarify"));
  REQUIRE(j.contains("options"));
  REQUIRE(j["options"].is_array());
  CHECK(j["options"].empty() == (kind != "clarify"));
  REQUIRE(j.contains("confidence"));
  REQUIRE(j["confidence"].is_number());
  CHECK(j["confidence"].get<double>() >= 0.0);
  CHECK(j["confidence"].get<double>() <= 1.0);
  REQUIRE(j.contains("answer_id"));
  REQUIRE(j["answer_id"].is_string());
  CHECK_FALSE(j["answer_id"].get<std::string>().empty());
  REQUIRE(j.contains("sources"));
  REQUIRE(j["sources"].is_array());
  for (const auto& s : j["sources"]) {
    REQUIRE(s.is_object());
    for (const char* field : {"id", "title", "article", "section"}) {
      INFO("source field " << field);
      REQUIRE(s.contains(field));
      CHECK(s[field].is_string());
    }
    REQUIRE(s.contains("score"));
    CHECK(s["score"].is_number());
    if (s.contains("url")) CHECK(s["url"].is_string());
  }
  REQUIRE(j.contains("suggestions"));
  REQUIRE(j["suggestions"].is_array());
  CHECK(j["suggestions"].size() <= 3);
  std::set<std::string> unique;
  for (const auto& s : j["suggestions"]) {
    REQUIRE(s.is_string());
    unique.insert(s.get<std::string>());
  }
  CHECK(unique.size() == j["suggestions"].size());
  REQUIRE(j.contains("conversation_id"));
  CHECK(j["conversation_id"].is_string());
  CHECK_FALSE(j["conversation_id"].get<std::string>().empty());
  // Consistency between the fields.
  if (kind == "kb") {
    CHECK(j["answered"].get<bool>());
    CHECK(j["sources"].size() >= 1);
  }
  if (kind == "fallback") CHECK_FALSE(j["answered"].get<bool>());
  if (kind == "smalltalk") CHECK(j["answered"].get<bool>());
  return j;
}

void CheckHealthy(const LiveServer& s) {
  Reply r = Get(s, "/healthz");
  INFO("healthz: " << r.status << " " << r.body);
  REQUIRE(r.status == 200);
  json j = json::parse(r.body, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  REQUIRE(j.is_object());
  CHECK(j.value("status", "") == "ok");
  REQUIRE(j.contains("entries"));
  REQUIRE(j["entries"].is_number_unsigned());
  CHECK(j["entries"].get<size_t>() == s.entry_count());
  REQUIRE(j.contains("version"));
  REQUIRE(j["version"].is_string());
  CHECK(j["version"].get<std::string>().rfind("kb-", 0) == 0);
}

std::string AskBody(const std::string& question) { return json{{"question", question}}.dump(); }

}  // namespace

TEST_CASE("POST /v1/ask answers with every field of the contract", "[adapters][http]") {
  LiveServer server;
  CheckHealthy(server);

  SECTION("a knowledge-base answer") {
    json j = CheckAnswerBody(PostJson(server, "/v1/ask", AskBody("What is a backend developer?")));
    CHECK(j["kind"] == "kb");
    CHECK(j["answered"] == true);
    CHECK(j["confidence"].get<double>() >= 0.5);
    REQUIRE(j["sources"].size() == 1);
    CHECK_FALSE(j["sources"][0]["id"].get<std::string>().empty());
    CHECK_FALSE(j["sources"][0]["article"].get<std::string>().empty());
    CHECK_FALSE(j.contains("explain"));
  }
  SECTION("small talk") {
    json j = CheckAnswerBody(PostJson(server, "/v1/ask", AskBody("hi")));
    CHECK(j["kind"] == "smalltalk");
    CHECK(j["sources"].empty());
  }
  SECTION("a decline") {
    json j = CheckAnswerBody(PostJson(server, "/v1/ask", AskBody("What is the capital of France?")));
    CHECK(j["kind"] == "fallback");
    CHECK(j["answered"] == false);
  }
  SECTION("the conversation id is echoed") {
    json body = {{"question", "Which programming languages should I learn?"}, {"conversation_id", "conv-42"}};
    json j = CheckAnswerBody(PostJson(server, "/v1/ask", body.dump()));
    CHECK(j["conversation_id"] == "conv-42");
    json follow = {{"question", "and what about Go?"}, {"conversation_id", "conv-42"}};
    json k = CheckAnswerBody(PostJson(server, "/v1/ask", follow.dump()));
    CHECK(k["conversation_id"] == "conv-42");
    CHECK(k["answer_id"] != j["answer_id"]);
  }
  SECTION("without a conversation id a new one is made") {
    json a = CheckAnswerBody(PostJson(server, "/v1/ask", AskBody("What is a backend developer?")));
    json b = CheckAnswerBody(PostJson(server, "/v1/ask", AskBody("What is a backend developer?")));
    CHECK(a["conversation_id"] != b["conversation_id"]);
    CHECK(a["answer_id"] != b["answer_id"]);
    CHECK(a["answer"] == b["answer"]);
  }
  SECTION("explain adds why") {
    json body = {{"question", "How much do backend developers earn?"}, {"explain", true}};
    json j = CheckAnswerBody(PostJson(server, "/v1/ask", body.dump()));
    REQUIRE(j.contains("explain"));
    const json& e = j["explain"];
    REQUIRE(e.is_object());
    REQUIRE(e.contains("query_terms"));
    CHECK(e["query_terms"].is_array());
    CHECK_FALSE(e["query_terms"].empty());
    REQUIRE(e.contains("winner"));
    CHECK(e["winner"]["id"] == j["sources"][0]["id"]);
    // The confidence's parts; this server ranks by hand (no model): no learned one.
    CHECK(e["winner"]["hand_confidence"].get<double>() == Approx(j["confidence"].get<double>()).margin(1e-4));
    CHECK(e["winner"]["learned_confidence"].is_null());
    REQUIRE(e.contains("threshold"));
    CHECK(e["threshold"].is_number());
    REQUIRE(e.contains("kb_version"));
    CHECK(e["kb_version"].get<std::string>().rfind("kb-", 0) == 0);
    CHECK(e.contains("matched_terms"));
    CHECK(e.contains("runner_up"));
    CHECK(e.contains("margin"));
  }
  SECTION("explain: false adds nothing") {
    json body = {{"question", "How much do backend developers earn?"}, {"explain", false}};
    json j = CheckAnswerBody(PostJson(server, "/v1/ask", body.dump()));
    CHECK_FALSE(j.contains("explain"));
  }
  SECTION("a charset parameter on the content type is fine") {
    CheckAnswerBody(PostJson(server, "/v1/ask", AskBody("What is a backend developer?"),
                             "application/json; charset=utf-8"));
  }
  CheckHealthy(server);
}

TEST_CASE("POST /v1/ask rejects bad requests with a JSON error and keeps serving", "[adapters][http]") {
  LiveServer server;
  struct Case {
    const char* name;
    std::string body;
    int status;
  };
  const std::vector<Case> cases = {
      {"malformed JSON", "{not json", 400},
      {"truncated JSON", "{\"question\": \"What is a backend", 400},
      {"an empty body", "", 400},
      {"a JSON array", "[\"What is a backend developer?\"]", 400},
      {"a JSON string", "\"What is a backend developer?\"", 400},
      {"a missing question", "{}", 400},
      {"a misspelt field", "{\"q\": \"What is a backend developer?\"}", 400},
      {"a number question", "{\"question\": 42}", 400},
      {"a null question", "{\"question\": null}", 400},
      {"an array question", "{\"question\": [\"What\"]}", 400},
      {"an object question", "{\"question\": {\"text\": \"What\"}}", 400},
      {"a boolean question", "{\"question\": true}", 400},
      {"an empty question", "{\"question\": \"\"}", 400},
      {"a whitespace question", "{\"question\": \"  \\t\\n \"}", 400},
      {"a non-string conversation id", "{\"question\": \"hi\", \"conversation_id\": 7}", 400},
      {"a non-boolean explain", "{\"question\": \"hi\", \"explain\": \"yes\"}", 400},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      Reply r = PostJson(server, "/v1/ask", c.body);
      CheckErrorBody(r, c.status);
      CheckHealthy(server);
    }
  }
  SECTION("the error codes tell the cases apart") {
    CHECK(ErrorCode(PostJson(server, "/v1/ask", "{not json")) == "invalid_json");
    CHECK(ErrorCode(PostJson(server, "/v1/ask", "{}")) == "missing_question");
    CHECK(ErrorCode(PostJson(server, "/v1/ask", "{\"question\": 42}")) == "invalid_question");
    CHECK(ErrorCode(PostJson(server, "/v1/ask", "{\"question\": \"\"}")) == "empty_question");
  }
}

TEST_CASE("POST /v1/ask refuses bodies over 16 KiB with 413", "[adapters][http]") {
  LiveServer server;
  SECTION("16 KiB + 1") {
    const size_t overhead = AskBody("").size();
    std::string body = AskBody(std::string(adapters::http::kMaxBodyBytes + 1 - overhead, 'a'));
    REQUIRE(body.size() == adapters::http::kMaxBodyBytes + 1);
    CheckErrorBody(PostJson(server, "/v1/ask", body), 413);
    CheckHealthy(server);
  }
  SECTION("exactly 16 KiB is accepted") {
    const size_t overhead = AskBody("").size();
    std::string padding(adapters::http::kMaxBodyBytes - overhead, 'a');
    for (size_t i = 0; i < padding.size(); i += 8) padding[i] = ' ';
    std::string body = AskBody(padding);
    REQUIRE(body.size() == adapters::http::kMaxBodyBytes);
    CheckAnswerBody(PostJson(server, "/v1/ask", body));
    CheckHealthy(server);
  }
}

TEST_CASE("POST /v1/ask needs a JSON content type (415)", "[adapters][http]") {
  LiveServer server;
  const std::string body = AskBody("What is a backend developer?");
  SECTION("text/plain") {
    CheckErrorBody(PostJson(server, "/v1/ask", body, "text/plain"), 415);
  }
  SECTION("application/x-www-form-urlencoded") {
    CheckErrorBody(PostJson(server, "/v1/ask", "question=hi", "application/x-www-form-urlencoded"), 415);
  }
  SECTION("no content type at all") {
    std::string request = "POST /v1/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body;
    std::string response = RawExchange(server.port(), request);
    INFO(response);
    REQUIRE(RawStatus(response) == 415);
    Reply r;
    r.status = 415;
    r.body = RawBody(response);
    r.content_type = "application/json";
    CHECK(response.find("Content-Type: application/json") != std::string::npos);
    CheckErrorBody(r, 415);
  }
  CheckHealthy(server);
}

TEST_CASE("unknown routes are 404 and wrong methods 405, as JSON", "[adapters][http]") {
  LiveServer server;
  CheckErrorBody(Get(server, "/nope"), 404);
  CheckErrorBody(Get(server, "/v1"), 404);
  CheckErrorBody(Get(server, "/healthz/extra"), 404);
  CheckErrorBody(PostJson(server, "/v1/nope", "{}"), 404);
  CheckErrorBody(PostJson(server, "/v1/ask/extra", AskBody("hi")), 404);
  Reply get_ask = Get(server, "/v1/ask");
  CheckErrorBody(get_ask, 405);
  CHECK(get_ask.allow == "POST");
  CheckErrorBody(Get(server, "/v1/feedback"), 405);
  Reply post_health = PostJson(server, "/healthz", "{}");
  CheckErrorBody(post_health, 405);
  CHECK(post_health.allow == "GET");
  {
    auto c = server.Client();
    auto res = c->Delete("/v1/ask");
    REQUIRE(res);
    CHECK(res->status == 405);
    auto put = c->Put("/v1/ask", AskBody("hi"), "application/json");
    REQUIRE(put);
    CHECK(put->status == 405);
  }
  CheckHealthy(server);
}

TEST_CASE("malformed HTTP does not stop the server", "[adapters][http]") {
  LiveServer server;
  for (const std::string& junk :
       {std::string("GARBAGE\r\n\r\n"), std::string("POST /v1/ask HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n"),
        std::string("\x00\x01\x02\xFF\r\n\r\n", 8), std::string("GET /healthz HTTP/1.1\r\nHost: x\r\n")}) {
    // Whatever comes back (or nothing), the server must keep answering.
    (void)RawExchange(server.port(), junk, /*half_close=*/true);
    CheckHealthy(server);
  }
}

TEST_CASE("POST /v1/feedback records feedback on real answers", "[adapters][http]") {
  LiveServer server;
  json answer = CheckAnswerBody(PostJson(server, "/v1/ask", AskBody("How much do backend developers earn?")));
  const std::string id = answer["answer_id"];

  SECTION("a real answer id") {
    Reply r = PostJson(server, "/v1/feedback", json{{"answer_id", id}, {"helpful", true}, {"comment", "thanks"}}.dump());
    INFO(r.body);
    REQUIRE(r.status == 200);
    json j = json::parse(r.body, nullptr, false);
    REQUIRE_FALSE(j.is_discarded());
    CHECK(j.value("status", "") == "recorded");
    // Without a comment, and again.
    Reply again = PostJson(server, "/v1/feedback", json{{"answer_id", id}, {"helpful", false}}.dump());
    CHECK(again.status == 200);
  }
  SECTION("an unknown answer id") {
    Reply r = PostJson(server, "/v1/feedback", json{{"answer_id", "no-such-answer"}, {"helpful", true}}.dump());
    CheckErrorBody(r, 404);
  }
  SECTION("malformed feedback") {
    CheckErrorBody(PostJson(server, "/v1/feedback", "{bad json"), 400);
    CheckErrorBody(PostJson(server, "/v1/feedback", "[]"), 400);
    CheckErrorBody(PostJson(server, "/v1/feedback", json{{"helpful", true}}.dump()), 400);
    CheckErrorBody(PostJson(server, "/v1/feedback", json{{"answer_id", id}}.dump()), 400);
    CheckErrorBody(PostJson(server, "/v1/feedback", json{{"answer_id", id}, {"helpful", "yes"}}.dump()), 400);
    CheckErrorBody(PostJson(server, "/v1/feedback", json{{"answer_id", 5}, {"helpful", true}}.dump()), 400);
    CheckErrorBody(PostJson(server, "/v1/feedback", json{{"answer_id", ""}, {"helpful", true}}.dump()), 400);
    CheckErrorBody(
        PostJson(server, "/v1/feedback", json{{"answer_id", id}, {"helpful", true}, {"comment", 3}}.dump()), 400);
    CheckErrorBody(PostJson(server, "/v1/feedback", json{{"answer_id", id}, {"helpful", true}}.dump(), "text/plain"),
                   415);
  }
  CheckHealthy(server);
}

TEST_CASE("hostile questions get a 200 answer with a valid JSON body", "[adapters][http]") {
  LiveServer server;
  std::string long_question;
  while (long_question.size() < 10000) long_question += "backend salary python ";
  long_question.resize(10000);
  const std::vector<std::pair<const char*, std::string>> questions = {
      {"FTS5 quote", "\""},
      {"FTS5 operators", "salary AND python OR NOT \"x\" NEAR(a b) * -x col: title:salary ^a {a b}:c"},
      {"FTS5 NEAR", "NEAR(backend developer, 2)"},
      {"a lone star", "*"},
      {"SQL injection", "'; DROP TABLE entries; --"},
      {"SQL injection 2", "\" OR 1=1 --"},
      {"SQL injection 3", "salary') UNION SELECT * FROM meta --"},
      {"10,000 characters", long_question},
      {"NUL bytes", std::string("what\0is\0a backend developer", 28)},
      {"only NUL and a word", std::string("\0\0salary\0", 9)},
      {"control characters", "\x01\x02\x1b[31mred\x1b[0m salary"},
      {"emoji", "\xF0\x9F\x9A\x80\xF0\x9F\x92\xB0 salary?"},
      {"right-to-left text", "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7"},
      {"punctuation only", "?!.,;:()[]{}<>"},
  };
  for (const auto& [name, q] : questions) {
    SECTION(name) {
      json j = CheckAnswerBody(PostJson(server, "/v1/ask", json{{"question", q}}.dump()));
      (void)j;
      CheckHealthy(server);
    }
  }
  SECTION("invalid UTF-8 bytes") {
    // Raw bytes that are not UTF-8 inside the JSON string.
    std::string body = "{\"question\": \"salary \xFF\xFE for backend \xC3 developers \xED\xA0\x80\"}";
    CheckAnswerBody(PostJson(server, "/v1/ask", body));
    CheckHealthy(server);
  }
  SECTION("a lone surrogate escape") {
    // Grammatical JSON whose string is not Unicode: an answer or a JSON 400,
    // never a crash or a non-JSON reply.
    Reply r = PostJson(server, "/v1/ask", "{\"question\": \"salary \\ud800 for backend developers\"}");
    if (r.status == 200) {
      CheckAnswerBody(r);
    } else {
      CheckErrorBody(r, 400);
    }
    CheckHealthy(server);
  }
  SECTION("the store survived the injection attempts") {
    for (const auto& [name, q] : questions) PostJson(server, "/v1/ask", json{{"question", q}}.dump());
    CheckHealthy(server);
    json j = CheckAnswerBody(PostJson(server, "/v1/ask", AskBody("How much do backend developers earn?")));
    CHECK(j["kind"] == "kb");
  }
}

TEST_CASE("a store that cannot be read gives 503 and a live server", "[adapters][http]") {
  testing_helpers::TempDir dir;
  const std::string path = dir.File("kb.db");
  LiveServer server(path);
  CheckHealthy(server);
  // Break the index behind the server's back, as a failing disk would.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  char* err = nullptr;
  int rc = sqlite3_exec(db, "DROP TABLE entries_fts;", nullptr, nullptr, &err);
  INFO("drop: " << (err ? err : "ok"));
  sqlite3_free(err);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
  Reply r = PostJson(server, "/v1/ask", AskBody("How much do backend developers earn?"));
  CheckErrorBody(r, 503);
  CHECK(ErrorCode(r) == "unavailable");
  // Small talk needs no index.
  json hi = CheckAnswerBody(PostJson(server, "/v1/ask", AskBody("hi")));
  CHECK(hi["kind"] == "smalltalk");
  // Health answers (from memory, or 503) with JSON either way.
  Reply health = Get(server, "/healthz");
  CHECK((health.status == 200 || health.status == 503));
  CHECK_FALSE(json::parse(health.body, nullptr, false).is_discarded());
  // Still serving everything else.
  CheckErrorBody(Get(server, "/nope"), 404);
  CheckErrorBody(PostJson(server, "/v1/ask", "{bad"), 400);
  CheckErrorBody(PostJson(server, "/v1/ask", AskBody("Which databases should I learn?")), 503);
}

TEST_CASE("concurrent clients all get answers", "[adapters][http][concurrency]") {
  LiveServer server;
  std::vector<std::thread> clients;
  std::vector<int> ok(6, 0);
  for (size_t i = 0; i < ok.size(); i++) {
    clients.emplace_back([&, i] {
      auto c = server.Client();
      for (int k = 0; k < 10; k++) {
        auto res = c->Post("/v1/ask", AskBody("Which databases should I learn?"), "application/json");
        if (res && res->status == 200) ok[i]++;
      }
    });
  }
  for (auto& t : clients) t.join();
  for (int n : ok) CHECK(n == 10);
  CheckHealthy(server);
}
