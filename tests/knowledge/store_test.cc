// The SQLite knowledge store: entries, the FTS5 index and its lexicon, the
// content version, the file format and the question log.
#include "knowledge/store.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "bot/text.h"
#include "../fakes/fake_retriever.h"
#include "../helpers/files.h"
#include "knowledge/builtin.h"
#include "knowledge/index_fields.h"

namespace {

using fakes::MakeEntry;

const char kSynonyms[] =
    "salary, salaries, pay, earn, earnings\n"
    "database, databases, db\n"
    "remote, remotely, work from home\n";

std::vector<bot::Entry> SampleEntries() {
  std::vector<bot::Entry> entries;
  entries.push_back(MakeEntry("salary", "Backend developer salary",
                              "Backend developers earn about 100,000 dollars a year.",
                              {"How much do backend developers earn?", "What is the average pay?"}, {"salary", "pay"}));
  entries.push_back(MakeEntry("databases", "Databases to learn", "Learn SQL first, then a NoSQL database.",
                              {"Which databases should I learn?"}, {"databases"}));
  entries.push_back(MakeEntry("remote", "Remote work", "Many backend jobs can be done from home.",
                              {"Can I work from home?", "Are remote jobs common?"}, {}));
  entries.push_back(MakeEntry("python", "Python for the backend", "Python has Django and Flask.",
                              {"Is Python good for backend development?"}, {"python", "languages"}));
  entries[0].source.url = "https://example.com/salary";
  entries[0].updated_at = "2026-01-01";
  return entries;
}

std::unique_ptr<knowledge::Store> OpenMemory() {
  auto store = knowledge::Store::Open(":memory:");
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return std::move(*store);
}

std::unique_ptr<knowledge::Store> SampleStore() {
  auto store = OpenMemory();
  bot::Status s = store->ReplaceAll(SampleEntries(), kSynonyms, "test");
  INFO(s.ToString());
  REQUIRE(s.ok());
  return store;
}

std::string Version(knowledge::Store& store) {
  auto v = store.GetMeta("version");
  REQUIRE(v.ok());
  return *v;
}

std::vector<std::string> Ids(const std::vector<bot::Hit>& hits) {
  std::vector<std::string> ids;
  for (const auto& h : hits) ids.push_back(h.entry().id);
  return ids;
}

std::string PragmaText(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    out = p ? p : "";
  }
  sqlite3_finalize(stmt);
  return out;
}

}  // namespace

TEST_CASE("ReplaceAll stores entries that ListEntries and GetEntry return", "[knowledge][store]") {
  auto store = SampleStore();
  auto list = store->ListEntries();
  REQUIRE(list.ok());
  REQUIRE(list->size() == 4);
  // Ordered by id.
  CHECK((*list)[0].id == "databases");
  CHECK((*list)[1].id == "python");
  CHECK((*list)[2].id == "remote");
  CHECK((*list)[3].id == "salary");
  auto e = store->GetEntry("salary");
  REQUIRE(e.ok());
  const bot::Entry expected = SampleEntries()[0];
  CHECK(e->title == expected.title);
  CHECK(e->body == expected.body);
  CHECK(e->questions == expected.questions);
  CHECK(e->tags == expected.tags);
  CHECK(e->source.article == expected.source.article);
  CHECK(e->source.section == expected.source.section);
  CHECK(e->source.url == "https://example.com/salary");
  CHECK(e->updated_at == "2026-01-01");
  auto remote = store->GetEntry("remote");
  REQUIRE(remote.ok());
  CHECK(remote->tags.empty());

  auto missing = store->GetEntry("no-such-entry");
  CHECK(missing.status().code() == bot::Status::Code::kNotFound);
  CHECK(store->GetEntry("").status().code() == bot::Status::Code::kNotFound);
  CHECK(store->GetEntry("' OR 1=1 --").status().code() == bot::Status::Code::kNotFound);
  auto count = store->CountEntries();
  REQUIRE(count.ok());
  CHECK(*count == 4);
}

TEST_CASE("ReplaceAll rejects invalid or duplicate ids and changes nothing", "[knowledge][store]") {
  auto store = SampleStore();
  const std::string version = Version(*store);
  auto check_unchanged = [&] {
    auto list = store->ListEntries();
    REQUIRE(list.ok());
    CHECK(list->size() == 4);
    CHECK(Version(*store) == version);
    auto lexicon = store->GetLexicon();
    REQUIRE(lexicon.ok());
    CHECK((*lexicon)->version == version);
    CHECK((*lexicon)->entry_count == 4);
  };
  SECTION("duplicate ids") {
    auto entries = SampleEntries();
    entries.push_back(MakeEntry("salary", "Another", "Another body.", {}));
    bot::Status s = store->ReplaceAll(entries, kSynonyms, "test");
    CHECK(s.code() == bot::Status::Code::kInvalidArgument);
    CHECK(s.message().find("salary") != std::string::npos);
    check_unchanged();
  }
  for (const char* bad : {"", "Has Spaces", "UPPER", "a--b", "-leading", "trailing-", "under_score", "dot.ted",
                          "caf\xC3\xA9"}) {
    SECTION(std::string("invalid id '") + bad + "'") {
      auto entries = SampleEntries();
      entries.push_back(MakeEntry(bad, "Title", "Body."));
      bot::Status s = store->ReplaceAll(entries, kSynonyms, "test");
      CHECK(s.code() == bot::Status::Code::kInvalidArgument);
      check_unchanged();
    }
  }
  SECTION("an entry without a title or body") {
    auto entries = SampleEntries();
    entries.push_back(MakeEntry("no-body", "Title", "   "));
    CHECK(store->ReplaceAll(entries, kSynonyms, "test").code() == bot::Status::Code::kInvalidArgument);
    entries.back() = MakeEntry("no-title", "", "Body.");
    CHECK(store->ReplaceAll(entries, kSynonyms, "test").code() == bot::Status::Code::kInvalidArgument);
    check_unchanged();
  }
}

