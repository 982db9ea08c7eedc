// The question log's asynchronous writer (knowledge/question_log.h) and the
// compact in-memory index behind Store::Search (knowledge/search_index.cc).
#include "knowledge/question_log.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "../helpers/files.h"
#include "app/service.h"
#include "knowledge/builtin.h"
#include "knowledge/store.h"

namespace {

knowledge::LoggedQuestion Line(const std::string& answer_id, bool answered = false) {
  knowledge::LoggedQuestion q;
  q.answer_id = answer_id;
  q.asked_at = 1800000000;
  q.channel = "http";
  q.question = "question " + answer_id;
  q.normalized = "question";
  q.answered = answered;
  q.kind = answered ? "kb" : "none";
  q.confidence = answered ? 0.9 : 0.1;
  return q;
}

int64_t CountRows(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
      n = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return n;
}

}  // namespace

TEST_CASE("the question log queue is bounded: a full queue drops and counts, never waits",
          "[knowledge][log][concurrency]") {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::promise<void> entered;
  bool signalled = false;
  std::vector<std::string> written;
  knowledge::QuestionLogQueue queue(
      [&](const std::vector<knowledge::LoggedQuestion>& lines) {
        std::unique_lock<std::mutex> lock(mu);
        if (!signalled) {
          signalled = true;
          entered.set_value();
        }
        cv.wait(lock, [&] { return release; });
        for (const auto& l : lines) written.push_back(l.answer_id);
        return bot::Status::Ok();
      },
      /*capacity=*/4, /*max_batch=*/100);
  REQUIRE(queue.Push(Line("a0")));
  // The writer holds a0 (its disk is "slow"); four more fill the queue.
  REQUIRE(entered.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  for (int i = 1; i <= 4; i++) CHECK(queue.Push(Line("a" + std::to_string(i))));
  auto before = std::chrono::steady_clock::now();
  CHECK_FALSE(queue.Push(Line("a5")));  // full: dropped at once
  CHECK_FALSE(queue.Push(Line("a6")));
  CHECK(std::chrono::steady_clock::now() - before < std::chrono::seconds(1));
  auto stats = queue.stats();
  CHECK(stats.dropped == 2);
  CHECK(stats.queued == 4);
  CHECK(stats.written == 0);
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  queue.Flush();
  stats = queue.stats();
  CHECK(stats.written == 5);
  CHECK(stats.queued == 0);
  CHECK(stats.dropped == 2);
  std::lock_guard<std::mutex> lock(mu);
  CHECK(written == std::vector<std::string>{"a0", "a1", "a2", "a3", "a4"});
}

TEST_CASE("the question log queue keeps a failed batch and writes it once the disk works",
          "[knowledge][log][concurrency]") {
  std::atomic<int> calls{0};
  std::atomic<int> errors{0};
  std::vector<std::string> written;  // only touched by the writer thread, read after Flush
  knowledge::QuestionLogQueue queue([&](const std::vector<knowledge::LoggedQuestion>& lines) {
    if (calls++ == 0) return bot::Status::Unavailable("disk full");
    for (const auto& l : lines) written.push_back(l.answer_id);
    return bot::Status::Ok();
  });
  queue.set_on_error([&](const bot::Status& s) {
    CHECK(s.message() == "disk full");
    errors++;
  });
  REQUIRE(queue.Push(Line("b0")));
  queue.Flush();  // returns once b0 was tried, though it failed
  auto stats = queue.stats();
  CHECK(stats.written == 0);
  CHECK(stats.retried >= 1);  // b0 went back in the queue for another try
  REQUIRE(queue.Push(Line("b1")));
  queue.Flush();
  stats = queue.stats();
  CHECK(stats.written == 2);
  CHECK(stats.failed == 0);
  CHECK(stats.queued == 0);
  CHECK(errors == 1);
  CHECK(written == std::vector<std::string>{"b0", "b1"});
}

TEST_CASE("a flush writes a line whose earlier try failed at once when the disk works again",
          "[knowledge][log][concurrency]") {
  // Feedback flushes the log before it looks for its answer's line. A line
  // tried while the disk was full must be written by that flush, not a retry
  // delay later: else the feedback is refused (404) though its answer exists.
  std::atomic<bool> full{true};
  knowledge::QuestionLogQueue queue([&](const std::vector<knowledge::LoggedQuestion>&) {
    return full ? bot::Status::Unavailable("disk full") : bot::Status::Ok();
  });
  REQUIRE(queue.Push(Line("c0")));
  queue.Flush();  // tried once, failed: queued again
  CHECK(queue.stats().written == 0);
  CHECK(queue.stats().retried >= 1);
  full = false;
  queue.Flush();  // tried again now, not after the retry delay
  CHECK(queue.stats().written == 1);
  CHECK(queue.stats().queued == 0);
  queue.Flush();  // nothing waiting: returns at once
  CHECK(queue.stats().written == 1);
}

TEST_CASE("a queue that cannot write gives up on its lines when it stops, and says how many",
          "[knowledge][log][concurrency]") {
  std::atomic<int> calls{0};
  {
    knowledge::QuestionLogQueue queue(
        [&](const std::vector<knowledge::LoggedQuestion>&) {
          calls++;
          return bot::Status::Unavailable("read-only file system");
        },
        100, 2);
    for (int i = 0; i < 5; i++) REQUIRE(queue.Push(Line("e" + std::to_string(i))));
    queue.Flush();  // every line tried once (in batches of 2), none written: Flush still returns
    CHECK(queue.stats().written == 0);
    CHECK(queue.stats().retried >= 5);
  }  // the destructor tries once more, then stops: it does not hang
  CHECK(calls >= 6);
}

TEST_CASE("a store writes its queued question log when it closes", "[knowledge][log][concurrency]") {
  testing_helpers::TempDir dir;
  const std::string path = dir.File("kb.db");
  {
    auto store = knowledge::Store::Open(path);
    REQUIRE(store.ok());
    for (int i = 0; i < 3000; i++) CHECK((*store)->EnqueueQuestion(Line("c" + std::to_string(i))));
    // No flush: closing the store must write them.
  }
  CHECK(CountRows(path, "SELECT count(*) FROM question_log") == 3000);
}

TEST_CASE("feedback finds an answer whose log line is still queued", "[knowledge][log][concurrency]") {
  testing_helpers::TempDir dir;
  auto store = knowledge::Store::Open(dir.File("kb.db"));
  REQUIRE(store.ok());
  // Many lines ahead of it, so the last one is most likely still queued.
  for (int i = 0; i < 5000; i++) REQUIRE((*store)->EnqueueQuestion(Line("d" + std::to_string(i))));
  CHECK((*store)->RecordFeedback("d4999", false, "not helpful", 1800000100).ok());
  CHECK((*store)->RecordFeedback("no-such-answer", true, "", 1800000100).code() == bot::Status::Code::kNotFound);
  // The gaps report sees every line answered so far (and the feedback).
  auto gaps = (*store)->ListGapQuestions(0, 0.5);
  REQUIRE(gaps.ok());
  CHECK(gaps->size() == 5000);
  CHECK(gaps->back().answer_id == "d4999");
  CHECK(gaps->back().helpful == 0);
}

TEST_CASE("the service answers without waiting for the log, and feedback on the answer works at once",
          "[adapters][log][concurrency]") {
  testing_helpers::TempDir dir;
  auto store = knowledge::Store::Open(dir.File("kb.db"));
  REQUIRE(store.ok());
  knowledge::KnowledgeFiles files = knowledge::BuiltinKnowledge();
  REQUIRE((*store)->ReplaceAll(files.entries, files.synonyms, "test").ok());
  adapters::Service service(store->get());
  std::vector<std::string> ids;
  for (int i = 0; i < 50; i++) {
    auto a = service.Ask({"How much do backend developers earn?", "", "http", false, "", ""});
    REQUIRE(a.ok());
    ids.push_back(a->answer_id);
  }
  CHECK(service.Feedback(ids.back(), true, "thanks").ok());
  service.FlushLog();
  CHECK(service.LogStats().written == 50);
  CHECK(service.LogStats().queued == 0);
  CHECK(service.log_dropped() == 0);
  CHECK(CountRows(dir.File("kb.db"), "SELECT count(*) FROM question_log WHERE helpful = 1") == 1);
}

// ---- the compact index: the same hits as scoring every entry's full text ----

namespace {

// BM25F over the indexed terms read straight from the FTS table, written
// out the long way (as Store::Search did when it kept whole Hits in memory).
struct Reference {
  struct Doc {
    int64_t rowid = 0;
    std::string id;
    std::string fields[4];
    std::map<std::string, uint16_t> tf[4];
    uint32_t length[4] = {0, 0, 0, 0};
  };
  std::vector<Doc> docs;
  std::map<std::string, uint32_t> df;
  double avg[4] = {1, 1, 1, 1};

  explicit Reference(const std::string& path) {
    sqlite3* db = nullptr;
    sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db,
                       "SELECT f.rowid, f.title, f.questions, f.tags, f.body, e.id FROM entries_fts f "
                       "JOIN entries e ON e.rowid = f.rowid ORDER BY f.rowid",
                       -1, &s, nullptr);
    double total[4] = {0, 0, 0, 0};
    while (sqlite3_step(s) == SQLITE_ROW) {
      Doc d;
      d.rowid = sqlite3_column_int64(s, 0);
      d.id = reinterpret_cast<const char*>(sqlite3_column_text(s, 5));
      std::set<std::string> seen;
      for (int f = 0; f < 4; f++) {
        const unsigned char* t = sqlite3_column_text(s, 1 + f);
        d.fields[f] = t ? reinterpret_cast<const char*>(t) : "";
        size_t start = 0;
        const std::string& text = d.fields[f];
        while (start < text.size()) {
          size_t end = text.find(' ', start);
          if (end == std::string::npos) end = text.size();
          std::string term = text.substr(start, end - start);
          if (!term.empty() && term != "|") {
            d.tf[f][term]++;
            d.length[f]++;
            seen.insert(term);
          }
          start = end + 1;
        }
        total[f] += d.length[f];
      }
      for (const auto& t : seen) df[t]++;
      docs.push_back(std::move(d));
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    for (int f = 0; f < 4; f++) avg[f] = std::max(1.0, total[f] / static_cast<double>(docs.size()));
  }

  // (id, bm25) of the best `limit`, for terms that all fit the candidate bound.
  std::vector<std::pair<std::string, double>> Search(const std::vector<std::string>& terms, size_t limit) const {
    const double weights[4] = {knowledge::kTitleWeight, knowledge::kQuestionsWeight, knowledge::kTagsWeight,
                               knowledge::kBodyWeight};
    std::vector<std::string> known;
    for (const auto& t : terms) {
      if (df.count(t)) known.push_back(t);
    }
    std::vector<std::pair<double, std::string>> scored;
    for (const Doc& d : docs) {
      bool candidate = false;
      for (const auto& t : known) {
        for (int f = 0; f < 4; f++) candidate = candidate || d.tf[f].count(t);
      }
      if (!candidate) continue;
      double score = 0;
      for (const auto& t : known) {
        double tf = 0;
        for (int f = 0; f < 4; f++) {
          auto it = d.tf[f].find(t);
          uint16_t count = it == d.tf[f].end() ? 0 : it->second;
          if (count) tf += weights[f] * count / (1.0 - 0.75 + 0.75 * d.length[f] / avg[f]);
        }
        if (tf > 0) score += bot::Idf(docs.size(), df.at(t)) * tf * (1.2 + 1) / (tf + 1.2);
      }
      scored.emplace_back(score, d.id);
    }
    std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    std::vector<std::pair<std::string, double>> out;
    for (size_t i = 0; i < std::min(limit, scored.size()); i++) out.emplace_back(scored[i].second, scored[i].first);
    return out;
  }
};

// The shipped entries plus `n` generated ones, with words repeated within
// fields (counts above 1) and shared across entries.
std::vector<bot::Entry> Generated(size_t n) {
  std::vector<bot::Entry> out = knowledge::BuiltinKnowledge().entries;
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> word(0, 3000), small(0, 40);
  auto words = [&](int count) {
    std::string s;
    for (int i = 0; i < count; i++) {
      int w = i % 5 == 4 ? small(rng) : word(rng);
      s += (s.empty() ? "" : " ") + std::string("w") + std::to_string(w) + "x";
    }
    return s;
  };
  for (size_t i = 0; i < n; i++) {
    bot::Entry e;
    e.id = "gen-" + std::to_string(i);
    e.title = words(3);
    e.body = words(30) + ".";
    e.questions = {words(5) + "?", words(4) + "?"};
    e.tags = {words(1)};
    e.source = {"Generated", "Test", ""};
    e.updated_at = "2026-11-29";
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

TEST_CASE("the compact index ranks exactly as scoring every entry's full text, past the hit cache",
          "[knowledge][store]") {
  testing_helpers::TempDir dir;
  const std::string path = dir.File("kb.db");
  auto store = knowledge::Store::Open(path);
  REQUIRE(store.ok());
  auto entries = Generated(5000);  // more entries than the hit cache has slots (4096)
  REQUIRE((*store)->ReplaceAll(entries, knowledge::BuiltinKnowledge().synonyms, "test").ok());
  Reference ref(path);
  auto lexicon = (*store)->GetLexicon();
  REQUIRE(lexicon.ok());
  REQUIRE((*lexicon)->entry_count == ref.docs.size());
  for (const auto& [term, n] : ref.df) REQUIRE((*lexicon)->doc_freq.at(term) == n);

  std::mt19937 rng(11);
  std::uniform_int_distribution<int> word(0, 3000), pick(0, static_cast<int>(ref.docs.size()) - 1);
  std::vector<std::vector<std::string>> queries = {{"salari"}, {"backend", "salari"}, {"python", "databas"},
                                                   {"w5x", "w17x"}, {"w1x"}};
  for (int i = 0; i < 150; i++) {
    // Terms taken from one entry (so it is among the candidates), plus a random one.
    const auto& d = ref.docs[static_cast<size_t>(pick(rng))];
    std::vector<std::string> q;
    for (int f = 0; f < 4 && q.size() < 3; f++) {
      // Letters and digits only: FTS5's tokenizer splits anything else.
      for (const auto& [term, count] : d.tf[f]) {
        if (std::all_of(term.begin(), term.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); })) {
          q.push_back(term);
          break;
        }
      }
    }
    q.push_back("w" + std::to_string(word(rng)) + "x");
    queries.push_back(q);
  }
  size_t compared = 0;
  for (int round = 0; round < 2; round++) {  // cold (read from SQLite), then from the cache
    for (const auto& q : queries) {
      size_t df_sum = 0;
      for (const auto& t : q) df_sum += ref.df.count(t) ? ref.df.at(t) : 0;
      if (df_sum > knowledge::Store::kMaxCandidates) continue;  // the reference has no candidate bound
      auto hits = (*store)->Search(q, 12);
      REQUIRE(hits.ok());
      auto want = ref.Search(q, 12);
      REQUIRE(hits->size() == want.size());
      for (size_t i = 0; i < want.size(); i++) {
        INFO("query " << q.front() << " rank " << i);
        const bot::Hit& h = (*hits)[i];
        CHECK(h.entry().id == want[i].first);
        CHECK(h.bm25 == want[i].second);  // the same arithmetic in the same order: equal, not just close
        const Reference::Doc& d = *std::find_if(ref.docs.begin(), ref.docs.end(),
                                                [&](const Reference::Doc& x) { return x.id == h.entry().id; });
        CHECK(h.doc->rowid == d.rowid);
        CHECK(h.doc->title_terms == d.fields[0]);
        CHECK(h.doc->tag_terms == d.fields[2]);
        CHECK(h.doc->body_terms == d.fields[3]);
        auto full = (*store)->GetEntry(h.entry().id);
        REQUIRE(full.ok());
        CHECK(h.entry().title == full->title);
        CHECK(h.entry().body == full->body);
        CHECK(h.entry().questions == full->questions);
        CHECK(h.entry().tags == full->tags);
        CHECK(h.entry().source.article == full->source.article);
        CHECK(h.doc->question_terms.size() == full->questions.size());
        CHECK(h.doc->question_idf.size() == h.doc->question_terms.size());
        CHECK(h.doc->title_idf >= 0);
        compared++;
      }
    }
  }
  CHECK(compared > 1000);
}

TEST_CASE("a search after a curated change answers from the new content", "[knowledge][store]") {
  testing_helpers::TempDir dir;
  auto store = knowledge::Store::Open(dir.File("kb.db"));
  REQUIRE(store.ok());
  REQUIRE((*store)->ReplaceAll(Generated(10), knowledge::BuiltinKnowledge().synonyms, "test").ok());
  auto before = (*store)->Search({"salari"}, 5);
  REQUIRE(before.ok());
  REQUIRE_FALSE(before->empty());
  const std::string id = before->front().entry().id;
  knowledge::EntryChange change;
  change.op = knowledge::EntryChange::Op::kEdit;
  change.id = id;
  change.edit = [](bot::Entry* e) {
    e->body = "Rewritten: zanzibarx pays well.";
    return bot::Status::Ok();
  };
  change.action = "edit";
  REQUIRE((*store)->ApplyEntryChanges({change}, "test", 1800000000).ok());
  auto after = (*store)->Search({"salari"}, 5);
  REQUIRE(after.ok());
  REQUIRE_FALSE(after->empty());
  auto it = std::find_if(after->begin(), after->end(), [&](const bot::Hit& h) { return h.entry().id == id; });
  REQUIRE(it != after->end());
  CHECK(it->entry().body == "Rewritten: zanzibarx pays well.");
  auto lexicon = (*store)->GetLexicon();
  REQUIRE(lexicon.ok());
  auto found = (*store)->Search({(*lexicon)->normalizer.IndexText("zanzibarx")}, 5);
  REQUIRE(found.ok());
  REQUIRE(found->size() == 1);
  CHECK(found->front().entry().id == id);
}

namespace {

// The question log of `path`, one "answer_id|kind|question|normalized|entry_id" per line, oldest first.
std::vector<std::string> LogRows(const std::string& path) {
  std::vector<std::string> out;
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT answer_id, kind, question, normalized, entry_id FROM question_log ORDER BY id",
                             -1, &stmt, nullptr) == SQLITE_OK);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    std::string row;
    for (int i = 0; i < 5; i++) {
      const unsigned char* t = sqlite3_column_text(stmt, i);
      row += (i ? "|" : "") + std::string(t ? reinterpret_cast<const char*>(t) : "");
    }
    out.push_back(row);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

std::string ResolvedBy(const std::string& path, const std::string& answer_id) {
  std::string out = "?";
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT COALESCE(resolved_by, '') FROM question_log WHERE answer_id = ?1", -1, &stmt,
                             nullptr) == SQLITE_OK);
  sqlite3_bind_text(stmt, 1, answer_id.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(stmt) == SQLITE_ROW) out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

knowledge::LoggedQuestion Clarification(const std::string& answer_id, const std::string& offered) {
  knowledge::LoggedQuestion q = Line(answer_id);
  q.kind = "clarify";
  q.question = "is backend work stressful " + answer_id;
  q.normalized = "backend stress work";
  q.offered = offered;
  return q;
}

// A choice of `entry` claiming to answer clarification `clarifies`.
knowledge::LoggedQuestion Choice(const std::string& answer_id, const std::string& entry, const std::string& clarifies) {
  knowledge::LoggedQuestion q = Line(answer_id, true);
  q.question = "the option's question";
  q.normalized = "option";
  q.entry_id = entry;
  q.clarifies = clarifies;
  return q;
}

}  // namespace

