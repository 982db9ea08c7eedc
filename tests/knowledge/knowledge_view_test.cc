// One request, one knowledge-base version, on the real store: a StoreHandle
// reloaded (a new snapshot swapped in) in the middle of requests, and a
// writable store edited in place while requests hold their views.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "../helpers/files.h"
#include "bot/answerer.h"
#include "knowledge/builtin.h"
#include "knowledge/entry_plan.h"
#include "knowledge/snapshot.h"
#include "knowledge/store.h"
#include "knowledge/store_handle.h"

namespace {

bot::Entry MakeEntry(const std::string& id, const std::string& title, const std::string& body,
                     const std::string& question, std::vector<std::string> tags) {
  bot::Entry e;
  e.id = id;
  e.title = title;
  e.body = body;
  e.questions = {question};
  e.tags = std::move(tags);
  e.source = {"Knowledge view test", title, ""};
  e.updated_at = "2026-12-06";
  return e;
}

// A small knowledge base in two editions: every body names its edition, and
// only the second has the Zig entry.
knowledge::KnowledgeFiles Edition(int n) {
  const std::string tag = n == 1 ? "Edition one: " : "Edition two: ";
  knowledge::KnowledgeFiles files;
  files.synonyms =
      "@domain: developer, programming\n"
      "salary, pay, earn, earns, earnings\n"
      "developer, developers, dev, devs, programmer, programmers\n";
  files.entries.push_back(MakeEntry("quill-cert", "The quill certification",
                                    tag + "The quill certification is a made-up credential for scribes.",
                                    "What is the quill certification?", {"quill", "certification"}));
  files.entries.push_back(MakeEntry("rust-pay", "Pay of Rust developers",
                                    tag + "Rust developers earn a good salary at systems companies.",
                                    "How much do Rust developers earn?", {"rust", "pay"}));
  files.entries.push_back(MakeEntry("cobol-jobs", "Jobs for COBOL developers",
                                    tag + "COBOL developers still find jobs at banks and insurers.",
                                    "Are there jobs for COBOL developers?", {"cobol", "jobs"}));
  if (n == 2) {
    files.entries.push_back(MakeEntry("zig-pay", "Pay of Zig developers", tag + "Zig developers earn about as much.",
                                      "How much do Zig developers earn?", {"zig", "pay"}));
  }
  return files;
}

int EditionOf(const bot::Answer& a) {
  bool one = a.text.find("Edition one") != std::string::npos;
  bool two = a.text.find("Edition two") != std::string::npos;
  return one && two ? -1 : one ? 1 : two ? 2 : 0;
}

bot::Question Explained(const std::string& text) {
  bot::Question q;
  q.text = text;
  q.explain = true;
  return q;
}

const char kTwoParts[] = "How much do Rust developers earn, and are there jobs for COBOL developers?";

}  // namespace

TEST_CASE("a request that took its view before a reload finishes on the old store", "[knowledge][view]") {
  testing_helpers::TempDir dir;
  REQUIRE(knowledge::BuildKnowledgeBase(dir.File("v1.db"), Edition(1), "test").ok());
  REQUIRE(knowledge::BuildKnowledgeBase(dir.File("v2.db"), Edition(2), "test").ok());
  const std::string served = dir.File("served.db");
  auto v1 = knowledge::PublishSnapshot(dir.File("v1.db"), served, 1);
  REQUIRE(v1.ok());
  bool built = false;
  auto kb = knowledge::StoreHandle::Open(served, &built, dir.path());
  REQUIRE(kb.ok());
  bot::Answerer answerer(kb->get());

  auto view = answerer.View();
  REQUIRE(view.ok());
  CHECK((*view)->lexicon().version == v1->version);
  auto v2 = knowledge::PublishSnapshot(dir.File("v2.db"), served, 2);
  REQUIRE(v2.ok());
  auto reloaded = (*kb)->Reload();
  REQUIRE(reloaded.ok());
  REQUIRE(*reloaded);

  // The old view: wholly the first edition, though the second is served now.
  for (const char* text : {"What is the quill certification?", kTwoParts}) {
    auto a = answerer.Ask(**view, Explained(text));
    REQUIRE(a.ok());
    REQUIRE(a->explanation);
    INFO(a->text);
    CHECK(a->explanation->kb_version == v1->version);
    CHECK(a->answered);
    CHECK(EditionOf(*a) == 1);
  }
  auto search = (*view)->Search({"zig"}, 5);
  REQUIRE(search.ok());
  CHECK(search->empty());  // the first edition has no Zig entry

  // A new request: wholly the second.
  auto a = answerer.Ask(Explained(kTwoParts));
  REQUIRE(a.ok());
  REQUIRE(a->explanation);
  CHECK(a->explanation->kb_version == v2->version);
  CHECK(EditionOf(*a) == 2);
  auto zig = answerer.Ask(Explained("How much do Zig developers earn?"));
  REQUIRE(zig.ok());
  CHECK(zig->entry_id == "zig-pay");
}