TEST_CASE("Search finds entries by normalized terms", "[knowledge][store]") {
  auto store = SampleStore();
  auto lexicon = store->GetLexicon();
  REQUIRE(lexicon.ok());
  const bot::Normalizer& n = (*lexicon)->normalizer;

  SECTION("a synonym and its canonical term meet") {
    // "earn" and "pay" were indexed as the canonical "salari".
    auto hits = store->Search({"salari"}, 10);
    REQUIRE(hits.ok());
    REQUIRE(hits->size() == 1);
    CHECK((*hits)[0].entry().id == "salary");
    CHECK((*hits)[0].bm25 > 0);
    auto remote = store->Search({"remot"}, 10);
    REQUIRE(remote.ok());
    CHECK(Ids(*remote) == std::vector<std::string>{"remote"});
  }
  SECTION("hits carry each field's index terms, one string per question") {
    auto hits = store->Search({"salari", "databas", "remot", "python"}, 10);
    REQUIRE(hits.ok());
    REQUIRE(hits->size() == 4);
    for (const auto& h : *hits) {
      INFO("entry " << h.entry().id);
      CHECK(h.doc->title_terms == n.IndexText(h.entry().title));
      CHECK(h.doc->body_terms == n.IndexText(h.entry().body));
      REQUIRE(h.doc->question_terms.size() == h.entry().questions.size());
      for (size_t i = 0; i < h.doc->question_terms.size(); i++) {
        CHECK(h.doc->question_terms[i] == n.IndexText(h.entry().questions[i]));
      }
    }
    for (size_t i = 1; i < hits->size(); i++) CHECK((*hits)[i - 1].bm25 >= (*hits)[i].bm25);
  }
  SECTION("field weights rank a title or question match above a body match") {
    // "backend" is in the titles of the salary and python entries (and a
    // python question) but only in the body of the remote entry.
    auto hits = store->Search({"backend"}, 10);
    REQUIRE(hits.ok());
    REQUIRE(hits->size() == 3);
    CHECK(hits->back().entry().id == "remote");
  }
  SECTION("limits and empty queries") {
    auto none = store->Search({}, 10);
    REQUIRE(none.ok());
    CHECK(none->empty());
    auto zero = store->Search({"salari"}, 0);
    REQUIRE(zero.ok());
    CHECK(zero->empty());
    auto one = store->Search({"salari", "databas", "remot"}, 1);
    REQUIRE(one.ok());
    CHECK(one->size() == 1);
    auto unknown = store->Search({"zzzunknown"}, 10);
    REQUIRE(unknown.ok());
    CHECK(unknown->empty());
    auto raw = store->Search({"salary"}, 10);  // raw words are not index terms
    REQUIRE(raw.ok());
    CHECK(raw->empty());
  }
}

TEST_CASE("question_terms has one string per question even when a question has no index terms",
          "[knowledge][store]") {
  auto store = OpenMemory();
  std::vector<bot::Entry> entries = {
      MakeEntry("only-stop-words", "Salary facts", "Pay is good.", {"What is it?"}),
      MakeEntry("first-stop-words", "Salary more", "Pay is fine.", {"What is this?", "How much do they earn?"}),
  };
  REQUIRE(store->ReplaceAll(entries, kSynonyms, "test").ok());
  auto hits = store->Search({"salari"}, 10);
  REQUIRE(hits.ok());
  REQUIRE(hits->size() == 2);
  for (const auto& h : *hits) {
    INFO("entry " << h.entry().id);
    CHECK(h.doc->question_terms.size() == h.entry().questions.size());
  }
}

TEST_CASE("Fts5OrQuery quotes every term", "[knowledge][store]") {
  CHECK(knowledge::Fts5OrQuery({}) == "");
  CHECK(knowledge::Fts5OrQuery({"a"}) == "\"a\"");
  CHECK(knowledge::Fts5OrQuery({"a", "b"}) == "\"a\" OR \"b\"");
  CHECK(knowledge::Fts5OrQuery({"", "x", ""}) == "\"x\"");
  CHECK(knowledge::Fts5OrQuery({"a\"b"}) == "\"a\"\"b\"");
  CHECK(knowledge::Fts5OrQuery({"\""}) == "\"\"\"\"");
  CHECK(knowledge::Fts5OrQuery({"NEAR(", "*"}) == "\"NEAR(\" OR \"*\"");
}

