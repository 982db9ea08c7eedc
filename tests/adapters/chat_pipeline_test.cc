// The chat-platform interface and its pipeline (adapters/chat/): a platform
// written here in a few lines, as a new platform would be, served through the
// same pipeline as Slack, Discord and Mattermost (not configured → verify →
// rate limit → ask → render); and the registry every part of the server
// reads the platforms from (routes, body limits, metrics channels, --help).
#include "adapters/chat/pipeline.h"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "../helpers/server.h"
#include "adapters/chat/registry.h"
#include "adapters/http/guard.h"
#include "adapters/http/server.h"
#include "app/rate_limit.h"
#include "app/service.h"
#include "knowledge/builtin.h"

namespace {

using nlohmann::json;

// A toy platform: POST /toy/ask with the question as the body, verified by
// X-Toy-Token, the user in X-Toy-User; "feedback:up:<id>" records feedback;
// "later:<question>" is answered by Defer.
class ToyPlatform : public adapters::chat::Platform {
 public:
  ToyPlatform(adapters::Service& service, std::string token) : Platform(service), token_(std::move(token)) {}
  static const adapters::chat::PlatformSpec& Spec() {
    static const adapters::chat::PlatformSpec spec = {
        "toy", "Toy", "TOY_TOKEN", "invalid toy token",
        {{"POST", "/toy/ask", 1024, "asks"}},
        {{"TOY_TOKEN", "the token", true}}};
    return spec;
  }
  const adapters::chat::PlatformSpec& spec() const override { return Spec(); }
  bool enabled() const override { return !token_.empty(); }
  bot::Status Verify(const httplib::Request& req) override {
    verified++;
    return adapters::chat::ConstantTimeEquals(req.get_header_value("X-Toy-Token"), token_)
               ? bot::Status::Ok()
               : bot::Status::InvalidArgument("wrong token");
  }
  adapters::chat::Turn Decode(const adapters::chat::Route&, const httplib::Request& req) override {
    decoded++;
    adapters::chat::Turn turn;
    turn.Limit(req.get_header_value("X-Toy-User"));
    if (req.body.rfind("feedback:up:", 0) == 0) {
      turn.act = adapters::chat::Turn::Act::kFeedback;
      turn.answer_id = req.body.substr(12);
      turn.helpful = true;
      return turn;
    }
    turn.act = adapters::chat::Turn::Act::kAsk;
    turn.later = req.body.rfind("later:", 0) == 0;
    turn.question.text = turn.later ? req.body.substr(6) : req.body;
    turn.conversation = "room:" + req.get_header_value("X-Toy-User");
    return turn;
  }
  adapters::chat::Reply Render(const adapters::chat::Turn&, const bot::Result<bot::Answer>& answer) override {
    if (!answer.ok()) return {200, {{"sorry", true}}};
    last_answer = *answer;
    return {200, {{"text", answer->text}, {"answer_id", answer->answer_id}}};
  }
  adapters::chat::Reply Acknowledge(const adapters::chat::Turn&, const bot::Status& recorded) override {
    return {200, {{"recorded", recorded.ok()}}};
  }
  bool Defer(adapters::chat::Turn turn) override {
    deferred.push_back(turn);
    return true;
  }
  void OnRateLimited(httplib::Response& res) override { res.set_header("X-Toy-No-Retry", "1"); }

  int verified = 0, decoded = 0;
  bot::Answer last_answer;
  std::vector<adapters::chat::Turn> deferred;

 private:
  std::string token_;
};

httplib::Response Post(ToyPlatform& toy, const std::string& body, const std::string& token = "t0k",
                       const std::string& user = "U1") {
  httplib::Request req;
  req.method = "POST";
  req.path = "/toy/ask";
  req.body = body;
  req.headers.emplace("X-Toy-Token", token);
  req.headers.emplace("X-Toy-User", user);
  httplib::Response res;
  adapters::chat::Serve(toy, ToyPlatform::Spec().routes[0], req, res);
  return res;
}

struct Fixture {
  std::unique_ptr<knowledge::Store> store;
  std::unique_ptr<adapters::Service> service;
  Fixture() {
    bool built = false;
    auto opened = knowledge::OpenOrBuild(":memory:", &built);
    REQUIRE(opened.ok());
    store = std::move(*opened);
    service = std::make_unique<adapters::Service>(store.get());
  }
};

}  // namespace

TEST_CASE("a platform without its secret answers 503 naming the variable and is never called", "[chat][pipeline]") {
  Fixture f;
  ToyPlatform toy(*f.service, "");
  auto res = Post(toy, "How much do backend developers earn?");
  CHECK(res.status == 503);
  json body = json::parse(res.body);
  CHECK(body["error"]["code"] == "not_configured");
  CHECK(body["error"]["message"] == "set TOY_TOKEN to turn on the Toy adapter (see docs/platforms.md)");
  CHECK(toy.verified == 0);
  CHECK(toy.decoded == 0);
}

TEST_CASE("a request that fails verification is a 401 with the platform's words and is never decoded",
          "[chat][pipeline]") {
  Fixture f;
  ToyPlatform toy(*f.service, "t0k");
  auto res = Post(toy, "How much do backend developers earn?", "wrong");
  CHECK(res.status == 401);
  json body = json::parse(res.body);
  CHECK(body["error"]["code"] == "unauthorized");
  CHECK(body["error"]["message"] == "invalid toy token");
  CHECK(toy.verified == 1);
  CHECK(toy.decoded == 0);
  CHECK(res.get_header_value("X-Content-Type-Options") == "nosniff");
}

