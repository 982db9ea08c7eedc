// The store's parts on their own: planning curated changes without SQL
// (knowledge/entry_plan.h), the content version (content_version.h), the
// fields indexed for an entry (index_fields.h) agreeing with what the store
// writes, the RAII transaction and statement (db.h), and the Status macros
// (bot/status.h).
#include "knowledge/entry_plan.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include "../fakes/fake_retriever.h"
#include "knowledge/content_version.h"
#include "knowledge/db.h"
#include "knowledge/entry_json.h"
#include "knowledge/index_fields.h"
#include "knowledge/store.h"

namespace {

using fakes::MakeEntry;
using knowledge::EntryChange;
using knowledge::PlannedWrite;
using Kind = knowledge::PlannedWrite::Kind;
using Current = std::map<std::string, std::optional<bot::Entry>>;

EntryChange Add(bot::Entry e, const std::string& action = "add") {
  EntryChange c;
  c.op = EntryChange::Op::kAdd;
  c.entry = std::move(e);
  c.action = action;
  return c;
}

EntryChange Delete(const std::string& id) {
  EntryChange c;
  c.op = EntryChange::Op::kDelete;
  c.id = id;
  c.action = "delete";
  return c;
}

EntryChange EditBody(const std::string& id, const std::string& body) {
  EntryChange c;
  c.op = EntryChange::Op::kEdit;
  c.id = id;
  c.action = "edit";
  c.edit = [body](bot::Entry* e) {
    e->body = body;
    return bot::Status::Ok();
  };
  return c;
}

Current TwoEntries() {
  Current current;
  current["alpha"] = MakeEntry("alpha", "Alpha", "The first entry.", {"What is alpha?"});
  current["beta"] = MakeEntry("beta", "Beta", "The second entry.", {"What is beta?"});
  return current;
}

}  // namespace

TEST_CASE("a plan says what each change writes and records without touching SQL", "[knowledge][plan]") {
  Current current = TwoEntries();
  EntryChange put_same;
  put_same.op = EntryChange::Op::kPut;
  put_same.entry = *current["beta"];
  put_same.action = "import";
  std::vector<EntryChange> changes = {Add(MakeEntry("gamma", "Gamma", "The third entry.")),
                                      EditBody("alpha", "The first entry, edited."), Delete("beta")};
  changes.insert(changes.begin(), put_same);  // beta as it is: nothing to write

  auto plan = knowledge::PlanEntryChanges(current, changes, "alice", 1800000000, "kb-previous");
  REQUIRE(plan.ok());
  REQUIRE(plan->writes.size() == 4);
  CHECK(plan->changed());
  CHECK(plan->writes[0].kind == Kind::kNone);
  CHECK(plan->writes[1].kind == Kind::kInsert);
  CHECK(plan->writes[2].kind == Kind::kUpdate);
  CHECK(plan->writes[3].kind == Kind::kDelete);

  const auto& none = plan->writes[0].record;
  CHECK(none.entry_id == "beta");
  CHECK(none.version.empty());  // not recorded
  const auto& insert = plan->writes[1].record;
  CHECK(insert.entry_id == "gamma");
  CHECK_FALSE(insert.before);
  REQUIRE(insert.after);
  CHECK(insert.after->title == "Gamma");
  const auto& update = plan->writes[2].record;
  REQUIRE(update.before);
  REQUIRE(update.after);
  CHECK(update.before->body == "The first entry.");
  CHECK(update.after->body == "The first entry, edited.");
  CHECK(update.after->questions == update.before->questions);
  const auto& del = plan->writes[3].record;
  REQUIRE(del.before);
  CHECK(del.before->id == "beta");
  CHECK_FALSE(del.after);
  for (const auto& w : plan->writes) {
    CHECK(w.record.id == 0);  // history rows are numbered when written
    CHECK(w.record.who == "alice");
    CHECK(w.record.at == 1800000000);
    if (w.kind != Kind::kNone) CHECK(w.record.version == plan->version);
  }
}

