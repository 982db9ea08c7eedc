// Curation on the store: validation that names the field, single-entry
// changes with their FTS rows updated in place, the content version and
// origin, history and revert, import (summary, rejections, --strict, an
// interrupted import), export/import round trips (JSONL, Markdown, the
// repo's folder layout), lint findings on a purpose-built bad knowledge base,
// gaps grouping and acceptance, the question log's retention and redaction.
#include "knowledge/curation.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>
#include <thread>
#include <chrono>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "../fakes/fake_retriever.h"
#include "../helpers/files.h"
#include "app/service.h"
#include "bot/answerer.h"
#include "knowledge/builtin.h"
#include "knowledge/entry_json.h"
#include "knowledge/gaps.h"
#include "knowledge/lint.h"
#include "knowledge/markdown.h"
#include "knowledge/store.h"

namespace {

using fakes::MakeEntry;
using knowledge::Curator;
using knowledge::FieldProblem;
using nlohmann::json;

const char kSynonyms[] =
    "salary, salaries, pay, earn, earnings\n"
    "database, databases, db\n";

std::vector<bot::Entry> SampleEntries() {
  std::vector<bot::Entry> entries;
  entries.push_back(MakeEntry("salary", "Backend developer salary",
                              "Backend developers earn about 100,000 dollars a year.",
                              {"How much do backend developers earn?"}, {"salary"}));
  entries.push_back(MakeEntry("databases", "Databases to learn", "Learn SQL first, then a NoSQL database.",
                              {"Which databases should I learn?"}, {"databases"}));
  entries.push_back(MakeEntry("python", "Python for the backend", "Python has Django and Flask.",
                              {"Is Python good for backend development?"}, {"python"}));
  return entries;
}

std::unique_ptr<knowledge::Store> SampleStore(const std::string& origin = "test") {
  auto store = knowledge::Store::Open(":memory:");
  REQUIRE(store.ok());
  REQUIRE((*store)->ReplaceAll(SampleEntries(), kSynonyms, origin).ok());
  return std::move(*store);
}

std::string Meta(knowledge::Store& store, const std::string& key) {
  auto v = store.GetMeta(key);
  REQUIRE(v.ok());
  return *v;
}

std::vector<std::string> SearchIds(knowledge::Store& store, const std::string& text) {
  auto lexicon = store.GetLexicon();
  REQUIRE(lexicon.ok());
  std::vector<std::string> terms;
  for (const auto& t : (*lexicon)->normalizer.Terms(text, true)) terms.push_back(t.term);
  auto hits = store.Search(terms, 10);
  REQUIRE(hits.ok());
  std::vector<std::string> ids;
  for (const auto& h : *hits) ids.push_back(h.entry().id);
  return ids;
}

std::vector<std::string> Ids(const std::vector<bot::Hit>& hits) {
  std::vector<std::string> ids;
  for (const auto& h : hits) ids.push_back(h.entry().id);
  return ids;
}
bool Has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// Runs a query on the store's file with a connection of its own.
std::string Sql(const knowledge::Store& store, const std::string& query) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(store.path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, query.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      out += (out.empty() ? "" : "\n") + std::string(p ? p : "");
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

std::vector<FieldProblem> Problems(bot::Entry e) {
  knowledge::NormalizeEntry(&e);
  return knowledge::ValidateEntry(e);
}

std::string FirstField(const std::vector<FieldProblem>& problems) { return problems.empty() ? "" : problems[0].field; }

// Entries compared field by field, for readable failures.
void CheckSameEntries(const std::vector<bot::Entry>& a, const std::vector<bot::Entry>& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); i++) {
    INFO(a[i].id);
    CHECK(knowledge::EntryToJsonLine(a[i]) == knowledge::EntryToJsonLine(b[i]));
  }
}

}  // namespace

TEST_CASE("validation names the field at fault", "[knowledge][curation]") {
  bot::Entry ok = MakeEntry("ok-entry", "A title", "A body.", {"A question?"}, {"tag"});
  CHECK(Problems(ok).empty());

  bot::Entry e = ok;
  e.id = "Not A Slug";
  CHECK(FirstField(Problems(e)) == "id");
  e = ok;
  e.title = "  ";
  CHECK(FirstField(Problems(e)) == "title");
  e = ok;
  e.body = "\n\n";
  CHECK(FirstField(Problems(e)) == "body");
  e = ok;
  e.body = "First line.\n## A heading\nMore.";
  auto heading = Problems(e);
  REQUIRE(FirstField(heading) == "body");
  CHECK(heading[0].message.find("line 2") != std::string::npos);
  e = ok;
  e.body = "   # Also a heading";
  CHECK(FirstField(Problems(e)) == "body");
  e = ok;
  e.body = "Run:\n```sh\n# a comment in code is not a heading\n```\nDone.";
  CHECK(Problems(e).empty());
  e = ok;
  e.body = "Run:\n\n```sh\n# never closed";
  auto open_fence = Problems(e);
  REQUIRE(FirstField(open_fence) == "body");
  CHECK(open_fence[0].message.find("line 3 opens a code fence") != std::string::npos);
  e = ok;
  e.body = "#hashtag is not a heading\nC# neither";
  CHECK(Problems(e).empty());
  e = ok;
  e.questions = {"fine?", "two\nlines?"};
  CHECK(FirstField(Problems(e)) == "questions[1]");
  e = ok;
  e.tags = {"a,b"};
  CHECK(FirstField(Problems(e)) == "tags[0]");
  e = ok;
  e.source.url = "https://example.com/a b";
  CHECK(FirstField(Problems(e)) == "source.url");
  e = ok;
  e.updated_at = "yesterday";
  CHECK(FirstField(Problems(e)) == "updated_at");
  e = ok;
  e.updated_at = "2026-11-29T10:00:00Z";
  CHECK(Problems(e).empty());
  e = ok;
  e.title = "Learn C #";
  CHECK(FirstField(Problems(e)) == "title");
  e = ok;
  e.title = "Learn C#";
  CHECK(Problems(e).empty());

  SECTION("an entry without an id gets one from its title; lists are tidied") {
    bot::Entry n = ok;
    n.id = "";
    n.title = "  What is REST?  ";
    n.body = "\r\nREST is a style.\r\nOf APIs.\r\n\r\n";
    n.questions = {" What is REST? ", "", "What is REST?", "rest?"};
    n.tags = {" api ", "api", ""};
    knowledge::NormalizeEntry(&n);
    CHECK(n.id == "what-is-rest");
    CHECK(n.title == "What is REST?");
    CHECK(n.body == "REST is a style.\nOf APIs.");
    CHECK(n.questions == std::vector<std::string>{"What is REST?", "rest?"});
    CHECK(n.tags == std::vector<std::string>{"api"});
  }
}

