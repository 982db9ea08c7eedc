// Issue 16: conversations, the question log and feedback shared by replicas
// through a real redis-server on a loopback port (tests/helpers/redis_server.h):
// two in-process servers, one of them the writer (redis_consumer). A
// follow-up asked on one server after the first turn on the other is read
// with its context; feedback given on the writer for an answer from the
// other server is recorded once; questions asked on both reach the writer's
// gaps; with redis-server killed every ask is still answered (alone), health
// says degraded, and once it is back the lines buffered meanwhile arrive.
// Plus the parts on their own: turns and stream events as stored (and
// hostile values refused), the conversation bounds, a bounded buffer while
// Redis is away, and a writer that crashed before acknowledging.
#include <chrono>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "../helpers/redis_server.h"
#include "../helpers/server.h"
#include "adapters/redis/conversations.h"
#include "adapters/redis/log_stream.h"
#include "adapters/redis/redis_client.h"

namespace {

using adapters::redis::LogConsumer;
using adapters::redis::LogEvent;
using adapters::redis::LogShipper;
using adapters::redis::RedisClient;
using adapters::redis::RedisConversations;
using adapters::redis::RedisOptions;
using nlohmann::json;
using testing_helpers::RedisServer;
using testing_helpers::WaitUntil;
using std::chrono::milliseconds;
using std::chrono::seconds;

RedisOptions Options(int port) {
  RedisOptions o;
  o.port = port;
  o.retry_after = milliseconds(100);
  return o;
}

adapters::http::HttpOptions Replica(const RedisServer& redis, bool writer) {
  adapters::http::HttpOptions o = testing_helpers::TestHttpOptions(2);
  o.redis_url = redis.url();
  o.redis_consumer = writer;
  return o;
}

json Ask(httplib::Client& c, const std::string& question, const std::string& conversation = "") {
  json body = {{"question", question}, {"explain", true}};
  if (!conversation.empty()) body["conversation_id"] = conversation;
  auto r = c.Post("/v1/ask", body.dump(), "application/json");
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
  return json::parse(r->body);
}

std::string EntryOf(const json& answer) {
  return answer["sources"].empty() ? "-" : answer["sources"][0]["id"].get<std::string>();
}

int Feedback(httplib::Client& c, const std::string& answer_id, bool helpful) {
  json body = {{"answer_id", answer_id}, {"helpful", helpful}};
  auto r = c.Post("/v1/feedback", body.dump(), "application/json");
  REQUIRE(r);
  return r->status;
}

// The writer's gap lines for `answer_id`.
std::vector<knowledge::LoggedQuestion> GapLines(knowledge::Store& store, const std::string& answer_id) {
  auto gaps = store.ListGapQuestions(0, 0.6);
  REQUIRE(gaps.ok());
  std::vector<knowledge::LoggedQuestion> out;
  for (const auto& q : *gaps) {
    if (q.answer_id == answer_id) out.push_back(q);
  }
  return out;
}

bool HasGapQuestion(knowledge::Store& store, const std::string& question) {
  auto gaps = store.ListGapQuestions(0, 0.6);
  if (!gaps.ok()) return false;
  for (const auto& q : *gaps) {
    if (q.question == question) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a turn is stored in Redis as compact JSON and read back; other values are refused", "[redis]") {
  bot::Turn t;
  t.terms = {"kubernetes", "learn"};
  t.entry_id = "what-is-kubernetes";
  t.names = {"kubernetes"};
  t.topic = {"kubernetes", "learn"};
  t.text = "Which one?";
  t.normalized = "which one";
  t.options = {{"What is Kubernetes?", "what-is-kubernetes"}, {"What is Docker?", "docker-containers"}};
  t.near_miss = true;
  t.named_people = true;
  t.answer_id = "not stored";
  bot::Turn back;
  REQUIRE(adapters::redis::DecodeTurn(adapters::redis::EncodeTurn(t), &back));
  CHECK(back.terms == t.terms);
  CHECK(back.entry_id == t.entry_id);
  CHECK(back.names == t.names);
  CHECK(back.topic == t.topic);
  CHECK(back.text == t.text);
  CHECK(back.normalized == t.normalized);
  REQUIRE(back.options.size() == 2);
  CHECK(back.options[1].entry_id == "docker-containers");
  CHECK(back.near_miss);
  CHECK(back.named_people);
  bot::Turn plain;
  REQUIRE(adapters::redis::DecodeTurn(adapters::redis::EncodeTurn(bot::Turn{}), &plain));
  CHECK_FALSE(plain.near_miss);
  CHECK_FALSE(plain.named_people);
  for (const char* bad : {"", "[]", "{", "{\"t\": \"kubernetes\"}", "{\"t\": [1]}", "{\"o\": [[\"q\"]]}",
                          "{\"o\": {}}", "{\"e\": 5}", "{\"m\": 1}", "{\"p\": \"yes\"}", "{\"s\": [2]}", "null"}) {
    INFO(bad);
    CHECK_FALSE(adapters::redis::DecodeTurn(bad, &back));
  }
}

TEST_CASE("stream events of the question log are read back; anything else is refused", "[redis]") {
  LogEvent q;
  q.line.answer_id = "01a24bc3f70fa7bb9ad0ff164287902a";
  q.line.asked_at = 1700000000;
  q.line.channel = "slack";
  q.line.question = "How do I become a \"zookeeper\"?\n";
  q.line.normalized = "zookeep";
  q.line.kind = "fallback";
  q.line.confidence = 0.25;
  LogEvent back;
  REQUIRE(adapters::redis::DecodeLogEvent(adapters::redis::EncodeLogEvent(q), &back));
  CHECK_FALSE(back.feedback);
  CHECK(back.line.answer_id == q.line.answer_id);
  CHECK(back.line.question == q.line.question);
  CHECK(back.line.channel == "slack");
  CHECK(back.line.confidence == Approx(0.25));
  CHECK(back.line.offered.empty());
  CHECK(back.line.clarifies.empty());
  // A clarification's options and a choice's clarification travel too.
  q.line.offered = "docker-basics docker-needed";
  q.line.clarifies = "0123456789abcdef0123456789abcdef";
  REQUIRE(adapters::redis::DecodeLogEvent(adapters::redis::EncodeLogEvent(q), &back));
  CHECK(back.line.offered == q.line.offered);
  CHECK(back.line.clarifies == q.line.clarifies);
  CHECK_FALSE(adapters::redis::DecodeLogEvent(
      R"({"k":"q","a":"x","at":1,"ch":"web","q":"q","kind":"kb","ok":true,"c":1,"cl":5})", &back));
  LogEvent f;
  f.feedback = true;
  f.answer_id = "abc";
  f.helpful = false;
  f.comment = "wrong";
  f.at = 5;
  REQUIRE(adapters::redis::DecodeLogEvent(adapters::redis::EncodeLogEvent(f), &back));
  CHECK(back.feedback);
  CHECK(back.answer_id == "abc");
  CHECK_FALSE(back.helpful);
  for (const std::string& bad :
       {std::string(""), std::string("{}"), std::string(R"({"k":"f","a":"x","h":1,"at":1})"),
        std::string(R"({"k":"f","a":"","h":true,"at":1})"), std::string(R"({"k":"x","a":"x","at":1})"),
        std::string(R"({"k":"q","a":"x","at":1})"), std::string(R"({"k":"f","a":"x","h":true,"at":"1"})"),
        R"({"k":"f","h":true,"at":1,"a":")" + std::string(200, 'a') + "\"}"}) {
    INFO(bad);
    CHECK_FALSE(adapters::redis::DecodeLogEvent(bad, &back));
  }
}

TEST_CASE("conversations in Redis keep the in-memory store's bounds", "[redis]") {
  RedisServer redis;
  RedisClient client(Options(redis.port()));
  RedisConversations conversations(client, 3600, /*max_conversations=*/3, /*ttl_seconds=*/1800);
  for (int i = 0; i < 6; i++) {
    bot::Turn t;
    t.entry_id = "e" + std::to_string(i);
    t.answer_id = "a" + std::to_string(i);
    conversations.Add("c1", t);
  }
  auto turns = conversations.Recent("c1");
  REQUIRE(turns.size() == bot::Conversations::kMaxTurns);
  CHECK(turns.front().entry_id == "e2");
  CHECK(turns.back().entry_id == "e5");
  auto ttl = client.Command({"TTL", RedisConversations::Key("c1")});
  REQUIRE(ttl.ok());
  CHECK(ttl->integer > 1700);
  CHECK(ttl->integer <= 1800);
  // The answer ids are known to every replica, for the log's retention.
  auto answer_ttl = client.Command({"TTL", RedisConversations::AnswerKey("a5")});
  REQUIRE(answer_ttl.ok());
  CHECK(answer_ttl->integer > 3500);
  // At most 3 conversations: the least recently used goes.
  for (const char* id : {"c2", "c3", "c1", "c4"}) conversations.Add(id, bot::Turn{});
  CHECK(conversations.Recent("c2").empty());
  CHECK_FALSE(conversations.Recent("c3").empty());
  CHECK_FALSE(conversations.Recent("c1").empty());
  CHECK_FALSE(conversations.Recent("c4").empty());
  CHECK(conversations.fallbacks() == 0);
  // A value that is not a turn (written by anything else) is skipped.
  REQUIRE(client.Command({"RPUSH", RedisConversations::Key("c4"), "not json"}).ok());
  CHECK(conversations.Recent("c4").size() == 1);
  // Down: no turns, nothing thrown, counted.
  redis.Kill();
  CHECK(conversations.Recent("c1").empty());
  conversations.Add("c1", bot::Turn{});
  CHECK(conversations.fallbacks() == 2);
}

TEST_CASE("log lines wait in a bounded buffer while Redis is away, and are sent when it is back", "[redis]") {
  RedisServer redis;
  RedisClient sender(Options(redis.port())), checker(Options(redis.port()));
  redis.Kill();
  LogShipper shipper(sender, checker, 3600, /*capacity=*/3);
  knowledge::LoggedQuestion q;
  q.channel = "http";
  q.question = "What is REST?";
  q.kind = "kb";
  int accepted = 0;
  for (int i = 0; i < 5; i++) {
    q.answer_id = "answer-" + std::to_string(i);
    accepted += shipper.Append(q);
  }
  CHECK(accepted == 3);
  CHECK(shipper.stats().dropped == 2);
  CHECK(shipper.stats().queued == 3);
  CHECK_FALSE(shipper.AnswerKnown("answer-0").ok());  // cannot be told while Redis is away
  redis.Start();
  REQUIRE(shipper.Flush(seconds(10)));
  CHECK(shipper.stats().sent == 3);
  auto len = checker.Command({"XLEN", adapters::redis::kLogStream});
  REQUIRE(len.ok());
  CHECK(len->integer == 3);
  auto known = shipper.AnswerKnown("answer-2");
  REQUIRE(known.ok());
  CHECK(*known);
  auto unknown = shipper.AnswerKnown("answer-4");  // dropped
  REQUIRE(unknown.ok());
  CHECK_FALSE(*unknown);
}

TEST_CASE("the writer logs each line once, skips what is not an event, and reads again what it had not acknowledged",
          "[redis]") {
  RedisServer redis;
  RedisClient sender(Options(redis.port())), raw(Options(redis.port()));
  auto store = testing_helpers::OpenKnowledge();
  adapters::Service service(store.get());
  LogShipper shipper(sender, raw, 3600);
  knowledge::LoggedQuestion q;
  q.answer_id = "0123456789abcdef0123456789abcdef";
  q.asked_at = static_cast<int64_t>(std::time(nullptr));
  q.channel = "discord";
  q.question = "How do I become a lighthouse keeper?";
  q.kind = "fallback";
  q.answered = false;
  // Sent twice (a batch whose reply was lost is sent again), a stranger's
  // entry in between, and feedback on it.
  shipper.Append(q);
  REQUIRE(raw.Command({"XADD", adapters::redis::kLogStream, "*", "e", "{not json"}).ok());
  REQUIRE(raw.Command({"XADD", adapters::redis::kLogStream, "*", "other", "field"}).ok());
  shipper.Append(q);
  shipper.AppendFeedback(q.answer_id, false, "not what I asked", q.asked_at + 1);
  REQUIRE(shipper.Flush(seconds(5)));
  // A writer that read all of it and crashed before acknowledging anything.
  REQUIRE(raw.Command({"XGROUP", "CREATE", adapters::redis::kLogStream, adapters::redis::kLogGroup, "0"}).ok());
  auto delivered = raw.Command({"XREADGROUP", "GROUP", adapters::redis::kLogGroup, "writer", "COUNT", "100",
                                "STREAMS", adapters::redis::kLogStream, ">"});
  REQUIRE(delivered.ok());
  REQUIRE(delivered->type == adapters::redis::Reply::kArray);
  auto pending = raw.Command({"XPENDING", adapters::redis::kLogStream, adapters::redis::kLogGroup});
  REQUIRE(pending.ok());
  CHECK(pending->elements[0].integer == 5);
  // The writer again, under the same name: it reads its pending entries.
  RedisOptions consumer_options = Options(redis.port());
  consumer_options.command_timeout = LogConsumer::kBlock + milliseconds(1000);
  RedisClient consumer_client(consumer_options);
  LogConsumer consumer(consumer_client, service);
  consumer.Start();
  REQUIRE(WaitUntil([&] { return consumer.stats().feedback == 1; }, seconds(10)));
  consumer.Stop();
  CHECK(consumer.stats().lines == 2);  // the same line twice: logged once
  CHECK(consumer.stats().malformed == 2);
  auto lines = GapLines(*store, q.answer_id);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].helpful == 0);
  CHECK(lines[0].channel == "discord");
  pending = raw.Command({"XPENDING", adapters::redis::kLogStream, adapters::redis::kLogGroup});
  REQUIRE(pending.ok());
  CHECK(pending->elements[0].integer == 0);
}