TEST_CASE("a verified question is asked in the platform's channel and conversation and rendered by it",
          "[chat][pipeline]") {
  Fixture f;
  ToyPlatform toy(*f.service, "t0k");
  auto res = Post(toy, "How much do backend developers earn?");
  REQUIRE(res.status == 200);
  json body = json::parse(res.body);
  CHECK(body["text"] == toy.last_answer.text);
  CHECK(toy.last_answer.answered);
  // Service::Ask counted it under the platform's own channel.
  std::string metrics;
  f.service->metrics().Render(&metrics);
  CHECK(metrics.find("careerbot_answers_total{channel=\"toy\"") == std::string::npos);  // not registered: "other"
  CHECK(metrics.find("careerbot_answers_total{channel=\"other\",outcome=\"answered\"} 1") != std::string::npos);

  // Feedback on that answer is recorded through the same pipeline; on an
  // unknown answer the platform is told it was not.
  auto again = Post(toy, "feedback:up:" + body["answer_id"].get<std::string>());
  REQUIRE(again.status == 200);
  CHECK(json::parse(again.body)["recorded"] == true);
  auto unknown = Post(toy, "feedback:up:no-such-answer");
  CHECK(json::parse(unknown.body)["recorded"] == false);
}

TEST_CASE("past the rate limit a platform user gets 429 with Retry-After and the platform's headers",
          "[chat][pipeline]") {
  Fixture f;
  ToyPlatform toy(*f.service, "t0k");
  toy.set_rate_limiter(std::make_shared<adapters::RateLimiter>(1));
  CHECK(Post(toy, "What is Docker?").status == 200);
  auto refused = Post(toy, "What is Kubernetes?");
  CHECK(refused.status == 429);
  CHECK(json::parse(refused.body)["error"]["code"] == "rate_limited");
  CHECK(!refused.get_header_value("Retry-After").empty());
  CHECK(refused.get_header_value("X-Toy-No-Retry") == "1");
  CHECK(toy.decoded == 2);  // decoded (to know the user), not asked
  // Another user of the same platform has a bucket of their own.
  CHECK(Post(toy, "What is Kubernetes?", "t0k", "U2").status == 200);
}

TEST_CASE("a turn answered later is acknowledged with an empty 200 and handed to the platform", "[chat][pipeline]") {
  Fixture f;
  ToyPlatform toy(*f.service, "t0k");
  auto res = Post(toy, "later:What is Docker?");
  CHECK(res.status == 200);
  CHECK(res.body.empty());
  REQUIRE(toy.deferred.size() == 1);
  CHECK(toy.deferred[0].question.text == "What is Docker?");
  // The platform's worker answers it through the same ask step.
  auto answer = toy.Ask(toy.deferred[0]);
  REQUIRE(answer.ok());
  CHECK(answer->answered);
}

TEST_CASE("every registered platform's routes are served listed and limited from the registry", "[chat][registry]") {
  testing_helpers::AllRoutes all;
  std::set<std::string> listed;
  std::map<std::string, std::string> adapter_of;
  for (const auto& r : all.routes()) {
    listed.insert(r.method + " " + r.path);
    adapter_of[r.path] = r.adapter;
  }
  std::set<std::string> names;
  for (const auto& registration : adapters::chat::Registry()) {
    const auto& spec = registration.spec();
    CHECK(names.insert(spec.name).second);
    CHECK(!spec.routes.empty());
    const std::string prefix = "/" + std::string(spec.name) + "/";
    for (const auto& route : spec.routes) {
      CHECK(std::string(route.path).rfind(prefix, 0) == 0);
      CHECK(listed.count(std::string(route.method) + " " + route.path) == 1);
      CHECK(adapters::http::BodyLimitFor(route.path, false) == route.body_limit);
      CHECK(all.router().Label(route.path) == route.path);
      CHECK(adapter_of[route.path] == spec.name);
    }
    // Any other path under the platform's prefix keeps the webhook limit.
    CHECK(adapters::http::BodyLimitFor(prefix + "unknown", false) == adapters::chat::kDefaultWebhookBodyBytes);
    bool has_enabling_secret = false;
    for (const auto& v : spec.variables) has_enabling_secret |= v.secret && std::string(v.name) == spec.enabling_variable;
    CHECK(has_enabling_secret);
  }
  CHECK(names == std::set<std::string>{"slack", "discord", "mattermost"});
  CHECK(adapters::chat::WebhookBodyLimit("/v1/ask") == 0);
}

TEST_CASE("the answer metrics have a channel for every registered platform", "[chat][registry]") {
  adapters::AnswerMetrics metrics;
  std::string out;
  metrics.Render(&out);
  for (const std::string& name : adapters::chat::PlatformNames()) {
    CHECK(out.find("careerbot_answers_total{channel=\"" + name + "\",outcome=\"answered\"} 0") != std::string::npos);
  }
  metrics.Record("discord", adapters::AnswerMetrics::kAnswered, 0.001);
  metrics.Record("somewhere-else", adapters::AnswerMetrics::kFailed, 0.001);
  out.clear();
  metrics.Render(&out);
  CHECK(out.find("careerbot_answers_total{channel=\"discord\",outcome=\"answered\"} 1") != std::string::npos);
  CHECK(out.find("careerbot_answers_total{channel=\"other\",outcome=\"failed\"} 1") != std::string::npos);
  // The order and the names the dashboards know stay as they were.
  size_t http = out.find("channel=\"http\""), web = out.find("channel=\"web\""), slack = out.find("channel=\"slack\""),
         discord = out.find("channel=\"discord\""), mattermost = out.find("channel=\"mattermost\""),
         cli = out.find("channel=\"cli\""), other = out.find("channel=\"other\"");
  CHECK(http < web);
  CHECK(web < slack);
  CHECK(slack < discord);
  CHECK(discord < mattermost);
  CHECK(mattermost < cli);
  CHECK(cli < other);
}
