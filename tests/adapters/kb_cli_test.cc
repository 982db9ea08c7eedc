// The kb curation commands through the real careerbot binary, run in a
// temporary directory with --db inside it: add, show, edit (flags, a file,
// $EDITOR), search, rm, history, revert, export and import (round trips,
// rejections, --strict, a kill half way), lint and gaps.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "../helpers/cli.h"
#include "../helpers/files.h"
#include "knowledge/entry_json.h"
#include "knowledge/store.h"

namespace {

using nlohmann::json;
using testing_helpers::TempDir;

using testing_helpers::Quote;
using testing_helpers::Run;
// Runs careerbot as user "tester" (the name curation records).
Run AsTester(const TempDir& dir, const std::string& args, const std::string& env = "") {
  return testing_helpers::Careerbot(dir, args, "USER=tester " + env);
}

// Runs (or takes) `run` once and requires its exit status, showing its output when it differs.
#define REQUIRE_RUN(run, code)                            \
  do {                                                    \
    const Run r_ = (run);                                 \
    INFO("stdout: " << r_.out << "\nstderr: " << r_.err); \
    REQUIRE(r_.exit_code == (code));                      \
  } while (0)

size_t CountLines(const std::string& text) {
  size_t n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

// A knowledge base in dir/kb.db built from the shipped knowledge.
std::string BuiltDb(const TempDir& dir) {
  const std::string db = Quote(dir.File("kb.db"));
  Run r = AsTester(dir, "kb build --db " + db);
  REQUIRE_RUN(r, 0);
  return db;
}

}  // namespace

TEST_CASE("kb lists the curation commands and each has --help", "[adapters][cli][curation]") {
  TempDir dir;
  Run help = AsTester(dir, "--help");
  for (const char* command : {"kb export", "kb gaps", "kb lint", "kb add", "kb search"}) {
    INFO(command);
    CHECK(help.out.find(command) != std::string::npos);
  }
  for (const char* command : {"search", "add", "edit", "rm", "export", "import", "lint", "history", "revert", "gaps"}) {
    INFO(command);
    Run h = AsTester(dir, std::string("kb ") + command + " --help");
    CHECK(h.exit_code == 0);
    CHECK(h.out.find("usage: careerbot kb " + std::string(command)) != std::string::npos);
    Run bad = AsTester(dir, std::string("kb ") + command + " --frobnicate");
    CHECK(bad.exit_code == 2);
    CHECK(CountLines(bad.err) == 1);
    CHECK(bad.err.find("--frobnicate") != std::string::npos);
  }
  CHECK_FALSE(std::filesystem::exists(dir.File("default.db")));
}

TEST_CASE("kb add, show, edit, search, rm, history and revert", "[adapters][cli][curation]") {
  TempDir dir;
  const std::string db = BuiltDb(dir);
  Run add = AsTester(dir, "kb add --db " + db +
                               " --title 'Plumber pay' --body 'Plumbers in the US earn about 60,000 dollars a year.'"
                               " --question 'How much does a plumber earn?' --question 'plumber salary'"
                               " --tag salary,trades --article 'Test source' --section Pay");
  REQUIRE_RUN(add, 0);
  CHECK(add.out.find("added plumber-pay (change #1") != std::string::npos);
  Run show = AsTester(dir, "kb show --db " + db + " --json plumber-pay");
  REQUIRE_RUN(show, 0);
  json e = json::parse(show.out);
  CHECK(e["questions"] == json::array({"How much does a plumber earn?", "plumber salary"}));
  CHECK(e["tags"] == json::array({"salary", "trades"}));
  CHECK(e["source"]["article"] == "Test source");

  // Answered at once.
  Run ask = AsTester(dir, "ask --db " + db + " --json 'How much does a plumber earn?'");
  REQUIRE_RUN(ask, 0);
  CHECK(json::parse(ask.out)["sources"][0]["id"] == "plumber-pay");
  Run search = AsTester(dir, "kb search --db " + db + " plumber wages");
  REQUIRE_RUN(search, 0);
  CHECK(search.out.find("plumber-pay") != std::string::npos);

  // Errors name the field, and change nothing.
  Run invalid = AsTester(dir, "kb add --db " + db + " --title 'No body'");
  CHECK(invalid.exit_code == 1);
  CHECK(invalid.err.find("body: must not be empty") != std::string::npos);
  Run taken = AsTester(dir, "kb add --db " + db + " --id plumber-pay --title T --body B");
  CHECK(taken.exit_code == 1);
  CHECK(taken.err.find("already exists") != std::string::npos);
  Run heading = AsTester(dir, "kb edit --db " + db + " plumber-pay --body " + Quote("Text\n# Heading"));
  CHECK(heading.exit_code == 1);
  CHECK(heading.err.find("body:") != std::string::npos);

  Run edit =
      AsTester(dir, "kb edit --db " + db + " plumber-pay --add-question 'what do plumbers make' --section Wages");
  REQUIRE_RUN(edit, 0);
  CHECK(edit.out.find("edited plumber-pay (change #2") != std::string::npos);
  Run history = AsTester(dir, "kb history --db " + db + " plumber-pay");
  REQUIRE_RUN(history, 0);
  CHECK(history.out.find("#2") != std::string::npos);
  CHECK(history.out.find("tester") != std::string::npos);
  CHECK(history.out.find("questions: + \"what do plumbers make\"") != std::string::npos);
  CHECK(history.out.find("source.section: \"Pay\" -> \"Wages\"") != std::string::npos);
  Run history_json = AsTester(dir, "kb history --db " + db + " --json plumber-pay");
  REQUIRE_RUN(history_json, 0);
  json changes = json::parse(history_json.out);
  REQUIRE(changes.size() == 2);
  CHECK(changes[0]["who"] == "tester");
  CHECK(changes[1]["action"] == "add");
  CHECK(changes[1]["before"].is_null());

  Run revert = AsTester(dir, "kb revert --db " + db + " plumber-pay");
  REQUIRE_RUN(revert, 0);
  CHECK(json::parse(AsTester(dir, "kb show --db " + db + " --json plumber-pay").out)["source"]["section"] == "Pay");

  Run rm = AsTester(dir, "kb rm --db " + db + " plumber-pay");
  REQUIRE_RUN(rm, 0);
  CHECK(AsTester(dir, "kb show --db " + db + " plumber-pay").exit_code == 1);
  CHECK(AsTester(dir, "kb rm --db " + db + " plumber-pay").exit_code == 1);
  REQUIRE_RUN(AsTester(dir, "kb revert --db " + db + " plumber-pay"), 0);
  CHECK(AsTester(dir, "kb show --db " + db + " plumber-pay").exit_code == 0);
  // Back to before the first change: gone again.
  REQUIRE_RUN(AsTester(dir, "kb revert --db " + db + " --to 1 plumber-pay"), 0);
  CHECK(AsTester(dir, "kb show --db " + db + " plumber-pay").exit_code == 1);
  CHECK(AsTester(dir, "kb revert --db " + db + " what-is-backend-development").exit_code == 1);
}

TEST_CASE("kb edit with no field flags opens $EDITOR on the entry's Markdown", "[adapters][cli][curation]") {
  TempDir dir;
  const std::string db = BuiltDb(dir);
  const std::string id = "what-is-backend-development";
  REQUIRE(testing_helpers::WriteWholeFile(
      dir.File("editor.sh"),
      "#!/bin/sh\n"
      "sed -i 's/^- What is backend development?$/&\\n- backend dev meaning?/' \"$1\"\n"));
  REQUIRE(testing_helpers::WriteWholeFile(dir.File("noop.sh"), "#!/bin/sh\nexit 0\n"));
  REQUIRE(testing_helpers::WriteWholeFile(dir.File("fail.sh"), "#!/bin/sh\nexit 3\n"));
  REQUIRE(
      testing_helpers::WriteWholeFile(dir.File("break.sh"), "#!/bin/sh\nsed -i 's/^id: .*/id: another-id/' \"$1\"\n"));
  for (const char* f : {"editor.sh", "noop.sh", "fail.sh", "break.sh"}) {
    REQUIRE(::chmod(dir.File(f).c_str(), 0755) == 0);
  }
  Run noop = AsTester(dir, "kb edit --db " + db + " " + id, "EDITOR=" + Quote(dir.File("noop.sh")));
  REQUIRE_RUN(noop, 0);
  CHECK(noop.out.find("nothing changed") != std::string::npos);
  Run failed = AsTester(dir, "kb edit --db " + db + " " + id, "EDITOR=" + Quote(dir.File("fail.sh")));
  CHECK(failed.exit_code == 1);
  CHECK(failed.err.find("editor failed") != std::string::npos);
  Run broken = AsTester(dir, "kb edit --db " + db + " " + id, "EDITOR=" + Quote(dir.File("break.sh")));
  CHECK(broken.exit_code == 1);
  CHECK(broken.err.find("your edit is kept in") != std::string::npos);
  CHECK(AsTester(dir, "kb history --db " + db + " " + id).out.find("no recorded changes") != std::string::npos);

  Run edit = AsTester(dir, "kb edit --db " + db + " " + id, "VISUAL= EDITOR=" + Quote(dir.File("editor.sh")));
  REQUIRE_RUN(edit, 0);
  CHECK(edit.out.find("edited " + id) != std::string::npos);
  json e = json::parse(AsTester(dir, "kb show --db " + db + " --json " + id).out);
  std::vector<std::string> questions = e["questions"];
  CHECK(std::find(questions.begin(), questions.end(), "backend dev meaning?") != questions.end());
}

TEST_CASE("kb export then kb import gives the same knowledge base", "[adapters][cli][curation][export]") {
  TempDir dir;
  const std::string db = BuiltDb(dir);
  REQUIRE_RUN(AsTester(dir, "kb add --db " + db + " --title 'Round trip probe' --body " +
                                 Quote("Line one: \"quoted\".\n\n- item") +
                                 " --question 'a question, with a comma?' --tag 'ünïcödé'"),
              0);
  Run jsonl = AsTester(dir, "kb export --db " + db + " --out " + Quote(dir.File("kb.jsonl")));
  REQUIRE_RUN(jsonl, 0);
  Run md = AsTester(dir, "kb export --db " + db + " --format markdown --out " + Quote(dir.File("kb.md")));
  REQUIRE_RUN(md, 0);
  Run folder = AsTester(dir, "kb export --db " + db + " --format markdown --out " + Quote(dir.File("repo") + "/"));
  REQUIRE_RUN(folder, 0);
  Run stdout_export = AsTester(dir, "kb export --db " + db);
  REQUIRE_RUN(stdout_export, 0);
  std::string exported;
  REQUIRE(testing_helpers::ReadWholeFile(dir.File("kb.jsonl"), &exported));
  CHECK(stdout_export.out == exported);
  // Each line is an entry of exactly the shape.
  std::istringstream lines(exported);
  std::string line;
  size_t n = 0;
  while (std::getline(lines, line)) {
    json j = json::parse(line);
    CHECK(j.size() == 7);
    CHECK(j["source"].contains("article"));
    n++;
  }
  CHECK(n > 100);

  // Into another knowledge base, made the export's entries with --replace.
  for (const std::string& file : {dir.File("kb.jsonl"), dir.File("kb.md")}) {
    INFO(file);
    const std::string other = Quote(dir.File("other.db"));
    std::filesystem::remove(dir.File("other.db"));
    REQUIRE_RUN(AsTester(dir, "kb build --db " + other), 0);
    Run imported = AsTester(dir, "kb import --db " + other + " --replace " + Quote(file));
    REQUIRE_RUN(imported, 0);
    CHECK(imported.out.find("1 added, 0 changed") != std::string::npos);
    Run back = AsTester(dir, "kb export --db " + other);
    CHECK(back.out == exported);
    // Importing it again changes nothing.
    Run again = AsTester(dir, "kb import --db " + other + " " + Quote(file));
    REQUIRE_RUN(again, 0);
    CHECK(again.out.find("0 added, 0 changed, " + std::to_string(n) + " unchanged") != std::string::npos);
  }
  // The folder builds with kb build --from.
  const std::string built = Quote(dir.File("built.db"));
  REQUIRE_RUN(AsTester(dir, "kb build --db " + built + " --from " + Quote(dir.File("repo"))), 0);
  CHECK(AsTester(dir, "kb export --db " + built).out == exported);
  // Exporting into it again needs --force.
  CHECK(AsTester(dir, "kb export --db " + db + " --format markdown --out " + Quote(dir.File("repo"))).exit_code == 1);
  CHECK(AsTester(dir, "kb export --db " + db + " --format markdown --force --out " + Quote(dir.File("repo")))
            .exit_code == 0);
}

TEST_CASE("kb import lists each rejected line with its reason; --strict imports nothing", "[adapters][cli][import]") {
  TempDir dir;
  const std::string db = BuiltDb(dir);
  REQUIRE(testing_helpers::WriteWholeFile(dir.File("in.jsonl"),
                                          R"({"title": "Kotlin on the backend", "body": "Kotlin runs on the JVM."})"
                                          "\n"
                                          R"({"title": "Broken", "body": ""})"
                                          "\n"
                                          "{not json\n"
                                          R"({"id": "x", "title": "T", "body": "B", "questions": "q"})"
                                          "\n"));
  const std::string version_before = AsTester(dir, "kb export --db " + db).out;
  Run strict = AsTester(dir, "kb import --db " + db + " --strict " + Quote(dir.File("in.jsonl")));
  CHECK(strict.exit_code == 1);
  CHECK(strict.out.find("nothing imported") != std::string::npos);
  CHECK(AsTester(dir, "kb export --db " + db).out == version_before);

  Run r = AsTester(dir, "kb import --db " + db + " " + Quote(dir.File("in.jsonl")));
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("1 added, 0 changed") != std::string::npos);
  CHECK(r.out.find("3 rejected") != std::string::npos);
  CHECK(r.err.find("in.jsonl:2") != std::string::npos);
  CHECK(r.err.find("body: must not be empty") != std::string::npos);
  CHECK(r.err.find("in.jsonl:3") != std::string::npos);
  CHECK(r.err.find("not valid JSON") != std::string::npos);
  CHECK(r.err.find("in.jsonl:4") != std::string::npos);
  CHECK(r.err.find("questions: must be an array of strings") != std::string::npos);
  CHECK(AsTester(dir, "kb show --db " + db + " kotlin-on-the-backend").exit_code == 0);
  Run dry = AsTester(dir, "kb import --db " + db + " --dry-run " + Quote(dir.File("in.jsonl")));
  CHECK(dry.out.find("nothing changed") != std::string::npos);
}