TEST_CASE("entries read from JSON check types and name the field", "[knowledge][curation]") {
  bot::Entry e;
  FieldProblem p;
  CHECK(knowledge::EntryFromJson(json::parse(R"({"id": "x", "title": "T", "body": "B", "questions": ["q"],
      "tags": [], "source": {"article": "A", "section": "S", "url": ""}, "updated_at": "2026-01-01"})"),
                                 &e, &p));
  CHECK(e.questions == std::vector<std::string>{"q"});
  CHECK(e.source.article == "A");
  struct Case {
    const char* body;
    const char* field;
  };
  for (const Case& c :
       {Case{R"({"questions": "one"})", "questions"}, Case{R"({"questions": ["a", 2]})", "questions[1]"},
        Case{R"({"tags": {}})", "tags"}, Case{R"({"title": 3})", "title"}, Case{R"({"source": "x"})", "source"},
        Case{R"({"source": {"page": 1}})", "source.page"}, Case{R"({"titel": "typo"})", "titel"},
        Case{R"([1, 2])", ""}}) {
    INFO(c.body);
    bot::Entry x;
    FieldProblem problem;
    CHECK_FALSE(knowledge::EntryFromJson(json::parse(c.body), &x, &problem));
    CHECK(problem.field == c.field);
  }
  // A patch leaves the fields it does not name.
  bot::Entry current = MakeEntry("x", "Title", "Body", {"q1"});
  CHECK(knowledge::EntryFromJson(json::parse(R"({"body": "New body"})"), &current, &p));
  CHECK(current.title == "Title");
  CHECK(current.body == "New body");
  CHECK(current.questions == std::vector<std::string>{"q1"});
  // The JSON shape, exactly.
  json j = knowledge::EntryToJson(current);
  std::set<std::string> keys;
  for (auto& [k, v] : j.items()) keys.insert(k);
  CHECK(keys == std::set<std::string>{"id", "title", "body", "questions", "tags", "source", "updated_at"});
  CHECK(j["source"].contains("article"));
  CHECK(j["source"].contains("section"));
}

// A request's version pairs the shared snapshot with a read transaction of
// the same content version; a curator's commit between the two makes it try
// again, and after a few tries it reads its own transaction's version. Never
// a failed question for it, and never a mix of two versions.
TEST_CASE("a request raced by curators' commits still gets one whole, current version", "[knowledge][curation]") {
  auto store = SampleStore();
  Curator curator(store.get());
  const std::vector<std::string> words = {"alpaca", "bison", "camel", "dingo", "eland", "ferret"};
  size_t calls = 0;
  size_t commits_wanted = 0;
  store->SetBeforeVersionReadForTesting([&] {
    calls++;
    if (calls > commits_wanted) return;
    auto edited = curator.Patch("python", json{{"body", "Python has Django and Flask; ask about " + words[calls - 1]}},
                                "racer");
    REQUIRE(edited.ok());
  });
  auto search = [](const bot::KnowledgeVersion& v, const std::string& term) {
    auto hits = v.Search({term}, 10);
    REQUIRE(hits.ok());
    return Ids(*hits);
  };

  SECTION("one commit in between: the second try meets the new snapshot") {
    commits_wanted = 1;
    auto version = store->CurrentVersion();
    INFO(version.status().ToString());
    REQUIRE(version.ok());
    CHECK(calls == 2);
    CHECK((*version)->lexicon()->version == Meta(*store, "version"));
    CHECK(Has(search(**version, "alpaca"), "python"));
  }
  SECTION("a commit before every try: the request reads its own transaction's version") {
    commits_wanted = words.size();  // more than the tries
    auto version = store->CurrentVersion();
    INFO(version.status().ToString());
    REQUIRE(version.ok());
    const size_t tries = calls;
    CHECK(tries >= 2);
    CHECK(tries < words.size());  // it gave up waiting for the shared snapshot
    // The version is the last commit's, lexicon and rows alike.
    const std::string latest = Meta(*store, "version");
    CHECK((*version)->lexicon()->version == latest);
    CHECK((*version)->lexicon()->doc_freq.count(words[tries - 1]) == 1);
    CHECK((*version)->lexicon()->doc_freq.count(words[tries - 2]) == 0);
    CHECK(Has(search(**version, words[tries - 1]), "python"));
    CHECK(search(**version, words[tries - 2]).empty());
    // A commit after it was taken changes nothing it reads.
    store->SetBeforeVersionReadForTesting(nullptr);
    REQUIRE(curator.Patch("python", json{{"body", "Python has Django and Flask; ask about gnu"}}, "racer").ok());
    CHECK(Has(search(**version, words[tries - 1]), "python"));
    CHECK(search(**version, "gnu").empty());
    CHECK((*version)->lexicon()->version == latest);
    // The next request takes the newest version through the shared snapshot.
    auto next = store->CurrentVersion();
    REQUIRE(next.ok());
    CHECK((*next)->lexicon()->version == Meta(*store, "version"));
    CHECK(Has(search(**next, "gnu"), "python"));
  }
}

