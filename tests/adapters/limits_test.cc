// Issue 7, limits: the per-client rate limiter (alone with a fake clock, then
// on a live server: by IP on the JSON API, by platform user on the Slack,
// Mattermost and Discord webhooks; 429 with Retry-After and a JSON error),
// the body limits per route, CORS closed unless origins are allowed, and
// the security headers of the pages.
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "../fakes/fake_retriever.h"
#include "adapters/http/guard.h"
#include "adapters/http/request_decode.h"
#include "adapters/http/server.h"
#include "app/json_codec.h"
#include "app/config.h"
#include "app/rate_limit.h"
#include "app/service.h"
#include "chat_test_server.h"
#include "knowledge/builtin.h"

namespace {

using chat_testing::DiscordHeaders;
using chat_testing::Ed25519Key;
using chat_testing::SlackHeaders;
using chat_testing::WaitFor;
using nlohmann::json;

const char kSlackSecret[] = "limits-test-slack-secret";
const char kMattermostToken[] = "limits-test-mattermost-token";

// A live server with the chat platforms on and `options` tweaked by `setup`.
class LimitServer {
 public:
  LimitServer(std::function<void(adapters::http::HttpOptions*)> setup, const std::string& discord_key = "")
      : server_(Options(setup, discord_key)) {}
  httplib::Client Client() {
    httplib::Client c("127.0.0.1", server_.port());
    c.set_connection_timeout(5, 0);
    c.set_read_timeout(20, 0);
    return c;
  }

 private:
  // The defaults (the rate limit on: these tests are about limits) with the
  // chat platforms on, then `setup`'s changes.
  static adapters::http::HttpOptions Options(const std::function<void(adapters::http::HttpOptions*)>& setup,
                                             const std::string& discord_key) {
    adapters::http::HttpOptions options;
    options.threads = 4;
    options.chat.slack.signing_secret = kSlackSecret;
    options.chat.mattermost.token = kMattermostToken;
    options.chat.discord.public_key = discord_key;
    setup(&options);
    return options;
  }
  testing_helpers::TestServer server_;
};

void Check429(const httplib::Result& r) {
  REQUIRE(r);
  INFO(r->body);
  CHECK(r->status == 429);
  int retry = std::atoi(r->get_header_value("Retry-After").c_str());
  CHECK(retry >= 1);
  CHECK(retry <= 60);
  json j = json::parse(r->body, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j["error"]["code"] == "rate_limited");
  CHECK(j["error"]["message"].get<std::string>().find("a minute") != std::string::npos);
}

std::string Ask(const std::string& q) { return json{{"question", q}}.dump(); }

}  // namespace

TEST_CASE("the rate limiter allows a minute's worth, then the steady rate", "[adapters][limits]") {
  fakes::FakeClock clock(1700000000);
  adapters::RateLimiter limiter(60, &clock);
  for (int i = 0; i < 60; i++) CHECK(limiter.Take("a").allowed);
  auto refused = limiter.Take("a");
  CHECK_FALSE(refused.allowed);
  CHECK(refused.retry_after_s == 1);
  CHECK(limiter.Take("b").allowed);  // another client has its own bucket
  clock.Advance(1);                  // one a second comes back
  CHECK(limiter.Take("a").allowed);
  CHECK_FALSE(limiter.Take("a").allowed);
  clock.Advance(60);
  for (int i = 0; i < 60; i++) CHECK(limiter.Take("a").allowed);
  CHECK_FALSE(limiter.Take("a").allowed);

  SECTION("a slow limit says how long to wait") {
    adapters::RateLimiter slow(2, &clock);
    CHECK(slow.Take("x").allowed);
    CHECK(slow.Take("x").allowed);
    CHECK(slow.Take("x").retry_after_s == 30);
  }
  SECTION("0 never limits") {
    adapters::RateLimiter off(0, &clock);
    CHECK_FALSE(off.enabled());
    for (int i = 0; i < 10000; i++) REQUIRE(off.Take("a").allowed);
  }
  SECTION("memory stays bounded under a flood of new clients") {
    adapters::RateLimiter bounded(10, &clock, 1600);
    for (int i = 0; i < 100000; i++) bounded.Take("client-" + std::to_string(i));
    CHECK(bounded.tracked() <= 1600);
  }
}