TEST_CASE("FTS5 syntax in search terms never errors", "[knowledge][store]") {
  auto store = SampleStore();
  const std::vector<std::string> hostile = {
      "\"", "\"\"", "a\"b", "*", "salari*", "NEAR(", "NEAR(salari databas)", "NEAR", "AND", "OR", "NOT",
      "-x", "-", "col:", "title:salari", "questions:", "{title body}:salari", "^salari", "(", ")", "()",
      "+", "salari OR", "' OR 1=1 --", "'; DROP TABLE entries; --", "\\", ":", "\xEF\xBF\xBD",
      std::string(1000, 'x'),
  };
  for (const auto& term : hostile) {
    INFO("term: " << term);
    auto hits = store->Search({term}, 10);
    CHECK(hits.ok());
    if (!hits.ok()) {
      INFO(hits.status().ToString());
      CHECK(false);
    }
  }
  auto all = store->Search(hostile, 10);
  INFO(all.status().ToString());
  CHECK(all.ok());
  // The quoting made each term a plain string: "title:salari" is the phrase
  // "title salari", which no entry holds, not a column filter.
  auto filtered = store->Search({"title:salari"}, 10);
  REQUIRE(filtered.ok());
  CHECK(filtered->empty());
  // The store is intact.
  auto count = store->CountEntries();
  REQUIRE(count.ok());
  CHECK(*count == 4);
}

TEST_CASE("Fts5OrQuery output is a valid MATCH expression for any terms", "[knowledge][store]") {
  // Search() only passes terms the index holds, so this asks FTS5 directly,
  // on the store's own table, with what Fts5OrQuery makes of hostile terms.
  testing_helpers::TempDir dir;
  const std::string path = dir.File("kb.db");
  {
    auto store = knowledge::Store::Open(path);
    REQUIRE(store.ok());
    REQUIRE((*store)->ReplaceAll(SampleEntries(), kSynonyms, "test").ok());
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  auto match = [&](const std::vector<std::string>& terms, int* rows) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db, "SELECT rowid FROM entries_fts WHERE entries_fts MATCH ?1", -1, &stmt, nullptr);
    if (rc != SQLITE_OK) return std::string(sqlite3_errmsg(db));
    std::string q = knowledge::Fts5OrQuery(terms);
    sqlite3_bind_text(stmt, 1, q.data(), static_cast<int>(q.size()), SQLITE_TRANSIENT);
    *rows = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) (*rows)++;
    std::string result = rc == SQLITE_DONE ? "" : std::string(sqlite3_errmsg(db));
    sqlite3_finalize(stmt);
    return result;
  };
  const std::vector<std::string> hostile = {
      "\"", "\"\"", "a\"b", "*", "salari*", "NEAR(", "NEAR(salari databas)", "NEAR", "AND", "OR", "NOT",
      "-x", "-", "col:", "title:salari", "questions:", "{title body}:salari", "^salari", "(", ")", "()",
      "+", "salari OR", "' OR 1=1 --", "'; DROP TABLE entries; --", "\\", ":", "\xEF\xBF\xBD",
      std::string(1000, 'x'),
  };
  for (const auto& term : hostile) {
    INFO("term: " << term << " -> " << knowledge::Fts5OrQuery({term}));
    int rows = 0;
    CHECK(match({term}, &rows) == "");
  }
  int rows = 0;
  CHECK(match(hostile, &rows) == "");
  // Quoted, "title:salari" is the phrase "title salari", not a column filter.
  CHECK(match({"title:salari"}, &rows) == "");
  CHECK(rows == 0);
  // A plain term still matches.
  CHECK(match({"salari"}, &rows) == "");
  CHECK(rows == 1);
  sqlite3_close(db);
}

