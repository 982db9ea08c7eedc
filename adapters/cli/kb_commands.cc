#include "adapters/cli/kb_commands.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "adapters/cli/flags.h"
#include "app/config.h"
#include "app/json_codec.h"
#include "bot/answerer.h"
#include "bot/text.h"
#include "knowledge/builtin.h"
#include "knowledge/curation.h"
#include "knowledge/entry_json.h"
#include "knowledge/gaps.h"
#include "knowledge/lint.h"
#include "knowledge/markdown.h"
#include "knowledge/store.h"

namespace adapters::cli {
namespace {

using nlohmann::json;

// Who the history says made a change from the command line.
std::string Who(const Environment& env) { return CommandUser(env); }

// A failed curation call, naming the field at fault.
int FailStatus(const std::string& command, const bot::Status& s) { return Fail(command, s.message()); }

std::unique_ptr<knowledge::Store> Open(const Args& args, const Environment& env, const std::string& command) {
  bool built = false;
  std::string db = args.Get("db", DefaultDbPath(env));
  auto store = knowledge::OpenOrBuild(db, &built);
  if (!store.ok()) {
    Fail(command, store.status().message());
    return nullptr;
  }
  if (built) std::fprintf(stderr, "built the knowledge base at %s from the shipped knowledge\n", db.c_str());
  return std::move(*store);
}

// Writes `data` to `path` whole: a temporary file beside it, then a rename.
bool WriteFileAtomically(const std::string& path, const std::string& data) {
  std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << data;
    if (!out) return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) std::filesystem::remove(tmp, ec);
  return !ec;
}

std::string Time(int64_t seconds) { return FormatUtc(seconds, "%Y-%m-%d %H:%M:%S UTC"); }

std::string Version(knowledge::Store& store) {
  auto v = store.GetMeta("version");
  return v.ok() ? *v : "?";
}

// The entry a --file holds: JSON (.json, or text starting with '{') or the
// Markdown entry format (one entry).
bot::Result<bot::Entry> EntryFromFile(const std::string& path) {
  std::string text;
  if (!ReadFile(path, &text)) return bot::Status::NotFound("cannot read '" + path + "'");
  std::string trimmed(bot::Trim(text));
  bool is_json = path.size() > 5 ? path.compare(path.size() - 5, 5, ".json") == 0 : false;
  if (is_json || (!trimmed.empty() && trimmed[0] == '{')) {
    auto j = json::parse(bot::RepairUtf8(text), nullptr, false);
    if (j.is_discarded()) return bot::Status::InvalidArgument("'" + path + "' is not valid JSON");
    bot::Entry e;
    knowledge::FieldProblem problem;
    if (!knowledge::EntryFromJson(j, &e, &problem)) return bot::Status::InvalidArgument(problem.ToString());
    return e;
  }
  std::vector<knowledge::ParseIssue> issues;
  auto entries = knowledge::ParseMarkdown(text, "", &issues);
  if (entries.size() != 1) {
    return bot::Status::InvalidArgument("'" + path + "' holds " + std::to_string(entries.size()) +
                                        " entries; give exactly one (a '## Title' heading, its metadata and "
                                        "its answer)");
  }
  return entries[0];
}

const std::vector<FlagSpec> kFieldFlags = {
    {"title", true, "the title"},
    {"body", true, "the answer, a short chat message ('-' reads it from stdin)"},
    {"question", true, "an alternate question (repeat the flag for each)"},
    {"tag", true, "a tag (repeat the flag for each)"},
    {"article", true, "the source article"},
    {"section", true, "the section of the source"},
    {"url", true, "a link to the source"},
    {"updated", true, "the date of the change (default: today)"},
};

// The fields given as flags, as an entry JSON patch.
bool FieldsAsJson(const Args& args, json* patch) {
  *patch = json::object();
  if (args.Has("title")) (*patch)["title"] = args.Get("title");
  if (args.Has("body")) {
    std::string body = args.Get("body");
    if (body == "-") ReadFile("-", &body);
    (*patch)["body"] = body;
  }
  if (args.Has("question")) (*patch)["questions"] = args.All("question");
  if (args.Has("tag")) {
    std::vector<std::string> tags;
    for (const auto& t : args.All("tag")) {
      // "--tag a,b" is two tags.
      std::stringstream ss(t);
      std::string item;
      while (std::getline(ss, item, ',')) tags.push_back(item);
    }
    (*patch)["tags"] = tags;
  }
  json source = json::object();
  if (args.Has("article")) source["article"] = args.Get("article");
  if (args.Has("section")) source["section"] = args.Get("section");
  if (args.Has("url")) source["url"] = args.Get("url");
  if (!source.empty()) (*patch)["source"] = source;
  if (args.Has("updated")) (*patch)["updated_at"] = args.Get("updated");
  return !patch->empty();
}

// Fills a partial source patch in from the current source.
void MergeSource(const bot::Entry& current, json* patch) {
  auto it = patch->find("source");
  if (it == patch->end()) return;
  json source = {{"article", current.source.article}, {"section", current.source.section}, {"url", current.source.url}};
  for (auto& [k, v] : it->items()) source[k] = v;
  (*patch)["source"] = source;
}

void PrintChange(const std::string& what, const knowledge::HistoryRecord& r, knowledge::Store& store) {
  if (r.id == 0) {
    std::printf("%s: nothing changed\n", r.entry_id.c_str());
    return;
  }
  std::printf("%s %s (change #%lld, knowledge base version %s)\n", what.c_str(), r.entry_id.c_str(),
              static_cast<long long>(r.id), Version(store).c_str());
}

// ---- search ----

int Search(int argc, char** argv, const Environment& env) {
  const std::vector<FlagSpec> specs = {kDbFlag,
                                   {"limit", true, "entries to list (default 10)"},
                                   {"json", false, "print JSON"},
                                   kHelpFlag};
  Args args;
  if (!Parse(argc, argv, 3, specs, "kb search", &args)) return 2;
  if (args.Has("help") || args.positional.empty()) {
    PrintUsage("kb search [--db PATH] [--limit N] TEXT",
          "Lists the entries that match TEXT best (full-text, the way the bot finds candidates), and says\n"
          "which one the bot would answer with.",
          specs);
    return args.Has("help") ? 0 : 2;
  }
  long limit = 10;
  if (args.Has("limit") && (!ParseNumber(args.Get("limit"), &limit) || limit < 1 || limit > 1000)) {
    return Fail("kb search", "--limit must be a number from 1 to 1000", 2);
  }
  spdlog::set_level(spdlog::level::warn);
  auto store = Open(args, env, "kb search");
  if (!store) return 1;
  std::string text;
  for (const auto& p : args.positional) text += (text.empty() ? "" : " ") + p;
  auto lexicon = store->GetLexicon();
  if (!lexicon.ok()) return FailStatus("kb search", lexicon.status());
  std::vector<std::string> terms;
  for (const auto& t : (*lexicon)->normalizer.Terms(text, true)) {
    if (std::find(terms.begin(), terms.end(), t.term) == terms.end()) terms.push_back(t.term);
  }
  // Rarest first, as the bot looks them up.
  auto df = [&](const std::string& t) {
    auto it = (*lexicon)->doc_freq.find(t);
    return it == (*lexicon)->doc_freq.end() ? 0u : it->second;
  };
  std::stable_sort(terms.begin(), terms.end(), [&](const auto& a, const auto& b) { return df(a) < df(b); });
  auto hits = store->Search(terms, static_cast<size_t>(limit));
  if (!hits.ok()) return FailStatus("kb search", hits.status());
  bot::Answerer answerer(store.get());  // not the Service: a curator's search is not a user's question
  bot::Question q;
  q.text = text;
  auto answer = answerer.Ask(q);
  if (args.Has("json")) {
    json list = json::array();
    for (const auto& h : *hits) list.push_back({{"id", h.entry().id}, {"title", h.entry().title}, {"score", h.bm25}});
    json out = {{"terms", terms}, {"entries", list}};
    if (answer.ok()) {
      out["answer"] = {{"kind", answer->kind}, {"entry_id", answer->entry_id}, {"confidence", answer->confidence}};
    }
    std::printf("%s\n", out.dump(2, ' ', false, json::error_handler_t::replace).c_str());
    return 0;
  }
  if (hits->empty()) std::printf("no entry holds any of the terms of '%s'\n", text.c_str());
  for (const auto& h : *hits) std::printf("%8.2f  %-44s %s\n", h.bm25, h.entry().id.c_str(), h.entry().title.c_str());
  if (answer.ok()) {
    if (answer->kind == "kb") {
      std::printf("\nthe bot answers with %s (confidence %.2f)\n", answer->entry_id.c_str(), answer->confidence);
    } else {
      std::printf("\nthe bot answers with %s (confidence %.2f)\n",
                  answer->kind == "smalltalk" ? "small talk" : "a decline", answer->confidence);
    }
  }
  return 0;
}

// ---- add, edit, rm ----

int Add(int argc, char** argv, const Environment& env) {
  std::vector<FlagSpec> specs = {kDbFlag,
                             {"id", true, "the entry's id, a slug (default: made from the title)"},
                             {"file", true, "read the entry from a JSON or Markdown file ('-': stdin)"}};
  specs.insert(specs.end(), kFieldFlags.begin(), kFieldFlags.end());
  specs.push_back(kHelpFlag);
  Args args;
  if (!Parse(argc, argv, 3, specs, "kb add", &args)) return 2;
  json fields;
  bool has_fields = FieldsAsJson(args, &fields);
  if (args.Has("help") || !args.positional.empty() || (!has_fields && !args.Has("file"))) {
    PrintUsage(
        "kb add [--db PATH] (--title T --body B [--question Q]... [--tag T]... [--article A] [--section S] "
        "[--url U] | --file FILE)",
        "Adds a new entry, recorded in the history as made by $USER. A running server answers from it at "
        "once.",
        specs);
    return args.Has("help") ? 0 : 2;
  }
  bot::Entry e;
  if (args.Has("file")) {
    auto from_file = EntryFromFile(args.Get("file"));
    if (!from_file.ok()) return FailStatus("kb add", from_file.status());
    e = *from_file;
  }
  knowledge::FieldProblem problem;
  if (!knowledge::EntryFromJson(fields, &e, &problem)) return Fail("kb add", problem.ToString());
  if (args.Has("id")) e.id = args.Get("id");
  spdlog::set_level(spdlog::level::warn);
  auto store = Open(args, env, "kb add");
  if (!store) return 1;
  knowledge::Curator curator(store.get());
  auto change = curator.Add(e, Who(env));
  if (!change.ok()) return FailStatus("kb add", change.status());
  PrintChange("added", *change, *store);
  return 0;
}

// Runs $VISUAL or $EDITOR (else vi) on `path`; true when it exits 0.
bool RunEditor(const std::string& path, const Environment& env) {
  std::string editor = EditorCommand(env);
  std::string quoted = "'";
  for (char c : path) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  quoted += "'";
  int status = std::system((editor + " " + quoted).c_str());
  return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int EditInEditor(knowledge::Store& store, const std::string& id, const Environment& env) {
  auto current = store.GetEntry(id);
  if (!current.ok()) return FailStatus("kb edit", current.status());
  std::string before = knowledge::ExportMarkdown({*current}, current->source.article);
  std::string pattern = TempDirectory(env) + "/careerbot-" + id + "-XXXXXX.md";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  int fd = ::mkstemps(name.data(), 3);
  if (fd < 0) return Fail("kb edit", "cannot create a temporary file in " + pattern);
  ::close(fd);
  std::string path = name.data();
  if (!WriteFileAtomically(path, before)) return Fail("kb edit", "cannot write " + path);
  if (!RunEditor(path, env)) {
    std::remove(path.c_str());
    return Fail("kb edit", "the editor failed; nothing changed");
  }
  std::string after;
  ReadFile(path, &after);
  if (after == before) {
    std::remove(path.c_str());
    std::printf("%s: nothing changed\n", id.c_str());
    return 0;
  }
  auto edited = EntryFromFile(path);
  bot::Result<knowledge::HistoryRecord> change = edited.status();
  if (edited.ok()) {
    knowledge::Curator curator(&store);
    if (edited->id.empty()) edited->id = id;
    change = curator.Replace(id, *edited, Who(env), knowledge::EntryFingerprint(*current));
  }
  if (!change.ok()) {
    std::fprintf(stderr,
                 "careerbot kb edit: %s\nyour edit is kept in %s; fix it and run\n  careerbot kb edit %s --file %s\n",
                 change.status().message().c_str(), path.c_str(), id.c_str(), path.c_str());
    return 1;
  }
  std::remove(path.c_str());
  PrintChange("edited", *change, store);
  return 0;
}

int Edit(int argc, char** argv, const Environment& env) {
  std::vector<FlagSpec> specs = {kDbFlag,
                             {"file", true, "replace the entry with a JSON or Markdown file ('-': stdin)"},
                             {"add-question", true, "add an alternate question (repeatable)"}};
  specs.insert(specs.end(), kFieldFlags.begin(), kFieldFlags.end());
  specs.push_back(kHelpFlag);
  Args args;
  if (!Parse(argc, argv, 3, specs, "kb edit", &args)) return 2;
  if (args.Has("help") || args.positional.size() != 1) {
    PrintUsage(
        "kb edit [--db PATH] ID [--title T] [--body B] [--question Q]... [--add-question Q]... [--tag T]... "
        "[--article A] [--section S] [--url U] [--file FILE]",
        "Changes entry ID: the fields given as flags (--question and --tag replace the lists), or the whole\n"
        "entry from --file; with neither, opens the entry's Markdown in $VISUAL or $EDITOR. Recorded in the\n"
        "history as made by $USER; a running server answers from the change at once.",
        specs);
    return args.Has("help") ? 0 : 2;
  }
  const std::string id = args.positional[0];
  json patch;
  bool has_fields = FieldsAsJson(args, &patch);
  spdlog::set_level(spdlog::level::warn);
  auto store = Open(args, env, "kb edit");
  if (!store) return 1;
  knowledge::Curator curator(store.get());
  if (args.Has("file")) {
    if (has_fields || args.Has("add-question")) return Fail("kb edit", "give --file or field flags, not both", 2);
    auto e = EntryFromFile(args.Get("file"));
    if (!e.ok()) return FailStatus("kb edit", e.status());
    auto change = curator.Replace(id, *e, Who(env));
    if (!change.ok()) return FailStatus("kb edit", change.status());
    PrintChange("edited", *change, *store);
    return 0;
  }
  if (!has_fields && !args.Has("add-question")) return EditInEditor(*store, id, env);
  auto current = store->GetEntry(id);
  if (!current.ok()) return FailStatus("kb edit", current.status());
  MergeSource(*current, &patch);
  if (args.Has("add-question")) {
    std::vector<std::string> questions =
        patch.contains("questions") ? patch["questions"].get<std::vector<std::string>>() : current->questions;
    for (const auto& q : args.All("add-question")) questions.push_back(q);
    patch["questions"] = questions;
  }
  auto change = curator.Patch(id, patch, Who(env), knowledge::EntryFingerprint(*current));
  if (!change.ok()) return FailStatus("kb edit", change.status());
  PrintChange("edited", *change, *store);
  return 0;
}

int Remove(int argc, char** argv, const Environment& env) {
  const std::vector<FlagSpec> specs = {kDbFlag,
                                   kHelpFlag};
  Args args;
  if (!Parse(argc, argv, 3, specs, "kb rm", &args)) return 2;
  if (args.Has("help") || args.positional.size() != 1) {
    PrintUsage("kb rm [--db PATH] ID", "Deletes entry ID (recorded; `careerbot kb revert ID` brings it back).", specs);
    return args.Has("help") ? 0 : 2;
  }
  spdlog::set_level(spdlog::level::warn);
  auto store = Open(args, env, "kb rm");
  if (!store) return 1;
  knowledge::Curator curator(store.get());
  auto change = curator.Delete(args.positional[0], Who(env));
  if (!change.ok()) return FailStatus("kb rm", change.status());
  PrintChange("deleted", *change, *store);
  std::printf("undo with: careerbot kb revert %s\n", args.positional[0].c_str());
  return 0;
}

// ---- history, revert ----

// What a change did, field by field.
std::vector<std::string> Diff(const knowledge::HistoryRecord& r) {
  std::vector<std::string> out;
  if (!r.before && r.after) return {"created: \"" + r.after->title + "\""};
  if (r.before && !r.after) return {"deleted: \"" + r.before->title + "\""};
  if (!r.before || !r.after) return out;
  const bot::Entry& a = *r.before;
  const bot::Entry& b = *r.after;
  auto line = [&](const char* field, const std::string& x, const std::string& y) {
    if (x == y) return;
    auto cut = [](const std::string& s) {
      std::string t = s;
      std::replace(t.begin(), t.end(), '\n', ' ');
      return t.size() > 70 ? std::string(bot::TruncateUtf8(t, 67)) + "..." : t;
    };
    out.push_back(std::string(field) + ": \"" + cut(x) + "\" -> \"" + cut(y) + "\"");
  };
  auto list = [&](const char* field, const std::vector<std::string>& x, const std::vector<std::string>& y) {
    for (const auto& item : y) {
      if (std::find(x.begin(), x.end(), item) == x.end()) out.push_back(std::string(field) + ": + \"" + item + "\"");
    }
    for (const auto& item : x) {
      if (std::find(y.begin(), y.end(), item) == y.end()) out.push_back(std::string(field) + ": - \"" + item + "\"");
    }
  };
  line("title", a.title, b.title);
  line("body", a.body, b.body);
  list("questions", a.questions, b.questions);
  list("tags", a.tags, b.tags);
  line("source.article", a.source.article, b.source.article);
  line("source.section", a.source.section, b.source.section);
  line("source.url", a.source.url, b.source.url);
  line("updated_at", a.updated_at, b.updated_at);
  return out;
}

json HistoryJson(const knowledge::HistoryRecord& r) {
  return {{"id", r.id},
          {"at", r.at},
          {"who", r.who},
          {"action", r.action},
          {"entry_id", r.entry_id},
          {"before", r.before ? knowledge::EntryToJson(*r.before) : json()},
          {"after", r.after ? knowledge::EntryToJson(*r.after) : json()},
          {"version", r.version}};
}

int History(int argc, char** argv, const Environment& env) {
  const std::vector<FlagSpec> specs = {kDbFlag,
                                   {"limit", true, "changes to show, newest first (default 20)"},
                                   {"json", false, "print JSON (before and after in full)"},
                                   kHelpFlag};
  Args args;
  if (!Parse(argc, argv, 3, specs, "kb history", &args)) return 2;
  if (args.Has("help") || args.positional.size() != 1) {
    PrintUsage("kb history [--db PATH] [--limit N] [--json] ID",
          "Shows the recorded changes of entry ID, newest first: when, who, what changed.", specs);
    return args.Has("help") ? 0 : 2;
  }
  long limit = 20;
  if (args.Has("limit") && (!ParseNumber(args.Get("limit"), &limit) || limit < 1)) {
    return Fail("kb history", "--limit must be a positive number", 2);
  }
  spdlog::set_level(spdlog::level::warn);
  auto store = Open(args, env, "kb history");
  if (!store) return 1;
  const std::string id = args.positional[0];
  auto history = store->History(id, static_cast<size_t>(limit));
  if (!history.ok()) return FailStatus("kb history", history.status());
  if (history->empty()) {
    auto e = store->GetEntry(id);
    if (!e.ok()) return FailStatus("kb history", e.status());
  }
  if (args.Has("json")) {
    json list = json::array();
    for (const auto& r : *history) list.push_back(HistoryJson(r));
    std::printf("%s\n", list.dump(2, ' ', false, json::error_handler_t::replace).c_str());
    return 0;
  }
  if (history->empty()) {
    std::printf("%s: no recorded changes (it is as built)\n", id.c_str());
    return 0;
  }
  for (const auto& r : *history) {
    std::printf("#%-5lld %s  %-12s %s\n", static_cast<long long>(r.id), Time(r.at).c_str(), r.who.c_str(),
                r.action.c_str());
    for (const auto& d : Diff(r)) std::printf("       %s\n", d.c_str());
  }
  return 0;
}

int Revert(int argc, char** argv, const Environment& env) {
  const std::vector<FlagSpec> specs = {kDbFlag,
                                   {"to", true, "revert to the state before this change number (see kb history)"},
                                   kHelpFlag};
  Args args;
  if (!Parse(argc, argv, 3, specs, "kb revert", &args)) return 2;
  if (args.Has("help") || args.positional.size() != 1) {
    PrintUsage("kb revert [--db PATH] [--to CHANGE] ID",
          "Puts entry ID back as it was before its last change (or before change CHANGE). The revert is\n"
          "itself a recorded change: reverting again redoes.",
          specs);
    return args.Has("help") ? 0 : 2;
  }
  long change_id = 0;
  if (args.Has("to")) {
    std::string to = args.Get("to");
    if (!to.empty() && to[0] == '#') to = to.substr(1);
    if (!ParseNumber(to, &change_id) || change_id < 1) return Fail("kb revert", "--to needs a change number", 2);
  }
  spdlog::set_level(spdlog::level::warn);
  auto store = Open(args, env, "kb revert");
  if (!store) return 1;
  knowledge::Curator curator(store.get());
  auto change = curator.Revert(args.positional[0], Who(env), change_id);
  if (!change.ok()) return FailStatus("kb revert", change.status());
  PrintChange(change->after ? "reverted" : "reverted (deleted)", *change, *store);
  return 0;
}

// ---- export, import ----

int Export(int argc, char** argv, const Environment& env) {
  const std::vector<FlagSpec> specs = {
      kDbFlag,
      {"format", true, "jsonl (default) or markdown"},
      {"out", true, "write here instead of stdout; for markdown, a folder gets the repo's layout"},
      {"force", false, "replace the Markdown files already in OUT/entries"},
      kHelpFlag};
  Args args;
  if (!Parse(argc, argv, 3, specs, "kb export", &args)) return 2;
  if (args.Has("help") || !args.positional.empty()) {
    PrintUsage("kb export [--db PATH] [--format jsonl|markdown] [--out PATH]",
          "Writes every entry: JSONL (one entry object per line) or the repo's Markdown entry format. With\n"
          "--format markdown and --out DIR (an existing folder, or a path ending in '/'), writes\n"
          "DIR/entries/*.md and DIR/synonyms.txt, which `careerbot kb build --from DIR` builds again.\n"
          "`careerbot kb import` reads either format back.",
          specs);
    return args.Has("help") ? 0 : 2;
  }
  std::string format = args.Get("format", "jsonl");
  if (format == "md") format = "markdown";
  if (format != "jsonl" && format != "markdown") return Fail("kb export", "--format must be jsonl or markdown", 2);
  spdlog::set_level(spdlog::level::warn);
  auto store = Open(args, env, "kb export");
  if (!store) return 1;
  auto entries = store->ListEntries();
  if (!entries.ok()) return FailStatus("kb export", entries.status());
  std::string out = args.Get("out");
  std::error_code ec;
  bool to_dir = format == "markdown" && !out.empty() && (out.back() == '/' || std::filesystem::is_directory(out, ec));
  if (to_dir) {
    auto synonyms = store->GetMeta("synonyms");
    auto files = knowledge::ExportMarkdownDir(*entries, synonyms.ok() ? *synonyms : "", out, args.Has("force"));
    if (!files.ok()) return FailStatus("kb export", files.status());
    std::fprintf(stderr, "exported %zu entries to %zu files in %s (build them with: careerbot kb build --from %s)\n",
                 entries->size(), files->size(), out.c_str(), out.c_str());
    return 0;
  }
  std::string text = format == "jsonl" ? knowledge::ExportJsonl(*entries)
                                       : knowledge::ExportMarkdown(*entries, "careerbot knowledge base");
  if (out.empty() || out == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  if (!WriteFileAtomically(out, text)) return Fail("kb export", "cannot write '" + out + "'");
  std::fprintf(stderr, "exported %zu entries to %s\n", entries->size(), out.c_str());
  return 0;
}

int Import(int argc, char** argv, const Environment& env) {
  const std::vector<FlagSpec> specs = {
      kDbFlag,
      {"strict", false, "import nothing when any line is rejected"},
      {"replace", false, "make the knowledge base exactly the files' entries (deletes the others; strict)"},
      {"dry-run", false, "say what would change, change nothing"},
      {"progress", false, "show progress even when stderr is not a terminal"},
      kHelpFlag};
  Args args;
  if (!Parse(argc, argv, 3, specs, "kb import", &args)) return 2;
  if (args.Has("help") || args.positional.empty()) {
    PrintUsage("kb import [--db PATH] [--strict] [--replace] [--dry-run] FILE...",
          "Adds entries, or replaces those with the same id. By the file's extension: .jsonl (one entry\n"
          "object per line, as kb export writes), .json (an array of entries), .md (the repo's entry format,\n"
          "or any Markdown article: one entry per heading), .txt (a plain-text article, headings detected).\n"
          "Lines that fail validation are listed with their reason and the rest goes in (with --strict,\n"
          "nothing does). All in one transaction: an error or a kill changes nothing. Recorded as made by\n"
          "$USER. Exits 1 when a line was rejected.",
          specs);
    return args.Has("help") ? 0 : 2;
  }
  std::vector<knowledge::ImportItem> items;
  for (const auto& path : args.positional) {
    std::string text;
    if (!ReadFile(path, &text)) return Fail("kb import", "cannot read '" + path + "'");
    std::vector<std::string> warnings;
    auto parsed = knowledge::ParseImportText(text, path, &warnings);
    if (!parsed.ok()) return FailStatus("kb import", parsed.status());
    for (const auto& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    bool article = path.size() > 4 &&
                   (path.compare(path.size() - 4, 4, ".txt") == 0 || path.compare(path.size() - 3, 3, ".md") == 0);
    std::printf("%s: %zu %s\n", path.c_str(), parsed->size(), article ? "sections" : "entries");
    for (auto& item : *parsed) items.push_back(std::move(item));
  }
  spdlog::set_level(spdlog::level::warn);
  std::string db = args.Get("db", DefaultDbPath(env));
  auto store = Open(args, env, "kb import");
  if (!store) return 1;
  knowledge::ImportOptions options;
  options.strict = args.Has("strict");
  options.replace = args.Has("replace");
  options.dry_run = args.Has("dry-run");
  bool tty = ::isatty(STDERR_FILENO) == 1;
  bool show_progress = args.Has("progress") || (tty && items.size() >= 200);
  std::function<void(size_t, size_t)> progress;
  if (show_progress) {
    progress = [tty](size_t done, size_t total) {
      if (tty) {
        std::fprintf(stderr, "\rimporting: %zu/%zu entries written", done, total);
        if (done == total) std::fprintf(stderr, "\n");
      } else {
        std::fprintf(stderr, "importing: %zu/%zu entries written\n", done, total);
      }
      std::fflush(stderr);
    };
  }
  knowledge::Curator curator(store.get());
  auto report = curator.Import(items, options, Who(env), progress);
  if (!report.ok()) return FailStatus("kb import", report.status());
  for (const auto& r : report->rejected) {
    std::fprintf(stderr, "rejected %s%s: %s\n", r.where.c_str(), r.id.empty() ? "" : (" (" + r.id + ")").c_str(),
                 r.reason.c_str());
  }
  auto count = store->CountEntries();
  std::string summary = std::to_string(report->added) + " added, " + std::to_string(report->changed) + " changed, " +
                        std::to_string(report->unchanged) + " unchanged, " +
                        (options.replace ? std::to_string(report->deleted) + " deleted, " : "") +
                        std::to_string(report->rejected.size()) + " rejected";
  if (options.dry_run) {
    std::printf("dry run on %s: would be %s; nothing changed\n", db.c_str(), summary.c_str());
  } else if (!report->applied) {
    std::printf("nothing imported into %s: %zu rejected (%s)\n", db.c_str(), report->rejected.size(),
                options.replace ? "--replace imports all or nothing" : "--strict");
  } else {
    std::printf("imported into %s: %s (%zu entries, version %s)\n", db.c_str(), summary.c_str(),
                count.ok() ? *count : 0, report->version.c_str());
  }
  return report->rejected.empty() ? 0 : 1;
}

// ---- lint ----

int Lint(int argc, char** argv, const Environment& env) {
  const std::vector<FlagSpec> specs = {
      kDbFlag,
      {"json", false, "print JSON"},
      {"max-answer-chars", true, "warn about answers longer than this (default 600)"},
      {"threshold", true, "the decline threshold to ask with ($CAREERBOT_THRESHOLD, default 0.54)"},
      {"max-errors", true, "exit 1 only when there are more errors than this (a CI gate; default 0)"},
      kHelpFlag};
  Args args;
  if (!Parse(argc, argv, 3, specs, "kb lint", &args)) return 2;
  if (args.Has("help") || !args.positional.empty()) {
    PrintUsage("kb lint [--db PATH] [--json]",
          "Checks the knowledge base: invalid entries, missing or broken sources, phrasings curated in two\n"
          "entries, alternate questions that another entry answers (a confusion list) or that are declined,\n"
          "entries with no alternate questions, near-duplicates, answers too long for a chat message, and\n"
          "synonym groups that point nowhere. Exits 1 when there are errors (warnings do not fail), or with\n"
          "--max-errors N when there are more than N.",
          specs);
    return args.Has("help") ? 0 : 2;
  }
  knowledge::LintOptions options;
  long max_chars = 0, max_errors = 0;
  if (args.Has("max-errors") && (!ParseNumber(args.Get("max-errors"), &max_errors) || max_errors < 0)) {
    return Fail("kb lint", "--max-errors must be a number, 0 or more", 2);
  }
  if (args.Has("max-answer-chars")) {
    if (!ParseNumber(args.Get("max-answer-chars"), &max_chars) || max_chars < 1) {
      return Fail("kb lint", "--max-answer-chars must be a positive number", 2);
    }
    options.max_answer_chars = static_cast<size_t>(max_chars);
  }
  bot::AnswererOptions answerer_options;
  Config config;
  if (!AnswerSetup(args, env, "kb lint", &config, &answerer_options)) return 2;
  spdlog::set_level(spdlog::level::warn);
  auto store = Open(args, env, "kb lint");
  if (!store) return 1;
  bot::Answerer answerer(store.get(), answerer_options);
  auto report = knowledge::Lint(store.get(), &answerer, options);
  if (!report.ok()) return FailStatus("kb lint", report.status());
  using Severity = knowledge::LintFinding::Severity;
  if (args.Has("json")) {
    json findings = json::array();
    for (const auto& f : report->findings) {
      findings.push_back({{"severity", f.severity == Severity::kError ? "error" : "warning"},
                          {"check", f.check},
                          {"entry_id", f.entry_id},
                          {"message", f.message}});
    }
    json out = {{"entries", report->entries},
                {"questions_asked", report->questions_asked},
                {"errors", report->errors},
                {"warnings", report->warnings},
                {"findings", findings}};
    std::printf("%s\n", out.dump(2, ' ', false, json::error_handler_t::replace).c_str());
  } else {
    for (const auto& f : report->findings) {
      std::printf("%-8s %-19s %-40s %s\n", f.severity == Severity::kError ? "error" : "warning", f.check.c_str(),
                  f.entry_id.empty() ? "-" : f.entry_id.c_str(), f.message.c_str());
    }
    std::printf("%zu entries, %zu alternate questions asked: %zu errors, %zu warnings\n", report->entries,
                report->questions_asked, report->errors, report->warnings);
  }
  if (report->errors > static_cast<size_t>(max_errors)) {
    if (max_errors > 0) {
      std::fprintf(stderr, "careerbot kb lint: %zu errors, more than the %ld allowed\n", report->errors, max_errors);
    }
    return 1;
  }
  return 0;
}

// ---- gaps ----

int Gaps(int argc, char** argv, const Environment& env) {
  const std::vector<FlagSpec> specs = {
      kDbFlag,
      {"days", true, "look this many days back (default: the whole log)"},
      {"limit", true, "gaps to list (default 20)"},
      {"low-confidence", true, "answers below this confidence count as weak (default 0.65)"},
      {"accept", true, "accept gap N (its number or id) as an alternate question of ENTRY (default: the likely one)"},
      {"entry", true, "with --accept: the entry (same as the ENTRY argument)"},
      {"question", true, "with --accept: the wording to add (default: the gap's example)"},
      {"dismiss", true, "drop gap N from the list without changing the knowledge"},
      {"json", false, "print JSON"},
      kHelpFlag};
  Args args;
  if (!Parse(argc, argv, 3, specs, "kb gaps", &args)) return 2;
  bool accept = args.Has("accept"), dismiss = args.Has("dismiss");
  if (args.Has("help") || (accept && dismiss) || args.positional.size() > (accept ? 1u : 0u)) {
    PrintUsage(
        "kb gaps [--db PATH] [--days N] [--limit N] [--json]\n"
        "       careerbot kb gaps --accept N [ENTRY] [--question TEXT]\n"
        "       careerbot kb gaps --dismiss N",
        "Lists what the bot could not answer well, from the question log: declined questions, weak answers\n"
        "and answers marked not helpful, grouped by wording, most asked first, each with the entry it most\n"
        "likely meant. --accept adds a gap's question to an entry in one step (recorded as made by $USER);\n"
        "--dismiss drops a gap. Nothing changes otherwise.",
        specs);
    return args.Has("help") ? 0 : 2;
  }
  knowledge::GapOptions options;
  long days = 0, limit = 20;
  if (args.Has("days") && (!ParseNumber(args.Get("days"), &days) || days < 1)) {
    return Fail("kb gaps", "--days must be a positive number", 2);
  }
  if (args.Has("limit") && (!ParseNumber(args.Get("limit"), &limit) || limit < 1)) {
    return Fail("kb gaps", "--limit must be a positive number", 2);
  }
  if (args.Has("low-confidence")) {
    char* end = nullptr;
    std::string v = args.Get("low-confidence");
    options.low_confidence = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || options.low_confidence < 0 || options.low_confidence > 1) {
      return Fail("kb gaps", "--low-confidence must be a number in [0, 1]", 2);
    }
  }
  spdlog::set_level(spdlog::level::warn);
  auto store = Open(args, env, "kb gaps");
  if (!store) return 1;
  int64_t now = bot::Clock::Real()->NowSeconds();
  options.since = days > 0 ? now - days * 86400 : 0;
  options.limit = static_cast<size_t>(limit);
  bot::AnswererOptions likely_options;
  likely_options.threshold = 0;
  bot::Answerer likely(store.get(), likely_options);
  if (accept) {
    std::string entry = args.positional.empty() ? args.Get("entry") : args.positional[0];
    knowledge::Curator curator(store.get());
    auto accepted = knowledge::AcceptGap(store.get(), &curator, &likely, options, args.Get("accept"), entry,
                                         args.Get("question"), Who(env), now);
    if (!accepted.ok()) return FailStatus("kb gaps", accepted.status());
    if (accepted->change.id == 0) {
      std::printf("%s already has the question \"%s\"; the gap is closed\n", accepted->entry_id.c_str(),
                  accepted->question.c_str());
    } else {
      std::printf("added \"%s\" to %s (change #%lld, version %s); the gap is closed\n", accepted->question.c_str(),
                  accepted->entry_id.c_str(), static_cast<long long>(accepted->change.id), Version(*store).c_str());
    }
    return 0;
  }
  if (dismiss) {
    auto gap = knowledge::DismissGap(store.get(), options, args.Get("dismiss"), Who(env), now);
    if (!gap.ok()) return FailStatus("kb gaps", gap.status());
    std::printf("dismissed the gap \"%s\" (%zu questions)\n", gap->example.c_str(), gap->count);
    return 0;
  }
  auto gaps = knowledge::FindGaps(store.get(), &likely, options);
  if (!gaps.ok()) return FailStatus("kb gaps", gaps.status());
  if (args.Has("json")) {
    json list = json::array();
    for (size_t i = 0; i < gaps->size(); i++) list.push_back(GapToJson((*gaps)[i], i + 1));
    std::printf("%s\n", list.dump(2, ' ', false, json::error_handler_t::replace).c_str());
    return 0;
  }
  if (gaps->empty()) {
    std::printf("no gaps: every logged question%s was answered confidently and nobody said an answer did not help\n",
                days > 0 ? (" of the last " + std::to_string(days) + " days").c_str() : "");
    return 0;
  }
  std::printf("what the bot could not answer well, most asked first:\n\n");
  for (size_t i = 0; i < gaps->size(); i++) {
    const auto& g = (*gaps)[i];
    std::vector<std::string> why;
    if (g.clarified) why.push_back(std::to_string(g.clarified) + " asked back");
    if (g.declined > g.clarified) why.push_back(std::to_string(g.declined - g.clarified) + " declined");
    if (g.low_confidence) why.push_back(std::to_string(g.low_confidence) + " weak");
    if (g.unhelpful) why.push_back(std::to_string(g.unhelpful) + " not helpful");
    std::string reasons, channels;
    for (const auto& w : why) reasons += (reasons.empty() ? "" : ", ") + w;
    for (const auto& c : g.channels) channels += (channels.empty() ? "" : ", ") + c;
    std::printf("%3zu. \"%s\"  x%zu  (%s; %s; last %s)  [%s]\n", i + 1, g.example.c_str(), g.count, reasons.c_str(),
                channels.c_str(), Time(g.last_asked).c_str(), g.id.c_str());
    for (size_t k = 1; k < g.examples.size() && k < 3; k++) std::printf("       also \"%s\"\n", g.examples[k].c_str());
    if (!g.answered_by.empty()) std::printf("       answered by %s\n", g.answered_by.c_str());
    if (!g.chosen_entry_id.empty()) {
      std::printf("       chose when asked back: %s (x%zu): add the wording to it\n", g.chosen_entry_id.c_str(),
                  g.chosen_count);
    }
    if (!g.likely_entry_id.empty()) {
      std::printf("       likely meant: %s \"%s\" (%.2f)\n", g.likely_entry_id.c_str(), g.likely_entry_title.c_str(),
                  g.likely_confidence);
      std::printf("       accept: careerbot kb gaps --accept %zu %s\n", i + 1, g.likely_entry_id.c_str());
    }
  }
  return 0;
}

}  // namespace

const std::vector<KbCommand>& KbCurationCommands() {
  static const std::vector<KbCommand> kCommands = {
      {"search", Search}, {"add", Add},         {"edit", Edit},     {"rm", Remove},     {"export", Export},
      {"import", Import}, {"lint", Lint},       {"history", History}, {"revert", Revert}, {"gaps", Gaps}};
  return kCommands;
}

}  // namespace adapters::cli
