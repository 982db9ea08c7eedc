// Issue 16: the state replicas share through Redis, against a real
// redis-server on a loopback port (Debian's; scripts/install-deps.sh --test):
// rate limits and Slack event ids shared by two replicas, each call bounded
// when Redis is absent or hung, answers that go on without it, /healthz
// "degraded" and /metrics counting the fallbacks, and the URL's password
// kept out of every message.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "../helpers/redis_server.h"
#include "../helpers/server.h"
#include "app/rate_limit.h"
#include "adapters/redis/redis_client.h"
#include "adapters/redis/shared_state.h"
#include "adapters/chat/slack/slack.h"
#include "chat_test_server.h"

extern char** environ;

namespace {

using adapters::redis::RedisClient;
using adapters::redis::RedisOptions;
using adapters::redis::SharedState;
using chat_testing::FakeApi;
using chat_testing::SlackHeaders;
using chat_testing::WaitFor;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

using testing_helpers::RedisServer;
int FreePort() { return testing_helpers::FreeLoopbackPort(); }

std::unique_ptr<SharedState> Shared(int port, std::chrono::milliseconds retry_after = std::chrono::milliseconds(0)) {
  RedisOptions o;
  o.port = port;
  o.retry_after = retry_after;
  return std::make_unique<SharedState>(std::make_unique<RedisClient>(o));
}

adapters::http::HttpOptions ReplicaOptions(const std::string& redis_url, FakeApi& api, int rate_limit) {
  adapters::http::HttpOptions o = testing_helpers::TestHttpOptions(2);
  o.rate_limit_per_minute = rate_limit;
  o.redis_url = redis_url;
  o.chat.slack.signing_secret = "redis-test-signing-secret";
  o.chat.slack.bot_token = "xoxb-redis-test";
  o.chat.slack.api_base = api.base() + "/api";
  return o;
}

}  // namespace

TEST_CASE("CAREERBOT_REDIS_URL is parsed, and its password never shows in a message", "[redis]") {
  RedisOptions o;
  REQUIRE(adapters::redis::ParseRedisUrl("redis://:s3cret-pass@10.0.0.5:6380/2", &o).ok());
  CHECK(o.host == "10.0.0.5");
  CHECK(o.port == 6380);
  CHECK(o.db == 2);
  CHECK(o.password == "s3cret-pass");
  CHECK(RedisClient(o).Describe().find("s3cret") == std::string::npos);
  RedisOptions d;
  REQUIRE(adapters::redis::ParseRedisUrl("redis://localhost", &d).ok());
  CHECK(d.port == 6379);
  CHECK(d.db == 0);
  for (const char* bad : {"http://x:6379", "redis://:s3cret-pass@host:99999", "redis://:s3cret-pass@host/99",
                          "redis://", "redis://:s3cret-pass@:6379"}) {
    INFO(bad);
    RedisOptions b;
    bot::Status s = adapters::redis::ParseRedisUrl(bad, &b);
    CHECK_FALSE(s.ok());
    CHECK(s.message().find("s3cret") == std::string::npos);
  }
}

TEST_CASE("two replicas share one rate limit through Redis", "[redis]") {
  RedisServer redis;
  auto a = Shared(redis.port()), b = Shared(redis.port());
  adapters::RateLimiter replica1(3), replica2(3);
  replica1.set_shared(a.get());
  replica2.set_shared(b.get());
  int allowed = 0;
  for (int i = 0; i < 3; i++) {
    allowed += replica1.Take("ip:203.0.113.9").allowed;
    allowed += replica2.Take("ip:203.0.113.9").allowed;
  }
  CHECK(allowed == 3);  // not 3 per replica
  auto refused = replica2.Take("ip:203.0.113.9");
  CHECK_FALSE(refused.allowed);
  CHECK(refused.retry_after_s >= 1);
  CHECK(refused.retry_after_s <= 20);
  CHECK(replica1.Take("ip:198.51.100.1").allowed);  // another client has its own bucket
  CHECK(replica1.fallbacks() == 0);
  CHECK(replica2.fallbacks() == 0);
}

TEST_CASE("a Slack event id is remembered once for every replica", "[redis]") {
  RedisServer redis;
  auto a = Shared(redis.port()), b = Shared(redis.port());
  adapters::slack::EventDeduper replica1, replica2;
  replica1.set_shared(a.get());
  replica2.set_shared(b.get());
  CHECK(replica1.FirstSeen("Ev123", 1000));
  CHECK_FALSE(replica2.FirstSeen("Ev123", 1000));
  CHECK_FALSE(replica1.FirstSeen("Ev123", 1000));
  CHECK(replica2.FirstSeen("Ev124", 1000));
}