TEST_CASE("a planned change sees the entries as the changes before it left them", "[knowledge][plan]") {
  Current current;  // an empty knowledge base
  std::vector<EntryChange> changes = {Add(MakeEntry("delta", "Delta", "Added.")), EditBody("delta", "Edited."),
                                      Delete("delta"), Add(MakeEntry("delta", "Delta", "Added again."))};
  auto plan = knowledge::PlanEntryChanges(current, changes, "bob", 1, "");
  REQUIRE(plan.ok());
  REQUIRE(plan->writes.size() == 4);
  CHECK(plan->writes[0].kind == Kind::kInsert);
  CHECK(plan->writes[1].kind == Kind::kUpdate);
  CHECK(plan->writes[1].record.before->body == "Added.");
  CHECK(plan->writes[2].kind == Kind::kDelete);
  CHECK(plan->writes[2].record.before->body == "Edited.");
  CHECK(plan->writes[3].kind == Kind::kInsert);
  CHECK_FALSE(plan->writes[3].record.before);

  // Deleting twice: the second finds nothing.
  auto twice = knowledge::PlanEntryChanges(TwoEntries(), {Delete("alpha"), Delete("alpha")}, "bob", 1, "");
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.status().code() == bot::Status::Code::kNotFound);
}

TEST_CASE("a change that cannot be made fails the whole plan with its reason", "[knowledge][plan]") {
  Current current = TwoEntries();
  auto fails = [&](EntryChange c) {
    // Behind a change that would succeed: nothing of the plan is returned.
    auto plan = knowledge::PlanEntryChanges(current, {Add(MakeEntry("ok", "Ok", "Fine.")), std::move(c)}, "x", 1, "");
    REQUIRE_FALSE(plan.ok());
    return plan.status();
  };
  CHECK(fails(Add(*current["alpha"])).code() == bot::Status::Code::kAlreadyExists);
  CHECK(fails(Delete("missing")).code() == bot::Status::Code::kNotFound);
  CHECK(fails(EditBody("missing", "x")).code() == bot::Status::Code::kNotFound);

  EntryChange replace;
  replace.op = EntryChange::Op::kReplace;
  replace.id = "alpha";
  replace.entry = MakeEntry("other", "Other", "Body.");
  bot::Status s = fails(replace);
  CHECK(s.code() == bot::Status::Code::kInvalidArgument);
  CHECK(s.message().find("'other' is not the id of the entry replaced") != std::string::npos);

  EntryChange stale = EditBody("alpha", "New body.");
  stale.expect = "not the fingerprint";
  s = fails(stale);
  CHECK(s.code() == bot::Status::Code::kAlreadyExists);
  CHECK(s.message().find("changed by someone else") != std::string::npos);
  EntryChange fresh = EditBody("alpha", "New body.");
  fresh.expect = knowledge::EntryFingerprint(*current["alpha"]);
  CHECK(knowledge::PlanEntryChanges(current, {fresh}, "x", 1, "").ok());
  EntryChange absent = Add(MakeEntry("new", "New", "Body."));
  absent.expect = "";  // "" expects no entry
  CHECK(knowledge::PlanEntryChanges(current, {absent}, "x", 1, "").ok());

  EntryChange rename;
  rename.op = EntryChange::Op::kEdit;
  rename.id = "alpha";
  rename.edit = [](bot::Entry* e) {
    e->id = "renamed";
    return bot::Status::Ok();
  };
  CHECK(fails(rename).message() == "id: an edit cannot change an entry's id");

  EntryChange refused;
  refused.op = EntryChange::Op::kEdit;
  refused.id = "alpha";
  refused.edit = [](bot::Entry*) { return bot::Status::InvalidArgument("questions[0]: refused by the edit"); };
  CHECK(fails(refused).message() == "questions[0]: refused by the edit");

  CHECK(fails(Add(MakeEntry("untitled", " ", "Body."))).message() == "title: must not be empty");
  CHECK(fails(Add(MakeEntry("Not A Slug", "T", "Body."))).message() == "id: 'Not A Slug' is not a slug");
  CHECK(fails(Add(MakeEntry("tagged", "T", "Body.", {}, {"a,b"}))).message() ==
        "tags[0]: must be one non-empty line without commas");
}