TEST_CASE("two servers sharing one Redis: follow-ups, feedback and the question log, Redis killed and back",
          "[redis][e2e]") {
  RedisServer redis;
  testing_helpers::TestServer a(Replica(redis, false));
  testing_helpers::TestServer writer(Replica(redis, true));
  auto ca = a.Client(), cw = writer.Client();

  // A follow-up on the writer after the first turn on A is read with its
  // context; the same follow-up alone is answered otherwise (declined here).
  json first = Ask(*ca, "What is Docker?");
  REQUIRE(first["answered"] == true);
  json alone = Ask(*cw, "how popular is it?");
  json second = Ask(*cw, "how popular is it?", first["conversation_id"]);
  CHECK(second["explain"]["context"]["used"] == true);
  CHECK(EntryOf(second) != EntryOf(alone));
  CHECK(second["conversation_id"] == first["conversation_id"]);
  // And the third turn back on A, with the context of both.
  json third_alone = Ask(*ca, "how much of it does a backend developer need?");
  json third = Ask(*ca, "how much of it does a backend developer need?", first["conversation_id"]);
  CHECK(third["explain"]["context"]["used"] == true);
  CHECK(EntryOf(third) != EntryOf(third_alone));

  // Feedback on the writer for A's answer: recorded once, in the writer's log.
  CHECK(Feedback(*cw, first["answer_id"], false) == 200);
  CHECK(Feedback(*cw, "0123456789abcdef0123456789abcdef", false) == 404);  // no such answer anywhere
  CHECK(Feedback(*ca, "not-an-answer", true) == 404);
  REQUIRE(WaitUntil([&] { return GapLines(writer.store(), first["answer_id"]).size() == 1 &&
                                 GapLines(writer.store(), first["answer_id"])[0].helpful == 0; },
                    seconds(10)));
  // Feedback on A for the writer's answer (A keeps a log of its own too).
  CHECK(Feedback(*ca, second["answer_id"], false) == 200);
  REQUIRE(WaitUntil([&] { return GapLines(writer.store(), second["answer_id"]).size() == 1; }, seconds(10)));

  // Questions asked on both servers reach the writer's gaps.
  Ask(*ca, "How do I become a lighthouse keeper?");
  Ask(*cw, "How do I become a beekeeper?");
  REQUIRE(WaitUntil([&] { return HasGapQuestion(writer.store(), "How do I become a lighthouse keeper?") &&
                                 HasGapQuestion(writer.store(), "How do I become a beekeeper?"); },
                    seconds(10)));
  auto lines = GapLines(writer.store(), first["answer_id"]);
  CHECK(lines.size() == 1);

  // redis-server killed: every ask is still answered, alone; health degraded.
  redis.Kill();
  for (int i = 0; i < 3; i++) {
    json again = Ask(*ca, "What is Docker?");
    CHECK(again["answered"] == true);
    json follow = Ask(*cw, "how popular is it?", again["conversation_id"]);  // single turn: no context
    CHECK(EntryOf(follow) == EntryOf(alone));
  }
  Ask(*ca, "How do I become a glassblower?");
  auto h = ca->Get("/healthz");
  REQUIRE(h);
  CHECK(h->status == 200);
  CHECK(json::parse(h->body)["status"] == "degraded");
  std::string metrics = a.server().RenderMetrics();
  CHECK(metrics.find("careerbot_redis_fallbacks_total{what=\"conversation\"} 0\n") == std::string::npos);
  CHECK(metrics.find("careerbot_redis_log_buffered 0\n") == std::string::npos);
  CHECK(metrics.find("careerbot_redis_log_dropped_total 0\n") != std::string::npos);
  // Feedback on another server's answer cannot be checked now: 503, not a wrong 404.
  CHECK(Feedback(*ca, second["answer_id"], true) == 503);

  // Back (empty: no persistence): the lines buffered meanwhile arrive.
  redis.Start();
  REQUIRE(WaitUntil([&] { return HasGapQuestion(writer.store(), "How do I become a glassblower?"); }, seconds(15)));
  REQUIRE(WaitUntil([&] { return json::parse(ca->Get("/healthz")->body)["status"] == "ok"; }, seconds(5)));
  json fresh = Ask(*ca, "What is Docker?");
  json fresh_follow = Ask(*cw, "how popular is it?", fresh["conversation_id"]);
  CHECK(fresh_follow["explain"]["context"]["used"] == true);
}

