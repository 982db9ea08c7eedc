// Issue 7, bad input: a catalogue of hostile requests sent to a running
// server with every channel on (raw sockets, so nothing normalizes them).
// After each one: a clear 4xx JSON error or a correct answer (never a 5xx, a
// hang or a crash), and GET /healthz still answers. At the end the
// knowledge base is unchanged (a checksum of every entry). Also: clients
// that send a byte a second are cut off at the read timeout while others
// are served, and one Slack event delivered three times is answered once.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "../helpers/files.h"
#include "../helpers/server.h"
#include "adapters/http/server.h"
#include "app/service.h"
#include "chat_test_server.h"
#include "knowledge/builtin.h"
#include "knowledge/curation.h"
#include "knowledge/store.h"

namespace {

using chat_testing::DiscordHeaders;
using chat_testing::Ed25519Key;
using chat_testing::FakeApi;
using chat_testing::SlackHeaders;
using chat_testing::WaitFor;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

const char kSlackSecret[] = "hostile-test-slack-signing-secret";
const char kMattermostToken[] = "hostile-test-mattermost-token";
const char kAdminToken[] = "hostile-test-admin-token-0123456789";

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[32];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), digest, &n, EVP_sha256(), nullptr);
  return chat_testing::Hex(digest, n);
}

// A server with every channel on, over a file-backed knowledge base.
class HostileServer {
 public:
  explicit HostileServer(const std::string& api_base, const std::string& discord_public_key, int read_timeout_s = 2,
                         size_t threads = 8)
      : server_(Options(api_base, discord_public_key, read_timeout_s, threads), dir_.File("kb.db")) {}

  int port() const { return server_.port(); }

  // A checksum of every entry and the knowledge base's version.
  std::string Checksum() {
    auto entries = server_.store().ListEntries();
    REQUIRE(entries.ok());
    auto version = server_.store().GetMeta("version");
    REQUIRE(version.ok());
    return Sha256Hex(knowledge::ExportJsonl(*entries) + "\n" + *version);
  }

 private:
  static adapters::http::HttpOptions Options(const std::string& api_base, const std::string& discord_public_key,
                                             int read_timeout_s, size_t threads) {
    adapters::http::HttpOptions options = testing_helpers::TestHttpOptions(threads);
    options.read_timeout_s = read_timeout_s;
    options.chat.slack.signing_secret = kSlackSecret;
    options.chat.slack.bot_token = "xoxb-hostile-test";
    options.chat.slack.api_base = api_base;
    options.chat.discord.public_key = discord_public_key;
    options.chat.mattermost.token = kMattermostToken;
    options.admin.token = kAdminToken;
    return options;
  }
  testing_helpers::TempDir dir_;
  testing_helpers::TestServer server_;
};

using testing_helpers::Connect;

struct RawReply {
  int status = -1;  // -1: no status line came back
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  bool closed = false;  // the server closed the connection
  double seconds = 0;
  std::string raw;  // everything read
};

// Parses one HTTP/1.1 response from the start of `raw` (after any 1xx).
void ParseReply(std::string raw, RawReply* r) {
  while (raw.rfind("HTTP/1.1 1", 0) == 0 && raw.find("\r\n\r\n") != std::string::npos) {
    raw = raw.substr(raw.find("\r\n\r\n") + 4);
  }
  if (raw.rfind("HTTP/1.", 0) != 0 || raw.size() < 12) return;
  r->status = std::atoi(raw.substr(9, 3).c_str());
  size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return;
  size_t line = raw.find("\r\n") + 2;
  while (line < end) {
    size_t next = raw.find("\r\n", line);
    std::string h = raw.substr(line, next - line);
    size_t colon = h.find(':');
    if (colon != std::string::npos) {
      std::string name = h.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t v = colon + 1;
      while (v < h.size() && h[v] == ' ') v++;
      r->headers[name] = h.substr(v);
    }
    line = next + 2;
  }
  r->body = raw.substr(end + 4);
  auto cl = r->headers.find("content-length");
  if (cl != r->headers.end()) {
    size_t n = static_cast<size_t>(std::atoll(cl->second.c_str()));
    if (r->body.size() > n) r->body.resize(n);
  }
}