TEST_CASE("add, edit and delete one entry update its index row in place and the version", "[knowledge][curation]") {
  auto store = SampleStore();
  Curator curator(store.get());
  const std::string v0 = Meta(*store, "version");
  CHECK(Meta(*store, "origin") == "test");
  CHECK_FALSE(Has(SearchIds(*store, "plumber"), "plumbing"));

  auto added =
      curator.Add(MakeEntry("", "Plumbing pay", "Plumbers earn well.", {"How much does a plumber make?"}), "alice");
  INFO(added.status().ToString());
  REQUIRE(added.ok());
  CHECK(added->entry_id == "plumbing-pay");
  CHECK(added->id > 0);
  CHECK(added->who == "alice");
  CHECK_FALSE(added->before);
  REQUIRE(added->after);
  CHECK(added->after->updated_at.size() == 10);  // today
  const std::string v1 = Meta(*store, "version");
  CHECK(v1 != v0);
  CHECK(added->version == v1);
  CHECK(Meta(*store, "origin") == "curated");
  // Searchable at once, from the same store object and its snapshot.
  CHECK(Has(SearchIds(*store, "plumber"), "plumbing-pay"));
  auto lexicon = store->GetLexicon();
  REQUIRE(lexicon.ok());
  CHECK((*lexicon)->version == v1);
  CHECK((*lexicon)->entry_count == 4);

  // An edit replaces the index row: old words go, new ones come.
  auto edited = curator.Patch("plumbing-pay", json{{"body", "Electricians are paid by the hour."}}, "bob");
  REQUIRE(edited.ok());
  CHECK(edited->before->body == "Plumbers earn well.");
  CHECK(edited->after->body == "Electricians are paid by the hour.");
  CHECK(Has(SearchIds(*store, "electrician"), "plumbing-pay"));
  CHECK(Meta(*store, "version") != v1);
  // The question still finds it; the old body word does not (it is only in
  // the question "plumber" now, so look for "well").
  CHECK_FALSE(Has(SearchIds(*store, "well"), "plumbing-pay"));

  // The index has exactly one row per entry, with the entry's rowid.
  CHECK(Sql(*store, "SELECT count(*) FROM entries_fts") == "4");
  CHECK(Sql(*store, "SELECT count(*) FROM entries e JOIN entries_fts f ON f.rowid = e.rowid") == "4");

  SECTION("an unchanged edit records nothing and keeps the version") {
    const std::string v = Meta(*store, "version");
    auto same = curator.Patch("plumbing-pay", json{{"body", "Electricians are paid by the hour."}}, "bob");
    REQUIRE(same.ok());
    CHECK(same->id == 0);
    CHECK(Meta(*store, "version") == v);
  }
  SECTION("delete removes the entry and its index row") {
    auto deleted = curator.Delete("plumbing-pay", "carol");
    REQUIRE(deleted.ok());
    CHECK_FALSE(deleted->after);
    CHECK(store->GetEntry("plumbing-pay").status().code() == bot::Status::Code::kNotFound);
    CHECK_FALSE(Has(SearchIds(*store, "electrician"), "plumbing-pay"));
    CHECK(Sql(*store, "SELECT count(*) FROM entries_fts") == "3");
    CHECK(curator.Delete("plumbing-pay", "carol").status().code() == bot::Status::Code::kNotFound);
  }
  SECTION("errors: a taken id, an unknown id, an invalid value, an id change") {
    auto again = curator.Add(MakeEntry("salary", "Other", "Other body."), "alice");
    CHECK(again.status().code() == bot::Status::Code::kAlreadyExists);
    CHECK(knowledge::ProblemOf(again.status()).field == "id");
    CHECK(curator.Replace("nope", MakeEntry("nope", "T", "B"), "a").status().code() == bot::Status::Code::kNotFound);
    CHECK(curator.Patch("nope", json{{"title", "T"}}, "a").status().code() == bot::Status::Code::kNotFound);
    auto invalid = curator.Patch("salary", json{{"title", ""}}, "a");
    CHECK(invalid.status().code() == bot::Status::Code::kInvalidArgument);
    CHECK(knowledge::ProblemOf(invalid.status()).field == "title");
    auto rename = curator.Patch("salary", json{{"id", "wages"}}, "a");
    CHECK(knowledge::ProblemOf(rename.status()).field == "id");
    auto wrong_type = curator.Patch("salary", json{{"questions", "one"}}, "a");
    CHECK(knowledge::ProblemOf(wrong_type.status()).field == "questions");
    // Nothing of it changed the entry.
    CHECK(store->GetEntry("salary")->title == "Backend developer salary");
  }
  SECTION("a stale fingerprint fails and changes nothing") {
    auto current = store->GetEntry("salary");
    REQUIRE(current.ok());
    const std::string fp = knowledge::EntryFingerprint(*current);
    REQUIRE(curator.Patch("salary", json{{"title", "Salary"}}, "a", fp).ok());
    auto stale = curator.Patch("salary", json{{"title", "Pay"}}, "b", fp);
    CHECK(stale.status().code() == bot::Status::Code::kAlreadyExists);
    CHECK(store->GetEntry("salary")->title == "Salary");
  }
}