TEST_CASE("a clarification asked on one replica and chosen on another after its Redis key expired is logged resolved",
          "[redis][e2e][clarify][expired]") {
  RedisServer redis;
  testing_helpers::TestServer a(Replica(redis, false));
  testing_helpers::TestServer writer(Replica(redis, true));
  auto ca = a.Client(), cw = writer.Client();
  // A question the shipped knowledge is unsure about (ours, not from an evaluation set).
  json clarification;
  std::string asked;
  for (const char* q : {"can self taught people get hired for backend roles",
                        "Is backend development stressful and is the market good?",
                        "Do companies still hire junior backend devs from bootcamps?"}) {
    clarification = Ask(*ca, q);
    asked = q;
    if (clarification["kind"] == "clarify" && clarification["options"].size() >= 2) break;
  }
  REQUIRE(clarification["kind"] == "clarify");
  const std::string conversation = clarification["conversation_id"];
  const json option = clarification["options"][1];
  // The conversation's key expires in Redis.
  RedisClient probe(Options(redis.port()));
  REQUIRE(probe.Command({"DEL", RedisConversations::Key(conversation)}).ok());

  auto choose = [&](const std::string& entry) {
    json body = {{"question", option["question"]}, {"conversation_id", conversation}, {"entry_id", entry},
                 {"clarification_id", clarification["answer_id"]}};
    auto r = cw->Post("/v1/ask", body.dump(), "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return json::parse(r->body);
  };
  // A forged choice (an entry not offered) first: answered, not logged as a choice.
  json forged = choose("demand-tech-boom");
  json chosen = choose(option["entry_id"]);
  REQUIRE(WaitUntil([&] { return GapLines(writer.store(), chosen["answer_id"]).size() == 1; }, seconds(10)));
  auto line = GapLines(writer.store(), chosen["answer_id"])[0];
  CHECK(line.kind == "clarified");
  CHECK(line.entry_id == option["entry_id"]);
  CHECK(line.question == asked);
  // The forged one is a plain answer of its entry (confident: no gap line at all, or not a choice).
  for (const auto& q : GapLines(writer.store(), forged["answer_id"])) CHECK(q.kind != "clarified");
}

TEST_CASE("a pooled connection that Redis closed is replaced at once, without failing the call", "[redis]") {
  RedisServer redis;
  RedisOptions o = Options(redis.port());
  o.retry_after = seconds(5);
  RedisClient client(o);
  REQUIRE(client.Command({"SET", "k", "1"}).ok());
  redis.Kill();
  redis.Start();  // empty, same port: the pooled connection is closed
  auto r = client.Command({"GET", "k"});
  REQUIRE(r.ok());  // not "down" for 5 s
  CHECK(r->type == adapters::redis::Reply::kNil);
  CHECK(client.up());
  CHECK(client.failures() == 0);
  // Down for real: the call fails, and the next ones at once.
  redis.Kill();
  CHECK_FALSE(client.Command({"GET", "k"}).ok());
  CHECK(client.failures() >= 1);
}