TEST_CASE("an import killed half way changes nothing", "[adapters][cli][import]") {
  TempDir dir;
  const std::string db_path = dir.File("kb.db");
  BuiltDb(dir);
  const std::string before = AsTester(dir, "kb export --db " + Quote(db_path)).out;
  std::string big;
  for (int i = 0; i < 20000; i++) {
    bot::Entry e;
    e.id = "bulk-" + std::to_string(i);
    e.title = "Bulk entry number " + std::to_string(i);
    e.body = "This is bulk entry " + std::to_string(i) + " about databases, APIs and backend careers.";
    e.questions = {"What is bulk entry " + std::to_string(i) + "?"};
    e.source.article = "Bulk";
    big += knowledge::EntryToJsonLine(e) + "\n";
  }
  REQUIRE(testing_helpers::WriteWholeFile(dir.File("big.jsonl"), big));

  int err_pipe[2];
  REQUIRE(::pipe(err_pipe) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(err_pipe[1], 2);
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::close(err_pipe[0]);
    ::execl(CAREERBOT_BINARY, CAREERBOT_BINARY, "kb", "import", "--db", db_path.c_str(), "--progress",
            dir.File("big.jsonl").c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(err_pipe[1]);
  // Wait until it is writing, then kill it.
  std::string seen;
  char buf[256];
  bool writing = false;
  while (!writing) {
    ssize_t n = ::read(err_pipe[0], buf, sizeof buf);
    if (n <= 0) break;
    seen.append(buf, static_cast<size_t>(n));
    writing = seen.find("entries written") != std::string::npos;
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(err_pipe[0]);
  INFO(seen);
  REQUIRE(writing);
  // The kill must land before the import finished, else this proves nothing
  // (20,000 entries take seconds; the kill follows the first progress line).
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  // Opening it again rolls the unfinished transaction back.
  CHECK(AsTester(dir, "kb export --db " + Quote(db_path)).out == before);
  auto store = knowledge::Store::Open(db_path, knowledge::Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  CHECK((*store)->GetEntry("bulk-0").status().code() == bot::Status::Code::kNotFound);
  store->reset();
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* check = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &check, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(check) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(check, 0))) == "ok");
  sqlite3_finalize(check);
  sqlite3_close(db);
}

TEST_CASE("kb lint exits 1 on errors and 0 on warnings only", "[adapters][cli][lint]") {
  TempDir dir;
  const std::string db = Quote(dir.File("kb.db"));
  REQUIRE_RUN(AsTester(dir, "kb build --db " + db), 0);
  REQUIRE(testing_helpers::WriteWholeFile(
      dir.File("bad.jsonl"),
      R"({"id": "go-jobs", "title": "Go jobs", "body": "Go jobs are common in cloud companies.", "questions": ["Are there Go jobs?"], "source": {"article": "A", "section": "S"}})"
      "\n"
      R"({"id": "unsourced", "title": "Zig", "body": "Zig is a young language.", "questions": ["What is Zig?"], "source": {"article": "", "section": "", "url": "ftp://x"}})"
      "\n"
      R"({"id": "no-questions", "title": "Nim", "body": "Nim compiles to C.", "source": {"article": "A", "section": "S"}})"
      "\n"));
  REQUIRE_RUN(AsTester(dir, "kb import --db " + db + " --replace " + Quote(dir.File("bad.jsonl"))), 0);
  Run lint = AsTester(dir, "kb lint --db " + db);
  CHECK(lint.exit_code == 1);
  CHECK(lint.out.find("unsourced") != std::string::npos);
  CHECK(lint.out.find("source.article: empty") != std::string::npos);
  CHECK(lint.out.find("not an http(s) link") != std::string::npos);
  CHECK(lint.out.find("no-questions") != std::string::npos);
  Run json_lint = AsTester(dir, "kb lint --db " + db + " --json");
  CHECK(json_lint.exit_code == 1);
  json report = json::parse(json_lint.out);
  CHECK(report["errors"] == 2);
  CHECK(report["entries"] == 3);
  CHECK(AsTester(dir, "kb lint --db " + db + " --max-errors 2").exit_code == 0);
  // Fix the errors: only warnings are left, and lint passes.
  REQUIRE_RUN(AsTester(dir, "kb edit --db " + db +
                                 " unsourced --article 'Zig docs' --section Intro --url https://ziglang.org"),
              0);
  Run fixed = AsTester(dir, "kb lint --db " + db);
  INFO(fixed.out);
  CHECK(fixed.exit_code == 0);
  CHECK(fixed.out.find("0 errors") != std::string::npos);
}

TEST_CASE("kb gaps lists what was not answered well, grouped, and --accept closes one", "[adapters][cli][gaps]") {
  TempDir dir;
  const std::string db = BuiltDb(dir);
  for (const char* q : {"How much does a plumber earn?", "how much does a plumber earn", "plumber earnings?",
                        "Which kotlin frameworks exist?"}) {
    Run a = AsTester(dir, "ask --db " + db + " " + Quote(q));
    REQUIRE_RUN(a, 0);
  }
  Run gaps = AsTester(dir, "kb gaps --db " + db);
  REQUIRE_RUN(gaps, 0);
  CHECK(gaps.out.find("1. \"") != std::string::npos);
  CHECK(gaps.out.find("x3") != std::string::npos);
  CHECK(gaps.out.find("3 declined") != std::string::npos);
  Run listed = AsTester(dir, "kb gaps --db " + db + " --json");
  REQUIRE_RUN(listed, 0);
  json list = json::parse(listed.out);
  REQUIRE(list.size() == 2);
  CHECK(list[0]["count"] == 3);
  CHECK(list[1]["count"] == 1);

  REQUIRE_RUN(AsTester(dir, "kb add --db " + db +
                                 " --title 'Plumber pay' --body 'Plumbers earn about 60,000 dollars.'"
                                 " --article 'Test' --section Pay"),
              0);
  Run accept = AsTester(dir, "kb gaps --db " + db + " --accept 1 plumber-pay");
  REQUIRE_RUN(accept, 0);
  CHECK(accept.out.find("to plumber-pay") != std::string::npos);
  json answer = json::parse(AsTester(dir, "ask --db " + db + " --json " + Quote(list[0]["example"])).out);
  CHECK(answer["sources"][0]["id"] == "plumber-pay");
  json after = json::parse(AsTester(dir, "kb gaps --db " + db + " --json").out);
  REQUIRE(after.size() == 1);
  CHECK(after[0]["id"] == list[1]["id"]);
  Run dismiss = AsTester(dir, "kb gaps --db " + db + " --dismiss " + after[0]["id"].get<std::string>());
  REQUIRE_RUN(dismiss, 0);
  CHECK(AsTester(dir, "kb gaps --db " + db).out.find("no gaps") != std::string::npos);
  CHECK(AsTester(dir, "kb gaps --db " + db + " --accept 9 plumber-pay").exit_code == 1);
}