TEST_CASE("a curated knowledge base is never replaced by the built-in one", "[knowledge][curation]") {
  testing_helpers::TempDir dir;
  const std::string path = dir.File("kb.db");
  bool built = false;
  {
    auto store = knowledge::OpenOrBuild(path, &built);
    REQUIRE(store.ok());
    CHECK(built);
    // As if built by an older careerbot: the next open rebuilds it...
    REQUIRE((*store)->ReplaceAll(SampleEntries(), kSynonyms, "builtin:0000000000000000").ok());
  }
  {
    auto store = knowledge::OpenOrBuild(path, &built);
    REQUIRE(store.ok());
    CHECK(built);
    CHECK((*store)->GetEntry("salary").status().code() == bot::Status::Code::kNotFound);
    // ...unless a curator changed it since.
    REQUIRE((*store)->ReplaceAll(SampleEntries(), kSynonyms, "builtin:0000000000000000").ok());
    Curator curator(store->get());
    REQUIRE(curator.AddQuestion("salary", "What do backend devs make?", "alice").ok());
    CHECK(Meta(**store, "origin") == "curated");
  }
  auto store = knowledge::OpenOrBuild(path, &built);
  REQUIRE(store.ok());
  CHECK_FALSE(built);
  auto e = (*store)->GetEntry("salary");
  REQUIRE(e.ok());
  CHECK(e->questions.back() == "What do backend devs make?");
}

TEST_CASE("every change is recorded and can be reverted, the revert too", "[knowledge][curation][history]") {
  auto store = SampleStore();
  fakes::FakeClock clock(1800000000);
  Curator curator(store.get(), &clock);
  REQUIRE(curator.Patch("salary", json{{"title", "Pay"}}, "alice").ok());
  clock.Advance(60);
  REQUIRE(curator.AddQuestion("salary", "what do devs make", "bob").ok());
  // Adding a question it has (in any case) records nothing.
  auto dup = curator.AddQuestion("salary", "WHAT DO DEVS MAKE", "bob");
  REQUIRE(dup.ok());
  CHECK(dup->id == 0);

  auto history = store->History("salary");
  REQUIRE(history.ok());
  REQUIRE(history->size() == 2);
  const auto& last = (*history)[0];
  CHECK(last.who == "bob");
  CHECK(last.action == "add-question");
  CHECK(last.at == 1800000060);
  REQUIRE(last.before);
  REQUIRE(last.after);
  CHECK(last.before->questions.size() + 1 == last.after->questions.size());
  CHECK((*history)[1].who == "alice");
  CHECK((*history)[1].before->title == "Backend developer salary");
  CHECK((*history)[1].after->title == "Pay");

  auto reverted = curator.Revert("salary", "carol");
  REQUIRE(reverted.ok());
  CHECK(reverted->action == "revert");
  CHECK(store->GetEntry("salary")->questions == SampleEntries()[0].questions);
  CHECK(store->GetEntry("salary")->title == "Pay");
  // Reverting the revert redoes.
  REQUIRE(curator.Revert("salary", "carol").ok());
  CHECK(store->GetEntry("salary")->questions.back() == "what do devs make");
  // Back to before a given change.
  REQUIRE(curator.Revert("salary", "carol", (*history)[1].id).ok());
  auto e = store->GetEntry("salary");
  CHECK(e->title == "Backend developer salary");
  CHECK(e->questions == SampleEntries()[0].questions);
  CHECK(store->History("salary")->size() == 5);

  SECTION("reverting an addition deletes, reverting a deletion restores") {
    REQUIRE(curator.Add(MakeEntry("new-one", "New", "New body."), "a").ok());
    REQUIRE(curator.Revert("new-one", "a").ok());
    CHECK(store->GetEntry("new-one").status().code() == bot::Status::Code::kNotFound);
    REQUIRE(curator.Revert("new-one", "a").ok());
    CHECK(store->GetEntry("new-one").ok());
    REQUIRE(curator.Delete("python", "a").ok());
    REQUIRE(curator.Revert("python", "a").ok());
    CHECK(store->GetEntry("python")->body == "Python has Django and Flask.");
    CHECK(Has(SearchIds(*store, "django"), "python"));
  }
  SECTION("an entry with no recorded change, or a change of another entry, cannot be reverted") {
    CHECK(curator.Revert("databases", "a").status().code() == bot::Status::Code::kNotFound);
    CHECK(curator.Revert("databases", "a", (*history)[0].id).status().code() == bot::Status::Code::kNotFound);
  }
}

