// Asking back when unsure (kind "clarify"): the options, choosing one by
// number, by its text or by entry id, and what still declines.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "../fakes/fake_retriever.h"
#include "bot/answerer.h"

namespace {

using fakes::MakeEntry;

std::vector<bot::Entry> Entries() {
  return {
      MakeEntry("docker-basics", "Docker for backend developers", "Docker packages an app with what it needs to run.",
                {"What is Docker used for by backend developers?"}, {"docker", "containers"}),
      MakeEntry("docker-needed", "How much Docker a backend developer needs",
                "Juniors need the basics of Docker; seniors build and ship images.",
                {"How much Docker does a backend developer need?"}, {"docker", "hiring"}),
      MakeEntry("docker-popularity", "Docker's popularity", "Docker is the most used container tool in surveys.",
                {"How popular is Docker?"}, {"docker", "survey"}),
      MakeEntry("backend-pay", "Backend developer salary", "Backend developers earn about $100,000 a year.",
                {"How much do backend developers earn?"}, {"salary"}),
      MakeEntry("pay-mars", "Backend pay on Mars", "The knowledge base has no figure for pay on Mars.",
                {"How much do backend developers earn on Mars?"}, {"no-answer"}),
  };
}

const char kSynonyms[] =
    "@domain: backend, developer\nsalary, pay, earn, earns, earnings\ndeveloper, developers, dev, devs\n";

struct Bot {
  fakes::FakeRetriever retriever{Entries(), kSynonyms};
  fakes::FakeClock clock;
  fakes::FakeIdGenerator ids;
  bot::Answerer answerer;
  // A high threshold puts a question that only names Docker in the band.
  explicit Bot(double threshold = 0.95, double floor = 0.3)
      : answerer(&retriever, Options(threshold, floor), &clock, &ids) {}
  static bot::AnswererOptions Options(double threshold, double floor) {
    bot::AnswererOptions o;
    o.threshold = threshold;
    o.clarify_floor = floor;
    return o;
  }
  bot::Result<bot::Answer> Try(const std::string& text, const std::string& conversation = "",
                               const std::string& entry_id = "") {
    bot::Question q;
    q.text = text;
    q.conversation_id = conversation;
    q.entry_id = entry_id;
    return answerer.Ask(q);
  }
  bot::Answer Ask(const std::string& text, const std::string& conversation = "", const std::string& entry_id = "") {
    auto a = Try(text, conversation, entry_id);
    REQUIRE(a.ok());
    return *a;
  }
};

// Asks `text` once of a bot over `entries`, in Bot's band (threshold 0.95, floor 0.3).
bot::Answer AskOnce(const std::vector<bot::Entry>& entries, const std::string& text) {
  fakes::FakeRetriever retriever{entries, kSynonyms};
  fakes::FakeClock clock;
  fakes::FakeIdGenerator ids;
  bot::Answerer answerer(&retriever, Bot::Options(0.95, 0.3), &clock, &ids);
  bot::Question q;
  q.text = text;
  auto a = answerer.Ask(q);
  REQUIRE(a.ok());
  return *a;
}

std::vector<std::string> OptionIds(const bot::Answer& a) {
  std::vector<std::string> ids;
  for (const auto& o : a.options) ids.push_back(o.entry_id);
  return ids;
}

}  // namespace

TEST_CASE("unsure between plausible entries, the bot asks back with their own questions", "[bot][clarify]") {
  Bot b;
  bot::Answer a = b.Ask("docker?");
  REQUIRE(a.kind == "clarify");
  CHECK_FALSE(a.answered);
  CHECK(a.entry_id.empty());
  CHECK(a.text.find("Did you mean") != std::string::npos);
  // The text lists the options numbered, for channels that show text only.
  CHECK(a.text.find("\n1. " + a.options[0].question) != std::string::npos);
  CHECK(a.text.find("\n2. " + a.options[1].question) != std::string::npos);
  REQUIRE(a.options.size() >= 2);
  CHECK(a.options.size() <= 3);
  std::vector<std::string> ids = OptionIds(a);
  for (const auto& id : ids) CHECK(id.rfind("docker-", 0) == 0);  // one per likely entry, each a Docker entry
  std::sort(ids.begin(), ids.end());
  CHECK(std::unique(ids.begin(), ids.end()) == ids.end());
  // Each option is its entry's own first question.
  for (const auto& o : a.options) {
    for (const auto& e : Entries()) {
      if (e.id == o.entry_id) CHECK(o.question == e.questions[0]);
    }
  }
}

TEST_CASE("replying with an option's number answers that entry in the same conversation", "[bot][clarify]") {
  Bot b;
  bot::Answer a = b.Ask("docker?", "conv");
  REQUIRE(a.kind == "clarify");
  REQUIRE(a.options.size() >= 2);
  bot::Answer chosen = b.Ask("2", "conv");
  CHECK(chosen.kind == "kb");
  CHECK(chosen.answered);
  CHECK(chosen.entry_id == a.options[1].entry_id);
  CHECK(chosen.clarified_question == "docker?");
  // "2" means nothing once the clarification is answered.
  bot::Answer again = b.Ask("2", "conv");
  CHECK(again.kind != "kb");
  // Nor in another conversation.
  b.Ask("docker?", "other");
  CHECK(b.Ask("7", "other").kind != "kb");  // out of range
}

