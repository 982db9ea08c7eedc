// The entries, their FTS5 rows and the history, in SQL (see entry_table.h).
#include "knowledge/entry_table.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "bot/text.h"
#include "knowledge/content_version.h"
#include "knowledge/entry_json.h"
#include "knowledge/index_fields.h"

namespace knowledge {

using bot::Entry;
using bot::Result;
using bot::Status;

const char kEntryColumns[] = "id, title, body, questions, tags, article, section, url, updated_at";

Entry ReadEntryAt(Stmt& s, int first_col) {
  Entry e;
  e.id = s.Text(first_col);
  e.title = s.Text(first_col + 1);
  e.body = s.Text(first_col + 2);
  e.questions = SplitOn(s.Text(first_col + 3), "\n");
  e.tags = SplitOn(s.Text(first_col + 4), ",");
  e.source.article = s.Text(first_col + 5);
  e.source.section = s.Text(first_col + 6);
  e.source.url = s.Text(first_col + 7);
  e.updated_at = s.Text(first_col + 8);
  return e;
}

namespace {

const char kInsertFts[] = "INSERT INTO entries_fts(rowid, title, questions, tags, body) VALUES(?1, ?2, ?3, ?4, ?5)";

// One line of text: questions are stored one per line, so none may hold one.
std::string OneLine(const std::string& s) {
  std::string out = s;
  std::replace(out.begin(), out.end(), '\n', ' ');
  std::replace(out.begin(), out.end(), '\r', ' ');
  return std::string(bot::Trim(out));
}

// Binds the eight entry columns after the id (title ... updated_at) from `first`.
void BindEntryColumns(Stmt& s, int first, const Entry& e) {
  s.Bind(first, e.title);
  s.Bind(first + 1, e.body);
  s.Bind(first + 2, JoinWith(e.questions, "\n"));
  s.Bind(first + 3, JoinWith(e.tags, ","));
  s.Bind(first + 4, e.source.article);
  s.Bind(first + 5, e.source.section);
  s.Bind(first + 6, e.source.url);
  s.Bind(first + 7, e.updated_at);
}

// Writes the FTS5 row of `e` (prepared statement kInsertFts).
Status IndexRow(Stmt& fts, int64_t rowid, const Entry& e, const bot::Normalizer& normalizer, const std::string& what) {
  IndexFields f = IndexFieldsFor(e, normalizer);
  fts.Bind(1, rowid);
  fts.Bind(2, f.title);
  fts.Bind(3, f.QuestionsColumn());
  fts.Bind(4, f.tags);
  fts.Bind(5, f.body);
  return fts.Run(what);
}

Status CheckBuildable(const std::vector<Entry>& entries) {
  std::set<std::string> ids;
  for (const Entry& e : entries) {
    if (!bot::IsValidSlug(e.id)) return Status::InvalidArgument("invalid entry id '" + e.id + "'");
    if (!ids.insert(e.id).second) return Status::InvalidArgument("duplicate entry id '" + e.id + "'");
    if (bot::Trim(e.title).empty()) return Status::InvalidArgument("entry '" + e.id + "' has no title");
    if (bot::Trim(e.body).empty()) return Status::InvalidArgument("entry '" + e.id + "' has no body");
  }
  return Status::Ok();
}

// Writes planned changes to entries and their FTS5 rows, with statements
// prepared once for the whole batch.
class EntryWriter {
 public:
  EntryWriter(sqlite3* db, const bot::Normalizer& normalizer)
      : db_(db),
        normalizer_(normalizer),
        find_(db, std::string("SELECT rowid, ") + kEntryColumns + " FROM entries WHERE id = ?1"),
        del_(db, "DELETE FROM entries WHERE rowid = ?1"),
        del_fts_(db, "DELETE FROM entries_fts WHERE rowid = ?1"),
        ins_(db, "INSERT INTO entries(id, title, body, questions, tags, article, section, url, updated_at) "
                 "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
        upd_(db, "UPDATE entries SET title = ?2, body = ?3, questions = ?4, tags = ?5, article = ?6, section = ?7, "
                 "url = ?8, updated_at = ?9 WHERE rowid = ?1"),
        fts_(db, kInsertFts) {}

  Status Prepared() {
    bool ok = find_.ok() && del_.ok() && del_fts_.ok() && ins_.ok() && upd_.ok() && fts_.ok();
    return ok ? Status::Ok() : SqlError(db_, "prepare the change");
  }

  // The entry `id` as stored now (nullopt: none), and its rowid.
  Result<std::optional<Entry>> Find(const std::string& id, int64_t* rowid) {
    find_.Bind(1, id);
    int rc = find_.Step();
    std::optional<Entry> found;
    if (rc == SQLITE_ROW) {
      *rowid = find_.Int(0);
      found = ReadEntryAt(find_, 1);
    }
    find_.Reset();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return SqlError(db_, "read entry '" + id + "'");
    return found;
  }

  // Writes `w` to the entry at `rowid` (kUpdate, kDelete) or a new row (kInsert).
  Status Write(const PlannedWrite& w, int64_t rowid) {
    const HistoryRecord& r = w.record;
    const std::string& id = r.entry_id;
    switch (w.kind) {
      case PlannedWrite::Kind::kNone:
        return Status::Ok();
      case PlannedWrite::Kind::kDelete: {
        const std::string what = "delete entry '" + id + "'";
        del_.Bind(1, rowid);
        del_fts_.Bind(1, rowid);
        RETURN_IF_ERROR(del_.Run(what));
        return del_fts_.Run(what);
      }
      case PlannedWrite::Kind::kUpdate: {
        const std::string what = "update entry '" + id + "'";
        upd_.Bind(1, rowid);
        BindEntryColumns(upd_, 2, *r.after);
        del_fts_.Bind(1, rowid);
        RETURN_IF_ERROR(upd_.Run(what));
        RETURN_IF_ERROR(del_fts_.Run(what));
        return IndexRow(fts_, rowid, *r.after, normalizer_, what);
      }
      case PlannedWrite::Kind::kInsert: {
        ins_.Bind(1, id);
        BindEntryColumns(ins_, 2, *r.after);
        RETURN_IF_ERROR(ins_.Run("insert entry '" + id + "'"));
        return IndexRow(fts_, sqlite3_last_insert_rowid(db_), *r.after, normalizer_, "index entry '" + id + "'");
      }
    }
    return Status::Internal("unknown write");
  }

 private:
  sqlite3* db_;
  const bot::Normalizer& normalizer_;
  Stmt find_, del_, del_fts_, ins_, upd_, fts_;
};

// Writes a history row for each write of `plan` that changed an entry, and
// sets its record's id.
Status WriteHistory(sqlite3* db, EntryPlan* plan) {
  Stmt hist(db, "INSERT INTO history(at, who, action, entry_id, before, after, version) "
                "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!hist.ok()) return SqlError(db, "prepare history");
  auto json = [](const std::optional<Entry>& e) {
    return e ? std::optional<std::string>(EntryToJsonLine(*e)) : std::nullopt;
  };
  for (PlannedWrite& w : plan->writes) {
    if (w.kind == PlannedWrite::Kind::kNone) continue;
    HistoryRecord& r = w.record;
    hist.Bind(1, r.at);
    hist.Bind(2, r.who);
    hist.Bind(3, r.action);
    hist.Bind(4, r.entry_id);
    hist.Bind(5, json(r.before));
    hist.Bind(6, json(r.after));
    hist.Bind(7, r.version);
    RETURN_IF_ERROR(hist.Run("record history"));
    r.id = sqlite3_last_insert_rowid(db);
  }
  return Status::Ok();
}

std::vector<HistoryRecord> Records(EntryPlan plan) {
  std::vector<HistoryRecord> out;
  out.reserve(plan.writes.size());
  for (PlannedWrite& w : plan.writes) out.push_back(std::move(w.record));
  return out;
}

std::optional<Entry> EntryColumn(Stmt& s, int col) {
  if (s.IsNull(col)) return std::nullopt;
  auto j = nlohmann::json::parse(s.Text(col), nullptr, false);
  Entry e;
  FieldProblem problem;
  if (j.is_discarded() || !EntryFromJson(j, &e, &problem)) return std::nullopt;
  return e;
}

HistoryRecord ReadHistoryRow(Stmt& s) {
  HistoryRecord r;
  r.id = s.Int(0);
  r.at = s.Int(1);
  r.who = s.Text(2);
  r.action = s.Text(3);
  r.entry_id = s.Text(4);
  r.before = EntryColumn(s, 5);
  r.after = EntryColumn(s, 6);
  r.version = s.Text(7);
  return r;
}

}  // namespace

Result<std::vector<Entry>> ReadAllEntries(sqlite3* db) {
  Stmt s(db, std::string("SELECT ") + kEntryColumns + " FROM entries ORDER BY id");
  if (!s.ok()) return SqlError(db, "list entries");
  std::vector<Entry> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.push_back(ReadEntryAt(s, 0));
  if (rc != SQLITE_DONE) return SqlError(db, "list entries");
  return out;
}

Result<Entry> ReadOneEntry(sqlite3* db, const std::string& id) {
  Stmt s(db, std::string("SELECT ") + kEntryColumns + " FROM entries WHERE id = ?1");
  if (!s.ok()) return SqlError(db, "get entry");
  s.Bind(1, id);
  int rc = s.Step();
  if (rc == SQLITE_ROW) return ReadEntryAt(s, 0);
  if (rc != SQLITE_DONE) return SqlError(db, "get entry");
  return Status::NotFound("no entry with id '" + id + "'");
}

Status RebuildEntries(Conn* writer, std::vector<Entry> entries, const std::string& synonyms_text,
                      const std::string& origin) {
  RETURN_IF_ERROR(CheckBuildable(entries));
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.id < b.id; });
  bot::Normalizer normalizer(bot::SynonymTable::Parse(synonyms_text));
  sqlite3* db = writer->db;
  ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(writer, Transaction::Kind::kImmediate));
  RETURN_IF_ERROR(Exec(db, "DELETE FROM entries; DELETE FROM entries_fts;", "clear entries"));
  Stmt ins(db, "INSERT INTO entries(rowid, id, title, body, questions, tags, article, section, url, updated_at) "
               "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  Stmt fts(db, kInsertFts);
  if (!ins.ok() || !fts.ok()) return SqlError(db, "prepare insert");
  ContentVersion version = ContentVersion::ForBuild(synonyms_text);
  int64_t rowid = 0;
  for (Entry& e : entries) {
    rowid++;
    for (auto& q : e.questions) q = OneLine(q);
    e.questions.erase(std::remove(e.questions.begin(), e.questions.end(), std::string()), e.questions.end());
    for (auto& t : e.tags) t = OneLine(t);
    version.AddEntry(e);
    ins.Bind(1, rowid);
    ins.Bind(2, e.id);
    BindEntryColumns(ins, 3, e);
    RETURN_IF_ERROR(ins.Run("insert entry '" + e.id + "'"));
    RETURN_IF_ERROR(IndexRow(fts, rowid, e, normalizer, "index entry '" + e.id + "'"));
  }
  char rank[128];
  std::snprintf(rank, sizeof rank, "bm25(%.1f, %.1f, %.1f, %.1f)", kTitleWeight, kQuestionsWeight, kTagsWeight,
                kBodyWeight);
  Stmt rank_cfg(db, "INSERT INTO entries_fts(entries_fts, rank) VALUES('rank', ?1)");
  rank_cfg.Bind(1, std::string(rank));
  RETURN_IF_ERROR(rank_cfg.Run("configure rank"));
  RETURN_IF_ERROR(WriteMeta(db, {{"version", version.Version()},
                                 {"synonyms", synonyms_text},
                                 {"normalizer", std::to_string(bot::Normalizer::kVersion)},
                                 {"origin", origin},
                                 {"field_weights", rank}}));
  RETURN_IF_ERROR(Exec(db, "INSERT INTO entries_fts(entries_fts) VALUES('optimize')", "optimize index"));
  return tx.Commit();
}

Result<std::vector<HistoryRecord>> ApplyEntryChanges(Conn* writer, const std::vector<EntryChange>& changes,
                                                     const std::string& who, int64_t at,
                                                     const std::function<void(size_t, size_t)>& progress) {
  sqlite3* db = writer->db;
  ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(writer, Transaction::Kind::kImmediate));
  // New index rows use the synonyms the rest of the index was built with.
  ASSIGN_OR_RETURN(auto meta, ReadMeta(db, {"version", "synonyms"}));
  bot::Normalizer normalizer(bot::SynonymTable::Parse(meta["synonyms"]));
  EntryWriter out(db, normalizer);
  RETURN_IF_ERROR(out.Prepared());
  // Each change is planned on the entry as the changes before it left it
  // (read inside this transaction), then written.
  ChangePlanner planner(who, at, meta["version"]);
  for (size_t i = 0; i < changes.size(); i++) {
    if (progress && i > 0 && i % 50 == 0) progress(i, changes.size());
    int64_t rowid = 0;
    ASSIGN_OR_RETURN(std::optional<Entry> current, out.Find(ChangedId(changes[i]), &rowid));
    ASSIGN_OR_RETURN(const PlannedWrite* write, planner.Plan(changes[i], current));
    RETURN_IF_ERROR(out.Write(*write, rowid));
  }
  if (progress && !changes.empty()) progress(changes.size(), changes.size());
  EntryPlan plan = planner.Finish();
  if (!plan.changed()) return Records(std::move(plan));  // nothing to commit: tx rolls back
  RETURN_IF_ERROR(WriteMeta(db, {{"version", plan.version}, {"origin", "curated"}}));
  RETURN_IF_ERROR(WriteHistory(db, &plan));
  RETURN_IF_ERROR(tx.Commit());
  return Records(std::move(plan));
}

Result<std::vector<HistoryRecord>> ReadHistory(sqlite3* db, const std::string& entry_id, size_t limit) {
  Stmt s(db,
         "SELECT id, at, who, action, entry_id, before, after, version FROM history WHERE entry_id = ?1 "
         "ORDER BY id DESC LIMIT ?2");
  if (!s.ok()) return SqlError(db, "read the history");
  s.Bind(1, entry_id);
  s.Bind(2, static_cast<int64_t>(limit));
  std::vector<HistoryRecord> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.push_back(ReadHistoryRow(s));
  if (rc != SQLITE_DONE) return SqlError(db, "read the history");
  return out;
}

Result<HistoryRecord> ReadHistoryRecord(sqlite3* db, int64_t id) {
  Stmt s(db, "SELECT id, at, who, action, entry_id, before, after, version FROM history WHERE id = ?1");
  if (!s.ok()) return SqlError(db, "read the history");
  s.Bind(1, id);
  int rc = s.Step();
  if (rc == SQLITE_ROW) return ReadHistoryRow(s);
  if (rc != SQLITE_DONE) return SqlError(db, "read the history");
  return Status::NotFound("no recorded change " + std::to_string(id));
}

}  // namespace knowledge
