// Test doubles for the answering core: an in-memory knowledge source (one
// version, built from a list of entries with the fields knowledge/index_fields.h
// builds for the store), a source that always fails, a settable Clock and a
// counting IdGenerator.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bot/clock.h"
#include "bot/entry.h"
#include "bot/retriever.h"
#include "bot/status.h"
#include "bot/text.h"
#include "knowledge/index_fields.h"

namespace fakes {

// Splits space-separated index terms.
inline std::vector<std::string> SplitSpaces(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t end = s.find(' ', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// An in-memory knowledge base. The fields are indexed by the function the
// store indexes with (knowledge::IndexFieldsFor: Normalizer::IndexText of the
// title, of each question, of the tags joined by " , " and of the body), and
// weighted with the store's field weights; doc_freq counts the entries whose
// fields hold a term and head_terms are the terms of titles, questions and
// tags, as the store's snapshot computes them. Hits leave title_idf and
// question_idf unset, so the ranker computes them itself. It has one version,
// whose Search is this object's (virtual) Search: the fake must outlive the
// versions it hands out.
class FakeRetriever : public bot::KnowledgeSource {
 public:
  explicit FakeRetriever(std::vector<bot::Entry> entries, const std::string& synonyms_text = "") {
    auto lexicon = std::make_shared<bot::Lexicon>();
    lexicon->normalizer = bot::Normalizer(bot::SynonymTable::Parse(synonyms_text));
    const bot::Normalizer& n = lexicon->normalizer;
    std::sort(entries.begin(), entries.end(), [](const bot::Entry& a, const bot::Entry& b) { return a.id < b.id; });
    uint64_t hash = 1469598103934665603ULL;
    auto mix = [&hash](const std::string& s) {
      for (unsigned char c : s + '\x1e') {
        hash ^= c;
        hash *= 1099511628211ULL;
      }
    };
    mix(synonyms_text);
    int64_t rowid = 0;
    std::vector<std::shared_ptr<bot::IndexedEntry>> with_sets;
    for (auto& e : entries) {
      Indexed ix;
      auto doc = std::make_shared<bot::IndexedEntry>();
      doc->rowid = ++rowid;
      doc->entry = e;
      knowledge::IndexFields fields = knowledge::IndexFieldsFor(e, n);
      doc->title_terms = std::move(fields.title);
      doc->question_terms = std::move(fields.questions);
      doc->tag_terms = std::move(fields.tags);
      doc->body_terms = std::move(fields.body);
      if (rowid % 2 == 0) with_sets.push_back(doc);
      ix.doc = doc;
      std::set<std::string> all;
      auto add = [&](const std::string& field, double weight) {
        for (const auto& t : SplitSpaces(field)) {
          all.insert(t);
          ix.field_weight[t] += weight;
          if (weight > knowledge::kBodyWeight) lexicon->head_terms.insert(t);  // every field but the body
        }
      };
      add(ix.doc->title_terms, knowledge::kTitleWeight);
      for (const auto& q : ix.doc->question_terms) add(q, knowledge::kQuestionsWeight);
      add(ix.doc->tag_terms, knowledge::kTagsWeight);
      add(ix.doc->body_terms, knowledge::kBodyWeight);
      for (const auto& t : all) lexicon->doc_freq[t]++;
      mix(e.id + '\x1f' + e.title + '\x1f' + e.body);
      for (const auto& q : e.questions) mix(q);
      indexed_.push_back(std::move(ix));
    }
    lexicon->entry_count = entries.size();
    // Every other entry without its term sets: the ranker makes them then.
    for (const auto& doc : with_sets) bot::PrepareTermSets(doc.get(), *lexicon);
    char buf[32];
    std::snprintf(buf, sizeof buf, "fake-%016llx", static_cast<unsigned long long>(hash));
    lexicon->version = buf;
    lexicon_ = std::move(lexicon);
    version_ = std::make_shared<const Version>(this);
  }

  bot::Result<std::shared_ptr<const bot::KnowledgeVersion>> CurrentVersion() override {
    version_calls_++;
    return std::shared_ptr<const bot::KnowledgeVersion>(version_);
  }

  // The search every version of this fake runs.
  virtual bot::Result<std::vector<bot::Hit>> Search(const std::vector<std::string>& terms, size_t limit) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      searches_.push_back(terms);
    }
    std::vector<std::pair<double, const Indexed*>> scored;
    for (const Indexed& ix : indexed_) {
      double score = 0;
      for (const auto& t : terms) {
        auto it = ix.field_weight.find(t);
        if (it == ix.field_weight.end()) continue;
        auto df = lexicon_->doc_freq.find(t);
        double n = static_cast<double>(lexicon_->entry_count);
        double d = df == lexicon_->doc_freq.end() ? 0 : df->second;
        score += it->second * std::log(1.0 + (n - d + 0.5) / (d + 0.5));
      }
      if (score > 0) scored.emplace_back(score, &ix);
    }
    std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second->doc->entry.id < b.second->doc->entry.id;
    });
    std::vector<bot::Hit> hits;
    for (const auto& [score, ix] : scored) {
      if (hits.size() >= limit) break;
      hits.push_back({ix->doc, score});
    }
    return hits;
  }

  const bot::Lexicon& lexicon() const { return *lexicon_; }
  std::shared_ptr<const bot::Lexicon> shared_lexicon() const { return lexicon_; }
  // How many times a version was taken (once per request).
  int version_calls() const { return version_calls_; }
  std::vector<std::vector<std::string>> searches() {
    std::lock_guard<std::mutex> lock(mu_);
    return searches_;
  }

 private:
  class Version : public bot::KnowledgeVersion {
   public:
    explicit Version(FakeRetriever* owner) : owner_(owner) {}
    const std::shared_ptr<const bot::Lexicon>& lexicon() const override { return owner_->lexicon_; }
    bot::Result<std::vector<bot::Hit>> Search(const std::vector<std::string>& terms, size_t limit) const override {
      return owner_->Search(terms, limit);
    }

   private:
    FakeRetriever* owner_;
  };
  struct Indexed {
    std::shared_ptr<const bot::IndexedEntry> doc;
    std::unordered_map<std::string, double> field_weight;  // term -> summed field weights
  };
  std::vector<Indexed> indexed_;
  std::shared_ptr<const bot::Lexicon> lexicon_;
  std::shared_ptr<const Version> version_;
  std::atomic<int> version_calls_{0};
  std::mutex mu_;
  std::vector<std::vector<std::string>> searches_;
};