TEST_CASE("the lexicon's version follows the content", "[knowledge][store]") {
  auto store = SampleStore();
  auto first = store->GetLexicon();
  REQUIRE(first.ok());
  const std::string v1 = (*first)->version;
  CHECK(v1.rfind("kb-", 0) == 0);
  CHECK(v1 == Version(*store));
  CHECK((*first)->entry_count == 4);

  SECTION("unchanged content gives the same, cached lexicon") {
    auto again = store->GetLexicon();
    REQUIRE(again.ok());
    CHECK(again->get() == first->get());
    REQUIRE(store->ReplaceAll(SampleEntries(), kSynonyms, "test").ok());
    auto same = store->GetLexicon();
    REQUIRE(same.ok());
    CHECK((*same)->version == v1);
  }
  SECTION("entries in another order give the same version") {
    auto entries = SampleEntries();
    std::reverse(entries.begin(), entries.end());
    REQUIRE(store->ReplaceAll(entries, kSynonyms, "other origin").ok());
    CHECK(Version(*store) == v1);
  }
  SECTION("a changed body changes the version, and back") {
    auto entries = SampleEntries();
    entries[1].body += " Also Redis.";
    REQUIRE(store->ReplaceAll(entries, kSynonyms, "test").ok());
    auto changed = store->GetLexicon();
    REQUIRE(changed.ok());
    CHECK((*changed)->version != v1);
    CHECK((*changed)->doc_freq.count("redi") + (*changed)->doc_freq.count("redis") == 1);
    REQUIRE(store->ReplaceAll(SampleEntries(), kSynonyms, "test").ok());
    auto back = store->GetLexicon();
    REQUIRE(back.ok());
    CHECK((*back)->version == v1);
  }
  SECTION("changed synonyms change the version") {
    REQUIRE(store->ReplaceAll(SampleEntries(), std::string(kSynonyms) + "python, py\n", "test").ok());
    auto changed = store->GetLexicon();
    REQUIRE(changed.ok());
    CHECK((*changed)->version != v1);
  }
  SECTION("fewer entries change the version and the count") {
    auto entries = SampleEntries();
    entries.pop_back();
    REQUIRE(store->ReplaceAll(entries, kSynonyms, "test").ok());
    auto changed = store->GetLexicon();
    REQUIRE(changed.ok());
    CHECK((*changed)->version != v1);
    CHECK((*changed)->entry_count == 3);
  }
  SECTION("another store with the same content has the same version") {
    auto other = SampleStore();
    CHECK(Version(*other) == v1);
  }
}

TEST_CASE("the lexicon's doc_freq counts entries per term, as the fake retriever does", "[knowledge][store]") {
  auto store = SampleStore();
  auto lexicon = store->GetLexicon();
  REQUIRE(lexicon.ok());
  fakes::FakeRetriever fake(SampleEntries(), kSynonyms);
  CHECK((*lexicon)->entry_count == fake.lexicon().entry_count);
  CHECK((*lexicon)->doc_freq == fake.lexicon().doc_freq);
  CHECK((*lexicon)->head_terms == fake.lexicon().head_terms);
  CHECK((*lexicon)->head_terms.count("salari") == 1);  // a title word
  CHECK((*lexicon)->head_terms.count("flask") == 0);   // only ever in a body
  CHECK((*lexicon)->doc_freq.at("salari") == 1);
  CHECK((*lexicon)->doc_freq.at("backend") == 3);  // salary title and body, remote body, python question
  // Both find the same entries for the same terms.
  for (const std::vector<std::string>& terms : std::vector<std::vector<std::string>>{
           {"salari"}, {"backend"}, {"learn", "python"}, {"remot", "home", "job"}}) {
    auto a = store->Search(terms, 10);
    auto b = fake.Search(terms, 10);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    auto ida = Ids(*a), idb = Ids(*b);
    std::sort(ida.begin(), ida.end());
    std::sort(idb.begin(), idb.end());
    CHECK(ida == idb);
  }
  // The lexicon's normalizer is the one the store indexed with.
  CHECK((*lexicon)->normalizer.IndexText("work from home") == "remot work home");
}

namespace {
// A made-up word for n: "zq" and n in base 26 as letters.
std::string MadeUpWord(size_t n) {
  std::string w = "zq";
  do {
    w += static_cast<char>('a' + n % 26);
    n /= 26;
  } while (n > 0);
  return w;
}

// BM25F as Search() defines it (index_fields.h: the field weights; k1 1.2,
// b 0.75; bot::Idf), computed from every entry's indexed fields: the Hits of
// searches for `terms`, one at a time, which find all `n` entries.
class Bm25fReference {
 public:
  Bm25fReference(knowledge::Store& store, const std::vector<std::string>& terms, size_t n) : n_(n) {
    auto lexicon = store.GetLexicon();
    REQUIRE(lexicon.ok());
    lexicon_ = *lexicon;
    for (const auto& term : terms) {
      auto hits = store.Search({term}, n + 1);
      REQUIRE(hits.ok());
      for (const auto& h : *hits) {
        std::string questions;
        for (const auto& q : h.doc->question_terms) questions += q + " | ";
        fields_[h.entry().id] = {Split(h.doc->title_terms), Split(questions), Split(h.doc->tag_terms),
                                 Split(h.doc->body_terms)};
      }
    }
    REQUIRE(fields_.size() == n);
    for (const auto& [id, f] : fields_) {
      for (int i = 0; i < 4; i++) avg_[i] += static_cast<double>(f[i].size()) / static_cast<double>(n);
    }
    for (double& length : avg_) length = std::max(1.0, length);
  }
  double Score(const std::string& id, const std::vector<std::string>& terms) const {
    const double weights[4] = {knowledge::kTitleWeight, knowledge::kQuestionsWeight, knowledge::kTagsWeight,
                               knowledge::kBodyWeight};
    double score = 0;
    for (const auto& t : terms) {
      double tf = 0;
      for (int i = 0; i < 4; i++) {
        const auto& words = fields_.at(id)[i];
        double count = static_cast<double>(std::count(words.begin(), words.end(), t));
        tf += weights[i] * count / (1 - 0.75 + 0.75 * static_cast<double>(words.size()) / avg_[i]);
      }
      if (tf > 0) score += bot::Idf(n_, lexicon_->doc_freq.at(t)) * tf * 2.2 / (tf + 1.2);
    }
    return score;
  }