TEST_CASE("import adds, changes, keeps and rejects with the reason per line", "[knowledge][curation][import]") {
  auto store = SampleStore();
  Curator curator(store.get());
  bot::Entry changed = SampleEntries()[1];
  changed.body = "Learn PostgreSQL first.";
  std::string jsonl = knowledge::EntryToJsonLine(SampleEntries()[0]) + "\n" +               // unchanged
                      knowledge::EntryToJsonLine(changed) + "\n" +                          // changed
                      "\n" +                                                                // blank: skipped
                      R"({"title": "Go for the backend", "body": "Go is fast."})" + "\n" +  // added, id from title
                      "not json\n" + R"({"title": "No body"})" + "\n" +
                      R"({"id": "Bad Id", "title": "T", "body": "B"})" + "\n" +
                      R"({"title": "Go for the backend", "body": "Again."})" + "\n";
  auto items = knowledge::ParseImportText(jsonl, "in.jsonl");
  REQUIRE(items.ok());
  REQUIRE(items->size() == 7);
  const std::string version = Meta(*store, "version");

  SECTION("--strict imports nothing when a line is rejected") {
    knowledge::ImportOptions strict;
    strict.strict = true;
    auto report = curator.Import(*items, strict, "alice");
    REQUIRE(report.ok());
    CHECK_FALSE(report->applied);
    CHECK(report->rejected.size() == 4);
    CHECK(Meta(*store, "version") == version);
    CHECK(store->GetEntry("databases")->body == SampleEntries()[1].body);
  }
  SECTION("otherwise the valid lines go in") {
    auto report = curator.Import(*items, {}, "alice");
    REQUIRE(report.ok());
    CHECK(report->applied);
    CHECK(report->added == 1);
    CHECK(report->changed == 1);
    CHECK(report->unchanged == 1);
    REQUIRE(report->rejected.size() == 4);
    CHECK(report->rejected[0].where == "in.jsonl:5");
    CHECK(report->rejected[0].reason.find("not valid JSON") != std::string::npos);
    CHECK(report->rejected[1].where == "in.jsonl:6");
    CHECK(report->rejected[1].reason.find("body: must not be empty") != std::string::npos);
    CHECK(report->rejected[2].reason.find("id:") == 0);
    CHECK(report->rejected[3].reason.find("appears again (first at in.jsonl:4)") != std::string::npos);
    CHECK(store->GetEntry("go-for-the-backend")->body == "Go is fast.");
    CHECK(store->GetEntry("databases")->body == "Learn PostgreSQL first.");
    auto history = store->History("go-for-the-backend");
    REQUIRE(history->size() == 1);
    CHECK((*history)[0].action == "import");
    CHECK((*history)[0].who == "alice");
  }
  SECTION("--replace makes the knowledge base the file's entries, all or nothing") {
    std::string only = knowledge::EntryToJsonLine(SampleEntries()[2]) + "\n";
    knowledge::ImportOptions replace;
    replace.replace = true;
    auto bad = curator.Import(*items, replace, "a");
    REQUIRE(bad.ok());
    CHECK_FALSE(bad->applied);
    auto report = curator.Import(*knowledge::ParseImportText(only, "one.jsonl"), replace, "a");
    REQUIRE(report.ok());
    CHECK(report->deleted == 2);
    CHECK(report->unchanged == 1);
    CHECK(*store->CountEntries() == 1);
  }
  SECTION("a dry run counts and changes nothing") {
    knowledge::ImportOptions dry;
    dry.dry_run = true;
    auto report = curator.Import(*items, dry, "a");
    REQUIRE(report.ok());
    CHECK_FALSE(report->applied);
    CHECK(report->added == 1);
    CHECK(report->changed == 1);
    CHECK(Meta(*store, "version") == version);
  }
}

TEST_CASE("an import that fails half way changes nothing", "[knowledge][curation][import]") {
  auto store = SampleStore();
  const std::string version = Meta(*store, "version");
  std::vector<knowledge::EntryChange> changes;
  for (int i = 0; i < 500; i++) {
    knowledge::EntryChange c;
    c.op = knowledge::EntryChange::Op::kPut;
    c.entry = MakeEntry("bulk-" + std::to_string(i), "Bulk " + std::to_string(i), "Body " + std::to_string(i) + ".");
    c.action = "import";
    changes.push_back(c);
  }
  // The 300th change fails (as a full disk or a bug would).
  knowledge::EntryChange failing;
  failing.op = knowledge::EntryChange::Op::kEdit;
  failing.id = "salary";
  failing.edit = [](bot::Entry*) { return bot::Status::Internal("injected failure"); };
  changes.insert(changes.begin() + 300, failing);
  size_t progress_calls = 0;
  auto result = store->ApplyEntryChanges(changes, "alice", 1800000000, [&](size_t, size_t) { progress_calls++; });
  CHECK(result.status().code() == bot::Status::Code::kInternal);
  CHECK(progress_calls > 0);  // it was well under way
  CHECK(Meta(*store, "version") == version);
  CHECK(*store->CountEntries() == 3);
  CHECK(Sql(*store, "SELECT count(*) FROM entries") == "3");
  CHECK(Sql(*store, "SELECT count(*) FROM entries_fts") == "3");
  CHECK(Sql(*store, "SELECT count(*) FROM history") == "0");
  CHECK(Sql(*store, "PRAGMA integrity_check") == "ok");
}

