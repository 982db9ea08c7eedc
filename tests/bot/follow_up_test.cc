// Follow-up questions read against the previous turn of the same conversation
// ("and how much do they earn?", "what about Go?"), over an in-memory knowledge base.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "../fakes/fake_retriever.h"
#include "bot/answerer.h"

namespace {

using fakes::MakeEntry;

std::vector<bot::Entry> CareerEntries() {
  return {
      MakeEntry("languages", "Programming languages for backend development",
                "Common choices are Python, Java, JavaScript, Ruby and Go. Pick one and learn it well.",
                {"Which programming languages should a backend developer learn?"}, {"languages"}),
      MakeEntry("go", "Go for backend development", "Yes. Go is a compiled language with good concurrency support.",
                {"Is Go used for backend development?"}, {"go", "golang"}),
      MakeEntry("cloud-engineer", "What cloud engineers do",
                "Cloud engineers build and run cloud infrastructure, platforms and services.",
                {"What do cloud engineers do?"}, {"cloud"}),
      MakeEntry("cloud-engineer-pay", "Cloud engineer salary", "Cloud engineers earn about $130,000 a year.",
                {"How much do cloud engineers earn?"}, {"cloud", "salary"}),
      MakeEntry("backend-pay", "Backend developer salary", "Backend developers earn about $100,000 a year.",
                {"How much do backend developers earn?"}, {"salary"}),
      MakeEntry("databases", "Databases to learn", "Learn PostgreSQL first, then a document store.",
                {"Which databases should I learn?"}, {"databases"}),
  };
}

const char kSynonyms[] = "salary, pay, earn, earns, earnings\n";

struct Bot {
  fakes::FakeRetriever retriever{CareerEntries(), kSynonyms};
  fakes::FakeClock clock;
  fakes::FakeIdGenerator ids;
  bot::Answerer answerer{&retriever, bot::AnswererOptions{}, &clock, &ids};

  bot::Answer Ask(const std::string& text, const std::string& conversation_id = "") {
    bot::Question q;
    q.text = text;
    q.conversation_id = conversation_id;
    auto a = answerer.Ask(q);
    REQUIRE(a.ok());
    return *a;
  }
};

}  // namespace

TEST_CASE("a pay follow-up after a question about cloud engineers answers cloud engineer pay", "[bot][conversation]") {
  Bot b;
  bot::Answer first = b.Ask("What do cloud engineers do?");
  REQUIRE(first.entry_id == "cloud-engineer");
  bot::Answer next = b.Ask("and how much do they earn?", first.conversation_id);
  CHECK(next.answered);
  CHECK(next.entry_id == "cloud-engineer-pay");
  CHECK(next.conversation_id == first.conversation_id);
}

TEST_CASE("the same follow-up without its conversation is read alone", "[bot][conversation]") {
  Bot b;
  bot::Answer first = b.Ask("What do cloud engineers do?");
  bot::Answer alone = b.Ask("and how much do they earn?");
  CHECK(alone.conversation_id != first.conversation_id);
  CHECK(alone.entry_id != "cloud-engineer-pay");
}

TEST_CASE("'what about Go?' after the languages answer gives the Go entry, not the list again", "[bot][conversation]") {
  Bot b;
  bot::Answer first = b.Ask("Which programming languages should a backend developer learn?");
  REQUIRE(first.entry_id == "languages");
  bot::Answer next = b.Ask("what about Go?", first.conversation_id);
  CHECK(next.answered);
  CHECK(next.entry_id == "go");
}

TEST_CASE("a follow-up is read against its own conversation only", "[bot][conversation]") {
  Bot b;
  bot::Answer cloud = b.Ask("What do cloud engineers do?");
  bot::Answer dbs = b.Ask("Which databases should I learn?");
  REQUIRE(dbs.entry_id == "databases");
  bot::Answer next = b.Ask("and how much do they earn?", cloud.conversation_id);
  CHECK(next.entry_id == "cloud-engineer-pay");
}

TEST_CASE("an expired conversation gives no context", "[bot][conversation]") {
  Bot b;
  bot::Answer first = b.Ask("What do cloud engineers do?");
  b.clock.Advance(3600);  // past the default 30-minute ttl
  bot::Answer next = b.Ask("and how much do they earn?", first.conversation_id);
  CHECK(next.entry_id != "cloud-engineer-pay");
  CHECK(next.conversation_id == first.conversation_id);  // the id is kept; only its memory is gone
}