 private:
  static std::vector<std::string> Split(const std::string& text) {
    std::vector<std::string> words;
    for (size_t start = 0; start < text.size();) {
      size_t end = text.find(' ', start);
      if (end == std::string::npos) end = text.size();
      if (end > start && text.substr(start, end - start) != "|") words.push_back(text.substr(start, end - start));
      start = end + 1;
    }
    return words;
  }
  size_t n_;
  std::shared_ptr<const bot::Lexicon> lexicon_;
  std::map<std::string, std::array<std::vector<std::string>, 4>> fields_;
  double avg_[4] = {0, 0, 0, 0};
};
}  // namespace

TEST_CASE("the snapshot's cache of FTS5's answers per term never changes what a search finds",
          "[knowledge][store][cache]") {
  // 700 entries of 14 words of their own: a vocabulary larger than the
  // cache's slots (terms share slots), plus a word in every entry and one in
  // 600 (too common to be kept: FTS5 answers them every time) and one per
  // group of 100 (kept).
  auto make = [](size_t shift) {
    std::vector<bot::Entry> entries;
    for (size_t i = 0; i < 700; i++) {
      std::string body = MadeUpWord(200000) + " " + MadeUpWord(100000 + i % 7);
      if (i < 600) body += " " + MadeUpWord(200001);
      for (size_t j = 0; j < 13; j++) body += " " + MadeUpWord(((i + shift) % 700) * 13 + j);
      std::vector<std::string> questions, tags;
      if (i % 3 == 0) questions.push_back("What about " + MadeUpWord(((i + shift) % 700) * 13) + "?");
      if (i % 2 == 0) tags.push_back(MadeUpWord(100000 + i % 7));
      entries.push_back(
          MakeEntry("e" + std::to_string(i), "Entry " + MadeUpWord(50000 + (i + shift) % 700), body, questions, tags));
    }
    return entries;
  };
  const std::string synonyms = "";
  // Queries of one to four index terms: own words of different entries, a
  // group word, and now and then a common one.
  auto queries = [](const bot::Normalizer& n) {
    std::vector<std::vector<std::string>> qs;
    for (size_t q = 0; q < 300; q++) {
      std::vector<std::string> words = {MadeUpWord(((q * 7) % 700) * 13 + q % 13)};
      if (q % 2) words.push_back(MadeUpWord(((q * 31 + 5) % 700) * 13 + (q + 3) % 13));
      if (q % 3 == 0) words.push_back(MadeUpWord(100000 + q % 7));
      if (q % 5 == 0) words.push_back(MadeUpWord(q % 10 ? 200000 : 200001));
      if (q % 15 == 0) words.push_back(MadeUpWord(200000));
      if (q % 11 == 0) words.push_back(words[0]);  // a term twice counts twice
      std::vector<std::string> terms;
      for (const auto& w : words) terms.push_back(n.IndexText(w));
      qs.push_back(terms);
    }
    return qs;
  };
  auto run = [](knowledge::Store& store, const std::vector<std::vector<std::string>>& qs, bool reverse) {
    std::vector<std::vector<std::pair<std::string, double>>> out(qs.size());
    for (size_t k = 0; k < qs.size(); k++) {
      size_t i = reverse ? qs.size() - 1 - k : k;
      auto hits = store.Search(qs[i], 1000);
      REQUIRE(hits.ok());
      for (const auto& h : *hits) out[i].emplace_back(h.entry().id, h.bm25);
    }
    return out;
  };
  for (size_t shift : {0, 3}) {
    INFO("entries shifted by " << shift);
    auto entries = make(shift);
    auto a = OpenMemory();
    auto b = OpenMemory();
    // `a` had other content first: its cache is of the version before.
    REQUIRE(a->ReplaceAll(make(shift + 1), synonyms, "test").ok());
    REQUIRE(run(*a, queries(bot::Normalizer(bot::SynonymTable::Parse(synonyms))), false).size() == 300);
    REQUIRE(a->ReplaceAll(entries, synonyms, "test").ok());
    REQUIRE(b->ReplaceAll(entries, synonyms, "test").ok());
    auto lexicon = a->GetLexicon();
    REQUIRE(lexicon.ok());
    REQUIRE((*lexicon)->doc_freq.size() > 8192);
    auto qs = queries((*lexicon)->normalizer);
    for (const auto& q : qs) {
      for (const auto& t : q) {
        INFO("term '" << t << "'");
        REQUIRE((*lexicon)->doc_freq.count(t) == 1);
      }
    }
    auto cold = run(*a, qs, false);  // `a` in order, then again, warm
    auto warm = run(*a, qs, false);
    auto other = run(*b, qs, true);  // `b` in reverse: other terms kept at each search
    fakes::FakeRetriever fake(entries, synonyms);
    // BM25F computed here from each entry's indexed fields.
    Bm25fReference bm25f(*b, {(*lexicon)->normalizer.IndexText(MadeUpWord(200000))}, 700);
    for (size_t i = 0; i < qs.size(); i++) {
      INFO("query " << i);
      REQUIRE(!cold[i].empty());
      CHECK(cold[i] == warm[i]);
      CHECK(cold[i] == other[i]);
      // The entries found are the ones holding any of the terms.
      auto expected = fake.Search(qs[i], 1000);
      REQUIRE(expected.ok());
      std::vector<std::string> want = Ids(*expected), got;
      for (const auto& [id, score] : cold[i]) got.push_back(id);
      std::sort(want.begin(), want.end());
      std::sort(got.begin(), got.end());
      CHECK(got == want);
      for (const auto& [id, score] : cold[i]) {
        INFO("entry " << id);
        CHECK(score == Approx(bm25f.Score(id, qs[i])).epsilon(1e-9));
      }
    }
  }
}

