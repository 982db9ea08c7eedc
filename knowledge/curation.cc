#include "knowledge/curation.h"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "bot/text.h"
#include "knowledge/markdown.h"
#include "knowledge/markdown_article.h"

namespace knowledge {
namespace {

using bot::Entry;
using bot::Result;
using bot::Status;

// kInvalidArgument naming the first problem (and how many more there are).
Status Invalid(const std::vector<FieldProblem>& problems) {
  std::string m = problems[0].ToString();
  for (size_t i = 1; i < problems.size(); i++) m += "; " + problems[i].ToString();
  return Status::InvalidArgument(m);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Everything but updated_at.
bool SameContent(const Entry& a, const Entry& b) {
  Entry x = a;
  x.updated_at = b.updated_at;
  return SameEntry(x, b);
}

std::string Extension(const std::string& name) {
  size_t slash = name.find_last_of('/');
  size_t dot = name.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  return Lower(name.substr(dot + 1));
}

}  // namespace

Curator::Curator(Store* store, bot::Clock* clock) : store_(store), clock_(clock) {}

std::string Curator::Today() const {
  time_t now = static_cast<time_t>(clock_->NowSeconds());
  struct tm tm_utc;
  gmtime_r(&now, &tm_utc);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm_utc);
  return buf;
}

Result<HistoryRecord> Curator::One(EntryChange change, const std::string& who) {
  ASSIGN_OR_RETURN(auto records, store_->ApplyEntryChanges({std::move(change)}, who, clock_->NowSeconds()));
  return std::move(records[0]);
}

Result<HistoryRecord> Curator::Add(Entry entry, const std::string& who) {
  NormalizeEntry(&entry);
  if (entry.updated_at.empty()) entry.updated_at = Today();
  auto problems = ValidateEntry(entry);
  if (!problems.empty()) return Invalid(problems);
  EntryChange c;
  c.op = EntryChange::Op::kAdd;
  c.entry = std::move(entry);
  c.action = "add";
  return One(std::move(c), who);
}

Result<HistoryRecord> Curator::Replace(const std::string& id, Entry entry, const std::string& who,
                                       const std::string& if_match) {
  if (entry.id.empty()) entry.id = id;
  NormalizeEntry(&entry);
  if (entry.id != id) {
    return Status::InvalidArgument("id: '" + entry.id + "' is not the id of the entry replaced ('" + id + "')");
  }
  auto problems = ValidateEntry(entry);
  if (!problems.empty()) return Invalid(problems);
  EntryChange c;
  c.op = EntryChange::Op::kEdit;
  c.id = id;
  if (!if_match.empty()) c.expect = if_match;
  c.action = "edit";
  std::string today = Today();
  c.edit = [entry = std::move(entry), today](Entry* current) {
    Entry next = entry;
    if (!SameContent(*current, next) && (next.updated_at.empty() || next.updated_at == current->updated_at)) {
      next.updated_at = today;
    }
    if (next.updated_at.empty()) next.updated_at = current->updated_at;
    *current = std::move(next);
    return Status::Ok();
  };
  return One(std::move(c), who);
}

Result<HistoryRecord> Curator::Patch(const std::string& id, const nlohmann::json& patch, const std::string& who,
                                     const std::string& if_match) {
  // Types are checked now; the values once the patch meets the current entry.
  Entry probe;
  FieldProblem problem;
  if (!EntryFromJson(patch, &probe, &problem)) return Status::InvalidArgument(problem.ToString());
  EntryChange c;
  c.op = EntryChange::Op::kEdit;
  c.id = id;
  if (!if_match.empty()) c.expect = if_match;
  c.action = "edit";
  std::string today = Today();
  c.edit = [patch, today, id](Entry* current) {
    Entry next = *current;
    FieldProblem p;
    if (!EntryFromJson(patch, &next, &p)) return Status::InvalidArgument(p.ToString());
    NormalizeEntry(&next);
    if (next.id != id) return Status::InvalidArgument("id: an entry's id cannot change (it is '" + id + "')");
    if (!SameContent(*current, next) && next.updated_at == current->updated_at) next.updated_at = today;
    auto problems = ValidateEntry(next);
    if (!problems.empty()) return Invalid(problems);
    *current = std::move(next);
    return Status::Ok();
  };
  return One(std::move(c), who);
}

Result<HistoryRecord> Curator::Delete(const std::string& id, const std::string& who, const std::string& if_match) {
  EntryChange c;
  c.op = EntryChange::Op::kDelete;
  c.id = id;
  if (!if_match.empty()) c.expect = if_match;
  c.action = "delete";
  return One(std::move(c), who);
}

Result<HistoryRecord> Curator::AddQuestion(const std::string& id, const std::string& question, const std::string& who,
                                           const std::string& action) {
  std::string q(bot::Trim(question));
  Entry probe;
  probe.questions = {q};
  if (q.empty()) return Status::InvalidArgument("question: must not be empty");
  for (const auto& p : ValidateEntry(probe)) {
    if (p.field == "questions[0]") return Status::InvalidArgument("question: " + p.message);
  }
  EntryChange c;
  c.op = EntryChange::Op::kEdit;
  c.id = id;
  c.action = action;
  std::string today = Today();
  c.edit = [q, today](Entry* e) {
    for (const auto& existing : e->questions) {
      if (Lower(existing) == Lower(q)) return Status::Ok();
    }
    if (e->questions.size() >= kMaxQuestions) {
      return Status::InvalidArgument("questions: the entry already has " + std::to_string(kMaxQuestions) +
                                     " questions");
    }
    e->questions.push_back(q);
    e->updated_at = today;
    return Status::Ok();
  };
  return One(std::move(c), who);
}

Result<HistoryRecord> Curator::Revert(const std::string& id, const std::string& who, int64_t change_id) {
  std::optional<HistoryRecord> target;
  if (change_id > 0) {
    ASSIGN_OR_RETURN(HistoryRecord record, store_->GetHistoryRecord(change_id));
    if (record.entry_id != id) {
      return Status::NotFound("change " + std::to_string(change_id) + " is not a change of entry '" + id + "'");
    }
    target = std::move(record);
  } else {
    ASSIGN_OR_RETURN(auto history, store_->History(id, 1));
    if (history.empty()) return Status::NotFound("entry '" + id + "' has no recorded change to revert");
    target = std::move(history[0]);
  }
  // Nobody may change the entry between reading it here and the revert.
  auto current = store_->GetEntry(id);
  if (!current.ok() && current.status().code() != Status::Code::kNotFound) return current.status();
  EntryChange c;
  c.action = "revert";
  c.expect = current.ok() ? EntryFingerprint(*current) : std::string();
  if (target->before) {
    c.op = EntryChange::Op::kPut;
    c.entry = *target->before;
  } else {
    c.op = EntryChange::Op::kDelete;
    c.id = id;
    if (!current.ok()) {  // already gone: nothing to do
      HistoryRecord r;
      r.entry_id = id;
      r.action = "revert";
      return r;
    }
  }
  return One(std::move(c), who);
}

Result<ImportReport> Curator::Import(const std::vector<ImportItem>& items, const ImportOptions& options,
                                     const std::string& who, const std::function<void(size_t, size_t)>& progress) {
  ImportReport report;
  std::vector<Entry> valid;
  std::map<std::string, std::string> first_seen;  // id -> where
  for (const ImportItem& item : items) {
    if (!item.entry) {
      report.rejected.push_back({item.where, "", item.error});
      continue;
    }
    Entry e = *item.entry;
    NormalizeEntry(&e);
    auto problems = ValidateEntry(e);
    if (!problems.empty()) {
      report.rejected.push_back({item.where, e.id, Invalid(problems).message()});
      continue;
    }
    auto [it, inserted] = first_seen.emplace(e.id, item.where);
    if (!inserted) {
      report.rejected.push_back({item.where, e.id, "id: '" + e.id + "' appears again (first at " + it->second + ")"});
      continue;
    }
    valid.push_back(std::move(e));
  }
  auto version = [&] {
    auto v = store_->GetMeta("version");
    return v.ok() ? *v : std::string();
  };
  if (!report.rejected.empty() && (options.strict || options.replace)) {
    report.version = version();
    return report;
  }
  std::vector<EntryChange> changes;
  changes.reserve(valid.size());
  for (Entry& e : valid) {
    EntryChange c;
    c.op = EntryChange::Op::kPut;
    c.entry = std::move(e);
    c.action = "import";
    changes.push_back(std::move(c));
  }
  if (options.replace) {
    ASSIGN_OR_RETURN(auto existing, store_->ListEntries());
    for (const Entry& e : existing) {
      if (first_seen.count(e.id)) continue;
      EntryChange c;
      c.op = EntryChange::Op::kDelete;
      c.id = e.id;
      c.action = "import";
      changes.push_back(std::move(c));
    }
  }
  if (options.dry_run) {
    // The plan the import would apply, on the entries stored now.
    ASSIGN_OR_RETURN(auto existing, store_->ListEntries());
    std::map<std::string, std::optional<Entry>> current;
    for (Entry& e : existing) current[e.id] = std::move(e);
    ASSIGN_OR_RETURN(EntryPlan plan, PlanEntryChanges(current, changes, who, clock_->NowSeconds(), ""));
    for (const PlannedWrite& w : plan.writes) {
      switch (w.kind) {
        case PlannedWrite::Kind::kNone: report.unchanged++; break;
        case PlannedWrite::Kind::kInsert: report.added++; break;
        case PlannedWrite::Kind::kUpdate: report.changed++; break;
        case PlannedWrite::Kind::kDelete: report.deleted++; break;
      }
    }
    report.version = version();
    return report;
  }
  ASSIGN_OR_RETURN(auto records, store_->ApplyEntryChanges(changes, who, clock_->NowSeconds(), progress));
  for (const HistoryRecord& r : records) {
    if (r.id == 0) {
      report.unchanged++;
    } else if (!r.before) {
      report.added++;
    } else if (!r.after) {
      report.deleted++;
    } else {
      report.changed++;
    }
  }
  report.applied = true;
  report.version = version();
  return report;
}

Result<std::vector<ImportItem>> ParseImportText(const std::string& text, const std::string& name,
                                                std::vector<std::string>* warnings) {
  std::vector<ImportItem> items;
  std::string ext = Extension(name);
  if (ext == "jsonl" || ext == "ndjson") {
    size_t start = 0, line_no = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      line_no++;
      std::string line(bot::Trim(std::string_view(text).substr(start, end - start)));
      start = end + 1;
      if (line.empty()) continue;
      ImportItem item;
      item.where = name + ":" + std::to_string(line_no);
      if (!bot::IsValidUtf8(line)) {
        item.error = "the line is not valid UTF-8";
        items.push_back(std::move(item));
        continue;
      }
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded()) {
        item.error = "the line is not valid JSON";
      } else {
        Entry e;
        FieldProblem problem;
        if (EntryFromJson(j, &e, &problem)) {
          item.entry = std::move(e);
        } else {
          item.error = problem.ToString();
        }
      }
      items.push_back(std::move(item));
    }
    return items;
  }
  if (ext == "json") {
    auto j = nlohmann::json::parse(bot::RepairUtf8(text), nullptr, false);
    if (j.is_discarded()) return Status::InvalidArgument("'" + name + "' is not valid JSON");
    if (!j.is_array()) j = nlohmann::json::array({j});
    for (size_t i = 0; i < j.size(); i++) {
      ImportItem item;
      item.where = name + "[" + std::to_string(i) + "]";
      Entry e;
      FieldProblem problem;
      if (EntryFromJson(j[i], &e, &problem)) {
        item.entry = std::move(e);
      } else {
        item.error = problem.ToString();
      }
      items.push_back(std::move(item));
    }
    return items;
  }
  std::string article = TitleFromFileName(name);
  if (ext == "md" || ext == "markdown") {
    std::vector<ParseIssue> issues;
    std::vector<size_t> lines;
    // The repo's entry format has its own reader; any other Markdown is an
    // article, read by a CommonMark parser (one entry per section).
    auto entries = IsEntryFormat(text) ? ParseMarkdown(text, article, &issues, &lines)
                                       : ParseMarkdownArticle(text, article, &issues);
    for (size_t i = 0; i < entries.size(); i++) {
      ImportItem item;
      item.where = i < lines.size() ? name + ":" + std::to_string(lines[i])
                                    : name + " (" + entries[i].source.section + ")";
      item.entry = std::move(entries[i]);
      items.push_back(std::move(item));
    }
    if (warnings) {
      // Problems of returned entries show up again as rejections; keep the rest.
      std::set<size_t> entry_lines(lines.begin(), lines.end());
      for (const auto& issue : issues) {
        if (issue.line == 0) {
          warnings->push_back(name + ": " + issue.message);
        } else if (!entry_lines.count(issue.line)) {
          warnings->push_back(name + ":" + std::to_string(issue.line) + ": " + issue.message);
        }
      }
    }
    return items;
  }
  if (ext == "txt" || ext == "text") {
    for (auto& e : ParsePlainText(text, article)) {
      ImportItem item;
      item.where = name + " (" + e.source.section + ")";
      item.entry = std::move(e);
      items.push_back(std::move(item));
    }
    return items;
  }
  return Status::InvalidArgument("'" + name + "': unknown file type (use .jsonl, .json, .md or .txt)");
}