TEST_CASE("a plan that changes nothing has no version", "[knowledge][plan]") {
  Current current = TwoEntries();
  EntryChange same = EditBody("alpha", current["alpha"]->body);
  auto plan = knowledge::PlanEntryChanges(current, {same}, "x", 1, "kb-previous");
  REQUIRE(plan.ok());
  CHECK_FALSE(plan->changed());
  CHECK(plan->writes[0].kind == Kind::kNone);
  CHECK(plan->writes[0].record.version.empty());
}

TEST_CASE("the planned version is the one the store writes and depends on what came before",
          "[knowledge][plan][version]") {
  auto opened = knowledge::Store::Open(":memory:");
  REQUIRE(opened.ok());
  knowledge::Store& store = **opened;
  std::vector<bot::Entry> entries = {MakeEntry("alpha", "Alpha", "The first entry.", {"What is alpha?"}),
                                     MakeEntry("beta", "Beta", "The second entry.", {"What is beta?"}, {"b"})};
  REQUIRE(store.ReplaceAll(entries, "pay, salary\n", "test").ok());

  // A rebuild: the synonyms, then every entry in id order.
  knowledge::ContentVersion built = knowledge::ContentVersion::ForBuild("pay, salary\n");
  for (const auto& e : entries) built.AddEntry(e);
  auto version = store.GetMeta("version");
  REQUIRE(version.ok());
  CHECK(*version == built.Version());
  CHECK(version->rfind("kb-", 0) == 0);
  CHECK(version->size() == 3 + 16);

  // A curated change: the version before, then each change.
  std::vector<EntryChange> changes = {EditBody("beta", "The second entry, edited."),
                                      Add(MakeEntry("gamma", "Gamma", "The third entry."))};
  Current current;
  current["beta"] = entries[1];
  current["gamma"] = std::nullopt;
  auto plan = knowledge::PlanEntryChanges(current, changes, "alice", 1800000000, *version);
  REQUIRE(plan.ok());
  auto applied = store.ApplyEntryChanges(changes, "alice", 1800000000);
  REQUIRE(applied.ok());
  auto after = store.GetMeta("version");
  REQUIRE(after.ok());
  CHECK(*after == plan->version);
  CHECK((*applied)[0].version == plan->version);
  CHECK((*applied)[0].id > 0);

  // The same changes on another version give another version.
  auto elsewhere = knowledge::PlanEntryChanges(current, changes, "alice", 1800000000, "kb-0000000000000000");
  REQUIRE(elsewhere.ok());
  CHECK(elsewhere->version != plan->version);
  // And the same input gives the same version.
  auto again = knowledge::PlanEntryChanges(current, changes, "carol", 1, *version);
  REQUIRE(again.ok());
  CHECK(again->version == plan->version);
}

