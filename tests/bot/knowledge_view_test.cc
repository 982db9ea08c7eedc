// One request, one view of the knowledge (bot::KnowledgeView): a source that
// switches to another knowledge base in the middle of a request (a reload
// between reading the question and ranking it) must not leak into it.
#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "bot/answerer.h"
#include "../fakes/fake_retriever.h"

namespace {

using fakes::MakeEntry;

const char kSynonyms[] =
    "@domain: developer, programming\n"
    "salary, pay, earn, earns, earnings\n"
    "developer, developers, dev, devs, programmer, programmers\n";

// The same entries in two editions: every body names its edition, and the
// second edition has an entry the first lacks.
std::vector<bot::Entry> Edition(int n) {
  const std::string tag = n == 1 ? "Edition one: " : "Edition two: ";
  std::vector<bot::Entry> entries;
  entries.push_back(MakeEntry("rust-pay", "Pay of Rust developers",
                              tag + "Rust developers earn a good salary at systems companies.",
                              {"How much do Rust developers earn?"}, {"rust", "pay"}));
  entries.push_back(MakeEntry("cobol-jobs", "Jobs for COBOL developers",
                              tag + "COBOL developers still find jobs at banks and insurers.",
                              {"Are there jobs for COBOL developers?"}, {"cobol", "jobs"}));
  entries.push_back(MakeEntry("elixir-tools", "Tools Elixir developers use",
                              tag + "Elixir developers use Phoenix, Ecto and the BEAM tools.",
                              {"Which tools do Elixir developers use?"}, {"elixir", "tools"}));
  if (n == 2) {
    entries.push_back(MakeEntry("zig-pay", "Pay of Zig developers", tag + "Zig developers earn about as much.",
                                {"How much do Zig developers earn?"}, {"zig", "pay"}));
  }
  return entries;
}

class SwappingSource;

// A knowledge base whose every search first makes the other one current: a
// reload in the middle of each request, between reading and ranking and
// between any two rankings.
class ReloadOnSearch : public fakes::FakeRetriever {
 public:
  using FakeRetriever::FakeRetriever;
  SwappingSource* source = nullptr;
  bot::Result<std::vector<bot::Hit>> Search(const std::vector<std::string>& terms, size_t limit) override;
};

// The current knowledge base: one of two, swapped at will.
class SwappingSource : public bot::KnowledgeSource {
 public:
  SwappingSource(ReloadOnSearch* a, ReloadOnSearch* b) : kbs_{a, b} {}
  bot::Result<std::shared_ptr<const bot::KnowledgeVersion>> CurrentVersion() override {
    calls_++;
    return kbs_[current_.load() % 2]->CurrentVersion();
  }
  void Swap() { current_++; }
  int calls() const { return calls_; }

 private:
  ReloadOnSearch* kbs_[2];
  std::atomic<unsigned> current_{0};
  std::atomic<int> calls_{0};
};

bot::Result<std::vector<bot::Hit>> ReloadOnSearch::Search(const std::vector<std::string>& terms, size_t limit) {
  if (source) source->Swap();
  return FakeRetriever::Search(terms, limit);
}

// The edition an answer was composed from (1 or 2), 0 when its text names
// none, -1 when it names both.
int EditionOf(const bot::Answer& a) {
  bool one = a.text.find("Edition one") != std::string::npos;
  bool two = a.text.find("Edition two") != std::string::npos;
  return one && two ? -1 : one ? 1 : two ? 2 : 0;
}

struct TwoEditions {
  ReloadOnSearch first{Edition(1), kSynonyms};
  ReloadOnSearch second{Edition(2), kSynonyms};
  SwappingSource source{&first, &second};
  fakes::FakeClock clock;
  fakes::FakeIdGenerator ids;
  bot::Answerer answerer{&source, bot::AnswererOptions{}, &clock, &ids};
  TwoEditions() {
    first.source = &source;
    second.source = &source;
  }
  // The edition a version string belongs to (0: neither).
  int EditionOfVersion(const std::string& version) const {
    return version == first.lexicon().version ? 1 : version == second.lexicon().version ? 2 : 0;
  }
  // Checks that `a` is wholly from one edition: the one its explanation names.
  void CheckWhole(const bot::Answer& a) const {
    REQUIRE(a.explanation);
    const int version = EditionOfVersion(a.explanation->kb_version);
    INFO("answer: " << a.text << " (" << a.explanation->kb_version << ")");
    REQUIRE(version != 0);
    CHECK(EditionOf(a) == version);
    // Zig is only in the second edition.
    for (const auto& s : a.sources) {
      if (s.id == "zig-pay") CHECK(version == 2);
    }
  }
};

}  // namespace

