// Faults (the Hardening issue): what careerbot does when things go wrong
// underneath it.
// - Curators add, edit and delete entries through the admin API while 8
//   clients ask without pause: no failed request, no lost edit, and no reader
//   ever sees half an edit (an answer's title and text always come from the
//   same version of the entry).
// - `careerbot serve` killed with SIGKILL in the middle of a large
//   POST /v1/admin/import, then restarted: the file passes
//   PRAGMA integrity_check and holds the knowledge base from before the
//   import, entry for entry (all or nothing).
// - Storage that refuses writes: a knowledge-base path that cannot be created
//   stops the start with one line; a disk that fills up (SQLITE_FULL) or a
//   file system that turns read-only (write errors) while serving gives 503
//   JSON errors for writes (admin changes, feedback) while answering goes on,
//   and everything works again once space is back. The storage faults are
//   injected at SQLite's OS boundary (tests/helpers/fault_vfs.h): these tests
//   run as root, where chmod stops nothing. Where the test may mount (a
//   private mount namespace, `unshare -m`), a real `careerbot serve` also
//   runs on a small tmpfs that is then filled up: the kernel's own ENOSPC.
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "../helpers/fault_vfs.h"
#include "../helpers/files.h"
#include "../helpers/process.h"
#include "../helpers/server.h"
#include "adapters/http/server.h"
#include "app/service.h"
#include "knowledge/builtin.h"
#include "knowledge/entry_json.h"
#include "knowledge/store.h"

namespace {

using nlohmann::json;
using testing_helpers::FaultVfs;
using testing_helpers::Process;
using testing_helpers::TempDir;
using Clock = std::chrono::steady_clock;

const char kToken[] = "faults-admin-token-0123456789abcdef";

httplib::Headers Auth() { return {{"Authorization", std::string("Bearer ") + kToken}}; }

std::unique_ptr<httplib::Client> ClientFor(int port, int read_timeout_s = 30) {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
  c->set_connection_timeout(5, 0);
  c->set_read_timeout(read_timeout_s, 0);
  c->set_write_timeout(30, 0);
  return c;
}

// An in-process server over a file-backed knowledge base at `db` (built from
// the shipped knowledge), with the admin API on and no rate limit.
class LiveServer {
 public:
  explicit LiveServer(const std::string& db, size_t threads = 16) : server_(Options(threads), db) {}
  int port() const { return server_.port(); }
  knowledge::Store& store() { return server_.store(); }
  adapters::Service& service() { return server_.service(); }