TEST_CASE("the fields indexed for an entry are the ones the store searches", "[knowledge][index]") {
  auto opened = knowledge::Store::Open(":memory:");
  REQUIRE(opened.ok());
  knowledge::Store& store = **opened;
  bot::Entry e = MakeEntry("salary", "Backend developer salaries", "Backend developers earn well.",
                           {"How much do backend developers earn?", "What is the pay?"}, {"salary", "money"});
  REQUIRE(store.ReplaceAll({e}, "pay, salary, earnings\n", "test").ok());
  auto lexicon = store.GetLexicon();
  REQUIRE(lexicon.ok());
  knowledge::IndexFields fields = knowledge::IndexFieldsFor(e, (*lexicon)->normalizer);
  CHECK(fields.questions.size() == 2);
  CHECK(fields.QuestionsColumn() == fields.questions[0] + " | " + fields.questions[1]);

  std::vector<std::string> terms;
  for (const auto& t : (*lexicon)->normalizer.Terms("backend", true)) terms.push_back(t.term);
  REQUIRE_FALSE(terms.empty());
  auto hits = store.Search(terms, 5);
  REQUIRE(hits.ok());
  REQUIRE(hits->size() == 1);
  const bot::IndexedEntry& hit = *(*hits)[0].doc;
  CHECK(hit.title_terms == fields.title);
  CHECK(hit.question_terms == fields.questions);
  CHECK(hit.tag_terms == fields.tags);
  CHECK(hit.body_terms == fields.body);

  // The same after a curated change writes the row again.
  EntryChange edit = EditBody("salary", "Backend developers are paid well.");
  REQUIRE(store.ApplyEntryChanges({edit}, "alice", 1).ok());
  e.body = "Backend developers are paid well.";
  hits = store.Search(terms, 5);
  REQUIRE(hits.ok());
  REQUIRE(hits->size() == 1);
  CHECK((*hits)[0].doc->body_terms == knowledge::IndexFieldsFor(e, (*lexicon)->normalizer).body);

  // And the test fake indexes with it too.
  fakes::FakeRetriever fake({e}, "pay, salary, earnings\n");
  auto fake_hits = fake.Search(terms, 5);
  REQUIRE(fake_hits.ok());
  REQUIRE(fake_hits->size() == 1);
  CHECK((*fake_hits)[0].doc->question_terms == fields.questions);
  CHECK((*fake_hits)[0].doc->body_terms == (*hits)[0].doc->body_terms);
}

TEST_CASE("a transaction rolls back unless committed", "[knowledge][db]") {
  auto opened = knowledge::Database::Open(":memory:", true);
  REQUIRE(opened.ok());
  knowledge::Database& db = **opened;
  auto value = [&](const std::string& key) {
    auto meta = knowledge::ReadMeta(db.writer()->db, {key});
    REQUIRE(meta.ok());
    return meta->count(key) ? meta->at(key) : std::string("(none)");
  };
  {
    auto tx = knowledge::Transaction::Begin(db.writer(), knowledge::Transaction::Kind::kImmediate);
    REQUIRE(tx.ok());
    REQUIRE(knowledge::WriteMeta(db.writer()->db, {{"k", "dropped"}}).ok());
    CHECK(value("k") == "dropped");  // visible inside
  }  // no commit: rolled back
  CHECK(value("k") == "(none)");
  {
    auto tx = knowledge::Transaction::Begin(db.writer(), knowledge::Transaction::Kind::kImmediate);
    REQUIRE(tx.ok());
    REQUIRE(knowledge::WriteMeta(db.writer()->db, {{"k", "kept"}}).ok());
    knowledge::Transaction moved(std::move(*tx));  // the moved-from one does nothing when it goes
    REQUIRE(moved.Commit().ok());
    CHECK_FALSE(moved.Commit().ok());  // once
  }
  CHECK(value("k") == "kept");
  // A nested BEGIN fails and says so; the open transaction is unharmed.
  {
    auto outer = knowledge::Transaction::Begin(db.writer(), knowledge::Transaction::Kind::kImmediate);
    REQUIRE(outer.ok());
    auto inner = knowledge::Transaction::Begin(db.writer(), knowledge::Transaction::Kind::kImmediate, "begin inner");
    REQUIRE_FALSE(inner.ok());
    CHECK(inner.status().code() == bot::Status::Code::kUnavailable);
    CHECK(inner.status().message().rfind("begin inner: ", 0) == 0);
    REQUIRE(knowledge::WriteMeta(db.writer()->db, {{"k", "outer"}}).ok());
    REQUIRE(outer->Commit().ok());
  }
  CHECK(value("k") == "outer");
}