TEST_CASE("a reload in the middle of a request does not mix knowledge versions", "[bot][view]") {
  TwoEditions t;
  REQUIRE(t.first.lexicon().version != t.second.lexicon().version);
  const char* const questions[] = {
      "How much do Rust developers earn?",
      // Two parts: three rankings, each after a swap.
      "How much do Rust developers earn, and are there jobs for COBOL developers?",
      "Which tools do Elixir developers use?",
  };
  for (int round = 0; round < 4; round++) {
    for (const char* text : questions) {
      bot::Question q;
      q.text = text;
      q.explain = true;
      const int before = t.source.calls();
      auto a = t.answerer.Ask(q);
      REQUIRE(a.ok());
      CHECK(a->answered);
      t.CheckWhole(*a);
      // One view per request: the source is asked once.
      CHECK(t.source.calls() == before + 1);
    }
  }

  SECTION("a follow-up in a conversation is ranked on its own request's view") {
    bot::Question q;
    q.text = "How much do Rust developers earn?";
    q.explain = true;
    auto first = t.answerer.Ask(q);
    REQUIRE(first.ok());
    t.CheckWhole(*first);
    q.conversation_id = first->conversation_id;
    q.text = "and COBOL developers?";
    auto follow = t.answerer.Ask(q);
    REQUIRE(follow.ok());
    t.CheckWhole(*follow);
  }

  SECTION("a view taken before a reload answers from its own version") {
    auto view = t.answerer.View();
    REQUIRE(view.ok());
    const std::string version = (*view)->lexicon().version;
    bot::Question q;
    q.text = "How much do Rust developers earn, and are there jobs for COBOL developers?";
    q.explain = true;
    for (int i = 0; i < 3; i++) {
      t.source.Swap();
      auto a = t.answerer.Ask(**view, q);
      REQUIRE(a.ok());
      REQUIRE(a->explanation);
      CHECK(a->explanation->kb_version == version);
      t.CheckWhole(*a);
    }
  }
}

TEST_CASE("requests on many threads with reloads in the middle never mix knowledge versions",
          "[bot][view][concurrency]") {
  TwoEditions t;
  const char* const questions[] = {
      "How much do Rust developers earn?",
      "How much do Rust developers earn, and are there jobs for COBOL developers?",
      "Which tools do Elixir developers use?",
      "How much do Zig developers earn?",  // answered by the second edition only
  };
  std::atomic<int> failures{0}, answered[3] = {{0}, {0}, {0}};
  std::vector<std::thread> threads;
  for (int th = 0; th < 4; th++) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < 150; i++) {
        bot::Question q;
        q.text = questions[(i + th) % 4];
        q.explain = true;
        auto a = t.answerer.Ask(q);
        if (!a.ok() || !a->explanation) {
          failures++;
          continue;
        }
        const int version = t.EditionOfVersion(a->explanation->kb_version);
        const int edition = EditionOf(*a);
        // A decline names no edition; anything else names its own version's.
        if (version == 0 || (edition != 0 && edition != version)) failures++;
        bool zig = std::any_of(a->sources.begin(), a->sources.end(),
                               [](const bot::AnswerSource& s) { return s.id == "zig-pay"; });
        if (zig && version != 2) failures++;
        if (edition > 0) answered[edition]++;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  // Both editions answered (the swaps are many and every request searches).
  CHECK(answered[1] > 0);
  CHECK(answered[2] > 0);
}