TEST_CASE("a choice claiming a logged clarification resolves it once and anything else stays a plain answer",
          "[knowledge][log][clarify]") {
  testing_helpers::TempDir dir;
  const std::string path = dir.File("kb.db");
  auto store = knowledge::Store::Open(path);
  REQUIRE(store.ok());
  knowledge::LoggedQuestion kb = Line("kb-1", true);
  kb.entry_id = "pay";
  REQUIRE((*store)->LogQuestions({Clarification("clar-1", "stress pay"), kb}).ok());
  const std::vector<std::string> before = {"clar-1|clarify|is backend work stressful clar-1|backend stress work|",
                                           "kb-1|kb|question kb-1|question|pay"};
  REQUIRE(LogRows(path) == before);
  auto plain = [](const std::string& id, const std::string& entry) {
    return id + "|kb|the option's question|option|" + entry;
  };
  const std::string clarified = "|clarified|is backend work stressful clar-1|backend stress work|";

  // Not offered ("pa" is a prefix of one that was), no such line, a line that is no clarification.
  REQUIRE((*store)->LogQuestions({Choice("c1", "other", "clar-1"), Choice("c2", "pa", "clar-1"),
                                  Choice("c3", "pay", "no-such-answer"), Choice("c4", "pay", "kb-1")})
              .ok());
  std::vector<std::string> expected = before;
  for (const auto& [id, entry] : std::vector<std::pair<std::string, std::string>>{
           {"c1", "other"}, {"c2", "pa"}, {"c3", "pay"}, {"c4", "pay"}}) {
    expected.push_back(plain(id, entry));
  }
  CHECK(LogRows(path) == expected);
  CHECK(ResolvedBy(path, "clar-1").empty());

  // An offered entry: the clarification resolved with it, once.
  REQUIRE((*store)->LogQuestions({Choice("c5", "pay", "clar-1")}).ok());
  expected.push_back("c5" + clarified + "pay");
  CHECK(LogRows(path) == expected);
  CHECK(ResolvedBy(path, "clar-1") == "c5");
  REQUIRE((*store)->LogQuestions({Choice("c6", "stress", "clar-1")}).ok());
  expected.push_back(plain("c6", "stress"));
  CHECK(LogRows(path) == expected);
  CHECK(ResolvedBy(path, "clar-1") == "c5");
  // The same line again (the shared log may deliver it twice): nothing changes.
  REQUIRE((*store)->LogQuestions({Choice("c5", "pay", "clar-1")}).ok());
  CHECK(LogRows(path) == expected);

  // A clarification and its choice in one batch; an older clarification
  // (logged before clarifications kept their options) resolves nothing.
  knowledge::LoggedQuestion old = Clarification("clar-old", "");
  REQUIRE((*store)->LogQuestions({Clarification("clar-2", "docker k8s"), Choice("c7", "k8s", "clar-2"), old,
                                  Choice("c8", "docker", "clar-old")})
              .ok());
  auto rows = LogRows(path);
  REQUIRE(rows.size() == expected.size() + 4);
  CHECK(rows[expected.size() + 1] == "c7|clarified|is backend work stressful clar-2|backend stress work|k8s");
  CHECK(rows[expected.size() + 3] == plain("c8", "docker"));

  // A choice the conversation knew (kind "clarified" already) is logged as it
  // is, and resolves its clarification so that a replayed button does not.
  REQUIRE((*store)->LogQuestions({Clarification("clar-3", "a b")}).ok());
  knowledge::LoggedQuestion live = Choice("c9", "a", "clar-3");
  live.kind = "clarified";
  live.question = "is backend work stressful clar-3";
  REQUIRE((*store)->LogQuestions({live, Choice("c10", "b", "clar-3")}).ok());
  rows = LogRows(path);
  CHECK(rows[rows.size() - 2].rfind("c9|clarified|", 0) == 0);
  CHECK(rows.back() == plain("c10", "b"));
  CHECK(ResolvedBy(path, "clar-3") == "c9");
}