// Many threads take from the same buckets at once: a bucket is never spent
// twice, and a flood of new clients from many threads stays within the bound.
TEST_CASE("the rate limiter allows exactly a minute's worth across threads", "[adapters][limits][concurrency]") {
  fakes::FakeClock clock(1700000000);  // time stands still: no refill
  adapters::RateLimiter limiter(60, &clock);
  std::atomic<int> allowed_a{0}, allowed_b{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; i++) {
        if (limiter.Take("a").allowed) allowed_a++;
        if (limiter.Take("b").allowed) allowed_b++;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(allowed_a.load() == 60);
  CHECK(allowed_b.load() == 60);

  adapters::RateLimiter bounded(10, &clock, 1600);
  threads.clear();
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5000; i++) bounded.Take("client-" + std::to_string(t) + "-" + std::to_string(i));
    });
  }
  for (auto& th : threads) th.join();
  CHECK(bounded.tracked() <= 1600);
}

TEST_CASE("CAREERBOT_RATE_LIMIT and CAREERBOT_CORS_ORIGINS are read strictly", "[adapters][limits]") {
  auto rate = [](const char* value, bot::Status* status) {
    adapters::Config config;
    std::map<std::string, std::string> vars;
    if (value) vars["CAREERBOT_RATE_LIMIT"] = value;
    *status = adapters::BuildConfig({}, adapters::Environment(vars), /*serve=*/true, &config);
    return config.limits.rate_limit_per_minute;
  };
  bot::Status s;
  CHECK(rate(nullptr, &s) == adapters::kDefaultRateLimitPerMinute);
  CHECK(s.ok());
  CHECK(rate("0", &s) == 0);
  CHECK(s.ok());
  CHECK(rate("120", &s) == 120);
  CHECK(s.ok());
  for (const char* bad : {"-1", "ten", "10/s", "99999999999"}) {
    rate(bad, &s);
    CHECK_FALSE(s.ok());
    CHECK(s.message().find("CAREERBOT_RATE_LIMIT") != std::string::npos);
  }

  std::vector<std::string> origins;
  REQUIRE(adapters::ParseCorsOrigins("https://a.example, http://localhost:3000/", &origins).ok());
  CHECK(origins == std::vector<std::string>{"https://a.example", "http://localhost:3000"});
  for (const char* bad : {"*", "a.example", "https://a.example/path", "ftp://a.example", "https://*.example"}) {
    CHECK_FALSE(adapters::ParseCorsOrigins(bad, &origins).ok());
  }
  CHECK(adapters::ParseCorsOrigins("", &origins).ok());
  CHECK(origins.empty());
}

TEST_CASE("body limits are per route: 16 KiB for the API, more for webhooks and admin imports", "[adapters][limits]") {
  using adapters::http::BodyLimitFor;
  CHECK(BodyLimitFor("/v1/ask", false) == 16 * 1024);
  CHECK(BodyLimitFor("/v1/feedback", true) == 16 * 1024);
  CHECK(BodyLimitFor("/slack/events", false) == 128 * 1024);
  CHECK(BodyLimitFor("/discord/interactions", false) == 128 * 1024);
  CHECK(BodyLimitFor("/mattermost/commands", false) == 128 * 1024);
  CHECK(BodyLimitFor("/v1/admin/import", true) == 8 * 1024 * 1024);
  CHECK(BodyLimitFor("/v1/admin/import", false) == 16 * 1024);
  CHECK(BodyLimitFor("/anything", false) == 16 * 1024);
  CHECK(adapters::http::SizeText(16 * 1024) == "16 KiB");
  CHECK(adapters::http::SizeText(8 * 1024 * 1024) == "8 MiB");
}

TEST_CASE("the request decoders are pure and say the status of each refusal", "[adapters][limits]") {
  using adapters::http::DecodeAskRequest;
  adapters::http::RequestError e;
  bot::Question q;
  CHECK(DecodeAskRequest("application/json; charset=UTF-8", Ask("hi"), 16384, &q, &e));
  CHECK(q.text == "hi");
  CHECK(q.channel == "http");
  CHECK_FALSE(DecodeAskRequest("text/plain", Ask("hi"), 16384, &q, &e));
  CHECK(e.status == 415);
  CHECK_FALSE(DecodeAskRequest("application/json", Ask(std::string(100, 'a')), 50, &q, &e));
  CHECK(e.status == 413);
  CHECK_FALSE(DecodeAskRequest("application/json", std::string(65, '[') + std::string(65, ']'), 16384, &q, &e));
  CHECK(e.code == "invalid_json");
  CHECK(DecodeAskRequest("application/json", "{\"question\": \"[[[[[[\", \"x\": " + std::string(60, '[') +
                                                 std::string(60, ']') + "}",
                         16384, &q, &e));
  CHECK(adapters::JsonNestingWithin("{\"a\": \"[[[[[[[[[[[[\\\"[[[[\"}", 2));
  // The parser stops at a NUL byte; so does the nesting check.
  const std::string after_nul = std::string("true", 4) + std::string(1, '\0') + std::string(100, '[');
  CHECK(adapters::JsonNestingWithin(after_nul, 64));
  CHECK_FALSE(adapters::JsonNestingWithin(std::string(100, '[') + std::string(1, '\0'), 64));
}