 private:
  static adapters::http::HttpOptions Options(size_t threads) {
    adapters::http::HttpOptions options = testing_helpers::TestHttpOptions(threads);
    options.admin.token = kToken;
    options.admin.label = "faults";
    return options;
  }
  testing_helpers::TestServer server_;
};

// POST /v1/ask with `question`; the answer (REQUIREs a 200).
json AskOk(httplib::Client& c, const std::string& question) {
  auto r = c.Post("/v1/ask", json{{"question", question}}.dump(), "application/json");
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
  return json::parse(r->body);
}

struct Reply {
  int status = 0;  // 0: no response at all
  std::string error;
  json body;
  std::string etag;
};

Reply Call(httplib::Client& c, const std::string& method, const std::string& path, const std::string& body = "",
           httplib::Headers headers = Auth(), const std::string& type = "application/json") {
  httplib::Result r = method == "GET"      ? c.Get(path.c_str(), headers)
                      : method == "POST"   ? c.Post(path.c_str(), headers, body, type.c_str())
                      : method == "PUT"    ? c.Put(path.c_str(), headers, body, type.c_str())
                      : method == "PATCH"  ? c.Patch(path.c_str(), headers, body, type.c_str())
                                           : c.Delete(path.c_str(), headers);
  Reply reply;
  if (!r) {
    reply.error = httplib::to_string(r.error());
    return reply;
  }
  reply.status = r->status;
  reply.body = json::parse(r->body, nullptr, false);
  reply.etag = r->get_header_value("ETag");
  if (reply.status >= 300) reply.error = r->body;
  return reply;
}

std::string Sql(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out = "(cannot open)";
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* s = nullptr;
    out = "(error)";
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK) {
      out.clear();
      while (sqlite3_step(s) == SQLITE_ROW) {
        if (!out.empty()) out += "\n";
        const unsigned char* t = sqlite3_column_text(s, 0);
        out += t ? reinterpret_cast<const char*>(t) : "NULL";
      }
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return out;
}

// Polls `sql` until it gives `want` (at most 5 s).
bool WaitForSql(const std::string& db_path, const std::string& sql, const std::string& want) {
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (Clock::now() < deadline) {
    if (Sql(db_path, sql) == want) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// The made-up words of the entries curated in the concurrency test: each
// entry is the only one holding its word, so its question finds it alone.
const char* const kWords[] = {"zorblax", "quibbitron", "flangewort", "grommetine", "snarfblat", "plonkitude"};
constexpr int kEntries = 6;

std::string EntryId(int k) { return std::string("fault-") + kWords[k]; }
std::string QuestionOf(int k) { return std::string("What is a ") + kWords[k] + "?"; }

// Entry k at revision `rev`: its title and its text both name the revision.
json EntryAt(int k, int rev) {
  return json{{"id", EntryId(k)},
              {"title", std::string("The ") + kWords[k] + " at rev " + std::to_string(rev)},
              {"body", std::string("A ") + kWords[k] + " is a made-up thing used by the fault tests; this text is rev " +
                           std::to_string(rev) + "."},
              {"questions", {QuestionOf(k)}},
              {"tags", {"faults"}},
              {"source", {{"article", "Fault tests"}, {"section", "Concurrency"}}}};
}

// The revision named by `text` ("rev N"), or -1.
int RevIn(const std::string& text) {
  static const std::regex re(R"(\brev (\d+)\b)");
  std::smatch m;
  if (!std::regex_search(text, m, re)) return -1;
  return std::stoi(m[1].str());
}

}  // namespace

TEST_CASE("curation under 8 asking clients: no failed request, no lost or half-applied edit",
          "[adapters][admin][faults][concurrency]") {
  TempDir dir;
  LiveServer server(dir.File("kb.db"), 24);
  const int port = server.port();

  // The entries and a shared one both curators append questions to.
  {
    auto c = ClientFor(port);
    for (int k = 0; k < kEntries; k++) {
      Reply r = Call(*c, "POST", "/v1/admin/entries", EntryAt(k, 0).dump());
      INFO(r.error);
      REQUIRE(r.status == 201);
    }
    json shared = {{"id", "fault-shared"},
                   {"title", "The shared fault test entry"},
                   {"body", "An entry two curators add questions to at once."},
                   {"questions", {"What is the shared fault test entry?"}},
                   {"source", {{"article", "Fault tests"}}}};
    REQUIRE(Call(*c, "POST", "/v1/admin/entries", shared.dump()).status == 201);
  }

  // 8 clients ask without pause: the curated entries' questions and ordinary ones.
  std::atomic<bool> stop{false};
  std::atomic<long> asks{0}, curated_answers{0}, failures{0}, torn{0}, backwards{0};
  std::mutex problem_mu;
  std::vector<std::string> problems;
  auto problem = [&](const std::string& what) {
    std::lock_guard<std::mutex> lock(problem_mu);
    if (problems.size() < 10) problems.push_back(what);
  };
  std::vector<std::thread> askers;
  for (int t = 0; t < 8; t++) {
    askers.emplace_back([&, t] {
      auto c = ClientFor(port);
      std::map<std::string, int> last_rev;  // per entry: the newest revision this client has seen
      const std::vector<std::string> ordinary = {"How much do backend developers earn?",
                                                 "Which databases should I learn?"};
      for (int i = t; !stop; i++) {
        int pick = i % (kEntries + 2);
        std::string q = pick < kEntries ? QuestionOf(pick) : ordinary[pick - kEntries];
        auto r = c->Post("/v1/ask", json{{"question", q}}.dump(), "application/json");
        asks++;
        if (!r || r->status != 200) {
          failures++;
          problem(r ? "ask: " + std::to_string(r->status) + " " + r->body : "ask: " + httplib::to_string(r.error()));
          continue;
        }
        json a = json::parse(r->body, nullptr, false);
        if (!a.is_object() || !a.contains("answer")) {
          failures++;
          problem("ask: not an answer: " + r->body);
          continue;
        }
        if (a["kind"] != "kb" || a["sources"].empty()) continue;
        const json& src = a["sources"][0];
        std::string id = src.value("id", "");
        if (id.rfind("fault-", 0) != 0 || id == "fault-shared") continue;
        curated_answers++;
        int title_rev = RevIn(src.value("title", ""));
        int text_rev = RevIn(a.value("answer", ""));
        if (title_rev < 0 || title_rev != text_rev) {
          torn++;
          problem("half an edit: title '" + src.value("title", "") + "' with answer '" + a.value("answer", "") + "'");
        }
        int& seen = last_rev.try_emplace(id, -1).first->second;
        if (title_rev < seen) {
          backwards++;
          problem(id + " went back from rev " + std::to_string(seen) + " to " + std::to_string(title_rev));
        }
        seen = std::max(seen, title_rev);
      }
    });
  }

  // Two curators at once, each on its own entries (replace, patch, delete and
  // add again), and both on the shared entry (read, then PATCH with If-Match,
  // again on 412): every change must succeed and stay.
  struct Expect {
    bool exists = true;
    int rev = 0;
    int changes = 1;  // recorded changes: the first add
  };
  std::vector<Expect> expect(kEntries);
  std::atomic<long> writes{0}, retries{0};
  std::vector<std::string> shared_added[2];
  auto curator = [&](int who) {
    auto c = ClientFor(port);
    const auto deadline = Clock::now() + std::chrono::seconds(8);
    int rev = 0;
    for (int step = 0; step < 120 && Clock::now() < deadline; step++) {
      int k = who * (kEntries / 2) + step % (kEntries / 2);
      Expect& e = expect[k];
      rev++;
      Reply r;
      std::string what;
      if (!e.exists) {
        what = "add";
        r = Call(*c, "POST", "/v1/admin/entries", EntryAt(k, rev).dump());
        if (r.status == 201) e = Expect{true, rev, e.changes + 1};
      } else if (step % 7 == 6) {
        what = "delete";
        r = Call(*c, "DELETE", "/v1/admin/entries/" + EntryId(k));
        if (r.status == 200) e = Expect{false, e.rev, e.changes + 1};
      } else if (step % 2 == 0) {
        what = "put";
        r = Call(*c, "PUT", "/v1/admin/entries/" + EntryId(k), EntryAt(k, rev).dump());
        if (r.status == 200) e = Expect{true, rev, e.changes + 1};
      } else {
        what = "patch";
        json both = EntryAt(k, rev);
        r = Call(*c, "PATCH", "/v1/admin/entries/" + EntryId(k),
                 json{{"title", both["title"]}, {"body", both["body"]}}.dump());
        if (r.status == 200) e = Expect{true, rev, e.changes + 1};
      }
      writes++;
      if (r.status != 200 && r.status != 201) {
        failures++;
        problem(what + " " + EntryId(k) + ": " + std::to_string(r.status) + " " + r.error);
      }
      // Every third step, a question on the shared entry (at most 100 per
      // entry), read-modify-write guarded by If-Match.
      if (step % 3 != 0) continue;
      std::string added = "Shared question " + std::to_string(who) + "-" + std::to_string(step) + "?";
      for (int attempt = 0; attempt < 50; attempt++) {
        Reply got = Call(*c, "GET", "/v1/admin/entries/fault-shared");
        if (got.status != 200) {
          failures++;
          problem("get shared: " + std::to_string(got.status) + " " + got.error);
          break;
        }
        json questions = got.body["questions"];
        questions.push_back(added);
        httplib::Headers h = Auth();
        h.emplace("If-Match", got.etag);
        Reply patched = Call(*c, "PATCH", "/v1/admin/entries/fault-shared", json{{"questions", questions}}.dump(), h);
        if (patched.status == 200) {
          shared_added[who].push_back(added);
          break;
        }
        if (patched.status != 412) {
          failures++;
          problem("patch shared: " + std::to_string(patched.status) + " " + patched.error);
          break;
        }
        retries++;
      }
      writes++;
    }
  };
  auto started = Clock::now();
  std::thread a(curator, 0), b(curator, 1);
  a.join();
  b.join();
  // Let the askers see the final state for a moment too.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  for (auto& t : askers) t.join();
  double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::cout << "[faults] curation under load: " << writes << " admin writes (" << retries
            << " If-Match retries) and " << asks << " asks (" << curated_answers
            << " answered from a curated entry) in " << seconds << " s\n";

  {
    std::lock_guard<std::mutex> lock(problem_mu);
    std::string all;
    for (auto& p : problems) all += p + "\n";
    INFO(all);
    CHECK(failures == 0);
    CHECK(torn == 0);
    CHECK(backwards == 0);
  }
  CHECK(writes >= 60);
  CHECK(asks >= 200);
  CHECK(curated_answers >= 50);  // the consistency checks did run

  // Every change is there exactly as made, through the API, the store and /v1/ask.
  auto c = ClientFor(port);
  for (int k = 0; k < kEntries; k++) {
    INFO(EntryId(k));
    Reply got = Call(*c, "GET", "/v1/admin/entries/" + EntryId(k));
    auto history = server.store().History(EntryId(k), 1000);
    REQUIRE(history.ok());
    CHECK(static_cast<int>(history->size()) == expect[k].changes);
    if (!expect[k].exists) {
      CHECK(got.status == 404);
      continue;
    }
    REQUIRE(got.status == 200);
    json want = EntryAt(k, expect[k].rev);
    CHECK(got.body["title"] == want["title"]);
    CHECK(got.body["body"] == want["body"]);
    CHECK(got.body["questions"] == want["questions"]);
    auto answer = c->Post("/v1/ask", json{{"question", QuestionOf(k)}}.dump(), "application/json");
    REQUIRE(answer);
    json ans = json::parse(answer->body);
    CHECK(ans["sources"][0]["id"] == EntryId(k));
    CHECK(RevIn(ans["answer"].get<std::string>()) == expect[k].rev);
  }
  Reply shared = Call(*c, "GET", "/v1/admin/entries/fault-shared");
  REQUIRE(shared.status == 200);
  std::multiset<std::string> have;
  for (const auto& q : shared.body["questions"]) have.insert(q.get<std::string>());
  size_t appended = 0;
  for (int who = 0; who < 2; who++) {
    for (const auto& q : shared_added[who]) {
      INFO(q);
      CHECK(have.count(q) == 1);
      appended++;
    }
  }
  CHECK(shared.body["questions"].size() == appended + 1);
  CHECK(Sql(dir.File("kb.db"), "PRAGMA integrity_check") == "ok");
}

TEST_CASE("a knowledge-base path that cannot be created stops the start with one line", "[adapters][faults][serve]") {
  TempDir dir;
  // A regular file where a directory should be: no user, root included, can
  // create anything under it.
  REQUIRE(testing_helpers::WriteWholeFile(dir.File("plain-file"), "not a directory\n"));
  const std::string impossible = dir.File("plain-file") + "/kb.db";
  REQUIRE(testing_helpers::WriteWholeFile(dir.File("one.jsonl"), EntryAt(0, 0).dump() + "\n"));
  const std::vector<std::string> env = {"HOME=" + dir.path(), "XDG_DATA_HOME=" + dir.File("xdg"),
                                        "CAREERBOT_DB=" + dir.File("default.db"), "TMPDIR=" + dir.path()};
  struct Case {
    const char* name;
    std::vector<std::string> args;
    const char* says;
  };
  const std::vector<Case> cases = {
      {"knowledge base", {"serve", "--port", "0", "--db", impossible}, "Not a directory"},
      {"question log", {"serve", "--port", "0", "--db", dir.File("kb.db"), "--log-db", impossible}, "question log"},
      {"kb import", {"kb", "import", "--db", impossible, dir.File("one.jsonl")}, "cannot open knowledge base"},
      {"ask", {"ask", "--db", impossible, "hello"}, "cannot open knowledge base"},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      std::vector<std::string> argv = {CAREERBOT_BINARY};
      argv.insert(argv.end(), c.args.begin(), c.args.end());
      Process p(argv, env, dir.File("out.txt"), dir.File("err.txt"));
      int code = p.Wait(std::chrono::seconds(60));
      std::string err = p.Stderr();
      INFO(err);
      CHECK(code == 1);
      CHECK(std::count(err.begin(), err.end(), '\n') == 1);
      CHECK(err.find(c.says) != std::string::npos);
      CHECK(err.find(impossible) != std::string::npos);  // names the file
    }
  }
  SECTION("a file system where nothing can be created (/proc)") {
    Process p({CAREERBOT_BINARY, "serve", "--port", "0", "--db", "/proc/careerbot-faults-test.db"}, env,
              dir.File("out.txt"), dir.File("err.txt"));
    int code = p.Wait(std::chrono::seconds(60));
    std::string err = p.Stderr();
    INFO(err);
    CHECK(code == 1);
    CHECK(std::count(err.begin(), err.end(), '\n') == 1);
    CHECK(err.find("cannot open knowledge base '/proc/careerbot-faults-test.db': unable to open database file: ") !=
          std::string::npos);
  }
  CHECK_FALSE(std::filesystem::exists(dir.File("kb.db")));  // the bad log stopped the start before the build
}

TEST_CASE("a full or read-only disk while serving: writes get 503 JSON errors, answering goes on",
          "[adapters][faults][storage]") {
  TempDir dir;
  FaultVfs::Install(dir.path() + "/");
  struct Uninstall {
    ~Uninstall() { FaultVfs::Uninstall(); }
  } uninstall;
  const std::string db = dir.File("kb.db");
  FaultVfs::Fault fault = FaultVfs::kFull;
  std::string says = "the disk is full";
  SECTION("the disk fills up (SQLITE_FULL)") {}
  SECTION("the file system turns read-only (write errors)") {
    fault = FaultVfs::kIoError;
    says = "the disk refused to read or write";
  }
  LiveServer server(db, 8);
  auto c = ClientFor(server.port());
  auto ask = [&](const std::string& q) { return AskOk(*c, q); };
  json before = ask("How much do backend developers earn?");
  REQUIRE(before["kind"] == "kb");
  const std::string logged_id = before["answer_id"];
  // (The question log may be written after the answer: wait for the line.)
  REQUIRE(WaitForSql(db, "SELECT count(*) FROM question_log WHERE answer_id = '" + logged_id + "'", "1"));
  const std::string entries_before = Sql(db, "SELECT count(*) FROM entries");
  const std::string version_before = Sql(db, "SELECT value FROM meta WHERE key = 'version'");
  const std::string history_before = Sql(db, "SELECT count(*) FROM history");

  FaultVfs::Set(fault);
  // Answering goes on: every question is answered, its log line is lost.
  for (const char* q : {"Which databases should I learn?", "What is REST?", "Is Python good for backend development?",
                        "How much does a firefighter earn?", "hello"}) {
    json a = ask(q);
    CHECK(a.contains("answer"));
  }
  CHECK(ask("How much do backend developers earn?")["kind"] == "kb");
  // Writes: 503 with a JSON error that says what is wrong.
  auto check_503 = [&](const Reply& r, const std::string& what) {
    INFO(what << ": " << r.status << " " << r.body.dump());
    CHECK(r.status == 503);
    REQUIRE(r.body.is_object());
    REQUIRE(r.body.contains("error"));
    CHECK(r.body["error"].value("code", "") == "unavailable");
    std::string message = r.body["error"].value("message", "");
    CHECK(message.find(says) != std::string::npos);
    CHECK(message.find(dir.path()) == std::string::npos);  // no server paths in public errors
  };
  check_503(Call(*c, "POST", "/v1/feedback", json{{"answer_id", logged_id}, {"helpful", true}}.dump(), {}),
            "feedback");
  check_503(Call(*c, "POST", "/v1/admin/entries", EntryAt(0, 1).dump()), "admin add");
  Reply got = Call(*c, "GET", "/v1/admin/entries/us-backend-salary");  // reads still work
  REQUIRE(got.status == 200);
  json edited = got.body;
  edited["body"] = "An edit made while the disk is full.";
  check_503(Call(*c, "PUT", "/v1/admin/entries/us-backend-salary", edited.dump()), "admin edit");
  check_503(Call(*c, "DELETE", "/v1/admin/entries/us-backend-salary"), "admin delete");
  std::string jsonl;
  for (int k = 0; k < 50; k++) jsonl += EntryAt(k % kEntries, k).dump() + "\n";
  check_503(Call(*c, "POST", "/v1/admin/import", jsonl, Auth(), "application/x-ndjson"), "admin import");
  Reply health = Call(*c, "GET", "/healthz", "", {});
  CHECK(health.status == 200);
  CHECK(FaultVfs::refused() > 0);  // the writes did hit the fault

  // Space is back: writes work again, and nothing of the failed ones was applied.
  FaultVfs::Set(FaultVfs::kNone);
  CHECK(Sql(db, "SELECT count(*) FROM entries") == entries_before);
  CHECK(Sql(db, "SELECT value FROM meta WHERE key = 'version'") == version_before);
  CHECK(Sql(db, "SELECT count(*) FROM history") == history_before);
  CHECK(Sql(db, "SELECT body FROM entries WHERE id = 'us-backend-salary'") != edited["body"].get<std::string>());
  CHECK(Call(*c, "POST", "/v1/feedback", json{{"answer_id", logged_id}, {"helpful", true}}.dump(), {}).status == 200);
  CHECK(Call(*c, "POST", "/v1/admin/entries", EntryAt(0, 1).dump()).status == 201);
  json after = ask(QuestionOf(0));
  CHECK(after["sources"][0]["id"] == EntryId(0));
  CHECK(WaitForSql(db,
                   "SELECT count(*) >= 1 FROM question_log WHERE entry_id = '" + EntryId(0) + "'",
                   "1"));
  CHECK(Sql(db, "PRAGMA integrity_check") == "ok");
}

TEST_CASE("serve killed with SIGKILL in the middle of a large admin import: all or nothing after restart",
          "[adapters][faults][serve][import]") {
  TempDir dir;
  const std::string db = dir.File("kb.db");
  const std::string wal = db + "-wal";
  const std::vector<std::string> env = {"HOME=" + dir.path(),
                                        "XDG_DATA_HOME=" + dir.File("xdg"),
                                        "TMPDIR=" + dir.path(),
                                        "CAREERBOT_RATE_LIMIT=0",
                                        std::string("CAREERBOT_ADMIN_TOKEN=") + kToken};
  auto start = [&](const std::string& name) {
    auto p = std::make_unique<Process>(
        std::vector<std::string>{CAREERBOT_BINARY, "serve", "--port", "0", "--db", db, "--reload-interval", "0"}, env,
        dir.File(name + ".out"), dir.File(name + ".err"));
    std::string port = p->WaitForStderr(R"(listening on http://127\.0\.0\.1:(\d+))", std::chrono::seconds(60));
    INFO(p->Stderr());
    REQUIRE(!port.empty());
    return std::make_pair(std::move(p), std::stoi(port));
  };
  auto [first, port] = start("first");
  auto health = [](int p) {
    auto r = ClientFor(p)->Get("/healthz");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return json::parse(r->body);
  };
  const json before = health(port);
  const int entries_before = before["entries"];
  const std::string version_before = before["version"];

  // Nearly the 8 MiB an admin request may carry: tens of thousands of entries.
  std::string jsonl;
  int generated = 0;
  for (; jsonl.size() < 7 * 1024 * 1024; generated++) {
    bot::Entry e;
    e.id = "bulk-" + std::to_string(generated);
    e.title = "Bulk entry number " + std::to_string(generated);
    e.body = "This is bulk entry " + std::to_string(generated) + " about databases, APIs and backend careers.";
    e.questions = {"What is bulk entry " + std::to_string(generated) + "?"};
    e.source.article = "Bulk";
    jsonl += knowledge::EntryToJsonLine(e) + "\n";
  }

  struct stat st{};
  const off_t wal_at_start = ::stat(wal.c_str(), &st) == 0 ? st.st_size : 0;
  std::atomic<bool> answered{false};
  std::atomic<int> import_status{0};
  std::thread importer([&, port = port] {
    auto c = ClientFor(port, 120);
    auto r = c->Post("/v1/admin/import", Auth(), jsonl, "application/x-ndjson");
    if (r) {
      import_status = r->status;
      answered = true;
    }
  });
  // The import's transaction spills its pages into the -wal file long before
  // it commits: kill once it has written a few MiB there.
  const auto posted = Clock::now();
  off_t wal_seen = wal_at_start;
  bool killed = false;
  while (Clock::now() - posted < std::chrono::seconds(90) && !answered) {
    wal_seen = ::stat(wal.c_str(), &st) == 0 ? st.st_size : 0;
    if (wal_seen > wal_at_start + 4 * 1024 * 1024) {
      killed = first->Signal(SIGKILL);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const double kill_after = std::chrono::duration<double>(Clock::now() - posted).count();
  int code = first->Wait(std::chrono::seconds(10));
  importer.join();
  std::cout << "[faults] import of " << generated << " entries (" << jsonl.size() / 1024
            << " KiB): killed after " << kill_after << " s with " << wal_seen / 1024 << " KiB in the -wal file\n";
  INFO("import answered " << import_status << "; " << first->Stderr());
  // The kill landed before the import finished, else this proves nothing.
  REQUIRE(killed);
  REQUIRE_FALSE(answered);
  CHECK(code == 128 + SIGKILL);
  CHECK(first->Stderr().find(" imported ") == std::string::npos);

  // Restarted: the knowledge base of before, intact.
  auto [second, port2] = start("second");
  const json after = health(port2);
  CHECK(after["entries"] == entries_before);
  CHECK(after["version"] == version_before);
  CHECK(Call(*ClientFor(port2), "GET", "/v1/admin/entries/bulk-0").status == 404);
  CHECK(Sql(db, "PRAGMA integrity_check") == "ok");
  CHECK(Sql(db, "SELECT count(*) FROM entries") == std::to_string(entries_before));
  CHECK(Sql(db, "SELECT count(*) FROM entries_fts") == std::to_string(entries_before));
  CHECK(Sql(db, "SELECT count(*) FROM history") == "0");
  // The other half of all or nothing: the same import, left to finish, adds every entry.
  auto c = ClientFor(port2, 120);
  const auto again = Clock::now();
  auto r = c->Post("/v1/admin/import", Auth(), jsonl, "application/x-ndjson");
  std::cout << "[faults] the same import left to finish took "
            << std::chrono::duration<double>(Clock::now() - again).count() << " s\n";
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
  CHECK(json::parse(r->body)["added"] == generated);
  CHECK(health(port2)["entries"] == entries_before + generated);
  second->Signal(SIGTERM);
  CHECK(second->Wait(std::chrono::seconds(20)) == 0);
  CHECK(Sql(db, "PRAGMA integrity_check") == "ok");
}

TEST_CASE("serve on a disk that really fills up: 503 for writes, answers go on, and it recovers",
          "[adapters][faults][serve][storage]") {
  // A small tmpfs of its own, in a private mount namespace (needs
  // CAP_SYS_ADMIN, as root in this sandbox has): a real ENOSPC from the
  // kernel, not an injected one.
  TempDir dir;
  if (std::system("unshare -m --propagation private true >/dev/null 2>&1") != 0) {
    WARN("unshare -m is not permitted here: the real full-disk test cannot run (the injected one above did)");
    return;
  }
  const std::string mnt = dir.File("disk");
  REQUIRE(::mkdir(mnt.c_str(), 0700) == 0);
  const std::string script =
      "mount -t tmpfs -o size=12m careerbot-faults \"$0\" && exec \"$1\" serve --port 0 --db \"$0/kb.db\" "
      "--reload-interval 0";
  Process p({"/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script, mnt, CAREERBOT_BINARY},
            {"HOME=" + dir.path(), "XDG_DATA_HOME=" + dir.File("xdg"), "TMPDIR=" + dir.path(), "CAREERBOT_RATE_LIMIT=0",
             std::string("CAREERBOT_ADMIN_TOKEN=") + kToken},
            dir.File("serve.out"), dir.File("serve.err"));
  std::string port_text = p.WaitForStderr(R"(listening on http://127\.0\.0\.1:(\d+))", std::chrono::seconds(60));
  INFO(p.Stderr());
  REQUIRE(!port_text.empty());
  auto c = ClientFor(std::stoi(port_text));
  auto ask = [&](const std::string& q) { return AskOk(*c, q); };
  const std::string answer_id = ask("How much do backend developers earn?")["answer_id"];
  // The server's file system, seen through its root: fill it up.
  const std::string seen = "/proc/" + std::to_string(p.pid()) + "/root" + mnt;
  struct stat st{};
  REQUIRE(::stat((seen + "/kb.db").c_str(), &st) == 0);
  const std::string filler = seen + "/filler";
  {
    FILE* f = std::fopen(filler.c_str(), "wb");
    REQUIRE(f);
    std::string block(64 * 1024, 'x');
    size_t written = 0;
    while (std::fwrite(block.data(), 1, block.size(), f) == block.size()) written += block.size();
    std::fclose(f);
    std::cout << "[faults] tmpfs filled with " << written / 1024 << " KiB beside a " << st.st_size / 1024
              << " KiB knowledge base\n";
  }
  // Writes that need new space fail with 503 and say why; answering goes on.
  std::string big_body(6000, 'a');
  for (size_t i = 0; i < big_body.size(); i += 7) big_body[i] = ' ';
  int refused = 0;
  std::string message;
  for (int k = 0; k < 40 && refused == 0; k++) {
    json e = EntryAt(k % kEntries, k);
    e["id"] = "full-disk-" + std::to_string(k);
    e["body"] = "Filling the disk: " + big_body;
    Reply r = Call(*c, "POST", "/v1/admin/entries", e.dump());
    if (r.status == 503) {
      refused++;
      message = r.body["error"].value("message", "");
      CHECK(r.body["error"].value("code", "") == "unavailable");
    } else {
      INFO(r.status << " " << r.error);
      CHECK(r.status == 201);  // what fitted in the file's free pages
    }
  }
  INFO(p.Stderr());
  REQUIRE(refused > 0);
  CHECK(message.find("the disk is full") != std::string::npos);
  for (int i = 0; i < 20; i++) CHECK(ask(i % 2 ? "Which databases should I learn?" : "What is REST?").contains("answer"));
  CHECK(Call(*c, "GET", "/healthz", "", {}).status == 200);
  // Space is back: writes work again.
  REQUIRE(std::remove(filler.c_str()) == 0);
  json e = EntryAt(0, 1);
  e["body"] = "Written once the disk had room again: " + big_body;
  CHECK(Call(*c, "POST", "/v1/admin/entries", e.dump()).status == 201);
  CHECK(Call(*c, "POST", "/v1/feedback", json{{"answer_id", answer_id}, {"helpful", true}}.dump(), {}).status == 200);
  CHECK(ask(QuestionOf(0))["sources"][0]["id"] == EntryId(0));
  p.Signal(SIGTERM);
  CHECK(p.Wait(std::chrono::seconds(20)) == 0);
}