TEST_CASE("an option's text or its entry id chooses it too", "[bot][clarify]") {
  Bot b;
  bot::Answer a = b.Ask("docker?", "c1");
  REQUIRE(a.kind == "clarify");
  bot::Answer by_text = b.Ask(a.options[0].question, "c1");
  CHECK(by_text.entry_id == a.options[0].entry_id);
  CHECK(by_text.clarified_question == "docker?");

  bot::Answer a2 = b.Ask("docker?", "c2");
  REQUIRE(a2.kind == "clarify");
  const auto& last = a2.options.back();
  bot::Answer by_id = b.Ask(last.question, "c2", last.entry_id);
  CHECK(by_id.kind == "kb");
  CHECK(by_id.entry_id == last.entry_id);
  CHECK(by_id.clarified_question == "docker?");

  // An entry id without a clarification still asks that entry, not as a resolution.
  bot::Answer direct = b.Ask("How popular is Docker?", "", "docker-popularity");
  CHECK(direct.entry_id == "docker-popularity");
  CHECK(direct.clarified_question.empty());
  // An unknown entry is not found.
  auto unknown = b.Try("How popular is Docker?", "", "no-such-entry");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().code() == bot::Status::Code::kNotFound);
}

TEST_CASE("near misses and off-topic questions still decline, never asked back", "[bot][clarify]") {
  Bot b;
  for (const char* q : {"How much does a firefighter earn?", "What is the capital of France?",
                        "how do I bake sourdough bread?"}) {
    bot::Answer a = b.Ask(q);
    INFO(q);
    CHECK(a.kind == "fallback");
    CHECK(a.options.empty());
  }
  // A question the knowledge records it cannot answer declines with its reason.
  bot::Answer mars = Bot(0.5, 0.3).Ask("How much do backend developers earn on Mars?");
  CHECK(mars.kind == "fallback");
  CHECK(mars.options.empty());
}

TEST_CASE("a confident answer is never a clarification; a floor of 1 turns them off", "[bot][clarify]") {
  Bot normal(0.54, 0.46);
  CHECK(normal.Ask("How much Docker does a backend developer need?").kind == "kb");
  Bot off(0.95, 1.0);
  CHECK(off.Ask("docker?").kind == "fallback");
}

TEST_CASE("a question about a profession no entry is about is never asked back, though a body names it",
          "[bot][clarify]") {
  // "teachers" is in one entry's body, so the knowledge base knows the word and
  // the question is not made of unknown words; still no entry is about
  // teachers, and offering the Docker entries would answer another question.
  std::vector<bot::Entry> entries = Entries();
  entries.push_back(MakeEntry("docker-in-class", "Docker in class", "Some teachers use Docker to hand out lab setups.",
                              {"Is Docker used in class?"}, {"docker", "learning"}));
  bot::Answer teacher = AskOnce(entries, "How much Docker does a teacher need?");
  CHECK(teacher.kind == "fallback");
  CHECK(teacher.options.empty());
  // The same question about a thing the same body names is asked back.
  CHECK(AskOnce(entries, "How much Docker does a lab need?").kind == "clarify");
}

TEST_CASE("an option must be about one of the question's rarest words, not merely mention it", "[bot][clarify]") {
  // "math" and "statistics" are only in a body: an entry about what a backend
  // developer needs explains the rest of the question, but no entry is about
  // what it asks.
  std::vector<bot::Entry> entries = Entries();
  entries.push_back(MakeEntry("docker-theory", "Docker under the hood",
                              "Docker needs no math or statistics, only Linux basics.", {"How does Docker work inside?"},
                              {"docker", "linux"}));
  bot::Answer a = AskOnce(entries, "Does a backend developer need math and statistics?");
  CHECK(a.kind == "fallback");
  CHECK(a.options.empty());
}

TEST_CASE("filler framing a question does not count as words the knowledge lacks: it is still asked back",
          "[bot][clarify]") {
  // "wondered" (a verb opening an embedded question) and "ideally" (an
  // adverb only) are filler: only "docker" is the question's topic, which
  // three entries are about. Counted as unknown topic words they would make
  // the question look like one about something else, and it would decline.
  Bot b;
  for (const char* q : {"I was wondering if docker?", "Ideally, docker?"}) {
    INFO(q);
    bot::Answer a = b.Ask(q);
    CHECK(a.kind == "clarify");
    CHECK(a.options.size() >= 2);
  }
  // A word the knowledge lacks that is no filler still declines.
  CHECK(b.Ask("I was wondering if docker mittens?").kind == "fallback");
}