// Sends `request` (in pieces of `chunk` bytes, `pause` apart) on a new
// connection, half-closes when asked, and reads until the server closes or
// `timeout` passes.
RawReply Raw(int port, const std::string& request, double timeout_s = 15, bool half_close = false, size_t chunk = 0,
             std::chrono::milliseconds pause = std::chrono::milliseconds(0)) {
  RawReply r;
  auto start = Clock::now();
  int fd = Connect(port);
  if (fd < 0) return r;
  size_t step = chunk == 0 ? request.size() : chunk;
  for (size_t sent = 0; sent < request.size();) {
    ssize_t n = ::send(fd, request.data() + sent, std::min(step, request.size() - sent), MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
    if (pause.count() > 0 && sent < request.size()) {
      // Stop early when the server has already answered or closed.
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(pause.count())) > 0) break;
    }
  }
  if (half_close) ::shutdown(fd, SHUT_WR);
  std::string raw;
  char buf[8192];
  auto deadline = start + std::chrono::milliseconds(static_cast<int>(timeout_s * 1000));
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      r.closed = true;
      break;
    }
    raw.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.raw = raw;
  ParseReply(raw, &r);
  return r;
}

std::string Request(const std::string& method, const std::string& target, const std::string& body,
                    const std::string& content_type = "application/json", const std::string& extra_headers = "") {
  std::string r = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!content_type.empty()) r += "Content-Type: " + content_type + "\r\n";
  r += extra_headers;
  if (extra_headers.find("Transfer-Encoding") == std::string::npos &&
      extra_headers.find("Content-Length") == std::string::npos) {
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  return r + "\r\n" + body;
}

std::string Chunked(const std::string& body, size_t piece) {
  std::string out;
  for (size_t i = 0; i < body.size(); i += piece) {
    std::string part = body.substr(i, piece);
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", part.size());
    out += size + part + "\r\n";
  }
  return out + "0\r\n\r\n";
}

std::string AskJson(const std::string& question) { return json{{"question", question}}.dump(); }

std::string Headers(const httplib::Headers& h) {
  std::string out;
  for (const auto& [k, v] : h) out += k + ": " + v + "\r\n";
  return out;
}

// The error contract: a 4xx with {"error": {"code": string, "message": string}}.
void CheckError(const RawReply& r) {
  CHECK(r.status >= 400);
  CHECK(r.status < 500);
  CHECK(r.headers.count("content-type") == 1);
  if (r.headers.count("content-type")) CHECK(r.headers.at("content-type").find("application/json") == 0);
  json j = json::parse(r.body, nullptr, false);
  REQUIRE(j.is_object());
  REQUIRE(j.contains("error"));
  REQUIRE(j["error"].is_object());
  CHECK(j["error"].value("code", "").size() > 0);
  CHECK(j["error"].value("message", "").size() > 0);
}

// A /v1/ask answer.
void CheckAnswer(const RawReply& r) {
  REQUIRE(r.status == 200);
  json j = json::parse(r.body, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j["answer"].is_string());
  CHECK(j["answer_id"].is_string());
  CHECK(j["kind"].is_string());
}

void CheckHealthy(int port) {
  RawReply r = Raw(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 10);
  INFO("healthz: " << r.status << " " << r.body);
  REQUIRE(r.status == 200);
  CHECK(json::parse(r.body, nullptr, false).value("status", "") == "ok");
}

// One hostile request and what may come back: one of `statuses`, or with
// `answer_ok`, also a correct answer (200).
struct Case {
  std::string name;
  std::string request;
  std::set<int> statuses;  // the 4xx expected (any 4xx when empty)
  bool answer_ok = false;
};