TEST_CASE("export then import gives the same knowledge base (JSONL, Markdown, folder)",
          "[knowledge][curation][export]") {
  // The shipped knowledge plus an entry with everything hard to round-trip.
  knowledge::KnowledgeFiles files = knowledge::BuiltinKnowledge();
  auto source = knowledge::Store::Open(":memory:");
  REQUIRE(source.ok());
  REQUIRE((*source)->ReplaceAll(files.entries, files.synonyms, "test").ok());
  Curator curator(source->get());
  bot::Entry hard =
      MakeEntry("round-trip-probe", "Quotes \"and\" C# & <b>markup</b> · ünïcödé 🚀",
                "First paragraph: with a colon.\n\n- a list item\n  indented: line\n#hashtag, not a "
                "heading\n\nLast \"quoted\" line \\ with a backslash.",
                {"What about \"quotes\", commas, and C++?", "- starts with a dash?"}, {"probe", "ünïcödé"});
  hard.source = {"", "", "https://example.com/a?b=c&d=e"};
  REQUIRE(curator.Add(hard, "alice").ok());
  auto entries = (*source)->ListEntries();
  REQUIRE(entries.ok());

  auto import_into_fresh = [&](const std::string& text, const std::string& name) {
    auto target = knowledge::Store::Open(":memory:");
    REQUIRE(target.ok());
    REQUIRE((*target)->ReplaceAll({}, files.synonyms, "test").ok());
    auto items = knowledge::ParseImportText(text, name);
    REQUIRE(items.ok());
    Curator c(target->get());
    auto report = c.Import(*items, {}, "bob");
    REQUIRE(report.ok());
    for (const auto& r : report->rejected) FAIL(r.where + ": " + r.reason);
    CHECK(report->added == entries->size());
    auto back = (*target)->ListEntries();
    REQUIRE(back.ok());
    CheckSameEntries(*entries, *back);
    // Importing the same file again changes nothing.
    auto again = c.Import(*items, {}, "bob");
    CHECK(again->unchanged == entries->size());
    CHECK(again->added + again->changed == 0);
  };
  SECTION("JSONL") { import_into_fresh(knowledge::ExportJsonl(*entries), "kb.jsonl"); }
  SECTION("Markdown") { import_into_fresh(knowledge::ExportMarkdown(*entries, "Export"), "kb.md"); }
  SECTION("the repo's folder layout, built with kb build --from") {
    testing_helpers::TempDir dir;
    auto written = knowledge::ExportMarkdownDir(*entries, files.synonyms, dir.path(), false);
    REQUIRE(written.ok());
    auto loaded = knowledge::LoadKnowledgeDir(dir.path());
    REQUIRE(loaded.ok());
    CHECK(loaded->issues.empty());
    CHECK(loaded->synonyms == files.synonyms);
    std::sort(loaded->entries.begin(), loaded->entries.end(),
              [](const bot::Entry& a, const bot::Entry& b) { return a.id < b.id; });
    CheckSameEntries(*entries, loaded->entries);
    // Exporting over it again needs overwrite (the old files would double up).
    CHECK(knowledge::ExportMarkdownDir(*entries, files.synonyms, dir.path(), false).status().code() ==
          bot::Status::Code::kAlreadyExists);
    CHECK(knowledge::ExportMarkdownDir(*entries, files.synonyms, dir.path(), true).ok());
    CHECK(knowledge::LoadKnowledgeDir(dir.path())->entries.size() == entries->size());
  }
}

TEST_CASE("lint finds what a purpose-built bad knowledge base gets wrong", "[knowledge][lint]") {
  std::vector<bot::Entry> entries;
  // Fine.
  entries.push_back(MakeEntry("rust-backend", "Rust for backend developers",
                              "Rust gives speed and memory safety to backend services, and many backend developers "
                              "learn it.",
                              {"Should backend developers learn Rust?", "Is Rust good for backend developers?"},
                              {"rust", "backend"}));
  entries.push_back(MakeEntry("rust-jobs", "Rust jobs for backend developers",
                              "Rust jobs for backend developers are growing.",
                              {"Are there Rust jobs for backend developers?"}, {"rust", "backend"}));
  // No alternate questions.
  entries.push_back(MakeEntry("kotlin-backend", "Kotlin for the backend", "Kotlin runs on the JVM with Spring.", {}));
  // Near-duplicates of each other.
  entries.push_back(MakeEntry("docker-basics", "Docker basics",
                              "Docker packages an application and its dependencies into a container image that runs "
                              "the same everywhere.",
                              {"What is Docker?"}));
  entries.push_back(MakeEntry("docker-intro", "Docker introduction",
                              "Docker packages an application and its dependencies into a container image that runs "
                              "the same everywhere.",
                              {"Why use Docker containers?"}));
  // Its own question is answered by another entry (a confusion).
  entries.push_back(
      MakeEntry("go-concurrency", "Goroutines", "Go has lightweight threads.", {"rust for backend devs?"}));
  // Too long for a chat message.
  entries.push_back(MakeEntry("long-answer", "Elixir for the backend", std::string(700, 'x') + ".", {"Elixir?"}));
  // No source article, and a link that is not http(s).
  bot::Entry unsourced =
      MakeEntry("unsourced", "Scala jobs", "Scala jobs exist in data engineering.", {"Are there Scala jobs?"});
  unsourced.source = {"", "", "javascript:alert(1)"};
  entries.push_back(unsourced);
  // The same phrasing curated twice.
  entries.push_back(MakeEntry("php-a", "PHP today", "PHP runs much of the web.", {"Is PHP still used?"}));
  entries.push_back(MakeEntry("php-b", "PHP jobs", "PHP jobs are common in agencies.", {"is php still used"}));
  const std::string synonyms = "rust, rustlang\ndeveloper, developers, dev, devs\nfortran, formula translation\n";

  auto store = knowledge::Store::Open(":memory:");
  REQUIRE(store.ok());
  REQUIRE((*store)->ReplaceAll(entries, synonyms, "test").ok());
  bot::Answerer answerer(store->get());
  auto report = knowledge::Lint(store->get(), &answerer);
  REQUIRE(report.ok());
  auto find = [&](const std::string& check, const std::string& id, knowledge::LintFinding::Severity severity) {
    for (const auto& f : report->findings) {
      if (f.check == check && f.entry_id == id && f.severity == severity) return f.message;
    }
    return std::string();
  };
  using S = knowledge::LintFinding::Severity;
  CHECK_FALSE(find("no-questions", "kotlin-backend", S::kWarning).empty());
  CHECK_FALSE(find("near-duplicate", "docker-basics", S::kWarning).empty());
  // Who wins is the ranker's call; that another entry does is the finding
  // (an error, or a warning when both are shown together).
  std::string confusion =
      find("confusion", "go-concurrency", S::kError) + find("confusion", "go-concurrency", S::kWarning);
  CHECK(confusion.find("answered by 'rust-") != std::string::npos);
  CHECK_FALSE(find("long-answer", "long-answer", S::kWarning).empty());
  CHECK_FALSE(find("source", "unsourced", S::kError).empty());
  bool both_source_errors = 2 == std::count_if(report->findings.begin(), report->findings.end(), [](const auto& f) {
                              return f.check == "source" && f.entry_id == "unsourced";
                            });
  CHECK(both_source_errors);
  CHECK_FALSE(find("duplicate-question", "php-a", S::kError).empty());
  std::string unused = find("synonyms", "", S::kWarning);
  CHECK(unused.find("fortran") != std::string::npos);
  CHECK(unused.find("rust") == std::string::npos);
  // Nothing about the fine entries, and the counts add up.
  for (const auto& f : report->findings) CHECK(f.entry_id.rfind("rust-", 0) != 0);
  CHECK(report->errors == static_cast<size_t>(std::count_if(report->findings.begin(), report->findings.end(),
                                                            [](const auto& f) { return f.severity == S::kError; })));
  CHECK(report->errors >= 3);
  CHECK(report->questions_asked == 10);

  SECTION("a clean knowledge base has no errors") {
    auto clean = knowledge::Store::Open(":memory:");
    REQUIRE(clean.ok());
    REQUIRE((*clean)->ReplaceAll({entries[0], entries[1]}, synonyms.substr(0, synonyms.find("fortran")), "test").ok());
    bot::Answerer a(clean->get());
    auto r = knowledge::Lint(clean->get(), &a);
    REQUIRE(r.ok());
    for (const auto& f : r->findings) UNSCOPED_INFO(f.check << " " << f.entry_id << ": " << f.message);
    CHECK(r->errors == 0);
    CHECK(r->warnings == 0);
  }
}