// A knowledge base that cannot be read (a lost disk, a locked file).
class FailingRetriever : public bot::KnowledgeSource {
 public:
  bot::Result<std::shared_ptr<const bot::KnowledgeVersion>> CurrentVersion() override {
    return bot::Status::Unavailable("fake: the store cannot be read");
  }
};

// Reads fine, fails on search: the lexicon is there but the index is not.
class FailingSearchRetriever : public FakeRetriever {
 public:
  using FakeRetriever::FakeRetriever;
  bot::Result<std::vector<bot::Hit>> Search(const std::vector<std::string>&, size_t) override {
    return bot::Status::Unavailable("fake: search failed");
  }
};

// A clock the test sets.
class FakeClock : public bot::Clock {
 public:
  explicit FakeClock(int64_t now = 1700000000) : now_(now) {}
  int64_t NowSeconds() override { return now_; }
  int64_t SteadyMicros() override { return now_ * 1000000; }
  void Set(int64_t now) { now_ = now; }
  void Advance(int64_t seconds) { now_ += seconds; }

 private:
  std::atomic<int64_t> now_;
};

// Ids "id-1", "id-2", ... in order.
class FakeIdGenerator : public bot::IdGenerator {
 public:
  std::string NewId() override { return "id-" + std::to_string(++counter_); }
  int count() const { return counter_; }

 private:
  std::atomic<int> counter_{0};
};

// A small entry for tests.
inline bot::Entry MakeEntry(std::string id, std::string title, std::string body,
                            std::vector<std::string> questions = {}, std::vector<std::string> tags = {}) {
  bot::Entry e;
  e.id = std::move(id);
  e.title = std::move(title);
  e.body = std::move(body);
  e.questions = std::move(questions);
  e.tags = std::move(tags);
  e.source.article = "Test Article";
  e.source.section = e.title;
  return e;
}

}  // namespace fakes