std::string SlackEvent(const std::string& event_id, const std::string& text) {
  json body = {{"type", "event_callback"},
               {"team_id", "T1"},
               {"api_app_id", "A1"},
               {"event_id", event_id},
               {"event_time", 1700000000},
               {"authorizations", json::array({{{"user_id", "UBOT"}, {"is_bot", true}}})},
               {"event",
                {{"type", "app_mention"},
                 {"user", "U123"},
                 {"text", "<@UBOT> " + text},
                 {"ts", "1700000000.000100"},
                 {"channel", "C1"},
                 {"event_ts", "1700000000.000100"}}}};
  return body.dump();
}

std::string Nested(size_t depth, const char* open, const char* close, const std::string& inner) {
  std::string out;
  for (size_t i = 0; i < depth; i++) out += open;
  out += inner;
  for (size_t i = 0; i < depth; i++) out += close;
  return out;
}

}  // namespace

TEST_CASE("a catalogue of hostile requests gets clear 4xx errors or correct answers", "[adapters][hostile]") {
  FakeApi slack_api;
  Ed25519Key discord_key;
  HostileServer server(slack_api.base(), discord_key.PublicKeyHex());
  const int port = server.port();
  const std::string before = server.Checksum();
  CheckHealthy(port);

  std::string long_question;
  while (long_question.size() < 10000) long_question += "backend salary python ";
  long_question.resize(10000);
  const std::string padding16k(16 * 1024 - AskJson("").size(), 'a');
  const std::string slack_deep = Nested(10000, "{\"a\":", "}", "1");
  const std::string discord_deep = Nested(10000, "[", "]", "1");
  const std::string ask = "What is a backend developer?";

  std::vector<Case> cases = {
      // ---- malformed and truncated JSON, wrong types and nulls ----
      {"malformed JSON", Request("POST", "/v1/ask", "{not json"), {400}},
      {"truncated JSON", Request("POST", "/v1/ask", "{\"question\": \"What is a back"), {400}},
      {"an empty body", Request("POST", "/v1/ask", ""), {400}},
      {"white space only", Request("POST", "/v1/ask", " \r\n\t "), {400}},
      {"a JSON array", Request("POST", "/v1/ask", "[\"What is a backend developer?\"]"), {400}},
      {"a JSON string", Request("POST", "/v1/ask", "\"hi\""), {400}},
      {"a JSON number", Request("POST", "/v1/ask", "42"), {400}},
      {"JSON null", Request("POST", "/v1/ask", "null"), {400}},
      {"a null question", Request("POST", "/v1/ask", "{\"question\": null}"), {400}},
      {"a number question", Request("POST", "/v1/ask", "{\"question\": 1e308}"), {400}},
      {"an array question", Request("POST", "/v1/ask", "{\"question\": [\"a\"]}"), {400}},
      {"an object question", Request("POST", "/v1/ask", "{\"question\": {\"q\": \"a\"}}"), {400}},
      {"a boolean question", Request("POST", "/v1/ask", "{\"question\": false}"), {400}},
      {"a number conversation id", Request("POST", "/v1/ask", "{\"question\": \"hi\", \"conversation_id\": 1}"), {400}},
      {"a string explain", Request("POST", "/v1/ask", "{\"question\": \"hi\", \"explain\": \"true\"}"), {400}},
      {"an unknown channel", Request("POST", "/v1/ask", "{\"question\": \"hi\", \"channel\": \"slack\"}"), {400}},
      {"a duplicated key", Request("POST", "/v1/ask", "{\"question\": \"hi\", \"question\": 5}"), {400}, true},
      {"feedback with a null id", Request("POST", "/v1/feedback", "{\"answer_id\": null, \"helpful\": true}"), {400}},
      {"feedback with a string helpful",
       Request("POST", "/v1/feedback", "{\"answer_id\": \"x\", \"helpful\": \"yes\"}"), {400}},
      {"feedback on an unknown answer", Request("POST", "/v1/feedback", "{\"answer_id\": \"x\", \"helpful\": true}"),
       {404}},
      // ---- nesting ----
      {"arrays nested 10,000 deep (unclosed)", Request("POST", "/v1/ask", std::string(10000, '[')), {400}},
      {"arrays nested 8,000 deep", Request("POST", "/v1/ask", Nested(8000, "[", "]", "")), {400}},
      {"objects nested 10,000 deep (over the size limit)",
       Request("POST", "/v1/ask", Nested(10000, "{\"question\":", "}", "\"x\"")), {413}},
      {"a signed Slack event nested 10,000 deep",
       Request("POST", "/slack/events", slack_deep, "application/json", Headers(SlackHeaders(kSlackSecret, slack_deep))),
       {400}},
      {"a signed Discord interaction nested 10,000 deep",
       Request("POST", "/discord/interactions", discord_deep, "application/json",
               Headers(DiscordHeaders(discord_key, discord_deep))),
       {400}},
      // ---- sizes and framing ----
      {"a body of 16 KiB + 1", Request("POST", "/v1/ask", AskJson(padding16k + "a")), {413}},
      {"a Content-Length of 100 GB and no body",
       "POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n",
       {413}},
      {"a negative Content-Length", Request("POST", "/v1/ask", "{}", "application/json", "Content-Length: -1\r\n"),
       {400}},
      {"a Content-Length that is not a number",
       Request("POST", "/v1/ask", "{}", "application/json", "Content-Length: 2x\r\n"), {400}},
      {"two different Content-Lengths",
       Request("POST", "/v1/ask", AskJson(ask), "application/json",
               "Content-Length: " + std::to_string(AskJson(ask).size()) + "\r\nContent-Length: 5\r\n"),
       {400}},
      {"a chunked question", Request("POST", "/v1/ask", Chunked(AskJson(ask), 7), "application/json",
                                     "Transfer-Encoding: chunked\r\n"),
       {}, true},
      {"a chunked body over 16 KiB",
       Request("POST", "/v1/ask", Chunked(AskJson(std::string(40000, 'a')), 4096), "application/json",
               "Transfer-Encoding: chunked\r\n"),
       {413}},
      {"a malformed chunk size",
       Request("POST", "/v1/ask", "zz\r\nabc\r\n0\r\n\r\n", "application/json", "Transfer-Encoding: chunked\r\n"),
       {400}},
      {"chunked and a Content-Length (smuggling)",
       Request("POST", "/v1/ask", Chunked(AskJson(ask), 100), "application/json",
               "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n"),
       {400}},
      {"an unknown transfer coding",
       Request("POST", "/v1/ask", AskJson(ask), "application/json", "Transfer-Encoding: gzip, chunked\r\n"), {400}},
      {"a gzip body (a possible zip bomb)",
       Request("POST", "/v1/ask", std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00", 8), "application/json",
               "Content-Encoding: gzip\r\n"),
       {415}},
      {"Expect: 100-continue with a body too large",
       "POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
       "Content-Length: 1000000\r\n\r\n",
       {413}},
      // ---- content types ----
      {"no content type", Request("POST", "/v1/ask", AskJson(ask), ""), {415}},
      {"text/plain", Request("POST", "/v1/ask", AskJson(ask), "text/plain"), {415}},
      {"a form", Request("POST", "/v1/ask", "question=hi", "application/x-www-form-urlencoded"), {415}},
      {"a look-alike type", Request("POST", "/v1/ask", AskJson(ask), "application/jsonx"), {415}},
      {"multipart", Request("POST", "/v1/ask", "--b\r\n\r\nhi\r\n--b--", "multipart/form-data; boundary=b"), {415}},
      // ---- invalid UTF-8, NUL bytes ----
      {"invalid UTF-8 in the question",
       Request("POST", "/v1/ask", "{\"question\": \"salary \xFF\xFE for \xC3 backend \xED\xA0\x80 developers\"}"), {},
       true},
      {"invalid UTF-8 outside strings", Request("POST", "/v1/ask", "\xFF{\"question\": \"hi\"}"), {400}},
      {"escaped NUL bytes", Request("POST", "/v1/ask", "{\"question\": \"what\\u0000is a backend developer\"}"), {},
       true},
      {"a raw NUL byte in a string", Request("POST", "/v1/ask", std::string("{\"question\": \"wh\0at\"}", 21)), {400}},
      {"a lone surrogate", Request("POST", "/v1/ask", "{\"question\": \"salary \\ud800 backend\"}"), {400}, true},
      // ---- questions that are text, however odd ----
      {"a 10,000-character question", Request("POST", "/v1/ask", AskJson(long_question)), {}, true},
      {"a question of exactly 16 KiB", Request("POST", "/v1/ask", AskJson(padding16k)), {}, true},
      {"FTS5 operators", Request("POST", "/v1/ask", AskJson("salary AND python OR NOT \"x\" NEAR(a b) * col:x ^a")),
       {}, true},
      {"FTS5 column filter", Request("POST", "/v1/ask", AskJson("{title body}: salary - entries_fts")), {}, true},
      {"SQL injection", Request("POST", "/v1/ask", AskJson("'; DROP TABLE entries; --")), {}, true},
      {"SQL injection in a conversation id",
       Request("POST", "/v1/ask", json{{"question", "hi"}, {"conversation_id", "x'); DELETE FROM entries; --"}}.dump()),
       {}, true},
      {"SQL injection in feedback",
       Request("POST", "/v1/feedback",
               json{{"answer_id", "' OR 1=1; UPDATE question_log SET helpful=1; --"}, {"helpful", true}}.dump()),
       {404}},
      // ---- static files: path traversal ----
      {"/../ in the path", Request("GET", "/../../etc/passwd", "", ""), {400, 404}},
      {"%2e%2e in the path", Request("GET", "/%2e%2e/%2e%2e/etc/passwd", "", ""), {400, 404}},
      {"encoded slashes", Request("GET", "/app.js%2f..%2f..%2fetc%2fpasswd", "", ""), {400, 404}},
      {"a dot segment before a page", Request("GET", "/static/../app.js", "", ""), {400, 404}},
      {"backslashes", Request("GET", "/..\\..\\windows\\win.ini", "", ""), {400, 404}},
      {"an encoded NUL", Request("GET", "/app.js%00.png", "", ""), {400, 404}},
      {"an absolute URI", Request("GET", "http://127.0.0.1/../../etc/passwd", "", ""), {400, 404}},
      {"the admin page by traversal", Request("GET", "/v1/../admin/../v1/admin/entries", "", ""), {400, 401, 404}},
      // ---- long URLs and headers ----
      {"a URL of 9,000 characters", Request("GET", "/" + std::string(9000, 'a'), "", ""), {414}},
      {"a URL of 100,000 characters", Request("GET", "/" + std::string(100000, 'a'), "", ""), {414}},
      {"a header of 9,000 characters", Request("GET", "/healthz", "", "", "X-Long: " + std::string(9000, 'a') + "\r\n"),
       {400, 431}},
      {"1,000 headers", Request("GET", "/healthz", "", "", [] {
         std::string h;
         for (int i = 0; i < 1000; i++) h += "X-H" + std::to_string(i) + ": " + std::string(100, 'v') + "\r\n";
         return h;
       }()),
       {431}},
      {"a header line without a colon", Request("GET", "/healthz", "", "", "NoColonHere\r\n"), {400}, true},
      // ---- methods and request lines ----
      {"an unknown method", Request("FOO", "/v1/ask", AskJson(ask)), {400, 405}},
      {"TRACE", Request("TRACE", "/", "", ""), {405}},
      {"CONNECT", "CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", {400, 405}},
      {"PROPFIND", Request("PROPFIND", "/", "", ""), {400, 405}},
      {"a lower-case method", Request("get", "/healthz", "", ""), {400, 405}},
      {"DELETE on the ask route", Request("DELETE", "/v1/ask", "", ""), {405}},
      {"PUT on healthz", Request("PUT", "/healthz", "{}"), {405}},
      {"OPTIONS without CORS", Request("OPTIONS", "/v1/ask", "", "", "Origin: https://evil.example\r\n"), {404, 405}},
      {"HTTP/2.0", "GET /healthz HTTP/2.0\r\nHost: x\r\nConnection: close\r\n\r\n", {400}},
      {"HTTP/0.9", "GET /healthz\r\n\r\n", {400}},
      {"binary garbage", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 16), {400}},
      // ---- chat platforms and the admin API ----
      {"a Slack event with a wrong signature",
       Request("POST", "/slack/events", SlackEvent("Ev1", "hi"), "application/json",
               Headers(SlackHeaders("not-the-secret", SlackEvent("Ev1", "hi")))),
       {401}},
      {"a signed Slack event that is not JSON",
       Request("POST", "/slack/events", "{\"type\":", "application/json", Headers(SlackHeaders(kSlackSecret, "{\"type\":"))),
       {400}},
      {"a Slack event over 128 KiB",
       Request("POST", "/slack/events", std::string(129 * 1024, ' '), "application/json"), {413}},
      {"signed Slack interactions without a payload",
       Request("POST", "/slack/interactions", "payload=%7Bnot", "application/x-www-form-urlencoded",
               Headers(SlackHeaders(kSlackSecret, "payload=%7Bnot"))),
       {400}},
      {"a Discord interaction with a bad signature",
       Request("POST", "/discord/interactions", "{\"type\":1}", "application/json",
               "X-Signature-Ed25519: " + std::string(128, '0') + "\r\nX-Signature-Timestamp: 1\r\n"),
       {401}},
      {"a Mattermost command with a wrong token",
       Request("POST", "/mattermost/commands", "token=nope&text=hi", "application/x-www-form-urlencoded"), {401}},
      {"an admin request without the token", Request("GET", "/v1/admin/entries", "", ""), {401}},
      {"an admin import over 16 KiB without the token",
       Request("POST", "/v1/admin/import", std::string(17 * 1024, '\n'), "application/x-ndjson"), {401}},
      {"a chunked admin import without the token",
       Request("POST", "/v1/admin/import", Chunked("{}\n", 10), "application/x-ndjson", "Transfer-Encoding: chunked\r\n"),
       {401}},
      {"an admin delete with a wrong token",
       Request("DELETE", "/v1/admin/entries/us-backend-salary", "", "", "Authorization: Bearer nope\r\n"), {401}},
  };
  REQUIRE(cases.size() >= 40);

  for (const Case& c : cases) {
    INFO("case: " << c.name);
    RawReply r = Raw(port, c.request, 15, /*half_close=*/false);
    INFO("status " << r.status << " after " << r.seconds << " s, body: " << r.body.substr(0, 300));
    CHECK(r.seconds < 10);  // no hang
    REQUIRE(r.status > 0);  // an answer, not a dropped connection
    CHECK(r.status < 500);
    if (r.status == 200 && c.answer_ok) {
      if (c.request.find("/v1/ask") != std::string::npos) CheckAnswer(r);
    } else {
      CheckError(r);
      if (!c.statuses.empty()) CHECK(c.statuses.count(r.status) == 1);
    }
    CheckHealthy(port);
  }

  // Pipelined requests on one connection are each answered.
  {
    std::string two = "POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                      std::to_string(AskJson(ask).size()) + "\r\n\r\n" + AskJson(ask) +
                      Request("GET", "/healthz", "", "");
    RawReply r = Raw(port, two);
    CHECK(r.status == 200);
    CHECK(r.raw.find("\"answer_id\"") != std::string::npos);
    CHECK(r.raw.find("\"status\":\"ok\"") != std::string::npos);
  }

  // Nothing above changed the knowledge base, and it still answers.
  CHECK(server.Checksum() == before);
  RawReply answer = Raw(port, Request("POST", "/v1/ask", AskJson("How much do backend developers earn?")));
  CheckAnswer(answer);
  CHECK(json::parse(answer.body)["kind"] == "kb");
}

