// The admin API and page on a real loopback socket: off without a token,
// token checks (missing, wrong, same length wrong, right), every status code
// it answers, live edits answered by /v1/ask at once while other clients keep
// asking, gaps accepted in one step, import/export, history and revert, the
// page's security rules, and the token never reaching the log.
#include "adapters/admin/admin.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "../helpers/files.h"
#include "../helpers/server.h"
#include "adapters/http/server.h"
#include "app/service.h"
#include "knowledge/builtin.h"
#include "knowledge/entry_json.h"
#include "knowledge/store.h"

namespace {

using nlohmann::json;

const char kToken[] = "test-admin-token-0123456789abcdef";

// A live server over the shipped knowledge, with the admin API on unless
// `token` is empty; stopped and joined on scope exit.
class AdminServer {
 public:
  explicit AdminServer(const std::string& token = kToken) : server_(Options(token)) {}

  knowledge::Store& store() { return server_.store(); }
  adapters::Service& service() { return server_.service(); }
  std::unique_ptr<httplib::Client> Client() const { return server_.Client(30); }

  std::string Version() {
    auto v = server_.store().GetMeta("version");
    REQUIRE(v.ok());
    return *v;
  }

 private:
  static adapters::http::HttpOptions Options(const std::string& token) {
    adapters::http::HttpOptions options = testing_helpers::TestHttpOptions(8);
    options.admin.token = token;
    options.admin.label = "curator-1";
    return options;
  }
  testing_helpers::TestServer server_;
};

httplib::Headers Auth(const std::string& token = kToken) { return {{"Authorization", "Bearer " + token}}; }

struct Reply {
  int status = 0;
  json body;
  std::string raw;
  httplib::Headers headers;
  std::string Header(const char* name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

Reply Send(const AdminServer& server, const std::string& method, const std::string& path,
           const httplib::Headers& headers = Auth(), const std::string& body = "",
           const std::string& type = "application/json") {
  auto c = server.Client();
  auto call = [&]() -> httplib::Result {
    if (method == "GET") return c->Get(path.c_str(), headers);
    if (method == "POST") return c->Post(path.c_str(), headers, body, type.c_str());
    if (method == "PUT") return c->Put(path.c_str(), headers, body, type.c_str());
    if (method == "PATCH") return c->Patch(path.c_str(), headers, body, type.c_str());
    return c->Delete(path.c_str(), headers);
  };
  httplib::Result r = call();
  INFO(method << " " << path);
  REQUIRE(r);
  Reply reply;
  reply.status = r->status;
  reply.raw = r->body;
  reply.headers = r->headers;
  reply.body = json::parse(r->body, nullptr, false);
  return reply;
}

json Ask(const AdminServer& server, const std::string& question) {
  auto c = server.Client();
  auto r = c->Post("/v1/ask", json{{"question", question}}.dump(), "application/json");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  return json::parse(r->body);
}

std::string ErrorCode(const Reply& r) { return r.body.is_object() ? r.body["error"].value("code", "") : ""; }
std::string ErrorField(const Reply& r) { return r.body.is_object() ? r.body["error"].value("field", "") : ""; }

const char kNewEntry[] = R"({"title": "Plumber pay", "body": "Plumbers in the US earn about 60,000 dollars a year.",
  "questions": ["How much does a plumber earn?"], "tags": ["salary", "trades"],
  "source": {"article": "Test source", "section": "Pay"}})";

}  // namespace

TEST_CASE("BearerMatches takes exactly the token, in constant time", "[adapters][admin]") {
  using adapters::admin::BearerMatches;
  CHECK(BearerMatches("Bearer abc123", "abc123"));
  CHECK(BearerMatches("bearer abc123", "abc123"));
  CHECK(BearerMatches("Bearer  abc123 ", "abc123"));
  CHECK_FALSE(BearerMatches("Bearer abc124", "abc123"));  // same length, one byte off
  CHECK_FALSE(BearerMatches("Bearer abc1234", "abc123"));
  CHECK_FALSE(BearerMatches("Bearer abc12", "abc123"));
  CHECK_FALSE(BearerMatches("abc123", "abc123"));
  CHECK_FALSE(BearerMatches("Basic abc123", "abc123"));
  CHECK_FALSE(BearerMatches("Bearer ", "abc123"));
  CHECK_FALSE(BearerMatches("", "abc123"));
  CHECK_FALSE(BearerMatches("Bearer ", ""));  // no token configured: nothing matches
  CHECK_FALSE(BearerMatches("Bearer x", ""));
}