std::string ExportJsonl(const std::vector<Entry>& entries) {
  std::string out;
  for (const Entry& e : entries) out += EntryToJsonLine(e) + "\n";
  return out;
}

std::string ExportMarkdown(const std::vector<Entry>& entries, const std::string& title) {
  return ToMarkdown(entries, title);
}

Result<std::vector<std::string>> ExportMarkdownDir(const std::vector<Entry>& entries, const std::string& synonyms,
                                                   const std::string& dir, bool overwrite) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path entries_dir = fs::path(dir) / "entries";
  std::vector<fs::path> old_files;
  if (fs::is_directory(entries_dir, ec)) {
    for (const auto& item : fs::directory_iterator(entries_dir, ec)) {
      if (item.path().extension() == ".md") old_files.push_back(item.path());
    }
  }
  if (!old_files.empty() && !overwrite) {
    return Status::AlreadyExists("'" + entries_dir.string() + "' already holds " + std::to_string(old_files.size()) +
                                 " Markdown files; they would be rebuilt together with the export (replace them "
                                 "with --force)");
  }
  fs::create_directories(entries_dir, ec);
  if (ec) return Status::Unavailable("cannot create '" + entries_dir.string() + "': " + ec.message());
  // One file per source article, in the order articles first appear.
  std::vector<std::string> articles;
  std::map<std::string, std::vector<Entry>> by_article;
  for (const Entry& e : entries) {
    if (!by_article.count(e.source.article)) articles.push_back(e.source.article);
    by_article[e.source.article].push_back(e);
  }
  std::vector<std::pair<fs::path, std::string>> files;
  for (size_t i = 0; i < articles.size(); i++) {
    const std::string& article = articles[i];
    std::string slug = bot::Slugify(article).substr(0, 50);
    while (!slug.empty() && slug.back() == '-') slug.pop_back();
    if (slug.empty()) slug = "entries";
    char prefix[24];
    std::snprintf(prefix, sizeof prefix, "%02zu-", i + 1);
    files.emplace_back(entries_dir / (prefix + slug + ".md"),
                       ToMarkdown(by_article[article], article.empty() ? "Entries" : article));
  }
  files.emplace_back(fs::path(dir) / "synonyms.txt", synonyms);
  for (const auto& f : old_files) fs::remove(f, ec);
  std::vector<std::string> written;
  for (const auto& [path, text] : files) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) return Status::Unavailable("cannot write '" + path.string() + "'");
    written.push_back(path.string());
  }
  return written;
}

}  // namespace knowledge