TEST_CASE("clients that send a byte a second are cut off at the read timeout while others are served",
          "[adapters][hostile][concurrency]") {
  FakeApi slack_api;
  Ed25519Key discord_key;
  // 4 worker threads, all of them taken by slow clients at first.
  HostileServer server(slack_api.base(), discord_key.PublicKeyHex(), /*read_timeout_s=*/2, /*threads=*/4);
  const int port = server.port();
  const std::string slow_head = "POST /v1/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
  const std::string slow_body_request = Request("POST", "/v1/ask", AskJson("What is a backend developer?"));

  std::vector<std::thread> slow;
  std::vector<RawReply> replies(6);
  for (size_t i = 0; i < replies.size(); i++) {
    slow.emplace_back([&, i] {
      // Half of them trickle their head, the others send the head at once
      // and trickle the body.
      if (i % 2 == 0) {
        replies[i] = Raw(port, slow_head + std::string(200, 'x'), 30, false, 1, std::chrono::milliseconds(1000));
      } else {
        size_t head_end = slow_body_request.find("\r\n\r\n") + 4;
        std::string head = slow_body_request.substr(0, head_end);
        std::string body = slow_body_request.substr(head_end);
        int fd = Connect(port);
        // No Catch2 assertion on this thread (Catch2 is not thread-safe): a
        // failed connect leaves status -1, which the checks below refuse.
        if (fd < 0) return;
        auto start = Clock::now();
        ::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
        std::string raw;
        for (char c : body) {
          ::send(fd, &c, 1, MSG_NOSIGNAL);
          pollfd p{fd, POLLIN, 0};
          if (::poll(&p, 1, 1000) > 0) break;
        }
        char buf[4096];
        pollfd p{fd, POLLIN, 0};
        while (::poll(&p, 1, 10000) > 0) {
          ssize_t n = ::recv(fd, buf, sizeof buf, 0);
          if (n <= 0) break;
          raw.append(buf, static_cast<size_t>(n));
        }
        ::close(fd);
        replies[i].seconds = std::chrono::duration<double>(Clock::now() - start).count();
        ParseReply(raw, &replies[i]);
      }
    });
  }
  // Meanwhile, others are answered: each within the time one slow client
  // is allowed, at worst.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  int answered = 0;
  auto until = Clock::now() + std::chrono::seconds(5);
  while (Clock::now() < until) {
    RawReply r = Raw(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 10);
    CHECK(r.status == 200);
    CHECK(r.seconds < 4.5);
    if (r.status == 200) answered++;
  }
  for (auto& t : slow) t.join();
  CHECK(answered > 5);
  for (size_t i = 0; i < replies.size(); i++) {
    INFO("slow client " << i << ": status " << replies[i].status << " after " << replies[i].seconds << " s");
    // Cut off at the 2 s read timeout (a body of ~40 bytes gets +1 s), not
    // after the 200+ s it would take to send everything.
    CHECK(replies[i].seconds < 6);
    CHECK(replies[i].status == 408);
    CheckError(replies[i]);
  }
  // An idle connection that sends nothing is let go after the keep-alive timeout.
  RawReply idle = Raw(port, "", 10);
  CHECK(idle.closed);
  CHECK(idle.seconds < 4);
  CheckHealthy(port);
}

TEST_CASE("the same Slack event delivered three times is answered once", "[adapters][hostile][slack]") {
  FakeApi slack_api;
  Ed25519Key discord_key;
  HostileServer server(slack_api.base(), discord_key.PublicKeyHex());
  const std::string body = SlackEvent("EvHostile1", "How much do backend developers earn?");
  for (int attempt = 0; attempt < 3; attempt++) {
    std::string retry = attempt == 0 ? "" : "X-Slack-Retry-Num: " + std::to_string(attempt) +
                                                "\r\nX-Slack-Retry-Reason: http_timeout\r\n";
    RawReply r = Raw(server.port(), Request("POST", "/slack/events", body, "application/json",
                                            Headers(SlackHeaders(kSlackSecret, body)) + retry));
    CHECK(r.status == 200);
  }
  REQUIRE(WaitFor([&] { return slack_api.CallsTo("/chat.postMessage").size() >= 1; }, std::chrono::seconds(10)));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(slack_api.CallsTo("/chat.postMessage").size() == 1);
  CheckHealthy(server.port());
}
