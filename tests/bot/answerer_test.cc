// The answering core against an in-memory knowledge base (tests/fakes).
#include "bot/answerer.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "bot/conversation.h"
#include "bot/text.h"
#include "../fakes/fake_retriever.h"

namespace {

using fakes::MakeEntry;

bot::Turn MakeTurn(const std::string& term, const std::string& entry) {
  bot::Turn t;
  t.terms = {term};
  t.entry_id = entry;
  return t;
}

const char kTestSynonyms[] =
    "@domain: backend, developer, programming, api, database\n"
    "salary, salaries, pay, earn, earns, earnings, compensation, income\n"
    "programming language, programming languages, language, languages, coding language\n"
    "backend, back-end, back end, server-side\n"
    "developer, developers, dev, devs, programmer, programmers\n"
    "remote, remotely, work from home, wfh\n"
    "database, databases, db\n"
    "golang, go language\n";

const char kLongBody[] =
    "Backend developers are in high demand because almost every company now runs software. "
    "The tech industry keeps growing, and new products need servers, data and APIs behind them. "
    "Cloud computing moved many systems to platforms such as AWS, Azure and Google Cloud. "
    "Mobile apps need backends too, since phones talk to servers for nearly everything. "
    "Software keeps getting more complex, which calls for more skilled engineers. "
    "New frameworks and tools appear every year, and companies need people who can adopt them. "
    "Security and privacy rules also require careful work on the server side. "
    "Remote work has widened the market, so a developer can work for companies far away. "
    "Startups and large enterprises alike compete for the same experienced people. "
    "All of this keeps the demand for backend developers strong for the foreseeable future.";

std::vector<bot::Entry> TestEntries() {
  std::vector<bot::Entry> entries;
  entries.push_back(MakeEntry("what-is-backend", "What a backend developer does",
                              "Backend developers build the server side of websites and apps. They write the logic, "
                              "store the data and connect everything behind the scenes.",
                              {"What does a backend developer do?", "What is backend development?"},
                              {"role", "basics"}));
  entries.push_back(MakeEntry("backend-salary", "Backend developer salary",
                              "In the United States the average base salary of a backend developer is about 100,000 "
                              "dollars a year. Experienced engineers earn 150,000 dollars or more.",
                              {"How much do backend developers earn?",
                               "What is the average salary of a backend developer?"},
                              {"salary"}));
  entries.push_back(MakeEntry("languages", "Programming languages for backend developers",
                              "The most common backend languages are Python, Java, JavaScript with Node.js, Go and C#. "
                              "Pick one and learn it well.",
                              {"Which programming languages should I learn?",
                               "What languages do backend developers use?"},
                              {"languages"}));
  entries.push_back(MakeEntry("python", "Python for backend development",
                              "Python is a popular backend language with frameworks such as Django and Flask. It is "
                              "easy to read and widely used.",
                              {"Is Python good for backend development?", "Should I learn Python?"}, {"python"}));
  entries.push_back(MakeEntry("golang", "Go for backend development",
                              "Go is a fast compiled language from Google, used for APIs, cloud services and tools "
                              "like Docker and Kubernetes.",
                              {"What is Go?", "Is Go used for backend development?", "Should I learn Golang?"},
                              {"go"}));
  entries.push_back(MakeEntry("go-salary", "Go developer salary",
                              "Go developers earn about 120,000 dollars a year in the United States, a little more "
                              "than the backend average.",
                              {"How much do Go developers earn?"}, {"salary"}));
  entries.push_back(MakeEntry("databases", "Databases backend developers use",
                              "Learn SQL first with PostgreSQL or MySQL. NoSQL databases such as MongoDB and Redis are "
                              "useful too.",
                              {"Which databases should a backend developer learn?", "SQL or NoSQL?"},
                              {"databases"}));
  entries.push_back(MakeEntry("remote", "Remote work for backend developers",
                              "Many backend jobs can be done from home, and remote positions are common in the field.",
                              {"Can backend developers work remotely?"}, {"remote"}));
  entries.push_back(MakeEntry("demand", "The demand for backend developers", kLongBody,
                              {"Why are backend developers in demand?"}, {"demand"}));
  entries.push_back(MakeEntry("pay-india", "Backend developer pay in India",
                              "The knowledge base has no reliable figure for backend pay in India yet.",
                              {"How much do backend developers earn in India?"}, {"no-answer"}));
  return entries;
}

struct Fixture {
  fakes::FakeRetriever retriever{TestEntries(), kTestSynonyms};
  fakes::FakeClock clock;
  fakes::FakeIdGenerator ids;
  bot::Answerer answerer;
  explicit Fixture(bot::AnswererOptions options = {}) : answerer(&retriever, options, &clock, &ids) {}