TEST_CASE("reloads under requests on many threads never mix two knowledge versions",
          "[knowledge][view][concurrency]") {
  testing_helpers::TempDir dir;
  REQUIRE(knowledge::BuildKnowledgeBase(dir.File("v1.db"), Edition(1), "test").ok());
  REQUIRE(knowledge::BuildKnowledgeBase(dir.File("v2.db"), Edition(2), "test").ok());
  const std::string served = dir.File("served.db");
  auto v1 = knowledge::PublishSnapshot(dir.File("v1.db"), served, 1);
  REQUIRE(v1.ok());
  auto v2_info = knowledge::InspectKnowledgeBase(dir.File("v2.db"));
  REQUIRE(v2_info.ok());
  bool built = false;
  auto opened = knowledge::StoreHandle::Open(served, &built, dir.path());
  REQUIRE(opened.ok());
  std::shared_ptr<knowledge::StoreHandle> kb = std::move(*opened);
  bot::Answerer answerer(kb.get());

  const char* const questions[] = {"What is the quill certification?", kTwoParts, "How much do Zig developers earn?"};
  std::atomic<bool> stop{false};
  std::atomic<int> asked{0}, failures{0}, by_edition[3] = {{0}, {0}, {0}};
  std::vector<std::thread> askers;
  for (int t = 0; t < 3; t++) {
    askers.emplace_back([&, t] {
      for (int i = 0; !stop; i++) {
        auto a = answerer.Ask(Explained(questions[(i + t) % 3]));
        asked++;
        if (!a.ok() || !a->explanation) {
          failures++;
          continue;
        }
        const std::string& version = a->explanation->kb_version;
        const int expected = version == v1->version ? 1 : version == v2_info->version ? 2 : 0;
        const int edition = EditionOf(*a);
        if (expected == 0 || (edition != 0 && edition != expected)) failures++;
        if (a->entry_id == "zig-pay" && expected != 2) failures++;
        if (edition > 0) by_edition[edition]++;
      }
    });
  }
  auto wait_asked = [&](int n) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (asked < n && std::chrono::steady_clock::now() < until) std::this_thread::yield();
  };
  int reloads = 0;
  for (int i = 0; i < 16; i++) {
    wait_asked(asked + 3);
    auto published = knowledge::PublishSnapshot(dir.File(i % 2 == 0 ? "v2.db" : "v1.db"), served, 10 + i);
    REQUIRE(published.ok());
    auto reloaded = kb->Reload(/*force=*/true);
    REQUIRE(reloaded.ok());
    if (*reloaded) reloads++;
  }
  wait_asked(asked + 3);
  stop = true;
  for (auto& t : askers) t.join();
  CHECK(failures == 0);
  CHECK(reloads == 16);
  CHECK(by_edition[1] > 0);
  CHECK(by_edition[2] > 0);
}