TEST_CASE("a statement that fails says what it was doing", "[knowledge][db]") {
  auto opened = knowledge::Database::Open(":memory:", true);
  REQUIRE(opened.ok());
  sqlite3* db = (*opened)->writer()->db;
  knowledge::Stmt bad(db, "SELECT nothing FROM nowhere");
  CHECK_FALSE(bad.ok());
  knowledge::Stmt insert(db, "INSERT INTO meta(key, value) VALUES(?1, ?2)");
  REQUIRE(insert.ok());
  insert.Bind(1, std::string("k"));
  insert.Bind(2, std::string("v"));
  REQUIRE(insert.Run("first").ok());
  insert.Bind(1, std::string("k"));  // the key is taken now
  insert.Bind(2, std::string("w"));
  bot::Status s = insert.Run("insert again");
  CHECK(s.code() == bot::Status::Code::kUnavailable);
  CHECK(s.message().rfind("insert again: ", 0) == 0);
  CHECK(s.message().find("UNIQUE") != std::string::npos);
  insert.BindNull(2);  // NOT NULL
  insert.Bind(1, std::string("k2"));
  CHECK_FALSE(insert.Run("null value").ok());
  // A read-only database refuses writes before touching the file.
  auto ro = knowledge::Database::Open((*opened)->path(), false);
  REQUIRE(ro.ok());
  CHECK((*ro)->CheckWritable().code() == bot::Status::Code::kUnavailable);
}

namespace {

bot::Status Fails() { return bot::Status::NotFound("gone"); }
bot::Result<int> Number(bool ok) {
  if (!ok) return bot::Status::Unavailable("no number");
  return 7;
}
int calls = 0;
bot::Result<int> Counted() {
  calls++;
  return 1;
}

bot::Status UsesStatus(bool fail) {
  if (fail) RETURN_IF_ERROR(Fails());
  RETURN_IF_ERROR(Number(true));
  return bot::Status::Ok();
}

bot::Result<int> UsesResult(bool ok) {
  ASSIGN_OR_RETURN(int n, Number(ok));
  ASSIGN_OR_RETURN(int m, Counted());
  RETURN_IF_ERROR(Number(true));
  return n + m;
}

}  // namespace

TEST_CASE("RETURN_IF_ERROR and ASSIGN_OR_RETURN return the failure and keep the value", "[bot][status]") {
  CHECK(UsesStatus(false).ok());
  bot::Status s = UsesStatus(true);
  CHECK(s.code() == bot::Status::Code::kNotFound);
  CHECK(s.message() == "gone");
  calls = 0;
  auto r = UsesResult(true);
  REQUIRE(r.ok());
  CHECK(*r == 8);
  CHECK(calls == 1);  // evaluated once
  auto failed = UsesResult(false);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().message() == "no number");
  CHECK(calls == 1);  // stopped at the first failure
}

TEST_CASE("a change planner plans one change on the entry it is given", "[knowledge][plan]") {
  knowledge::ChangePlanner planner("alice", 1800000000, "kb-previous");
  bot::Entry alpha = MakeEntry("alpha", "Alpha", "The first entry.");
  auto w = planner.Plan(EditBody("alpha", "Edited."), alpha);
  REQUIRE(w.ok());
  CHECK((*w)->kind == Kind::kUpdate);
  CHECK((*w)->record.after->body == "Edited.");
  // The caller says what the entry is now: here, as if the edit had not been written.
  w = planner.Plan(EditBody("alpha", "The first entry."), alpha);
  REQUIRE(w.ok());
  CHECK((*w)->kind == Kind::kNone);
  w = planner.Plan(Delete("alpha"), std::nullopt);
  REQUIRE_FALSE(w.ok());
  CHECK(w.status().code() == bot::Status::Code::kNotFound);
  knowledge::EntryPlan plan = knowledge::ChangePlanner("alice", 1, "kb-previous").Finish();
  CHECK(plan.writes.empty());
  CHECK_FALSE(plan.changed());
}