TEST_CASE("without CAREERBOT_ADMIN_TOKEN the admin API and page do not exist", "[adapters][admin]") {
  AdminServer server("");
  for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
    for (const char* path : {"/v1/admin/entries", "/v1/admin/entries/us-backend-salary", "/v1/admin/gaps",
                             "/v1/admin/import", "/v1/admin/export", "/admin", "/admin/admin.js"}) {
      INFO(method << " " << path);
      Reply r = Send(server, method, path, Auth(""), "{}");
      CHECK(r.status == 404);
      CHECK(ErrorCode(r) == "not_found");
    }
  }
  // The chat keeps working.
  CHECK(Ask(server, "How much do backend developers earn?")["kind"] == "kb");
}

TEST_CASE("every admin request needs the token: missing, wrong or same length wrong is 401 and changes nothing",
          "[adapters][admin]") {
  AdminServer server;
  const std::string version = server.Version();
  std::string same_length_wrong = kToken;
  same_length_wrong.back() = same_length_wrong.back() == 'f' ? 'e' : 'f';
  const std::vector<httplib::Headers> refused = {
      {},
      Auth("wrong"),
      Auth(same_length_wrong),
      {{"Authorization", std::string("Basic ") + kToken}},
      {{"Authorization", kToken}},
      Auth(std::string(kToken) + "x"),
  };
  struct Request {
    const char* method;
    const char* path;
    std::string body;
  };
  const std::vector<Request> requests = {
      {"GET", "/v1/admin/entries", ""},
      {"POST", "/v1/admin/entries", kNewEntry},
      {"GET", "/v1/admin/entries/us-backend-salary", ""},
      {"PUT", "/v1/admin/entries/us-backend-salary", R"({"title": "Hacked", "body": "Hacked."})"},
      {"PATCH", "/v1/admin/entries/us-backend-salary", R"({"body": "Hacked."})"},
      {"DELETE", "/v1/admin/entries/us-backend-salary", ""},
      {"GET", "/v1/admin/gaps", ""},
      {"POST", "/v1/admin/gaps/accept", R"({"gap_id": "1", "entry_id": "us-backend-salary"})"},
      {"POST", "/v1/admin/import", knowledge::EntryToJsonLine(bot::Entry{})},
      {"GET", "/v1/admin/export", ""},
      {"GET", "/v1/admin/entries/us-backend-salary/history", ""},
      {"POST", "/v1/admin/entries/us-backend-salary/revert", "{}"},
      {"GET", "/v1/admin/no-such-thing", ""},
  };
  for (const auto& headers : refused) {
    for (const auto& req : requests) {
      INFO(req.method << " " << req.path << " with " << (headers.empty() ? "no" : headers.begin()->second));
      Reply r = Send(server, req.method, req.path, headers, req.body);
      CHECK(r.status == 401);
      CHECK(ErrorCode(r) == "unauthorized");
      CHECK(r.Header("WWW-Authenticate").find("Bearer") == 0);
      CHECK(r.raw.find(kToken) == std::string::npos);
    }
  }
  CHECK(server.Version() == version);
  CHECK(server.store().GetEntry("us-backend-salary")->title != "Hacked");
  CHECK(server.store().GetEntry("plumber-pay").status().code() == bot::Status::Code::kNotFound);
  // The right token.
  Reply ok = Send(server, "GET", "/v1/admin/entries");
  CHECK(ok.status == 200);
  CHECK(ok.body["count"].get<size_t>() == *server.store().CountEntries());
}