TEST_CASE("a search bounded to its first terms' entries scores them on every term", "[knowledge][store][cache]") {
  // 4,200 entries. `wide` is in all but every 20th from the 8th on, too
  // many for any other term's entries to join the candidates after it;
  // `rare` is in every 40th entry from the 1st and every 40th from the 8th,
  // half of them not candidates. A search for `wide rare` scores the
  // candidates on both terms, `wide` read from each candidate's terms and
  // `rare` from its postings.
  std::vector<bot::Entry> entries;
  for (size_t i = 0; i < 4200; i++) {
    std::string body = MadeUpWord(200000) + " " + MadeUpWord(i);
    if (i % 20 != 7) body += " " + MadeUpWord(200001);
    if (i % 40 == 0 || i % 40 == 7) body += " " + MadeUpWord(200002);
    entries.push_back(MakeEntry("e" + std::to_string(i), "Entry " + MadeUpWord(50000 + i), body));
  }
  auto store = OpenMemory();
  REQUIRE(store->ReplaceAll(entries, "", "test").ok());
  auto lexicon = store->GetLexicon();
  REQUIRE(lexicon.ok());
  const bot::Normalizer& n = (*lexicon)->normalizer;
  const std::string wide = n.IndexText(MadeUpWord(200001)), rare = n.IndexText(MadeUpWord(200002));
  REQUIRE((*lexicon)->doc_freq.at(wide) == 3990);
  REQUIRE((*lexicon)->doc_freq.at(rare) == 210);
  REQUIRE(3990 + 210 > knowledge::kMaxSearchCandidates);
  std::vector<std::string> own;  // each entry's own word
  for (size_t i = 0; i < 4200; i++) own.push_back(n.IndexText(MadeUpWord(i)));
  Bm25fReference bm25f(*store, own, 4200);
  for (int pass = 0; pass < 2; pass++) {  // the postings built, then kept
    INFO("pass " << pass);
    auto hits = store->Search({wide, rare}, 5000);
    REQUIRE(hits.ok());
    CHECK(hits->size() == 3990);
    size_t with_rare = 0;
    for (const auto& h : *hits) {
      INFO("entry " << h.entry().id);
      size_t i = std::stoul(h.entry().id.substr(1));
      CHECK(i % 20 != 7);
      with_rare += i % 40 == 0;
      CHECK(h.bm25 == Approx(bm25f.Score(h.entry().id, {wide, rare})).epsilon(1e-9));
    }
    CHECK(with_rare == 105);
    // With `rare` first, its entries are the candidates.
    auto narrow = store->Search({rare, wide}, 5000);
    REQUIRE(narrow.ok());
    CHECK(narrow->size() == 210);
  }
}