  bot::Answer Ask(const std::string& text, const std::string& conversation = "", bool explain = false) {
    bot::Question q;
    q.text = text;
    q.conversation_id = conversation;
    q.explain = explain;
    auto a = answerer.Ask(q);
    INFO("question: " << text << ", status: " << a.status().ToString());
    REQUIRE(a.ok());
    return *a;
  }
};

// Twelve entries on unrelated backend topics, so that the words of the
// entries a test is about are rare, as in the real knowledge base.
void AddUnrelatedTopics(std::vector<bot::Entry>* entries) {
  for (const char* topic : {"queues", "caching", "testing", "logging", "security", "containers", "monitoring",
                            "indexes", "sessions", "migrations", "sharding", "webhooks"}) {
    entries->push_back(MakeEntry(topic, std::string("Backend ") + topic, std::string("About ") + topic + ".",
                                 {std::string("What is ") + topic + "?"}, {topic}));
  }
}

const bot::Entry* FindEntry(const std::vector<bot::Entry>& entries, const std::string& id) {
  for (const auto& e : entries) {
    if (e.id == id) return &e;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("answers a question phrased as an entry's alternate question", "[bot][answerer]") {
  Fixture f;
  auto a = f.Ask("What is the average salary of a backend developer?");
  CHECK(a.kind == "kb");
  CHECK(a.answered);
  CHECK(a.entry_id == "backend-salary");
  CHECK(a.confidence >= f.answerer.options().threshold);
  CHECK(a.confidence <= 1.0);
  REQUIRE(a.sources.size() == 1);
  CHECK(a.sources[0].id == "backend-salary");
  CHECK(a.sources[0].title == "Backend developer salary");
  CHECK(a.sources[0].article == "Test Article");
  CHECK(a.text.find("100,000") != std::string::npos);

  auto b = f.Ask("What languages do backend developers use?");
  CHECK(b.kind == "kb");
  CHECK(b.entry_id == "languages");
  CHECK(b.confidence >= f.answerer.options().threshold);
}

TEST_CASE("answer and conversation ids come from the IdGenerator", "[bot][answerer]") {
  Fixture f;
  auto a = f.Ask("What does a backend developer do?");
  CHECK(a.answer_id == "id-1");
  CHECK(a.conversation_id == "id-2");
  auto b = f.Ask("What does a backend developer do?", "my-conversation");
  CHECK(b.answer_id == "id-3");
  CHECK(b.conversation_id == "my-conversation");
}

TEST_CASE("declines questions the knowledge base does not cover", "[bot][answerer]") {
  Fixture f;
  SECTION("off-topic") {
    for (const char* q : {"What is the capital of France?", "How do I bake sourdough bread?",
                          "Who won the football world cup?"}) {
      auto a = f.Ask(q);
      INFO(q);
      CHECK(a.kind == "fallback");
      CHECK_FALSE(a.answered);
      CHECK(a.entry_id.empty());
      CHECK(a.sources.empty());
      CHECK(a.confidence < f.answerer.options().threshold);
      CHECK_FALSE(a.text.empty());
    }
  }
  SECTION("a near miss whose key noun is unknown") {
    auto a = f.Ask("How much does a dentist earn?", "", /*explain=*/true);
    CHECK(a.kind == "fallback");
    CHECK_FALSE(a.answered);
    CHECK(a.confidence < f.answerer.options().threshold);
    REQUIRE(a.explanation);
    // It was a near miss, not a miss: the salary entry was found and rejected.
    CHECK_FALSE(a.explanation->winner_id.empty());
    CHECK(a.explanation->coverage < 0.5);
  }
  SECTION("the same question about a developer is answered") {
    auto a = f.Ask("How much does a backend developer earn?");
    CHECK(a.kind == "kb");
    CHECK(a.entry_id == "backend-salary");
  }
}

TEST_CASE("an entry tagged no-answer declines with its own explanation and source", "[bot][answerer]") {
  Fixture f;
  auto a = f.Ask("How much do backend developers earn in India?");
  CHECK(a.kind == "fallback");
  CHECK_FALSE(a.answered);
  CHECK(a.text == FindEntry(TestEntries(), "pay-india")->body);
  REQUIRE(a.sources.size() == 1);
  CHECK(a.sources[0].id == "pay-india");
  CHECK(a.suggestions.size() <= 3);
}

TEST_CASE("small talk is answered as small talk", "[bot][answerer]") {
  Fixture f;
  for (const char* q : {"hi", "Hello there!", "thanks!", "Thank you so much", "who are you?", "help", "bye"}) {
    auto a = f.Ask(q);
    INFO(q);
    CHECK(a.kind == "smalltalk");
    CHECK(a.answered);
    CHECK(a.sources.empty());
    CHECK_FALSE(a.text.empty());
  }
  CHECK(f.Ask("hi").normalized_question == "smalltalk:greeting");
  CHECK(f.Ask("thanks!").normalized_question == "smalltalk:thanks");
  CHECK(f.Ask("who are you?").normalized_question == "smalltalk:identity");
  CHECK(f.Ask("help").normalized_question == "smalltalk:help");
}

TEST_CASE("a greeting followed by a real question is not small talk", "[bot][answerer]") {
  Fixture f;
  auto a = f.Ask("hi, what languages should I learn?");
  CHECK(a.kind != "smalltalk");
  CHECK(a.kind == "kb");
  CHECK(a.entry_id == "languages");
  // A courtesy word in front of a real question is not a topic word.
  auto b = f.Ask("thanks, and how much do backend developers earn?", "", /*explain=*/true);
  REQUIRE(b.explanation);
  INFO("query terms: " << ::Catch::Detail::stringify(b.explanation->query_terms) << ", confidence "
                       << b.confidence);
  CHECK(b.kind == "kb");
  CHECK(b.entry_id == "backend-salary");
}

TEST_CASE("the same question gives the same answer every time", "[bot][answerer]") {
  Fixture f;
  const char* questions[] = {"Why are backend developers in demand?", "How much does a dentist earn?",
                             "Should I learn Python or Go?", "Which databases are used?"};
  for (const char* q : questions) {
    INFO(q);
    auto a = f.Ask(q);
    auto b = f.Ask(q);
    CHECK(a.text == b.text);
    CHECK(a.confidence == b.confidence);
    CHECK(a.kind == b.kind);
    CHECK(a.entry_id == b.entry_id);
    CHECK(a.suggestions == b.suggestions);
    // A second answerer over the same knowledge agrees.
    Fixture g;
    auto c = g.Ask(q);
    CHECK(c.text == a.text);
    CHECK(c.confidence == a.confidence);
  }
}

TEST_CASE("explain fills in why the answer was chosen", "[bot][answerer]") {
  Fixture f;
  auto plain = f.Ask("How much do backend developers earn?");
  CHECK_FALSE(plain.explanation);

  auto a = f.Ask("How much do backend developers earn?", "", /*explain=*/true);
  REQUIRE(a.explanation);
  const bot::Explanation& e = *a.explanation;
  CHECK(e.winner_id == "backend-salary");
  CHECK(e.winner_id == a.entry_id);
  CHECK(e.threshold == f.answerer.options().threshold);
  CHECK(e.kb_version == f.retriever.lexicon().version);
  CHECK_FALSE(e.kb_version.empty());
  std::set<std::string> terms(e.query_terms.begin(), e.query_terms.end());
  CHECK(terms == std::set<std::string>{"backend", "develop", "salari"});
  CHECK(e.context_terms.empty());
  CHECK(e.corrected.empty());
  CHECK(e.confidence == Approx(a.confidence).margin(1e-4));
  CHECK(e.coverage > 0);
  CHECK(e.coverage <= 1.0);
  CHECK_FALSE(e.runner_up_id.empty());
  CHECK(e.runner_up_id != e.winner_id);
  CHECK(e.margin == Approx(e.winner_score - e.runner_up_score));
  CHECK_FALSE(e.matches.empty());
  bool questions_field = false;
  for (const auto& m : e.matches) {
    if (m.field == "questions") questions_field = true;
  }
  CHECK(questions_field);

  auto s = f.Ask("hi", "", /*explain=*/true);
  REQUIRE(s.explanation);
  CHECK(s.explanation->threshold == f.answerer.options().threshold);
}

TEST_CASE("a typo is corrected against the knowledge base's vocabulary", "[bot][answerer]") {
  Fixture f;
  auto a = f.Ask("Should I learn pyhton?", "", /*explain=*/true);
  CHECK(a.kind == "kb");
  CHECK(a.entry_id == "python");
  REQUIRE(a.explanation);
  REQUIRE(a.explanation->corrected.size() == 1);
  CHECK(a.explanation->corrected[0] == "pyhton -> python");

  SECTION("a real English word is not taken for a typo") {
    auto b = f.Ask("How much does a lawyer earn?", "", true);
    CHECK(b.kind == "fallback");
    REQUIRE(b.explanation);
    CHECK(b.explanation->corrected.empty());
  }
}

TEST_CASE("an empty question is an invalid argument", "[bot][answerer]") {
  Fixture f;
  for (std::string q : {std::string(""), std::string("   "), std::string("\t\n \r"), std::string("\0\0", 2)}) {
    bot::Question question;
    question.text = q;
    auto a = f.answerer.Ask(question);
    INFO("question of " << q.size() << " bytes");
    CHECK_FALSE(a.ok());
    CHECK(a.status().code() == bot::Status::Code::kInvalidArgument);
  }
}

TEST_CASE("a failing retriever gives Unavailable", "[bot][answerer]") {
  fakes::FakeClock clock;
  fakes::FakeIdGenerator ids;
  bot::Question q;
  q.text = "How much do backend developers earn?";
  SECTION("the lexicon cannot be read") {
    fakes::FailingRetriever failing;
    bot::Answerer answerer(&failing, {}, &clock, &ids);
    auto a = answerer.Ask(q);
    REQUIRE_FALSE(a.ok());
    CHECK(a.status().code() == bot::Status::Code::kUnavailable);
    // Still unavailable, not a crash, the second time.
    CHECK(answerer.Ask(q).status().code() == bot::Status::Code::kUnavailable);
  }
  SECTION("the search fails") {
    fakes::FailingSearchRetriever failing(TestEntries(), kTestSynonyms);
    bot::Answerer answerer(&failing, {}, &clock, &ids);
    auto a = answerer.Ask(q);
    REQUIRE_FALSE(a.ok());
    CHECK(a.status().code() == bot::Status::Code::kUnavailable);
    // Small talk needs no search.
    q.text = "hi";
    auto s = answerer.Ask(q);
    REQUIRE(s.ok());
    CHECK(s->kind == "smalltalk");
  }
}

TEST_CASE("a long body is cut to whole sentences that fit", "[bot][answerer]") {
  REQUIRE(std::string(kLongBody).size() > 480);
  Fixture f;
  auto a = f.Ask("Why are backend developers in demand?");
  REQUIRE(a.kind == "kb");
  REQUIRE(a.entry_id == "demand");
  CHECK(a.text.size() <= f.answerer.options().max_answer_chars);
  CHECK(a.text.size() < std::string(kLongBody).size());
  auto body_sentences = bot::SplitSentences(kLongBody);
  auto answer_sentences = bot::SplitSentences(a.text);
  REQUIRE_FALSE(answer_sentences.empty());
  size_t last = 0;
  for (const auto& s : answer_sentences) {
    auto it = std::find(body_sentences.begin(), body_sentences.end(), s);
    INFO("sentence: " << s);
    REQUIRE(it != body_sentences.end());
    size_t index = static_cast<size_t>(it - body_sentences.begin());
    CHECK(index >= last);  // in their original order
    last = index;
  }
  // The sentence that names the topic is kept.
  CHECK(a.text.find("in high demand") != std::string::npos);

  SECTION("a smaller limit gives a shorter answer") {
    bot::AnswererOptions options;
    options.max_answer_chars = 200;
    Fixture small(options);
    auto b = small.Ask("Why are backend developers in demand?");
    CHECK(b.text.size() <= 200);
    CHECK_FALSE(b.text.empty());
  }
  SECTION("one enormous sentence is cut at a word boundary") {
    std::string sentence = "Backend demand grows";
    while (sentence.size() < 3000) sentence += " and grows";
    fakes::FakeRetriever retriever({MakeEntry("huge", "Backend demand", sentence, {"Is backend demand growing?"})},
                                   kTestSynonyms);
    fakes::FakeClock clock;
    fakes::FakeIdGenerator ids;
    bot::Answerer answerer(&retriever, {}, &clock, &ids);
    bot::Question q;
    q.text = "Is backend demand growing?";
    auto b = answerer.Ask(q);
    REQUIRE(b.ok());
    REQUIRE(b->kind == "kb");
    CHECK(b->text.size() <= answerer.options().max_answer_chars + std::string("\xE2\x80\xA6").size());
    CHECK(bot::SanitizeUtf8(b->text) == b->text);
  }
}

TEST_CASE("suggestions are at most three, unique and never the winning entry", "[bot][answerer]") {
  Fixture f;
  const auto entries = TestEntries();
  for (const char* q : {"How much do backend developers earn?", "Should I learn Python?", "What is Go?",
                        "Which databases should a backend developer learn?", "Can backend developers work remotely?",
                        "What does a backend developer do?", "How much does a dentist earn?", "hi",
                        "What is the capital of France?", "Why are backend developers in demand?"}) {
    INFO(q);
    auto a = f.Ask(q);
    CHECK(a.suggestions.size() <= 3);
    std::set<std::string> unique(a.suggestions.begin(), a.suggestions.end());
    CHECK(unique.size() == a.suggestions.size());
    for (const auto& s : a.suggestions) {
      CHECK_FALSE(s.empty());
      CHECK(s != q);
    }
    if (!a.entry_id.empty()) {
      const bot::Entry* winner = FindEntry(entries, a.entry_id);
      REQUIRE(winner);
      for (const auto& s : a.suggestions) {
        CHECK(s != winner->title);
        CHECK(std::find(winner->questions.begin(), winner->questions.end(), s) == winner->questions.end());
      }
    }
  }
  SECTION("max_suggestions bounds them") {
    bot::AnswererOptions options;
    options.max_suggestions = 1;
    Fixture one(options);
    CHECK(one.Ask("How much do backend developers earn?").suggestions.size() <= 1);
    CHECK(one.Ask("What is the capital of France?").suggestions.size() <= 1);
  }
}

TEST_CASE("many threads may ask at once", "[bot][answerer][concurrency]") {
  Fixture f;
  const std::string expected = f.Ask("Should I learn Python?").text;
  std::vector<std::string> got(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < got.size(); i++) {
    threads.emplace_back([&, i] {
      bot::Question q;
      q.text = "Should I learn Python?";
      for (int k = 0; k < 20; k++) {
        auto a = f.answerer.Ask(q);
        got[i] = a.ok() ? a->text : "error";
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& g : got) CHECK(g == expected);
}

// Follow-ups on many threads at once, each in its own conversation, while a
// bounded store evicts: each follow-up is read with its own conversation only.
TEST_CASE("conversations stay apart when many threads follow up at once", "[bot][answerer][conversation][concurrency]") {
  Fixture f;
  REQUIRE(f.Ask("and what about Go?").entry_id == "golang");
  std::atomic<int> wrong{0};
  std::mutex mu;
  std::string first_wrong;
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; t++) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 10; k++) {
        bot::Question q;
        q.conversation_id = "conv-" + std::to_string(t) + "-" + std::to_string(k);
        // Even threads ask about pay first, so their follow-up means Go pay;
        // odd threads only follow up, in a conversation nobody else used.
        std::string want = "golang";
        if (t % 2 == 0) {
          q.text = "How much do backend developers earn?";
          if (!f.answerer.Ask(q).ok()) wrong++;
          want = "go-salary";
        }
        q.text = "and what about Go?";
        auto follow = f.answerer.Ask(q);
        std::string got = follow.ok() ? follow->entry_id + " in " + follow->conversation_id : "error";
        if (got != want + " in " + q.conversation_id) {
          wrong++;
          std::lock_guard<std::mutex> lock(mu);
          if (first_wrong.empty()) first_wrong = "wanted " + want + " in " + q.conversation_id + ", got " + got;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  INFO(first_wrong);
  CHECK(wrong.load() == 0);
}

TEST_CASE("ConversationStore stays within its bound while many threads add and read", "[bot][conversation][concurrency]") {
  fakes::FakeClock clock;
  bot::ConversationStore store(&clock, /*max_conversations=*/8, /*ttl_seconds=*/60);
  std::vector<std::thread> threads;
  std::atomic<int> too_many_turns{0};
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 500; k++) {
        std::string id = "c" + std::to_string((t * 7 + k) % 20);
        store.Add(id, MakeTurn("term", "e" + std::to_string(k)));
        if (store.Recent(id).size() > bot::ConversationStore::kMaxTurns) too_many_turns++;
        if (k % 100 == 0) clock.Advance(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(too_many_turns.load() == 0);
  CHECK(store.size() <= 8);
  CHECK(store.size() > 0);
}

TEST_CASE("ConversationStore keeps at most max_conversations, dropping the least recently used", "[bot][conversation]") {
  fakes::FakeClock clock;
  bot::ConversationStore store(&clock, /*max_conversations=*/3, /*ttl_seconds=*/1800);
  auto turn = [](const std::string& entry) { return MakeTurn("term", entry); };
  store.Add("a", turn("e1"));
  clock.Advance(1);
  store.Add("b", turn("e1"));
  clock.Advance(1);
  store.Add("c", turn("e1"));
  clock.Advance(1);
  store.Add("a", turn("e2"));  // "a" is now the most recent; "b" the least
  clock.Advance(1);
  store.Add("d", turn("e1"));
  CHECK(store.size() == 3);
  CHECK(store.Recent("b").empty());
  CHECK(store.Recent("a").size() == 2);
  CHECK(store.Recent("c").size() == 1);
  CHECK(store.Recent("d").size() == 1);
  for (int i = 0; i < 100; i++) store.Add("x" + std::to_string(i), turn("e"));
  CHECK(store.size() == 3);
  CHECK(store.Recent("a").empty());
  CHECK(store.Recent("x99").size() == 1);
}

TEST_CASE("A large ConversationStore stays within its bound across its shards and keeps what is in use",
          "[bot][conversation]") {
  fakes::FakeClock clock;
  bot::ConversationStore store(&clock, /*max_conversations=*/2048, /*ttl_seconds=*/1800);
  auto turn = [](const std::string& entry) { return MakeTurn("term", entry); };
  store.Add("kept", turn("e0"));
  for (int i = 0; i < 20000; i++) {
    store.Add("c" + std::to_string(i), turn("e"));
    // A conversation in use is never the least recently used of its shard.
    if (i % 50 == 0) store.Add("kept", turn("e" + std::to_string(i)));
  }
  CHECK(store.size() <= 2048);
  CHECK(store.size() >= 2048 - 16);  // each shard full, give or take rounding
  CHECK(store.Recent("kept").size() == bot::ConversationStore::kMaxTurns);
  CHECK(store.Recent("c19999").size() == 1);
  CHECK(store.Recent("c0").empty());
}

TEST_CASE("Real ids are unique hex and time-ordered", "[bot]") {
  bot::IdGenerator* ids = bot::IdGenerator::Random();
  std::string first = ids->NewId();
  std::set<std::string> seen{first};
  for (int i = 0; i < 1000; i++) seen.insert(ids->NewId());
  CHECK(seen.size() == 1001);
  for (const auto& id : seen) {
    REQUIRE(id.size() == 32);
    CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  std::string later = ids->NewId();
  CHECK(later > first);
  // The random part differs between ids made in the same millisecond.
  CHECK(ids->NewId().substr(12) != ids->NewId().substr(12));
}

TEST_CASE("ConversationStore keeps the last few turns and ignores empty ids", "[bot][conversation]") {
  fakes::FakeClock clock;
  bot::ConversationStore store(&clock, 10, 1800);
  for (int i = 1; i <= 6; i++) store.Add("c", MakeTurn("t", "e" + std::to_string(i)));
  auto turns = store.Recent("c");
  REQUIRE(turns.size() == bot::ConversationStore::kMaxTurns);
  CHECK(turns.front().entry_id == "e3");
  CHECK(turns.back().entry_id == "e6");
  store.Add("", MakeTurn("t", "e"));
  CHECK(store.size() == 1);
  CHECK(store.Recent("unknown").empty());
}

TEST_CASE("ConversationStore forgets a conversation ttl seconds after its last turn", "[bot][conversation]") {
  fakes::FakeClock clock(1000);
  bot::ConversationStore store(&clock, 10, /*ttl_seconds=*/60);
  store.Add("a", MakeTurn("t", "e"));
  clock.Set(1030);
  store.Add("b", MakeTurn("t", "e"));
  clock.Set(1060);
  CHECK(store.Recent("a").size() == 1);  // exactly ttl: still there
  clock.Set(1061);
  CHECK(store.Recent("a").empty());
  CHECK(store.Recent("b").size() == 1);
  CHECK(store.size() == 1);
  clock.Set(1091);
  CHECK(store.Recent("b").empty());
  CHECK(store.size() == 0);
  // A turn keeps a conversation alive.
  store.Add("c", MakeTurn("t", "e"));
  clock.Advance(50);
  store.Add("c", MakeTurn("t", "e"));
  clock.Advance(50);
  CHECK(store.Recent("c").size() == 2);
}

TEST_CASE("a follow-up question is read with the conversation's previous question", "[bot][answerer][conversation]") {
  Fixture f;
  SECTION("and what about Go? after a languages question") {
    auto first = f.Ask("Which programming languages should I learn?", "conv-1");
    REQUIRE(first.entry_id == "languages");
    auto follow = f.Ask("and what about Go?", "conv-1", /*explain=*/true);
    CHECK(follow.kind == "kb");
    CHECK(follow.conversation_id == "conv-1");
    REQUIRE(follow.explanation);
    CHECK_FALSE(follow.explanation->context_terms.empty());
    CHECK(follow.text.find("Go") != std::string::npos);
    // Without the conversation the question stands alone.
    auto alone = f.Ask("and what about Go?", "", true);
    REQUIRE(alone.explanation);
    CHECK(alone.explanation->context_terms.empty());
  }
  SECTION("the context changes which entry answers") {
    auto alone = f.Ask("and what about Go?");
    CHECK(alone.entry_id == "golang");
    f.Ask("How much do backend developers earn?", "conv-2");
    auto follow = f.Ask("and what about Go?", "conv-2", true);
    CHECK(follow.entry_id == "go-salary");
    REQUIRE(follow.explanation);
    auto& ctx = follow.explanation->context_terms;
    CHECK(std::find(ctx.begin(), ctx.end(), "salari") != ctx.end());
    // Context terms are not the question's own terms.
    CHECK(std::find(follow.explanation->query_terms.begin(), follow.explanation->query_terms.end(), "salari") ==
          follow.explanation->query_terms.end());
  }
  SECTION("context expires with the conversation") {
    f.Ask("How much do backend developers earn?", "conv-3");
    f.clock.Advance(1801);
    auto follow = f.Ask("and what about Go?", "conv-3", true);
    REQUIRE(follow.explanation);
    CHECK(follow.explanation->context_terms.empty());
    CHECK(follow.entry_id == "golang");
  }
  SECTION("another conversation's context does not leak") {
    f.Ask("How much do backend developers earn?", "conv-4");
    auto other = f.Ask("and what about Go?", "conv-5", true);
    REQUIRE(other.explanation);
    CHECK(other.explanation->context_terms.empty());
  }
}

TEST_CASE("a question whose only topic word most entries hold is found by its other words", "[bot][answerer]") {
  // Ten entries about backend work in general, where "backend" weighs most,
  // and one about how hard it is to learn, where it is said once. "Is backend
  // hard to learn?" names no rarer topic than "backend"; searching for that
  // alone would draw the ten general ones as the candidates.
  std::vector<bot::Entry> entries;
  for (int i = 0; i < 10; i++) {
    std::string n = std::to_string(i);
    entries.push_back(MakeEntry("general-" + n, "Backend topic " + n,
                                "Backend developers and backend systems, part " + n + " of the backend overview.",
                                {"What is backend part " + n + "?"}, {"backend"}));
  }
  entries.push_back(MakeEntry("difficulty", "How hard the work is to learn",
                              "Backend work is hard to learn at first; steady practice makes it easier.",
                              {"How hard is it to learn?"}, {"learning"}));
  fakes::FakeRetriever retriever{entries, kTestSynonyms};
  fakes::FakeClock clock;
  fakes::FakeIdGenerator ids;
  bot::AnswererOptions options;
  options.candidates = 4;
  bot::Answerer answerer(&retriever, options, &clock, &ids);
  bot::Question q;
  q.text = "Is backend hard to learn?";
  auto a = answerer.Ask(q);
  REQUIRE(a.ok());
  CHECK(a->answered);
  CHECK(a->entry_id == "difficulty");
}

// ---- the learned ranker (bot/ranking.h) ----

TEST_CASE("candidates carry ranking features, best first by the hand-set score", "[bot][answerer][ranking]") {
  Fixture f;
  auto c = f.answerer.Candidates("What is the average salary of a backend developer?");
  REQUIRE(c.ok());
  REQUIRE(c->size() >= 2);
  CHECK((*c)[0].entry_id == "backend-salary");
  CHECK((*c)[0].hand_score >= (*c)[1].hand_score);
  const auto& x = (*c)[0].features;
  CHECK(x[bot::ranking::kHandRank] == Approx(1.0));
  CHECK((*c)[1].features[bot::ranking::kHandRank] == Approx(0.5));
  CHECK(x[bot::ranking::kScoreMargin] > 0);
  CHECK((*c)[1].features[bot::ranking::kScoreMargin] <= 0);
  CHECK(x[bot::ranking::kCoverage] > 0.9);
  CHECK(x[bot::ranking::kUnknownShare] == Approx(0.0));
  for (double v : x) CHECK(std::isfinite(v));
  // An unknown word shows up as unknown share.
  auto plumber = f.answerer.Candidates("How much does a plumber earn?");
  REQUIRE(plumber.ok());
  REQUIRE(!plumber->empty());
  CHECK((*plumber)[0].features[bot::ranking::kUnknownShare] > 0.2);
}

// A model sure of everything it is asked: no weights, a confidence bias of 8
// (probability 0.9997), answering at `threshold`.
static std::shared_ptr<bot::ranking::Model> SureModel(double threshold) {
  auto model = std::make_shared<bot::ranking::Model>();
  for (auto* l : {&model->rank, &model->confidence}) {
    l->scale.fill(1.0);
    l->weight.fill(0.0);
  }
  model->confidence.bias = 8;
  model->threshold = threshold;
  return model;
}

static bot::AnswererOptions WithModel(std::shared_ptr<const bot::ranking::Model> model) {
  bot::AnswererOptions options;
  options.threshold = model->threshold;
  options.model = std::move(model);
  return options;
}

TEST_CASE("with a learned model, its probabilities order the candidates and are the confidence",
          "[bot][answerer][ranking]") {
  // Rank by the hand-set score reversed; be sure of everything.
  auto model = SureModel(0.5);
  model->rank.weight[bot::ranking::kHandScore] = -10;
  Fixture learned(WithModel(model));
  Fixture hand;
  const std::string q = "What is the average salary of a backend developer?";
  auto by_hand = hand.Ask(q);
  auto by_model = learned.Ask(q);
  CHECK(by_hand.entry_id == "backend-salary");
  // The last by hand comes first (it may be the no-answer entry, which declines).
  CHECK(!by_model.entry_id.empty());
  CHECK(by_model.entry_id != "backend-salary");
  CHECK(by_model.confidence == Approx(1.0 / (1.0 + std::exp(-8.0))).epsilon(1e-3));
  // A model sure of nothing declines even a curated phrasing.
  auto doubtful = std::make_shared<bot::ranking::Model>(*model);
  doubtful->confidence.bias = -8;
  Fixture unsure(WithModel(doubtful));
  CHECK(unsure.Ask(q).kind == "fallback");
}

TEST_CASE("of the hand-set first few, the one the confidence model trusts most answers, unless the question is "
          "the first's own phrasing",
          "[bot][answerer][ranking]") {
  // A model that trusts each later candidate more than the one before (by
  // hand rank): the second far more than the first, the third more still.
  auto model = SureModel(0.5);
  model->hand_order = true;
  model->hand_floor = true;  // the hand-set confidence still answers the first
  model->confidence.weight[bot::ranking::kHandRank] = -10;  // first: 8 - 10 -> 0.12; second: 8 - 5 -> 0.95
  model->second_lead = 0.1;
  Fixture f(WithModel(model));
  auto c = f.answerer.Candidates("What is the average salary of a backend developer?");
  REQUIRE(c.ok());
  REQUIRE(c->size() >= 2);
  REQUIRE((*c)[0].entry_id == "backend-salary");
  CHECK((*c)[0].curated_phrasing);
  CHECK_FALSE((*c)[1].curated_phrasing);
  // Case and punctuation aside, a curated phrasing keeps its entry.
  CHECK(f.Ask("what is the average SALARY of a backend developer").entry_id == "backend-salary");
  // Another wording gets the candidate trusted most among the first
  // kTrustedAmong (here the last of them).
  auto other = f.answerer.Candidates("backend developer average salary in 2024?");
  REQUIRE(other.ok());
  REQUIRE(other->size() >= 3);
  const size_t last = std::min(other->size(), bot::ranking::kTrustedAmong) - 1;
  REQUIRE((*other)[0].entry_id == "backend-salary");
  CHECK_FALSE((*other)[0].curated_phrasing);
  auto swapped = f.Ask("backend developer average salary in 2024?", "", true);
  REQUIRE(swapped.explanation);
  INFO(swapped.kind << " " << swapped.confidence << " " << swapped.explanation->winner_id << " "
                    << swapped.explanation->learned_confidence << " " << swapped.explanation->hand_confidence);
  CHECK(swapped.entry_id == (*other)[last].entry_id);
  CHECK(last >= 1);
  // Only a lead of more than second_lead moves a candidate up: with a lead
  // above what any has, the first answers.
  auto cautious = std::make_shared<bot::ranking::Model>(*model);
  cautious->second_lead = 0.99;
  Fixture h(WithModel(cautious));
  CHECK(h.Ask("backend developer average salary in 2024?").entry_id == "backend-salary");
  // Without a lead the hand-set first answers.
  auto plain = std::make_shared<bot::ranking::Model>(*model);
  plain->second_lead = -1;
  Fixture g(WithModel(plain));
  CHECK(g.Ask("backend developer average salary in 2024?").entry_id == "backend-salary");
}

TEST_CASE("a hand-floored model answers when either confidence is high, but never a question with no topic or "
          "about another occupation",
          "[bot][answerer][ranking]") {
  // A model sure of everything, floored by the hand-set confidence as the
  // shipped one is: left alone it would answer anything it finds.
  auto model = SureModel(0.54);
  model->hand_order = true;
  model->hand_floor = true;
  Fixture hybrid(WithModel(model));
  Fixture hand;
  // The hand-set order, the learned confidence where it is higher.
  auto salary = hybrid.Ask("What is the average salary of a backend developer?", "", /*explain=*/true);
  CHECK(salary.entry_id == "backend-salary");
  CHECK(salary.confidence > 0.99);
  // --explain shows both parts.
  REQUIRE(salary.explanation);
  CHECK(salary.explanation->learned_confidence > 0.99);
  CHECK(salary.explanation->hand_confidence ==
        Approx(hand.Ask("What is the average salary of a backend developer?").confidence).margin(1e-4));
  CHECK(salary.confidence ==
        Approx(std::max(salary.explanation->learned_confidence, salary.explanation->hand_confidence)).margin(1e-4));
  auto plain = hand.Ask("What is the average salary of a backend developer?", "", /*explain=*/true);
  REQUIRE(plain.explanation);
  CHECK(plain.explanation->learned_confidence == -1);
  CHECK(plain.explanation->hand_confidence == Approx(plain.confidence).margin(1e-4));
  // No topic at all, asked alone: the hand-set rules decline it.
  for (const char* q : {"is it worth it?", "is it hard to learn?"}) {
    INFO(q);
    CHECK(hand.Ask(q).kind == "fallback");
    CHECK(hybrid.Ask(q).kind == "fallback");
  }
  // Another occupation's pay is not a developer's.
  CHECK(hand.Ask("How much does a nurse earn?").kind == "fallback");
  CHECK(hybrid.Ask("How much does a nurse earn?").kind == "fallback");
  // Without the floor, the same model answers them.
  auto unfloored = std::make_shared<bot::ranking::Model>(*model);
  unfloored->hand_floor = false;
  Fixture learned(WithModel(unfloored));
  CHECK(learned.Ask("is it hard to learn?").kind == "kb");
  CHECK(learned.Ask("How much does a nurse earn?").kind == "kb");
}

TEST_CASE("a question in another language is declined with a reply saying the bot answers in English",
          "[bot][answerer]") {
  Fixture f;
  auto other = f.Ask("Bagaimana cara menjadi pengembang backend?");
  CHECK(other.kind == "fallback");
  CHECK(other.text.find("in English") != std::string::npos);
  auto cyrillic = f.Ask("Какие языки нужны для бэкенда?");
  CHECK(cyrillic.kind == "fallback");
  CHECK(cyrillic.text.find("in English") != std::string::npos);
  // An English question the knowledge lacks is simply not known.
  auto english = f.Ask("How much does a plumber earn?");
  CHECK(english.kind == "fallback");
  CHECK(english.text.find("in English") == std::string::npos);
  CHECK(english.text.find("don't know") != std::string::npos);
}

// ---- Word knowledge (WordNet and FOLDOC, bot/word_knowledge.h) ----

TEST_CASE("a word the knowledge base lacks is read through a related word it has", "[bot][answerer][words]") {
  Fixture f;
  // "remuneration" is in none of the entries nor the synonyms: WordNet's
  // synset {pay, salary, remuneration, ...} reads it as "pay" (= salary).
  auto a = f.Ask("What remuneration do backend developers get?", "", /*explain=*/true);
  REQUIRE(a.explanation);
  CHECK(std::find(a.explanation->query_terms.begin(), a.explanation->query_terms.end(), "salari") !=
        a.explanation->query_terms.end());
  CHECK(a.kind == "kb");
  CHECK(a.entry_id == "backend-salary");
}

TEST_CASE("common English filler the knowledge base lacks does not sink a question", "[bot][answerer][words]") {
  Fixture f;
  // No domain word here, so unknown words would count in full: "point" is a
  // common noun framing the question ("at this point"), "honestly" an adverb.
  auto a = f.Ask("Honestly, at this point, should I learn Python?");
  CHECK(a.kind == "kb");
  CHECK(a.entry_id == "python");
}

TEST_CASE("a common English word the knowledge base rarely uses does not outweigh the topic",
          "[bot][answerer][words]") {
  // "companies" is in one entry's phrasing only, so by the knowledge base's
  // rarity alone it would weigh more than "java", which two entries hold, and
  // pull the question to the entry about hiring. General English says
  // "company" is a common word (kGenericCount): in a question that names the
  // domain it counts less than the topic.
  std::vector<bot::Entry> entries;
  entries.push_back(MakeEntry("java-use", "Java for backend development",
                              "Java is widely used for backend work, with Spring Boot.",
                              {"Is Java used for backend development?"}, {"java"}));
  entries.push_back(MakeEntry("java-jobs", "Java jobs", "Java jobs are many.", {"Are there Java jobs?"}, {"java"}));
  entries.push_back(MakeEntry("hiring", "Who hires backend developers",
                              "Many companies hire backend developers.",
                              {"Which companies hire backend developers?"}, {"hiring"}));
  AddUnrelatedTopics(&entries);
  fakes::FakeRetriever retriever{entries, kTestSynonyms};
  fakes::FakeClock clock;
  fakes::FakeIdGenerator ids;
  bot::Answerer answerer(&retriever, {}, &clock, &ids);
  bot::Question q;
  q.text = "Do backend companies still use Java?";
  q.explain = true;
  auto a = answerer.Ask(q);
  REQUIRE(a.ok());
  REQUIRE(a->explanation);
  // Ranked first (the question is still short of the threshold: "still" is
  // a word the knowledge base does not know).
  CHECK(a->explanation->winner_id == "java-use");
  // Without the domain named, the same word keeps its weight: it is then as
  // likely the subject as filler.
  q.text = "Which companies hire?";
  a = answerer.Ask(q);
  REQUIRE(a.ok());
  CHECK(a->entry_id == "hiring");
}

TEST_CASE("a verb the knowledge base lacks that opens an embedded question is filler, not a related word",
          "[bot][answerer][words]") {
  // WordNet puts "wonder" in a synset with "question", which the interview
  // entry is about; in "ever wondered why ..." the verb only frames what is
  // asked, and read as "question" it would pull the question to that entry.
  std::vector<bot::Entry> entries;
  entries.push_back(MakeEntry("interview-questions", "Backend interview questions",
                              "Interviews ask about HTTP, databases and a small project.",
                              {"Which questions come up in backend job interviews?"}, {"interviews"}));
  entries.push_back(MakeEntry("job-market", "The backend job market", "Openings fell in 2023 and 2024.",
                              {"Are backend jobs hard to find?"}, {"jobs"}));
  AddUnrelatedTopics(&entries);
  fakes::FakeRetriever retriever{entries, kTestSynonyms};
  fakes::FakeClock clock;
  fakes::FakeIdGenerator ids;
  bot::Answerer answerer(&retriever, {}, &clock, &ids);
  for (const char* text : {"Ever wondered why backend jobs are scarce?", "I wonder whether backend jobs are scarce"}) {
    INFO(text);
    bot::Question q;
    q.text = text;
    q.explain = true;
    auto a = answerer.Ask(q);
    REQUIRE(a.ok());
    REQUIRE(a->explanation);
    const auto& terms = a->explanation->query_terms;
    CHECK(std::find(terms.begin(), terms.end(), "question") == terms.end());
    CHECK(a->explanation->winner_id == "job-market");
  }
}

TEST_CASE("another occupation stays a near miss while a synonym of developer is read as one",
          "[bot][answerer][words]") {
  Fixture f;
  for (const char* q : {"How much does a firefighter earn?", "How much does a lawyer earn?",
                        "How much do nurses earn?"}) {
    INFO(q);
    auto a = f.Ask(q);
    CHECK(a.kind == "fallback");
    CHECK_FALSE(a.answered);
  }
  // "coder" is a person noun WordNet puts in the synset of "programmer".
  auto a = f.Ask("How much does a backend coder earn?", "", /*explain=*/true);
  REQUIRE(a.explanation);
  CHECK(std::find(a.explanation->query_terms.begin(), a.explanation->query_terms.end(), "develop") !=
        a.explanation->query_terms.end());
  CHECK(a.entry_id == "backend-salary");
}

// ---- Two-part questions ----

TEST_CASE("a two-part question answers both parts, each with its source", "[bot][answerer][parts]") {
  Fixture f;
  SECTION("joined by ', and'") {
    auto a = f.Ask("What does a backend developer do, and how much do backend developers earn?");
    CHECK(a.kind == "kb");
    CHECK(a.answered);
    REQUIRE(a.sources.size() == 2);
    CHECK(a.sources[0].id == "what-is-backend");
    CHECK(a.sources[1].id == "backend-salary");
    CHECK(a.text.find("server side") != std::string::npos);
    CHECK(a.text.find("100,000") != std::string::npos);
  }
  SECTION("two question marks, the second part referring back") {
    auto a = f.Ask("Is Python good for backend development? Which databases should I learn with it?");
    REQUIRE(a.sources.size() == 2);
    CHECK(a.sources[0].id == "python");
    CHECK(a.sources[1].id == "databases");
  }
  SECTION("one question with 'and' inside stays one question") {
    auto a = f.Ask("Which databases and programming languages should a backend developer learn?");
    CHECK(a.sources.size() <= 2);
    auto b = f.Ask("How much do backend developers earn and why?");
    REQUIRE_FALSE(b.sources.empty());
    CHECK(b.sources[0].id == "backend-salary");
  }
  SECTION("a part the knowledge does not hold leaves the question whole") {
    auto a = f.Ask("What does a backend developer do, and how much does a firefighter earn?");
    CHECK(a.sources.size() <= 1);
  }
}

// ---- What a question is about, as word order tells ----

TEST_CASE("the subject feature: whether a phrasing opens on the question's first own topic word",
          "[bot][answerer][subject]") {
  // Unrelated topics beside the test entries keep their words rare, as in
  // the real knowledge base (a word most entries hold is never a subject).
  std::vector<bot::Entry> entries = TestEntries();
  AddUnrelatedTopics(&entries);
  fakes::FakeRetriever retriever{entries, kTestSynonyms};
  fakes::FakeClock clock;
  fakes::FakeIdGenerator ids;
  bot::Answerer answerer(&retriever, {}, &clock, &ids);
  auto feature = [](const std::vector<bot::Candidate>& c, const std::string& id) {
    for (const auto& x : c) {
      if (x.entry_id == id) return x.features[bot::ranking::kSubject];
    }
    return -1.0;
  };
  // "python" comes first ("backend" and "developer" are the domain's words,
  // passed over): the Python entry's phrasings open on it, the salary
  // entry's on "salary".
  auto python = answerer.Candidates("How much does a Python backend developer earn?");
  REQUIRE(python.ok());
  CHECK(feature(*python, "python") == 1.0);
  CHECK(feature(*python, "backend-salary") == 0.0);
  // The same words the other way round: about pay.
  auto pay = answerer.Candidates("What do backend developers earn with Python?");
  REQUIRE(pay.ok());
  CHECK(feature(*pay, "backend-salary") == 1.0);
  CHECK(feature(*pay, "python") == 0.0);
  // Only the domain's words: the first of them is the subject, and a
  // phrasing of only domain words opens on it ("What does a backend
  // developer do?").
  auto role = answerer.Candidates("what is a backend developer?");
  REQUIRE(role.ok());
  CHECK(feature(*role, "what-is-backend") == 1.0);
  // ... while a phrasing with a word of its own opens on that word: "How
  // much do backend developers earn?" is about pay, not about "backend".
  CHECK(feature(*role, "backend-salary") == 0.0);
}

// ---- Long, wordy questions: the features of their salient words ----

TEST_CASE("a long wordy question's salient words are its rarest topic words", "[bot][answerer][salient]") {
  Fixture f;
  // Its topic words the knowledge knows: golang, go, learn and backend (a
  // domain word, never salient); the rest it lacks (uncle, insists, trendy,
  // school, ...), which in a question naming the domain are never salient.
  const std::string q =
      "My uncle insists Go is trendy now, so for backend should I learn Golang or stick with what my school "
      "teaches?";
  auto c = f.answerer.Candidates(q);
  REQUIRE(c.ok());
  REQUIRE(!c->empty());
  REQUIRE((*c)[0].entry_id == "golang");
  // The Go entry is about both salient words (golang, go), the others about
  // fewer of them.
  CHECK((*c)[0].features[bot::ranking::kSalientHead] == Approx(1.0));
  CHECK((*c)[0].features[bot::ranking::kSalientAny] == Approx(1.0));
  CHECK((*c)[0].features[bot::ranking::kSalientTitle] > 0);
  for (size_t i = 0; i < c->size(); i++) {
    if (i > 0) CHECK((*c)[i].features[bot::ranking::kSalientHead] < 1.0);
    CHECK((*c)[i].features[bot::ranking::kBm25Rank] > 0);
    CHECK((*c)[i].features[bot::ranking::kBm25Rank] <= 1.0);
    // The rank model's slots are left for it to fill.
    CHECK((*c)[i].features[bot::ranking::kRankScore] == 0);
  }
  // Without the domain word, an unknown word is the subject and salient:
  // nothing holds "plumbers", so no entry holds all salient words.
  auto plumber = f.answerer.Candidates("How much do plumbers earn compared with electricians in Texas?");
  REQUIRE(plumber.ok());
  for (const auto& cand : *plumber) CHECK(cand.features[bot::ranking::kSalientHead] < 1.0);
}