TEST_CASE("a question log from before the clarification columns gets them when opened", "[knowledge][log][clarify]") {
  testing_helpers::TempDir dir;
  const std::string path = dir.File("old.db");
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    const char* old_schema =
        "CREATE TABLE question_log(id INTEGER PRIMARY KEY, answer_id TEXT NOT NULL UNIQUE, asked_at INTEGER NOT "
        "NULL, channel TEXT NOT NULL, question TEXT NOT NULL, normalized TEXT NOT NULL, answered INTEGER NOT NULL, "
        "kind TEXT NOT NULL, confidence REAL NOT NULL, entry_id TEXT NOT NULL, helpful INTEGER, comment TEXT, "
        "feedback_at INTEGER);"
        "INSERT INTO question_log(answer_id, asked_at, channel, question, normalized, answered, kind, confidence, "
        "entry_id) VALUES('old-1', 1, 'web', 'is backend stressful', 'backend stress', 0, 'clarify', 0.5, '');";
    REQUIRE(sqlite3_exec(db, old_schema, nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  for (int open = 0; open < 2; open++) {  // and once more: adding them is done once
    auto store = knowledge::Store::Open(path);
    INFO(store.status().ToString());
    REQUIRE(store.ok());
    REQUIRE((*store)->LogQuestions({Clarification("new-" + std::to_string(open), "x y"),
                                    Choice("pick-" + std::to_string(open), "y", "new-" + std::to_string(open)),
                                    Choice("old-pick-" + std::to_string(open), "y", "old-1")})
                .ok());
  }
  auto rows = LogRows(path);
  REQUIRE(rows.size() == 7);
  CHECK(rows[0] == "old-1|clarify|is backend stressful|backend stress|");
  CHECK(rows[2].rfind("pick-0|clarified|", 0) == 0);
  CHECK(rows[3].rfind("old-pick-0|kb|", 0) == 0);  // the old clarification kept no options
  CHECK(rows[5].rfind("pick-1|clarified|", 0) == 0);
  CHECK(ResolvedBy(path, "new-1") == "pick-1");
}