TEST_CASE("a file-backed store uses WAL and records its schema version", "[knowledge][store]") {
  testing_helpers::TempDir dir;
  REQUIRE_FALSE(dir.path().empty());
  const std::string path = dir.File("kb.db");
  {
    auto store = knowledge::Store::Open(path);
    REQUIRE(store.ok());
    REQUIRE((*store)->ReplaceAll(SampleEntries(), kSynonyms, "test").ok());
    auto schema = (*store)->GetMeta("schema_version");
    REQUIRE(schema.ok());
    CHECK(*schema == std::to_string(knowledge::kSchemaVersion));
    CHECK((*store)->GetMeta("no-such-key").status().code() == bot::Status::Code::kNotFound);
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  CHECK(PragmaText(db, "PRAGMA journal_mode") == "wal");
  CHECK(PragmaText(db, "PRAGMA user_version") == std::to_string(knowledge::kSchemaVersion));
  CHECK(PragmaText(db, "SELECT value FROM meta WHERE key = 'schema_version'") ==
        std::to_string(knowledge::kSchemaVersion));
  CHECK(PragmaText(db, "SELECT count(*) FROM entries") == "4");
  sqlite3_close(db);

  SECTION("it reopens read-only with the same content") {
    auto ro = knowledge::Store::Open(path, knowledge::Store::Mode::kReadOnly);
    REQUIRE(ro.ok());
    auto list = (*ro)->ListEntries();
    REQUIRE(list.ok());
    CHECK(list->size() == 4);
    CHECK((*ro)->ReplaceAll(SampleEntries(), kSynonyms, "x").code() == bot::Status::Code::kUnavailable);
  }
  SECTION("a newer schema is refused") {
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    auto newer = knowledge::Store::Open(path);
    CHECK(newer.status().code() == bot::Status::Code::kUnavailable);
  }
}

TEST_CASE("opening what is not a knowledge base fails with Unavailable", "[knowledge][store]") {
  testing_helpers::TempDir dir;
  CHECK(knowledge::Store::Open(dir.File("missing.db"), knowledge::Store::Mode::kReadOnly).status().code() ==
        bot::Status::Code::kUnavailable);
  CHECK(knowledge::Store::Open(dir.File("no/such/dir/kb.db")).status().code() == bot::Status::Code::kUnavailable);
  REQUIRE(testing_helpers::WriteWholeFile(dir.File("junk.db"), std::string(4096, 'j')));
  CHECK(knowledge::Store::Open(dir.File("junk.db")).status().code() == bot::Status::Code::kUnavailable);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(dir.File("other.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  CHECK(knowledge::Store::Open(dir.File("other.db"), knowledge::Store::Mode::kReadOnly).status().code() ==
        bot::Status::Code::kUnavailable);
}

TEST_CASE("building twice from the same files gives the same version", "[knowledge][store]") {
  testing_helpers::TempDir dir;
  const knowledge::KnowledgeFiles files = knowledge::BuiltinKnowledge();
  REQUIRE(knowledge::BuildKnowledgeBase(dir.File("a.db"), files, "builtin:" + files.fingerprint).ok());
  REQUIRE(knowledge::BuildKnowledgeBase(dir.File("b.db"), files, "builtin:" + files.fingerprint).ok());
  auto a = knowledge::Store::Open(dir.File("a.db"), knowledge::Store::Mode::kReadOnly);
  auto b = knowledge::Store::Open(dir.File("b.db"), knowledge::Store::Mode::kReadOnly);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  const std::string va = Version(**a);
  CHECK(va == Version(**b));
  CHECK(knowledge::BuiltinKnowledge().fingerprint == files.fingerprint);
  // Rebuilding in place keeps it too.
  REQUIRE(knowledge::BuildKnowledgeBase(dir.File("a.db"), files, "builtin:" + files.fingerprint).ok());
  auto again = knowledge::Store::Open(dir.File("a.db"), knowledge::Store::Mode::kReadOnly);
  REQUIRE(again.ok());
  CHECK(Version(**again) == va);
}

TEST_CASE("OpenOrBuild builds a missing knowledge base once", "[knowledge][store]") {
  testing_helpers::TempDir dir;
  const std::string path = dir.File("sub/dir/kb.db");
  bool built = false;
  {
    auto store = knowledge::OpenOrBuild(path, &built);
    REQUIRE(store.ok());
    CHECK(built);
    auto count = (*store)->CountEntries();
    REQUIRE(count.ok());
    CHECK(*count == knowledge::BuiltinKnowledge().entries.size());
  }
  auto again = knowledge::OpenOrBuild(path, &built);
  REQUIRE(again.ok());
  CHECK_FALSE(built);
}

TEST_CASE("the question log records feedback on known answers only", "[knowledge][store]") {
  testing_helpers::TempDir dir;
  const std::string path = dir.File("kb.db");
  {
    auto opened = knowledge::Store::Open(path);
    REQUIRE(opened.ok());
    auto& store = *opened;
    REQUIRE(store->ReplaceAll(SampleEntries(), kSynonyms, "test").ok());
    knowledge::LoggedQuestion q;
    q.answer_id = "answer-1";
    q.asked_at = 1700000000;
    q.channel = "http";
    q.question = "How much do backend developers earn?";
    q.normalized = "backend develop salari";
    q.answered = true;
    q.kind = "kb";
    q.confidence = 0.9;
    q.entry_id = "salary";
    REQUIRE(store->LogQuestion(q).ok());
    CHECK(store->RecordFeedback("answer-1", true, "very helpful", 1700000100).ok());
    auto unknown = store->RecordFeedback("answer-404", false, "", 1700000200);
    CHECK(unknown.code() == bot::Status::Code::kNotFound);
    CHECK(store->RecordFeedback("", false, "", 1700000200).code() == bot::Status::Code::kNotFound);
    // Feedback may be given again; the last one counts.
    CHECK(store->RecordFeedback("answer-1", false, "changed my mind", 1700000300).ok());
    // A long question is capped, invalid UTF-8 does not fail the log.
    q.answer_id = "answer-2";
    q.question = std::string(10000, 'q') + "\xFF";
    CHECK(store->LogQuestion(q).ok());
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  CHECK(PragmaText(db, "SELECT count(*) FROM question_log") == "2");
  CHECK(PragmaText(db, "SELECT helpful FROM question_log WHERE answer_id = 'answer-1'") == "0");
  CHECK(PragmaText(db, "SELECT comment FROM question_log WHERE answer_id = 'answer-1'") == "changed my mind");
  CHECK(PragmaText(db, "SELECT feedback_at FROM question_log WHERE answer_id = 'answer-1'") == "1700000300");
  CHECK(PragmaText(db, "SELECT entry_id FROM question_log WHERE answer_id = 'answer-1'") == "salary");
  CHECK(std::stoul(PragmaText(db, "SELECT length(CAST(question AS BLOB)) FROM question_log WHERE answer_id = 'answer-2'")) <=
        2000);
  sqlite3_close(db);
}

TEST_CASE("the built-in knowledge is complete and loads into a store", "[knowledge][store]") {
  const knowledge::KnowledgeFiles files = knowledge::BuiltinKnowledge();
  REQUIRE_FALSE(files.entries.empty());
  CHECK(files.issues.empty());
  CHECK_FALSE(files.synonyms.empty());
  CHECK_FALSE(files.tests.empty());
  CHECK_FALSE(files.fingerprint.empty());
  std::set<std::string> ids;
  for (const auto& e : files.entries) {
    INFO("entry " << e.id);
    CHECK(bot::IsValidSlug(e.id));
    CHECK(ids.insert(e.id).second);
    CHECK_FALSE(bot::Trim(e.title).empty());
    CHECK_FALSE(bot::Trim(e.body).empty());
    CHECK_FALSE(e.source.article.empty());
    CHECK_FALSE(e.questions.empty());
  }
  std::vector<std::string> warnings;
  bot::SynonymTable::Parse(files.synonyms, &warnings);
  CHECK(warnings.empty());
  auto store = OpenMemory();
  REQUIRE(store->ReplaceAll(files.entries, files.synonyms, "builtin:" + files.fingerprint).ok());
  auto count = store->CountEntries();
  REQUIRE(count.ok());
  CHECK(*count == files.entries.size());
}

namespace {

// Four threads read (lexicon and search) while the main thread replaces the
// whole knowledge base 30 times. Every read and every write must succeed, and
// readers must always see a whole version.
void CheckReadsDuringRebuilds(knowledge::Store* store) {
  REQUIRE(store->ReplaceAll(SampleEntries(), kSynonyms, "test").ok());
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, searches{0};
  std::mutex mu;
  std::string first_error;
  auto note = [&](const std::string& error) {
    failures++;
    std::lock_guard<std::mutex> lock(mu);
    if (first_error.empty()) first_error = error;
  };
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; t++) {
    readers.emplace_back([&] {
      while (!stop) {
        auto lexicon = store->GetLexicon();
        auto hits = store->Search({"salari", "databas"}, 10);
        if (!lexicon.ok()) note("lexicon: " + lexicon.status().ToString());
        if (!hits.ok()) note("search: " + hits.status().ToString());
        if (lexicon.ok() && (*lexicon)->entry_count != 4) note("saw " + std::to_string((*lexicon)->entry_count) + " entries");
        if (hits.ok() && hits->size() != 2) note("saw " + std::to_string(hits->size()) + " hits");
        searches++;
      }
    });
  }
  auto other = SampleEntries();
  other[0].body += " More.";
  int write_failures = 0;
  std::string first_write_error;
  // Wait for reads between writes, so that they overlap even when the
  // machine is busy and the readers are scheduled late.
  auto wait_for_reads = [&] {
    int seen = searches.load();
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (searches.load() < seen + 2 && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
  };
  for (int i = 0; i < 30; i++) {
    wait_for_reads();
    bot::Status s = store->ReplaceAll(i % 2 ? other : SampleEntries(), kSynonyms, "test");
    if (!s.ok()) {
      write_failures++;
      if (first_write_error.empty()) first_write_error = s.ToString();
    }
  }
  stop = true;
  for (auto& r : readers) r.join();
  INFO("first reader error: " << first_error);
  INFO("first write error: " << first_write_error);
  CHECK(write_failures == 0);
  CHECK(failures == 0);
  CHECK(searches > 0);
}

}  // namespace

TEST_CASE("searches may run while a file-backed knowledge base is replaced", "[knowledge][store][concurrency]") {
  testing_helpers::TempDir dir;
  auto store = knowledge::Store::Open(dir.File("kb.db"));
  REQUIRE(store.ok());
  CheckReadsDuringRebuilds(store->get());
}

TEST_CASE("searches may run while an in-memory knowledge base is replaced", "[knowledge][store][concurrency]") {
  auto store = OpenMemory();
  CheckReadsDuringRebuilds(store.get());
}