TEST_CASE("gaps group similar wordings, most asked first, with the entry likely meant", "[knowledge][gaps]") {
  auto store = SampleStore();
  fakes::FakeClock clock(1800000000);
  fakes::FakeIdGenerator ids;
  adapters::Service service(store.get(), bot::AnswererOptions{}, &clock, &ids);
  auto ask = [&](const std::string& q, const std::string& channel = "web") {
    bot::Question question;
    question.text = q;
    question.channel = channel;
    auto answer = service.Ask(question);
    REQUIRE(answer.ok());
    clock.Advance(10);
    return *answer;
  };
  // Declined, three wordings of one gap, on two channels.
  CHECK(ask("How much does a plumber earn?").kind == "fallback");
  ask("how much does a plumber earn", "slack");
  ask("plumber earnings?");
  // Declined once, another gap.
  ask("Which kotlin frameworks exist?");
  // Answered, then marked not helpful.
  bot::Answer unhelpful = ask("How much do backend developers earn?");
  REQUIRE(unhelpful.kind == "kb");
  REQUIRE(service.Feedback(unhelpful.answer_id, false, "wrong country").ok());
  // Answered well: not a gap. Small talk: not a gap.
  bot::Answer good = ask("Which databases should I learn?");
  REQUIRE(service.Feedback(good.answer_id, true, "").ok());
  ask("hello");

  bot::AnswererOptions zero;
  zero.threshold = 0;
  bot::Answerer likely(store.get(), zero, &clock, &ids);
  knowledge::GapOptions options;
  auto gaps = knowledge::FindGaps(store.get(), &likely, options);
  REQUIRE(gaps.ok());
  REQUIRE(gaps->size() == 3);
  const knowledge::Gap& top = (*gaps)[0];
  CHECK(top.count == 3);
  CHECK(top.declined == 3);
  CHECK(top.examples.size() == 3);
  CHECK(top.channels == std::vector<std::string>{"slack", "web"});
  CHECK(top.likely_entry_id == "salary");
  CHECK(top.first_asked == 1800000000);
  const knowledge::Gap* feedback = nullptr;
  for (const auto& g : *gaps) {
    if (g.unhelpful) feedback = &g;
  }
  REQUIRE(feedback);
  CHECK(feedback->answered_by == "salary");
  CHECK(feedback->likely_entry_id != "salary");  // the winner was the answer found unhelpful
  // The same wording keys group exactly; the ids are stable.
  CHECK(knowledge::GapKey("plumber salari", "x") == knowledge::GapKey("salari plumber salari", "y"));
  CHECK(knowledge::GapKey("", "  Hi There ") == "q:hi there");
  auto again = knowledge::FindGaps(store.get(), nullptr, options);
  CHECK((*again)[0].id == top.id);

  SECTION("accepting a gap adds its question to the entry, answers it, and closes the gap") {
    Curator curator(store.get(), &clock);
    auto accepted =
        knowledge::AcceptGap(store.get(), &curator, &likely, options, "1", "", "", "alice", clock.NowSeconds());
    REQUIRE(accepted.ok());
    CHECK(accepted->entry_id == "salary");
    CHECK(accepted->question == top.example);
    CHECK(accepted->change.action == "accept-gap");
    CHECK(store->GetEntry("salary")->questions.back() == top.example);
    bot::Question q;
    q.text = top.example;
    auto answer = service.answerer().Ask(q);
    REQUIRE(answer.ok());
    CHECK(answer->kind == "kb");
    CHECK(answer->entry_id == "salary");
    auto after = knowledge::FindGaps(store.get(), nullptr, options);
    REQUIRE(after.ok());
    CHECK(after->size() == 2);
    for (const auto& g : *after) CHECK(g.id != top.id);
    // Unknown gaps and entries.
    CHECK(knowledge::AcceptGap(store.get(), &curator, &likely, options, "ffffffffffff", "salary", "", "a", 0)
              .status()
              .code() == bot::Status::Code::kNotFound);
    CHECK(knowledge::AcceptGap(store.get(), &curator, &likely, options, "1", "no-such-entry", "", "a", 0)
              .status()
              .code() == bot::Status::Code::kNotFound);
  }
  SECTION("a dismissed gap goes, and comes back when asked again") {
    auto dismissed = knowledge::DismissGap(store.get(), options, top.id, "alice", clock.NowSeconds());
    REQUIRE(dismissed.ok());
    CHECK(knowledge::FindGaps(store.get(), nullptr, options)->size() == 2);
    clock.Advance(100);
    ask("How much does a plumber earn?");
    auto back = knowledge::FindGaps(store.get(), nullptr, options);
    REQUIRE(back->size() == 3);
    CHECK((*back)[0].id == top.id);
    CHECK((*back)[0].count == 1);
  }
  SECTION("only the questions since options.since count") {
    knowledge::GapOptions recent = options;
    recent.since = 1800000000 + 25;
    auto later = knowledge::FindGaps(store.get(), nullptr, recent);
    REQUIRE(later.ok());
    for (const auto& g : *later) CHECK(g.first_asked >= recent.since);
  }
}