TEST_CASE("the admin API answers each status code it promises", "[adapters][admin]") {
  AdminServer server;

  // 201 on a new entry, with its id made from the title; 409 when it exists.
  Reply created = Send(server, "POST", "/v1/admin/entries", Auth(), kNewEntry);
  REQUIRE(created.status == 201);
  CHECK(created.body["id"] == "plumber-pay");
  CHECK(created.Header("Location") == "/v1/admin/entries/plumber-pay");
  CHECK_FALSE(created.Header("ETag").empty());
  CHECK(created.body["updated_at"].get<std::string>().size() == 10);
  Reply again = Send(server, "POST", "/v1/admin/entries", Auth(), kNewEntry);
  CHECK(again.status == 409);
  CHECK(ErrorField(again) == "id");

  // 400: not JSON, not an object, a field of the wrong type or unknown; 415: not JSON at all.
  CHECK(Send(server, "POST", "/v1/admin/entries", Auth(), "{nope").status == 400);
  CHECK(Send(server, "POST", "/v1/admin/entries", Auth(), "[1]").status == 400);
  Reply wrong_type =
      Send(server, "POST", "/v1/admin/entries", Auth(), R"({"title": "T", "body": "B", "questions": "q"})");
  CHECK(wrong_type.status == 400);
  CHECK(ErrorField(wrong_type) == "questions");
  Reply unknown = Send(server, "POST", "/v1/admin/entries", Auth(), R"({"title": "T", "body": "B", "answer": "x"})");
  CHECK(unknown.status == 400);
  CHECK(ErrorField(unknown) == "answer");
  CHECK(Send(server, "POST", "/v1/admin/entries", Auth(), kNewEntry, "text/plain").status == 415);

  // 422 with the field named.
  Reply no_body = Send(server, "POST", "/v1/admin/entries", Auth(), R"({"title": "Something new", "body": " "})");
  CHECK(no_body.status == 422);
  CHECK(ErrorCode(no_body) == "invalid_entry");
  CHECK(ErrorField(no_body) == "body");
  Reply bad_id = Send(server, "POST", "/v1/admin/entries", Auth(), R"({"id": "Bad Id", "title": "T", "body": "B"})");
  CHECK(bad_id.status == 422);
  CHECK(ErrorField(bad_id) == "id");
  Reply heading = Send(server, "PATCH", "/v1/admin/entries/plumber-pay", Auth(), R"({"body": "Text\n## Heading"})");
  CHECK(heading.status == 422);
  CHECK(ErrorField(heading) == "body");
  Reply question = Send(server, "PATCH", "/v1/admin/entries/plumber-pay", Auth(), R"({"questions": ["a\nb"]})");
  CHECK(question.status == 422);
  CHECK(ErrorField(question) == "questions[0]");

  // 200 and 404 on one entry, for every method.
  Reply got = Send(server, "GET", "/v1/admin/entries/plumber-pay");
  CHECK(got.status == 200);
  CHECK(got.body["title"] == "Plumber pay");
  for (const char* method : {"GET", "PUT", "PATCH", "DELETE"}) {
    INFO(method);
    Reply r = Send(server, method, "/v1/admin/entries/no-such-entry", Auth(), R"({"title": "T", "body": "B"})");
    CHECK(r.status == 404);
    CHECK(ErrorCode(r) == "not_found");
    CHECK(Send(server, method, "/v1/admin/entries/NOT%20A%20SLUG", Auth(), "{}").status == 404);
  }

  // PUT replaces; a stale If-Match is 412 and changes nothing; the id cannot change.
  const std::string etag = got.Header("ETag");
  json replacement = got.body;
  replacement["body"] = "Plumbers earn about 61,000 dollars a year.";
  Reply put = Send(server, "PUT", "/v1/admin/entries/plumber-pay",
                   {{"Authorization", std::string("Bearer ") + kToken}, {"If-Match", etag}}, replacement.dump());
  CHECK(put.status == 200);
  CHECK(put.body["body"] == "Plumbers earn about 61,000 dollars a year.");
  CHECK(put.Header("ETag") != etag);
  replacement["body"] = "Stale.";
  Reply stale = Send(server, "PUT", "/v1/admin/entries/plumber-pay",
                     {{"Authorization", std::string("Bearer ") + kToken}, {"If-Match", etag}}, replacement.dump());
  CHECK(stale.status == 412);
  CHECK(server.store().GetEntry("plumber-pay")->body == "Plumbers earn about 61,000 dollars a year.");
  replacement["id"] = "other-id";
  Reply renamed = Send(server, "PUT", "/v1/admin/entries/plumber-pay", Auth(), replacement.dump());
  CHECK(renamed.status == 422);
  CHECK(ErrorField(renamed) == "id");

  // PATCH changes only what it names.
  Reply patched = Send(server, "PATCH", "/v1/admin/entries/plumber-pay", Auth(), R"({"tags": ["trades"]})");
  CHECK(patched.status == 200);
  CHECK(patched.body["tags"] == json::array({"trades"}));
  CHECK(patched.body["body"] == "Plumbers earn about 61,000 dollars a year.");

  // 405 with Allow; 404 for an unknown admin path.
  Reply not_allowed = Send(server, "DELETE", "/v1/admin/entries");
  CHECK(not_allowed.status == 405);
  CHECK(not_allowed.Header("Allow") == "GET, POST");
  CHECK(Send(server, "PUT", "/v1/admin/gaps").status == 405);
  CHECK(Send(server, "POST", "/admin", Auth(), "{}").status == 405);
  CHECK(Send(server, "GET", "/v1/admin/nothing-here").status == 404);

  // DELETE, then 404.
  Reply deleted = Send(server, "DELETE", "/v1/admin/entries/plumber-pay");
  CHECK(deleted.status == 200);
  CHECK(deleted.body["deleted"] == "plumber-pay");
  CHECK(deleted.body["entry"]["title"] == "Plumber pay");
  CHECK(Send(server, "DELETE", "/v1/admin/entries/plumber-pay").status == 404);
}

TEST_CASE("body limits: 16 KiB everywhere but admin imports, which need the token first", "[adapters][admin]") {
  AdminServer server;
  // A JSONL import well over 16 KiB goes in with the token...
  std::string jsonl;
  for (int i = 0; i < 200; i++) {
    bot::Entry e;
    e.id = "bulk-" + std::to_string(i);
    e.title = "Bulk entry " + std::to_string(i);
    e.body = "Bulk body number " + std::to_string(i) + ". " + std::string(100, 'x');
    e.source.article = "Bulk";
    jsonl += knowledge::EntryToJsonLine(e) + "\n";
  }
  REQUIRE(jsonl.size() > 16 * 1024);
  Reply imported = Send(server, "POST", "/v1/admin/import", Auth(), jsonl, "application/x-ndjson");
  CHECK(imported.status == 200);
  CHECK(imported.body["added"] == 200);
  // ...is refused before being read without it...
  Reply refused = Send(server, "POST", "/v1/admin/import", Auth("nope"), jsonl, "application/x-ndjson");
  CHECK(refused.status == 401);
  // ...and every other path keeps 16 KiB.
  json big = {{"question", std::string(20 * 1024, 'a')}};
  Reply too_big = Send(server, "POST", "/v1/ask", {}, big.dump());
  CHECK(too_big.status == 413);
  CHECK(ErrorCode(too_big) == "payload_too_large");
  CHECK(Ask(server, "How much do backend developers earn?")["kind"] == "kb");
}

TEST_CASE("an edit is answered by /v1/ask as soon as the PUT returns, while others keep asking",
          "[adapters][admin][concurrency]") {
  AdminServer server;
  std::atomic<bool> stop{false};
  std::atomic<int> asks{0}, errors{0};
  std::mutex first_error_mu;
  std::string first_error;
  std::vector<std::thread> askers;
  for (int t = 0; t < 4; t++) {
    askers.emplace_back([&, t] {
      auto c = server.Client();
      const char* questions[] = {"Which databases should I learn?", "How much do backend developers earn?",
                                 "What is REST?", "Is Python good for backend development?"};
      while (!stop) {
        auto r = c->Post("/v1/ask", json{{"question", questions[t]}}.dump(), "application/json");
        if (!r || r->status != 200 || !json::parse(r->body, nullptr, false).is_object()) {
          if (errors++ == 0) {
            std::lock_guard<std::mutex> lock(first_error_mu);
            first_error = r ? std::to_string(r->status) + " " + r->body : httplib::to_string(r.error());
          }
        }
        asks++;
      }
    });
  }
  const std::string question = "How much do backend developers earn?";
  json before = Ask(server, question);
  REQUIRE(before["kind"] == "kb");
  const std::string id = before["sources"][0]["id"];
  for (int round = 1; round <= 5; round++) {
    const std::string marker = "Edited answer number " + std::to_string(round) + ": backend developers earn well.";
    Reply got = Send(server, "GET", "/v1/admin/entries/" + id);
    REQUIRE(got.status == 200);
    json entry = got.body;
    entry["body"] = marker;
    Reply put = Send(server, "PUT", "/v1/admin/entries/" + id, Auth(), entry.dump());
    REQUIRE(put.status == 200);
    json after = Ask(server, question);
    CHECK(after["sources"][0]["id"] == id);
    CHECK(after["answer"].get<std::string>().find(marker) != std::string::npos);
  }
  stop = true;
  for (auto& t : askers) t.join();
  INFO("first error: " << first_error);
  CHECK(errors == 0);
  CHECK(asks > 20);
  // Each edit is in the history, by the token's label.
  auto history = server.store().History(id);
  REQUIRE(history.ok());
  CHECK(history->size() == 5);
  CHECK((*history)[0].who == "curator-1");
}

TEST_CASE("a gap is accepted as an alternate question in one step and answered at once", "[adapters][admin][gaps]") {
  AdminServer server;
  for (const char* q : {"how much does a plumber earn?", "How much does a plumber earn", "plumber earnings?"}) {
    json a = Ask(server, q);
    CHECK(a["kind"] == "fallback");
  }
  Reply gaps = Send(server, "GET", "/v1/admin/gaps");
  REQUIRE(gaps.status == 200);
  REQUIRE(gaps.body["gaps"].size() >= 1);
  json gap = gaps.body["gaps"][0];
  CHECK(gap["count"] == 3);
  CHECK(gap["declined"] == 3);
  CHECK(gap["position"] == 1);
  CHECK(gap["channels"] == json::array({"http"}));
  CHECK(gap["likely_entry"].is_object());
  const std::string gap_id = gap["id"];

  CHECK(Send(server, "POST", "/v1/admin/gaps/accept", Auth(), R"({"entry_id": "x"})").status == 400);
  CHECK(Send(server, "POST", "/v1/admin/gaps/accept", Auth(),
             R"({"gap_id": "ffffffffffff", "entry_id": "us-backend-salary"})")
            .status == 404);
  CHECK(Send(server, "POST", "/v1/admin/gaps/accept", Auth(), json{{"gap_id", gap_id}, {"entry_id", "nope"}}.dump())
            .status == 404);
  // "This question should be answered by entry X": a new entry for it, then accept.
  REQUIRE(Send(server, "POST", "/v1/admin/entries", Auth(), kNewEntry).status == 201);
  Reply accepted =
      Send(server, "POST", "/v1/admin/gaps/accept", Auth(),
           json{{"gap_id", gap_id}, {"entry_id", "plumber-pay"}, {"question", "plumber earnings?"}}.dump());
  REQUIRE(accepted.status == 200);
  CHECK(accepted.body["added"] == true);
  CHECK(accepted.body["entry"]["questions"].back() == "plumber earnings?");
  json answer = Ask(server, "plumber earnings?");
  CHECK(answer["kind"] == "kb");
  CHECK(answer["sources"][0]["id"] == "plumber-pay");
  Reply after = Send(server, "GET", "/v1/admin/gaps");
  for (const auto& g : after.body["gaps"]) CHECK(g["id"] != gap_id);
  auto history = server.store().History("plumber-pay");
  REQUIRE(history.ok());
  CHECK((*history)[0].action == "accept-gap");

  SECTION("dismissing a gap") {
    Ask(server, "Which kotlin frameworks exist?");
    Reply list = Send(server, "GET", "/v1/admin/gaps");
    REQUIRE(list.body["gaps"].size() >= 1);
    const std::string id = list.body["gaps"][0]["id"];
    CHECK(Send(server, "POST", "/v1/admin/gaps/dismiss", Auth(), json{{"gap_id", id}}.dump()).status == 200);
    // Held in a variable: a range-for over a member of the temporary Reply
    // read it after it was destroyed (AddressSanitizer: heap-use-after-free).
    Reply remaining = Send(server, "GET", "/v1/admin/gaps");
    for (const auto& g : remaining.body["gaps"]) CHECK(g["id"] != id);
  }
}

TEST_CASE("export and import over HTTP round-trip; strict imports nothing on a bad line", "[adapters][admin]") {
  AdminServer server;
  auto c = server.Client();
  auto jsonl = c->Get("/v1/admin/export?format=jsonl", Auth());
  REQUIRE(jsonl);
  CHECK(jsonl->status == 200);
  CHECK(jsonl->get_header_value("Content-Type").find("application/x-ndjson") == 0);
  CHECK(jsonl->get_header_value("Content-Disposition").find("attachment") == 0);
  auto md = c->Get("/v1/admin/export?format=markdown", Auth());
  REQUIRE(md);
  CHECK(md->status == 200);
  CHECK(md->body.find("\n## ") != std::string::npos);
  CHECK(Send(server, "GET", "/v1/admin/export?format=pdf").status == 400);

  const std::string version = server.Version();
  for (const auto& [body, type] : std::vector<std::pair<std::string, std::string>>{
           {jsonl->body, "application/x-ndjson"}, {md->body, "text/markdown"}}) {
    Reply r = Send(server, "POST", "/v1/admin/import", Auth(), body, type);
    CHECK(r.status == 200);
    CHECK(r.body["added"] == 0);
    CHECK(r.body["changed"] == 0);
    CHECK(r.body["unchanged"].get<size_t>() == *server.store().CountEntries());
    CHECK(r.body["rejected"].empty());
  }
  CHECK(server.Version() == version);

  std::string bad = R"({"title": "Fine one", "body": "Fine."})"
                    "\n"
                    R"({"title": "", "body": "x"})"
                    "\n";
  Reply strict = Send(server, "POST", "/v1/admin/import?strict=1", Auth(), bad, "application/x-ndjson");
  CHECK(strict.status == 422);
  CHECK(strict.body["applied"] == false);
  REQUIRE(strict.body["rejected"].size() == 1);
  CHECK(strict.body["rejected"][0]["where"] == "import.jsonl:2");
  CHECK(strict.body["rejected"][0]["reason"].get<std::string>().find("title") == 0);
  CHECK(server.Version() == version);
  Reply lenient = Send(server, "POST", "/v1/admin/import", Auth(), bad, "application/x-ndjson");
  CHECK(lenient.status == 200);
  CHECK(lenient.body["added"] == 1);
  CHECK(lenient.body["rejected"].size() == 1);
  CHECK(server.store().GetEntry("fine-one").ok());
  CHECK(Send(server, "POST", "/v1/admin/import", Auth(), "x", "application/pdf").status == 415);
}

TEST_CASE("history and revert over HTTP", "[adapters][admin][history]") {
  AdminServer server;
  const std::string original = server.store().GetEntry("us-backend-salary")->body;
  Reply empty = Send(server, "GET", "/v1/admin/entries/us-backend-salary/history");
  CHECK(empty.status == 200);
  CHECK(empty.body["changes"].empty());
  CHECK(Send(server, "POST", "/v1/admin/entries/us-backend-salary/revert", Auth(), "{}").status == 404);
  REQUIRE(Send(server, "PATCH", "/v1/admin/entries/us-backend-salary", Auth(), R"({"body": "Changed."})").status ==
          200);
  Reply history = Send(server, "GET", "/v1/admin/entries/us-backend-salary/history");
  REQUIRE(history.body["changes"].size() == 1);
  json change = history.body["changes"][0];
  CHECK(change["who"] == "curator-1");
  CHECK(change["action"] == "edit");
  CHECK(change["before"]["body"] == original);
  CHECK(change["after"]["body"] == "Changed.");
  Reply reverted = Send(server, "POST", "/v1/admin/entries/us-backend-salary/revert", Auth(), "");
  CHECK(reverted.status == 200);
  CHECK(reverted.body["entry"]["body"] == original);
  CHECK(server.store().GetEntry("us-backend-salary")->body == original);
  CHECK(Send(server, "GET", "/v1/admin/entries/us-backend-salary/history").body["changes"].size() == 2);
  CHECK(Send(server, "GET", "/v1/admin/entries/no-such/history").status == 404);
}

TEST_CASE("a curator's trial question is answered and not logged", "[adapters][admin]") {
  AdminServer server;
  Reply r = Send(server, "POST", "/v1/admin/ask", Auth(), R"({"question": "How much does a plumber earn?"})");
  CHECK(r.status == 200);
  CHECK(r.body["kind"] == "fallback");
  CHECK(r.body.contains("explain"));
  CHECK(Send(server, "POST", "/v1/admin/ask", Auth(), R"({"question": " "})").status == 400);
  CHECK(Send(server, "GET", "/v1/admin/gaps").body["gaps"].empty());
}

TEST_CASE("the admin page is served like the chat page and writes no HTML from data", "[adapters][admin][web]") {
  AdminServer server;
  const std::pair<const char*, const char*> files[] = {
      {"/admin", "admin.html"}, {"/admin/admin.css", "admin.css"}, {"/admin/admin.js", "admin.js"}};
  std::string html, js;
  for (const auto& [path, name] : files) {
    INFO(path);
    auto c = server.Client();
    auto r = c->Get(path);  // no token needed for the page itself
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->get_header_value("Content-Security-Policy").find("script-src 'self'") != std::string::npos);
    CHECK(r->get_header_value("X-Content-Type-Options") == "nosniff");
    CHECK(r->get_header_value("Referrer-Policy") == "no-referrer");
    std::string on_disk;
    REQUIRE(
        testing_helpers::ReadWholeFile(std::string(CAREERBOT_SOURCE_DIR) + "/adapters/admin/static/" + name, &on_disk));
    CHECK(r->body == on_disk);
    if (std::string(name) == "admin.html") html = r->body;
    if (std::string(name) == "admin.js") js = r->body;
  }
  std::regex script_tag("<script([^>]*)>([\\s\\S]*?)</script>", std::regex::icase);
  int scripts = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), script_tag); it != std::sregex_iterator(); ++it) {
    scripts++;
    CHECK((*it)[1].str().find("src=\"/admin/admin.js\"") != std::string::npos);
    CHECK((*it)[2].str().empty());
  }
  CHECK(scripts == 1);
  CHECK_FALSE(std::regex_search(html, std::regex("\\son[a-z]+\\s*=", std::regex::icase)));
  CHECK_FALSE(std::regex_search(html, std::regex("<style|\\sstyle\\s*=", std::regex::icase)));
  for (const char* sink : {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"}) {
    INFO(sink);
    CHECK(js.find(sink) == std::string::npos);
  }
  // The token lives in sessionStorage and an Authorization header, never in a URL or localStorage.
  CHECK(js.find("sessionStorage") != std::string::npos);
  CHECK(js.find("localStorage") == std::string::npos);
  CHECK(js.find("Authorization") != std::string::npos);
  CHECK_FALSE(std::regex_search(js, std::regex("[?&]token=")));
  CHECK(html.find("type=\"password\"") != std::string::npos);
}

TEST_CASE("the admin token never reaches the log", "[adapters][admin]") {
  std::ostringstream captured;
  auto previous = spdlog::default_logger();
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  auto logger = std::make_shared<spdlog::logger>("capture", sink);
  logger->set_level(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  {
    AdminServer server;
    Send(server, "GET", "/v1/admin/entries", Auth("a-wrong-token-that-must-not-be-logged"));
    Send(server, "POST", "/v1/admin/entries", Auth(), kNewEntry);
    Send(server, "DELETE", "/v1/admin/entries/plumber-pay");
    Ask(server, std::string("my token is ") + kToken);
  }
  spdlog::set_default_logger(previous);
  const std::string log = captured.str();
  CHECK(log.find("curator-1 added plumber-pay") != std::string::npos);
  CHECK(log.find("refused") != std::string::npos);
  CHECK(log.find(kToken) == std::string::npos);
  CHECK(log.find("a-wrong-token-that-must-not-be-logged") == std::string::npos);
}