TEST_CASE("POST /v1/ask and /v1/feedback are limited per client address: 429 with Retry-After",
          "[adapters][limits][concurrency]") {
  LimitServer server([](adapters::http::HttpOptions* o) { o->rate_limit_per_minute = 5; });
  auto c = server.Client();
  for (int i = 0; i < 4; i++) {
    auto r = c.Post("/v1/ask", Ask("What is a backend developer?"), "application/json");
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  auto f = c.Post("/v1/feedback", json{{"answer_id", "nope"}, {"helpful", true}}.dump(), "application/json");
  REQUIRE(f);
  CHECK(f->status == 404);  // the fifth request
  Check429(c.Post("/v1/ask", Ask("What is a backend developer?"), "application/json"));
  Check429(c.Post("/v1/feedback", json{{"answer_id", "nope"}, {"helpful", true}}.dump(), "application/json"));
  // Health, the page and refusals of other kinds are not counted.
  auto h = c.Get("/healthz");
  REQUIRE(h);
  CHECK(h->status == 200);
  auto page = c.Get("/");
  REQUIRE(page);
  CHECK(page->status == 200);
  // Without a trusted proxy, X-Forwarded-For changes nothing.
  Check429(c.Post("/v1/ask", {{"X-Forwarded-For", "203.0.113.9"}}, Ask("hi"), "application/json"));
}

TEST_CASE("behind a trusted local proxy, clients are told apart by X-Forwarded-For", "[adapters][limits]") {
  LimitServer server([](adapters::http::HttpOptions* o) {
    o->rate_limit_per_minute = 2;
    o->trust_forwarded_for = true;
  });
  auto c = server.Client();
  for (const char* client : {"203.0.113.1", "203.0.113.2"}) {
    httplib::Headers h = {{"X-Forwarded-For", std::string("198.51.100.7, ") + client}};
    CHECK(c.Post("/v1/ask", h, Ask("hi"), "application/json")->status == 200);
    CHECK(c.Post("/v1/ask", h, Ask("hi"), "application/json")->status == 200);
    Check429(c.Post("/v1/ask", h, Ask("hi"), "application/json"));
  }
}

TEST_CASE("the chat webhooks are limited per platform user", "[adapters][limits][slack][discord][mattermost]") {
  Ed25519Key key;
  LimitServer server([](adapters::http::HttpOptions* o) { o->rate_limit_per_minute = 2; }, key.PublicKeyHex());
  auto c = server.Client();
  auto slash = [&](const std::string& user) {
    std::string body = "team_id=T1&user_id=" + user + "&command=%2Fask&text=What+is+a+backend+developer%3F";
    return c.Post("/slack/commands", SlackHeaders(kSlackSecret, body), body, "application/x-www-form-urlencoded");
  };
  CHECK(slash("UA")->status == 200);
  CHECK(slash("UA")->status == 200);
  auto refused = slash("UA");
  Check429(refused);
  // Slack retries what did not get a 2xx: a refused request is dropped.
  CHECK(refused->get_header_value("X-Slack-No-Retry") == "1");
  CHECK(slash("UB")->status == 200);  // another user is not held back

  auto mattermost = [&](const std::string& user) {
    std::string body = std::string("token=") + kMattermostToken + "&team_id=T&user_id=" + user + "&text=hi";
    return c.Post("/mattermost/commands", body, "application/x-www-form-urlencoded");
  };
  CHECK(mattermost("M1")->status == 200);
  CHECK(mattermost("M1")->status == 200);
  auto refused_mm = mattermost("M1");
  Check429(refused_mm);
  CHECK(!refused_mm->has_header("X-Slack-No-Retry"));  // Slack's header is Slack's

  auto discord = [&](const std::string& user) {
    json interaction = {{"type", 2},
                        {"id", "1"},
                        {"channel_id", "C"},
                        {"member", {{"user", {{"id", user}}}}},
                        {"data", {{"name", "ask"}, {"options", json::array({{{"name", "question"}, {"type", 3},
                                                                             {"value", "What is REST?"}}})}}}};
    std::string body = interaction.dump();
    return c.Post("/discord/interactions", DiscordHeaders(key, body), body, "application/json");
  };
  CHECK(discord("D1")->status == 200);
  CHECK(discord("D1")->status == 200);
  Check429(discord("D1"));
  CHECK(discord("D2")->status == 200);
  // Discord's PINGs are never limited.
  std::string ping = R"({"type":1})";
  for (int i = 0; i < 5; i++) {
    CHECK(c.Post("/discord/interactions", DiscordHeaders(key, ping), ping, "application/json")->status == 200);
  }
}

TEST_CASE("CORS is closed unless an origin is allowed", "[adapters][limits][cors]") {
  httplib::Headers preflight = {{"Origin", "https://good.example"}, {"Access-Control-Request-Method", "POST"},
                                {"Access-Control-Request-Headers", "content-type"}};
  SECTION("no origins configured") {
    LimitServer server([](adapters::http::HttpOptions* o) { o->rate_limit_per_minute = 0; });
    auto c = server.Client();
    auto opt = c.Options("/v1/ask", preflight);
    REQUIRE(opt);
    CHECK(opt->status >= 400);
    CHECK_FALSE(opt->has_header("Access-Control-Allow-Origin"));
    auto post = c.Post("/v1/ask", {{"Origin", "https://good.example"}}, Ask("hi"), "application/json");
    REQUIRE(post);
    CHECK(post->status == 200);
    CHECK_FALSE(post->has_header("Access-Control-Allow-Origin"));
  }
  SECTION("one origin allowed") {
    LimitServer server([](adapters::http::HttpOptions* o) {
      o->rate_limit_per_minute = 0;
      o->cors_origins = {"https://good.example"};
    });
    auto c = server.Client();
    auto opt = c.Options("/v1/ask", preflight);
    REQUIRE(opt);
    CHECK(opt->status == 204);
    CHECK(opt->get_header_value("Access-Control-Allow-Origin") == "https://good.example");
    CHECK(opt->get_header_value("Access-Control-Allow-Methods") == "POST");
    CHECK(opt->get_header_value("Access-Control-Allow-Headers") == "Content-Type");
    CHECK(opt->get_header_value("Vary") == "Origin");
    auto post = c.Post("/v1/ask", {{"Origin", "https://good.example"}}, Ask("hi"), "application/json");
    REQUIRE(post);
    CHECK(post->get_header_value("Access-Control-Allow-Origin") == "https://good.example");
    // Any other origin, and the other paths, stay closed.
    httplib::Headers evil = {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}};
    auto bad = c.Options("/v1/ask", evil);
    REQUIRE(bad);
    CHECK_FALSE(bad->has_header("Access-Control-Allow-Origin"));
    auto admin = c.Options("/v1/admin/entries", preflight);
    REQUIRE(admin);
    CHECK_FALSE(admin->has_header("Access-Control-Allow-Origin"));
    auto evil_post = c.Post("/v1/ask", {{"Origin", "https://evil.example"}}, Ask("hi"), "application/json");
    REQUIRE(evil_post);
    CHECK_FALSE(evil_post->has_header("Access-Control-Allow-Origin"));
  }
}

TEST_CASE("pages carry a CSP with frame-ancestors 'none' and nosniff; JSON is never sniffed",
          "[adapters][limits][web]") {
  LimitServer server([](adapters::http::HttpOptions* o) {
    o->rate_limit_per_minute = 0;
    o->admin.token = "limits-test-admin-token-0123456789";
  });
  auto c = server.Client();
  for (const char* path : {"/", "/app.js", "/app.css", "/admin", "/admin/admin.js", "/admin/admin.css"}) {
    INFO(path);
    auto r = c.Get(path);
    REQUIRE(r);
    CHECK(r->status == 200);
    std::string csp = r->get_header_value("Content-Security-Policy");
    CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
    CHECK(csp.find("default-src 'none'") != std::string::npos);
    CHECK(csp.find("unsafe-inline") == std::string::npos);
    CHECK(r->get_header_value("X-Content-Type-Options") == "nosniff");
    CHECK_FALSE(r->has_header("Access-Control-Allow-Origin"));
  }
  auto api = c.Post("/v1/ask", Ask("hi"), "application/json");
  REQUIRE(api);
  CHECK(api->get_header_value("X-Content-Type-Options") == "nosniff");
  CHECK(api->get_header_value("Content-Type").find("application/json") == 0);
}