TEST_CASE("the question log keeps its retention and no secrets", "[knowledge][log]") {
  auto store = SampleStore();
  fakes::FakeClock clock(1800000000);
  adapters::Service service(store.get(), bot::AnswererOptions{}, &clock);
  CHECK(service.log_retention_days() == 90);
  service.set_log_retention_days(30);
  bot::Question q;
  q.text = "my slack token is xoxb-1234567890-abcdefghijklmn, how much do plumbers earn?";
  REQUIRE(service.Ask(q).ok());
  q.text = "Authorization: Bearer abcdef0123456789abcdef what is a database";
  auto answered = service.Ask(q);
  REQUIRE(answered.ok());
  service.FlushLog();  // the log is written asynchronously; Sql reads the file directly
  std::string logged = Sql(*store, "SELECT question || ' | ' || normalized FROM question_log");
  CHECK(logged.find("xoxb") == std::string::npos);
  CHECK(logged.find("abcdef0123456789") == std::string::npos);
  CHECK(logged.find("[redacted]") != std::string::npos);
  CHECK(logged.find("plumbers earn") != std::string::npos);
  // A feedback comment is free text too: redacted the same way.
  // (Until its log line is written, an answer takes no feedback: kNotFound.)
  bot::Status fed;
  for (int i = 0; i < 500; i++) {
    fed = service.Feedback(answered->answer_id, false, "wrong, and here is my key sk-live0123456789abcdefXYZ ok");
    if (fed.code() != bot::Status::Code::kNotFound) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(fed.ok());
  std::string comment = Sql(*store, "SELECT comment FROM question_log WHERE answer_id = '" + answered->answer_id + "'");
  CHECK(comment.find("0123456789abcdef") == std::string::npos);
  CHECK(comment.find("wrong, and here is my key [redacted] ok") != std::string::npos);

  clock.Advance(29 * 86400);
  q.text = "What is Python?";
  REQUIRE(service.Ask(q).ok());
  service.FlushLog();
  CHECK(Sql(*store, "SELECT count(*) FROM question_log") == "3");
  clock.Advance(2 * 86400);  // the first two are now 31 days old; a day has passed since the last prune
  REQUIRE(service.Ask(q).ok());
  service.FlushLog();
  CHECK(Sql(*store, "SELECT count(*) FROM question_log") == "2");
  service.set_log_retention_days(0);  // keep forever
  clock.Advance(400 * 86400);
  REQUIRE(service.PruneLog().ok());
  CHECK(Sql(*store, "SELECT count(*) FROM question_log") == "2");
}

TEST_CASE("RedactSecrets hides credentials and keeps ordinary words", "[adapters][log]") {
  using adapters::RedactSecrets;
  CHECK(RedactSecrets("How much do backend developers earn?") == "How much do backend developers earn?");
  CHECK(RedactSecrets("internationalization and containerization of microservices") ==
        "internationalization and containerization of microservices");
  CHECK(RedactSecrets("what is https://example.com/very/long/path/to/a/page-about-rest") ==
        "what is https://example.com/very/long/path/to/a/page-about-rest");
  CHECK(RedactSecrets("salary 100,000 in 2024") == "salary 100,000 in 2024");
  CHECK(RedactSecrets("token: xoxb-1234567890-0987654321-AbCdEfGhIjKl") == "token: [redacted]");
  CHECK(RedactSecrets("(ghp_abcdefghijklmnopqrstuvwxyz0123456789), ok") == "([redacted]), ok");
  CHECK(RedactSecrets("Bearer abc") == "Bearer [redacted]");
  CHECK(RedactSecrets("password=hunter2 please") == "password=[redacted] please");
  CHECK(RedactSecrets("my password: hunter2") == "my password: [redacted]");
  CHECK(RedactSecrets("AKIAIOSFODNN7EXAMPLE is my key") == "[redacted] is my key");
  CHECK(RedactSecrets("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc123def456") == "jwt [redacted]");
  CHECK(RedactSecrets("key 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08") == "key [redacted]");
  CHECK(RedactSecrets("what is a token?") == "what is a token?");
}