TEST_CASE("a Slack event retried onto another replica is answered once", "[redis][slack][e2e]") {
  RedisServer redis;
  FakeApi api;
  testing_helpers::TestServer replica1(ReplicaOptions(redis.url(), api, 0));
  testing_helpers::TestServer replica2(ReplicaOptions(redis.url(), api, 0));
  json envelope = {{"token", "ignored"},
                   {"team_id", "T1"},
                   {"type", "event_callback"},
                   {"event_id", "EvReplicas1"},
                   {"authorizations", {{{"team_id", "T1"}, {"user_id", "UBOT0001"}, {"is_bot", true}}}},
                   {"event",
                    {{"type", "app_mention"},
                     {"user", "UHUMAN1"},
                     {"text", "<@UBOT0001> Which databases should I learn?"},
                     {"ts", "1700000001.000200"},
                     {"channel", "C1"},
                     {"event_ts", "1700000001.000200"}}}};
  const std::string body = envelope.dump();
  // The first delivery, then Slack's retry, which the balancer sends elsewhere.
  auto first = replica1.Client()->Post("/slack/events", SlackHeaders("redis-test-signing-secret", body), body,
                                       "application/json");
  httplib::Headers retry = SlackHeaders("redis-test-signing-secret", body);
  retry.emplace("X-Slack-Retry-Num", "1");
  auto second = replica2.Client()->Post("/slack/events", retry, body, "application/json");
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->status == 200);
  CHECK(second->status == 200);
  REQUIRE(WaitFor([&] { return api.CallsTo("/api/chat.postMessage").size() >= 1; }, std::chrono::seconds(15)));
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  CHECK(api.CallsTo("/api/chat.postMessage").size() == 1);
}

TEST_CASE("without Redis, answers go on, each call bounded, and health says degraded", "[redis]") {
  FakeApi api;
  // Nothing listens there.
  testing_helpers::TestServer server(
      ReplicaOptions("redis://127.0.0.1:" + std::to_string(FreePort()) + "/0", api, 1000));
  auto client = server.Client(10);
  for (int i = 0; i < 5; i++) {
    auto t0 = Clock::now();
    auto r = client->Post("/v1/ask", R"({"question": "What is REST?"})", "application/json");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(Clock::now() - t0 < std::chrono::seconds(1));
  }
  auto h = client->Get("/healthz");
  REQUIRE(h);
  CHECK(h->status == 200);
  json health = json::parse(h->body);
  CHECK(health["status"] == "degraded");
  CHECK(health["redis"] == "down");
  const std::string metrics = server.server().RenderMetrics();
  CHECK(metrics.find("careerbot_redis_up 0\n") != std::string::npos);
  CHECK(metrics.find("careerbot_redis_fallbacks_total{what=\"rate_limit\"} 5\n") != std::string::npos);
}

TEST_CASE("a hung Redis costs a call at most its timeout, and is used again once back", "[redis]") {
  RedisServer redis;
  auto shared = Shared(redis.port(), std::chrono::milliseconds(300));
  adapters::RateLimiter limiter(1000);
  limiter.set_shared(shared.get());
  CHECK(limiter.Take("ip:a").allowed);
  CHECK(shared->up());
  redis.Pause();  // accepts connections, answers nothing
  auto t0 = Clock::now();
  CHECK(limiter.Take("ip:a").allowed);  // decided locally
  CHECK(Clock::now() - t0 < std::chrono::milliseconds(600));
  CHECK_FALSE(shared->up());
  CHECK(limiter.fallbacks() == 1);
  // While it is down, calls fail at once.
  t0 = Clock::now();
  for (int i = 0; i < 50; i++) limiter.Take("ip:a");
  CHECK(Clock::now() - t0 < std::chrono::milliseconds(200));
  redis.Resume();
  REQUIRE(WaitFor(
      [&] {
        limiter.Take("ip:a");
        return shared->up();
      },
      std::chrono::seconds(5)));
  auto h = shared->client().Command({"EXISTS", "careerbot:rate:ip:a"});
  REQUIRE(h.ok());
  CHECK(h->integer == 1);
}
