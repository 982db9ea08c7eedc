// docs/openapi.json (GET /openapi.json): it describes every route the server
// registers and nothing else, and real responses from a running server match
// the schemas it gives for them.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "../helpers/files.h"
#include "../helpers/json_schema.h"
#include "../helpers/server.h"
#include "adapters/http/server.h"
#include "app/service.h"
#include "chat_test_server.h"
#include "knowledge/store_handle.h"

namespace {

using nlohmann::json;

const char kToken[] = "openapi-test-token-0123456789abcdef";

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A live server with every adapter registered (chat platforms unconfigured:
// their webhooks answer 503), the admin API on.
class FullServer {
 public:
  FullServer() {
    bool built = false;
    auto kb = knowledge::StoreHandle::Open(":memory:", &built);
    REQUIRE(kb.ok());
    service_ = std::make_unique<adapters::Service>(std::shared_ptr<knowledge::StoreHandle>(std::move(*kb)), nullptr);
    adapters::http::HttpOptions options = testing_helpers::TestHttpOptions(8);
    options.admin.token = kToken;
    running_ = std::make_unique<testing_helpers::RunningServer>(*service_, options);
  }
  ~FullServer() { running_.reset(); }  // the server stops before the service goes
  httplib::Result Send(const std::string& method, const std::string& path, const std::string& body = "",
                       const std::string& content_type = "application/json", bool admin = true) {
    httplib::Client c("127.0.0.1", running_->port());
    c.set_read_timeout(20, 0);
    httplib::Headers headers;
    if (admin) headers.emplace("Authorization", std::string("Bearer ") + kToken);
    if (method == "GET") return c.Get(path.c_str(), headers);
    if (method == "POST") return c.Post(path.c_str(), headers, body, content_type.c_str());
    if (method == "PUT") return c.Put(path.c_str(), headers, body, content_type.c_str());
    if (method == "PATCH") return c.Patch(path.c_str(), headers, body, content_type.c_str());
    if (method == "DELETE") return c.Delete(path.c_str(), headers, body, content_type.c_str());
    return httplib::Result(nullptr, httplib::Error::Unknown);
  }

 private:
  std::unique_ptr<adapters::Service> service_;
  std::unique_ptr<testing_helpers::RunningServer> running_;
};

const json& Document() {
  static const json doc = json::parse(adapters::http::OpenApiDocument());
  return doc;
}

// Checks `res` (for `method` on the route pattern `route`) against the
// document: its status is listed, its content type is the one described,
// and a JSON body matches the schema.
void CheckAgainstDocument(const std::string& method, const std::string& route, const httplib::Result& res) {
  INFO(method << " " << route);
  REQUIRE(res);
  INFO("status " << res->status << ": " << res->body.substr(0, 300));
  const json& op = Document()["paths"][route][Lower(method)];
  REQUIRE(op.is_object());
  std::string status = std::to_string(res->status);
  REQUIRE(op["responses"].contains(status));
  const json& described = op["responses"][status];
  if (!described.contains("content")) return;
  std::string type = res->get_header_value("Content-Type");
  std::string media = type.substr(0, type.find(';'));
  REQUIRE(described["content"].contains(media));
  if (media == "application/json") {
    json body = json::parse(res->body, nullptr, false);
    REQUIRE(!body.is_discarded());
    testing_helpers::SchemaValidator validator(Document());
    auto problems = validator.Validate(body, described["content"][media]["schema"]);
    for (const auto& p : problems) UNSCOPED_INFO(p);
    CHECK(problems.empty());
  }
}

}  // namespace

TEST_CASE("docs/openapi.json describes every route the server has, and only those", "[adapters][openapi]") {
  const json& doc = Document();
  REQUIRE(doc["openapi"].get<std::string>().rfind("3.", 0) == 0);
  // The document compiled in is the one in the repository.
  std::string file;
  REQUIRE(testing_helpers::ReadWholeFile(CAREERBOT_SOURCE_DIR "/docs/openapi.json", &file));
  CHECK(json::parse(file) == doc);
  // The route list is the router's: every route as registered, once.
  testing_helpers::AllRoutes all;
  const auto& routes = all.routes();
  size_t described = 0;
  for (const auto& r : routes) {
    INFO(r.method << " " << r.path);
    REQUIRE(doc["paths"].contains(r.path));
    REQUIRE(doc["paths"][r.path].contains(Lower(r.method)));
    // Its summary is the one registered with it.
    CHECK(doc["paths"][r.path][Lower(r.method)].value("summary", "") == r.summary);
    CHECK(!r.summary.empty());
  }
  for (const auto& [path, ops] : doc["paths"].items()) {
    for (const auto& [method, op] : ops.items()) {
      INFO(method << " " << path);
      bool registered =
          std::any_of(routes.begin(), routes.end(),
                      [&](const adapters::http::RouteInfo& r) { return r.path == path && Lower(r.method) == method; });
      CHECK(registered);
      CHECK(op.contains("responses"));
      described++;
    }
  }
  CHECK(described == routes.size());
  // Every $ref points at a schema that exists.
  std::vector<const json*> stack = {&doc};
  while (!stack.empty()) {
    const json* j = stack.back();
    stack.pop_back();
    if (j->is_object()) {
      if (j->contains("$ref")) {
        std::string ref = (*j)["$ref"];
        INFO(ref);
        CHECK(doc["components"]["schemas"].contains(ref.substr(std::string("#/components/schemas/").size())));
      }
      for (const auto& [k, v] : j->items()) stack.push_back(&v);
    } else if (j->is_array()) {
      for (const auto& v : *j) stack.push_back(&v);
    }
  }
}

TEST_CASE("every route in the list is registered on a running server", "[adapters][openapi]") {
  FullServer server;
  testing_helpers::AllRoutes all;
  for (const auto& r : all.routes()) {
    std::string path = r.path;
    size_t brace = path.find("{id}");
    if (brace != std::string::npos) path.replace(brace, 4, "us-backend-salary");
    if (std::string(r.method) == "DELETE") continue;  // checked below, last
    auto res = server.Send(r.method, path, "{}");
    INFO(r.method << " " << path);
    REQUIRE(res);
    INFO(res->status << " " << res->body.substr(0, 200));
    CHECK(res->status != 405);
    json body = json::parse(res->body, nullptr, false);
    bool catch_all = res->status == 404 && body.is_object() && body.contains("error") &&
                     body["error"]["message"].get<std::string>().rfind("no route for", 0) == 0;
    CHECK_FALSE(catch_all);
  }
  auto res = server.Send("DELETE", "/v1/admin/entries/us-backend-salary");
  REQUIRE(res);
  CHECK(res->status == 200);
}

TEST_CASE("real responses match the schemas of docs/openapi.json", "[adapters][openapi]") {
  FullServer server;
  auto ask = server.Send("POST", "/v1/ask", R"({"question": "How much do backend developers earn?", "explain": true})");
  CheckAgainstDocument("POST", "/v1/ask", ask);
  REQUIRE(ask->status == 200);
  std::string answer_id = json::parse(ask->body)["answer_id"];
  CheckAgainstDocument("POST", "/v1/ask", server.Send("POST", "/v1/ask", R"({"question": "hello"})"));
  CheckAgainstDocument("POST", "/v1/ask",
                       server.Send("POST", "/v1/ask", R"({"question": "How much does a firefighter earn?"})"));
  // A clarification (kind "clarify" with options), a choice of one of its
  // options by entry_id, and a choice of an entry that does not exist (404).
  json clarification;
  for (const std::string& q : chat_testing::UnsureQuestions()) {
    auto res = server.Send("POST", "/v1/ask", json({{"question", q}}).dump());
    REQUIRE(res);
    CheckAgainstDocument("POST", "/v1/ask", res);
    clarification = json::parse(res->body);
    if (clarification["kind"] == "clarify" && clarification["options"].size() >= 2) break;
  }
  REQUIRE(clarification["kind"] == "clarify");
  const json option = clarification["options"][1];
  auto chosen = server.Send("POST", "/v1/ask",
                            json({{"question", option["question"]},
                                  {"entry_id", option["entry_id"]},
                                  {"conversation_id", clarification["conversation_id"]}})
                                .dump());
  CheckAgainstDocument("POST", "/v1/ask", chosen);
  REQUIRE(chosen->status == 200);
  CHECK(json::parse(chosen->body)["sources"][0]["id"] == option["entry_id"]);
  auto unknown = server.Send("POST", "/v1/ask", json({{"question", "x"}, {"entry_id", "no-such-entry"}}).dump());
  CheckAgainstDocument("POST", "/v1/ask", unknown);
  CHECK(unknown->status == 404);
  CheckAgainstDocument("POST", "/v1/ask", server.Send("POST", "/v1/ask", "{not json"));
  CheckAgainstDocument("POST", "/v1/ask", server.Send("POST", "/v1/ask", R"({"q": 1})"));
  CheckAgainstDocument("POST", "/v1/ask", server.Send("POST", "/v1/ask", "question", "text/plain"));
  CheckAgainstDocument("POST", "/v1/ask",
                       server.Send("POST", "/v1/ask", "{\"question\": \"" + std::string(20000, 'a') + "\"}"));
  CheckAgainstDocument("POST", "/v1/feedback",
                       server.Send("POST", "/v1/feedback", json({{"answer_id", answer_id}, {"helpful", true}}).dump()));
  CheckAgainstDocument("POST", "/v1/feedback",
                       server.Send("POST", "/v1/feedback", R"({"answer_id": "nope", "helpful": false})"));
  CheckAgainstDocument("GET", "/healthz", server.Send("GET", "/healthz"));
  CheckAgainstDocument("GET", "/metrics", server.Send("GET", "/metrics"));
  CheckAgainstDocument("GET", "/openapi.json", server.Send("GET", "/openapi.json"));
  for (const char* page : {"/", "/app.css", "/app.js", "/admin", "/admin/admin.css", "/admin/admin.js"}) {
    CheckAgainstDocument("GET", page, server.Send("GET", page));
  }
  // The chat platforms, not configured here: 503 with the error shape.
  for (const char* hook :
       {"/slack/events", "/slack/commands", "/slack/interactions", "/discord/interactions", "/mattermost/commands"}) {
    auto res = server.Send("POST", hook, "{}");
    CheckAgainstDocument("POST", hook, res);
    CHECK(res->status == 503);
  }
  // The admin API.
  CheckAgainstDocument("GET", "/v1/admin/entries", server.Send("GET", "/v1/admin/entries"));
  CheckAgainstDocument("GET", "/v1/admin/entries", server.Send("GET", "/v1/admin/entries", "", "", false));
  CheckAgainstDocument("GET", "/v1/admin/entries/{id}", server.Send("GET", "/v1/admin/entries/us-backend-salary"));
  CheckAgainstDocument("GET", "/v1/admin/entries/{id}", server.Send("GET", "/v1/admin/entries/no-such-entry"));
  const std::string entry =
      R"({"id": "openapi-test-entry", "title": "What the OpenAPI test adds", "body": "An entry the OpenAPI test adds to check the admin API's answers against their schemas.",
          "questions": ["What does the OpenAPI test add?"], "tags": ["test"],
          "source": {"article": "Tests", "section": "OpenAPI", "url": ""}})";
  auto created = server.Send("POST", "/v1/admin/entries", entry);
  CheckAgainstDocument("POST", "/v1/admin/entries", created);
  CheckAgainstDocument(
      "PATCH", "/v1/admin/entries/{id}",
      server.Send("PATCH", "/v1/admin/entries/openapi-test-entry", R"({"tags": ["test", "openapi"]})"));
  CheckAgainstDocument("GET", "/v1/admin/entries/{id}/history",
                       server.Send("GET", "/v1/admin/entries/openapi-test-entry/history"));
  CheckAgainstDocument("POST", "/v1/admin/entries/{id}/revert",
                       server.Send("POST", "/v1/admin/entries/openapi-test-entry/revert", "{}"));
  CheckAgainstDocument("DELETE", "/v1/admin/entries/{id}",
                       server.Send("DELETE", "/v1/admin/entries/openapi-test-entry"));
  CheckAgainstDocument("GET", "/v1/admin/gaps", server.Send("GET", "/v1/admin/gaps"));
  CheckAgainstDocument("POST", "/v1/admin/gaps/dismiss",
                       server.Send("POST", "/v1/admin/gaps/dismiss", R"({"gap_id": "no-such-gap"})"));
  CheckAgainstDocument("POST", "/v1/admin/ask",
                       server.Send("POST", "/v1/admin/ask", R"({"question": "Which databases should I learn?"})"));
  CheckAgainstDocument("GET", "/v1/admin/export", server.Send("GET", "/v1/admin/export"));
  CheckAgainstDocument("GET", "/v1/admin/stats", server.Send("GET", "/v1/admin/stats?days=7&bucket=day"));
  CheckAgainstDocument("GET", "/v1/admin/stats", server.Send("GET", "/v1/admin/stats?days=7&format=csv"));
  CheckAgainstDocument("GET", "/v1/admin/stats", server.Send("GET", "/v1/admin/stats?days=0"));
  CheckAgainstDocument("GET", "/v1/admin/stats", server.Send("GET", "/v1/admin/stats", "", "", false));
  CheckAgainstDocument("GET", "/v1/admin/entries/{id}/stats",
                       server.Send("GET", "/v1/admin/entries/us-backend-salary/stats"));
  CheckAgainstDocument("GET", "/v1/admin/entries/{id}/stats",
                       server.Send("GET", "/v1/admin/entries/no-such-entry/stats"));
  CheckAgainstDocument("GET", "/v1/admin/entries/{id}/stats",
                       server.Send("GET", "/v1/admin/entries/us-backend-salary/stats?weeks=x"));
}

TEST_CASE("the schema checker admits null only where the schema says nullable", "[adapters][openapi]") {
  testing_helpers::SchemaValidator validator(json::object());
  json nullable = {{"type", "number"}, {"nullable", true}};
  json plain = {{"type", "number"}};
  CHECK(validator.Validate(nullptr, nullable).empty());
  CHECK(validator.Validate(0.5, nullable).empty());
  CHECK_FALSE(validator.Validate("0.5", nullable).empty());
  CHECK_FALSE(validator.Validate(nullptr, plain).empty());
}