TEST_CASE("a writable store edited in place after a request took its view still answers it from its version",
          "[knowledge][view]") {
  testing_helpers::TempDir dir;
  auto store = knowledge::Store::Open(dir.File("kb.db"));
  REQUIRE(store.ok());
  knowledge::KnowledgeFiles first = Edition(1), second = Edition(2);
  REQUIRE((*store)->ReplaceAll(first.entries, first.synonyms, "test").ok());
  bot::Answerer answerer(store->get());
  // Warm the hit cache, so that no read of an entry would notice the edit.
  REQUIRE(answerer.Ask(Explained(kTwoParts)).ok());

  auto view = answerer.View();
  REQUIRE(view.ok());
  const std::string old_version = (*view)->lexicon().version;
  REQUIRE((*store)->ReplaceAll(second.entries, second.synonyms, "test").ok());
  // A curator's edit in place too (its own transaction), on an entry the view holds.
  knowledge::EntryChange change;
  change.op = knowledge::EntryChange::Op::kDelete;
  change.id = "cobol-jobs";
  change.action = "delete";
  REQUIRE((*store)->ApplyEntryChanges({change}, "curator", 1).ok());

  // The view: wholly the first edition, COBOL entry and all.
  for (const char* text : {"What is the quill certification?", kTwoParts, "Are there jobs for COBOL developers?"}) {
    auto a = answerer.Ask(**view, Explained(text));
    REQUIRE(a.ok());
    REQUIRE(a->explanation);
    INFO(a->text);
    CHECK(a->explanation->kb_version == old_version);
    CHECK(EditionOf(*a) == 1);
  }
  auto cobol = (*view)->Search({"cobol"}, 5);
  REQUIRE(cobol.ok());
  REQUIRE(cobol->size() == 1);
  CHECK(cobol->front().entry().body.find("Edition one") == 0);

  // A new request: wholly the edited knowledge.
  auto a = answerer.Ask(Explained("What is the quill certification?"));
  REQUIRE(a.ok());
  REQUIRE(a->explanation);
  CHECK(a->explanation->kb_version != old_version);
  CHECK(EditionOf(*a) == 2);
  auto gone = answerer.View();
  REQUIRE(gone.ok());
  auto none = (*gone)->Search({"cobol"}, 5);
  REQUIRE(none.ok());
  CHECK(none->empty());
}

TEST_CASE("requests on many threads while curators edit in place never mix two versions",
          "[knowledge][view][concurrency]") {
  testing_helpers::TempDir dir;
  auto opened = knowledge::Store::Open(dir.File("kb.db"));
  REQUIRE(opened.ok());
  knowledge::Store* store = opened->get();
  knowledge::KnowledgeFiles first = Edition(1), second = Edition(2);
  REQUIRE(store->ReplaceAll(first.entries, first.synonyms, "test").ok());
  bot::Answerer answerer(store);
  std::vector<std::string> versions[2];  // the versions of each edition, as committed
  std::mutex versions_mu;
  auto record = [&](int edition) {
    auto lexicon = store->GetLexicon();
    REQUIRE(lexicon.ok());
    std::lock_guard<std::mutex> lock(versions_mu);
    versions[edition - 1].push_back((*lexicon)->version);
  };
  record(1);
  const char* const questions[] = {"What is the quill certification?", kTwoParts, "How much do Zig developers earn?"};
  std::atomic<bool> stop{false};
  std::atomic<int> asked{0}, failures{0};
  struct Seen {
    std::string version;
    int edition;
    bool zig;
  };
  std::vector<Seen> seen;
  std::mutex seen_mu;
  std::vector<std::thread> askers;
  for (int t = 0; t < 3; t++) {
    askers.emplace_back([&, t] {
      for (int i = 0; !stop; i++) {
        auto a = answerer.Ask(Explained(questions[(i + t) % 3]));
        asked++;
        if (!a.ok() || !a->explanation) {
          failures++;
          continue;
        }
        std::lock_guard<std::mutex> lock(seen_mu);
        seen.push_back({a->explanation->kb_version, EditionOf(*a), a->entry_id == "zig-pay"});
      }
    });
  }
  auto wait_asked = [&](int n) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (asked < n && std::chrono::steady_clock::now() < until) std::this_thread::yield();
  };
  for (int i = 0; i < 20; i++) {
    wait_asked(asked + 2);
    const int edition = i % 2 == 0 ? 2 : 1;
    const knowledge::KnowledgeFiles& files = edition == 1 ? first : second;
    REQUIRE(store->ReplaceAll(files.entries, files.synonyms, "test").ok());
    record(edition);
  }
  wait_asked(asked + 2);
  stop = true;
  for (auto& t : askers) t.join();
  CHECK(failures == 0);
  int mixed = 0, by_edition[3] = {0, 0, 0};
  for (const Seen& s : seen) {
    const bool one = std::find(versions[0].begin(), versions[0].end(), s.version) != versions[0].end();
    const bool two = std::find(versions[1].begin(), versions[1].end(), s.version) != versions[1].end();
    const int expected = one && !two ? 1 : two && !one ? 2 : 0;
    if (expected == 0 || (s.edition != 0 && s.edition != expected) || (s.zig && expected != 2)) mixed++;
    if (s.edition > 0) by_edition[s.edition]++;
  }
  CHECK(mixed == 0);
  CHECK(by_edition[1] > 0);
  CHECK(by_edition[2] > 0);
}
