// Operating careerbot (issue 6), in process: GET /metrics, request ids and
// route labels, published snapshots, and swapping the knowledge base under
// load through knowledge::StoreHandle.
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "../helpers/files.h"
#include "../helpers/server.h"
#include "adapters/http/observability.h"
#include "adapters/http/server.h"
#include "app/metrics.h"
#include "app/service.h"
#include "knowledge/builtin.h"
#include "knowledge/snapshot.h"
#include "knowledge/store.h"
#include "knowledge/store_handle.h"

namespace {

using nlohmann::json;
using testing_helpers::TempDir;

// A live server over a StoreHandle, stopped and joined on scope exit.
class OpsServer {
 public:
  explicit OpsServer(std::shared_ptr<knowledge::StoreHandle> kb, adapters::admin::AdminOptions admin = {})
      : service_(std::make_unique<adapters::Service>(std::move(kb), nullptr)),
        running_(std::make_unique<testing_helpers::RunningServer>(*service_, Options(std::move(admin)))) {}
  ~OpsServer() { running_.reset(); }  // the server stops before the service goes
  std::unique_ptr<httplib::Client> Client() const { return running_->Client(); }
  adapters::Service& service() { return *service_; }

 private:
  static adapters::http::HttpOptions Options(adapters::admin::AdminOptions admin) {
    adapters::http::HttpOptions options = testing_helpers::TestHttpOptions(8);
    options.admin = std::move(admin);
    return options;
  }
  std::unique_ptr<adapters::Service> service_;
  std::unique_ptr<testing_helpers::RunningServer> running_;
};

std::shared_ptr<knowledge::StoreHandle> BuiltinHandle() {
  bool built = false;
  auto handle = knowledge::StoreHandle::Open(":memory:", &built);
  REQUIRE(handle.ok());
  return std::shared_ptr<knowledge::StoreHandle>(std::move(*handle));
}

// metric line ("name{labels}") -> value, from a /metrics text; also checks
// every sample line's syntax and that each family has a TYPE line first.
std::map<std::string, double> ParseMetrics(const std::string& text) {
  std::map<std::string, double> out;
  std::set<std::string> typed;
  std::istringstream in(text);
  std::string line;
  const std::regex sample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (\S+)$)");
  while (std::getline(in, line)) {
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream t(line.substr(7));
      std::string name, type;
      t >> name >> type;
      CHECK((type == "counter" || type == "gauge" || type == "histogram"));
      typed.insert(name);
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    std::smatch m;
    INFO(line);
    REQUIRE(std::regex_match(line, m, sample));
    std::string family = m[1].str();
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      std::string sfx = suffix;
      if (family.size() > sfx.size() && family.compare(family.size() - sfx.size(), sfx.size(), sfx) == 0 &&
          typed.count(family.substr(0, family.size() - sfx.size()))) {
        family = family.substr(0, family.size() - sfx.size());
      }
    }
    CHECK(typed.count(family) == 1);
    size_t space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1) == "+Inf" ? "1e308" : line.substr(space + 1));
  }
  return out;
}

std::string Ask(httplib::Client& c, const std::string& question, const char* channel = "http") {
  json body = {{"question", question}, {"channel", channel}};
  auto res = c.Post("/v1/ask", body.dump(), "application/json");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  return res->body;
}

// Writes `entries` (the shipped ones plus `extra`) to a new knowledge base at `path`.
void BuildKnowledge(const std::string& path, const std::vector<bot::Entry>& extra = {}) {
  knowledge::KnowledgeFiles files = knowledge::BuiltinKnowledge();
  for (const auto& e : extra) files.entries.push_back(e);
  REQUIRE(knowledge::BuildKnowledgeBase(path, files, "test").ok());
}

bot::Entry ZorblaxEntry() {
  bot::Entry e;
  e.id = "zorblax-cert";
  e.title = "Zorblax certification for backend developers";
  e.body = "The zorblax certification is a made-up credential used to check that a new snapshot is answered from.";
  e.questions = {"What is the zorblax certification?"};
  e.tags = {"zorblax"};
  e.source = {"Operations test", "Hot reload", ""};
  e.updated_at = "2026-11-29";
  return e;
}

}  // namespace

TEST_CASE("a histogram renders cumulative buckets, sum and count", "[adapters][ops]") {
  adapters::metrics::Histogram h({0.001, 0.01});
  h.Observe(0.0005);
  h.Observe(0.005);
  h.Observe(5);
  std::string out;
  h.Render("x_seconds", "route=\"/a\"", &out);
  CHECK(out.find("x_seconds_bucket{route=\"/a\",le=\"0.001\"} 1\n") != std::string::npos);
  CHECK(out.find("x_seconds_bucket{route=\"/a\",le=\"0.01\"} 2\n") != std::string::npos);
  CHECK(out.find("x_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3\n") != std::string::npos);
  CHECK(out.find("x_seconds_count{route=\"/a\"} 3\n") != std::string::npos);
  CHECK(out.find("x_seconds_sum{route=\"/a\"} 5.0055") != std::string::npos);
  CHECK(adapters::metrics::EscapeLabel("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
}

TEST_CASE("requests are labelled with their route's pattern, never the raw path", "[adapters][ops]") {
  testing_helpers::AllRoutes all;
  auto RouteLabel = [&all](const std::string& path) { return all.router().Label(path); };
  CHECK(RouteLabel("/v1/ask") == "/v1/ask");
  CHECK(RouteLabel("/v1/admin/entries/us-backend-salary") == "/v1/admin/entries/{id}");
  CHECK(RouteLabel("/v1/admin/entries/x/history") == "/v1/admin/entries/{id}/history");
  CHECK(RouteLabel("/admin/") == "/admin");
  CHECK(RouteLabel("/") == "/");
  CHECK(RouteLabel("/wp-login.php") == "other");
  CHECK(RouteLabel("/v1/admin/entries/a/b/c") == "other");
  CHECK(RouteLabel("/v1/ask/../../etc/passwd") == "other");
}

TEST_CASE("a sane X-Request-Id is kept, anything else replaced by a new one", "[adapters][ops]") {
  using adapters::http::RequestIdFor;
  CHECK(RequestIdFor("abc-123_x.y:z") == "abc-123_x.y:z");
  for (const std::string& bad :
       std::vector<std::string>{"", "has space", "new\nline", std::string(65, 'a'), "quote\"s", "{\"json\":1}"}) {
    INFO(bad);
    std::string id = RequestIdFor(bad);
    CHECK(id != bad);
    CHECK(std::regex_match(id, std::regex("[0-9a-f]{16}")));
  }
  CHECK(RequestIdFor("") != RequestIdFor(""));
}

TEST_CASE("every response carries X-Request-Id: the client's or a new one", "[adapters][ops]") {
  OpsServer server(BuiltinHandle());
  auto c = server.Client();
  auto res = c->Get("/healthz", {{"X-Request-Id", "trace-42"}});
  REQUIRE(res);
  CHECK(res->get_header_value("X-Request-Id") == "trace-42");
  for (const char* path : {"/healthz", "/no/such/route", "/metrics"}) {
    INFO(path);
    auto r = c->Get(path);
    REQUIRE(r);
    CHECK(std::regex_match(r->get_header_value("X-Request-Id"), std::regex("[0-9a-f]{16}")));
  }
  auto bad = c->Post("/v1/ask", "{not json", "application/json");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK(!bad->get_header_value("X-Request-Id").empty());
  auto evil = c->Get("/healthz", {{"X-Request-Id", "<script>alert(1)</script>"}});
  REQUIRE(evil);
  CHECK(evil->get_header_value("X-Request-Id").find('<') == std::string::npos);
}

TEST_CASE("GET /metrics counts requests by route and status and answers by channel and outcome", "[adapters][ops]") {
  OpsServer server(BuiltinHandle());
  auto c = server.Client();
  Ask(*c, "How much do backend developers earn?");
  Ask(*c, "Which databases should I learn?", "web");
  Ask(*c, "hello");
  Ask(*c, "How much does a firefighter earn?");
  REQUIRE(c->Get("/nope/123"));
  REQUIRE(c->Post("/v1/ask", "{}", "application/json"));
  REQUIRE(c->Get("/v1/ask"));
  auto health = c->Get("/healthz");
  REQUIRE(health);
  json h = json::parse(health->body);

  auto res = c->Get("/metrics");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type").rfind("text/plain; version=0.0.4", 0) == 0);
  auto m = ParseMetrics(res->body);
  CHECK(m["careerbot_http_requests_total{route=\"/v1/ask\",method=\"POST\",status=\"200\"}"] == 4);
  CHECK(m["careerbot_http_requests_total{route=\"/v1/ask\",method=\"POST\",status=\"400\"}"] == 1);
  CHECK(m["careerbot_http_requests_total{route=\"/v1/ask\",method=\"GET\",status=\"405\"}"] == 1);
  CHECK(m["careerbot_http_requests_total{route=\"other\",method=\"GET\",status=\"404\"}"] == 1);
  CHECK(m["careerbot_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"}"] == 1);
  CHECK(m["careerbot_http_request_duration_seconds_count{route=\"/v1/ask\"}"] == 6);
  CHECK(m["careerbot_answers_total{channel=\"http\",outcome=\"answered\"}"] == 1);
  CHECK(m["careerbot_answers_total{channel=\"web\",outcome=\"answered\"}"] == 1);
  CHECK(m["careerbot_answers_total{channel=\"http\",outcome=\"smalltalk\"}"] == 1);
  CHECK(m["careerbot_answers_total{channel=\"http\",outcome=\"declined\"}"] == 1);
  CHECK(m["careerbot_answer_duration_seconds_count"] == 4);
  CHECK(m["careerbot_answer_duration_seconds_bucket{le=\"+Inf\"}"] == 4);
  CHECK(m["careerbot_knowledge_entries"] == h["entries"].get<double>());
  CHECK(
      m["careerbot_knowledge_snapshot_info{version=\"" + h["version"].get<std::string>() + "\",read_only=\"false\"}"] ==
      1);
  CHECK(m.count("careerbot_uptime_seconds") == 1);
  CHECK(m["careerbot_http_requests_in_flight"] == 1);  // this scrape
  // The raw path of the 404 is nowhere.
  CHECK(res->body.find("/nope/123") == std::string::npos);
}

TEST_CASE("the answer counters count every channel that goes through Service::Ask", "[adapters][ops]") {
  auto kb = BuiltinHandle();
  adapters::Service service(kb, nullptr);
  for (const char* channel : {"slack", "discord", "mattermost", "cli", "carrier-pigeon"}) {
    bot::Question q;
    q.text = "What does a backend developer do?";
    q.channel = channel;
    REQUIRE(service.Ask(q).ok());
  }
  std::string out;
  service.metrics().Render(&out);
  for (const char* channel : {"slack", "discord", "mattermost", "cli", "other"}) {
    INFO(channel);
    CHECK(out.find(std::string("careerbot_answers_total{channel=\"") + channel + "\",outcome=\"answered\"} 1\n") !=
          std::string::npos);
  }
}

TEST_CASE("kb publish writes a consistent snapshot without the question log, replacing the file atomically",
          "[knowledge][ops]") {
  TempDir dir;
  const std::string db = dir.File("writer.db"), out = dir.File("published.db");
  BuildKnowledge(db);
  {
    auto store = knowledge::Store::Open(db);
    REQUIRE(store.ok());
    knowledge::LoggedQuestion q;
    q.answer_id = "a1";
    q.asked_at = 1;
    q.channel = "http";
    q.question = "what is my password hunter2?";
    REQUIRE((*store)->LogQuestion(q).ok());
  }
  REQUIRE(testing_helpers::WriteWholeFile(out, "the previous snapshot"));
  auto info = knowledge::PublishSnapshot(db, out, 1234);
  REQUIRE(info.ok());
  auto source = knowledge::InspectKnowledgeBase(db);
  REQUIRE(source.ok());
  CHECK(info->version == source->version);
  CHECK(info->entries == source->entries);
  CHECK(info->published);
  CHECK_FALSE(source->published);

  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open_v2(out.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  auto scalar = [&](const char* sql) {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(raw, sql, -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    std::string v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
  };
  CHECK(scalar("PRAGMA journal_mode") == "delete");
  CHECK(scalar("SELECT count(*) FROM question_log") == "0");
  CHECK(scalar("SELECT value FROM meta WHERE key = 'published_at'") == "1234");
  CHECK(scalar("SELECT value FROM meta WHERE key = 'origin'") == "snapshot:test");
  sqlite3_close(raw);
  std::string bytes;
  testing_helpers::ReadWholeFile(out, &bytes);
  CHECK(bytes.find("hunter2") == std::string::npos);
  // Nothing else is left in the directory (no temporary file, no -wal).
  std::set<std::string> names;
  for (const auto& f : std::filesystem::directory_iterator(dir.path())) names.insert(f.path().filename().string());
  names.erase("writer.db");
  names.erase("writer.db-wal");
  names.erase("writer.db-shm");
  CHECK(names == std::set<std::string>{"published.db"});

  SECTION("publishing something that is not a knowledge base changes nothing") {
    REQUIRE(testing_helpers::WriteWholeFile(dir.File("junk.db"), "not sqlite at all"));
    auto bad = knowledge::PublishSnapshot(dir.File("junk.db"), out, 1);
    CHECK(bad.status().code() == bot::Status::Code::kInvalidArgument);
    auto still = knowledge::InspectKnowledgeBase(out);
    REQUIRE(still.ok());
    CHECK(still->version == info->version);
  }
  SECTION("a published snapshot is opened read-only and never rebuilt") {
    bool built = true;
    auto opened = knowledge::OpenOrBuild(out, &built);
    REQUIRE(opened.ok());
    CHECK_FALSE(built);
    auto version = (*opened)->GetMeta("version");
    REQUIRE(version.ok());
    CHECK(*version == info->version);
    CHECK_FALSE((*opened)->RecordFeedback("a1", true, "", 2).ok());
  }
}

TEST_CASE("a file that is not a careerbot knowledge base is refused and left as it was", "[knowledge][ops]") {
  TempDir dir;
  const std::string path = dir.File("other.db");
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &raw) == SQLITE_OK);
  REQUIRE(sqlite3_exec(raw, "CREATE TABLE invoices(id INTEGER PRIMARY KEY, total REAL)", nullptr, nullptr, nullptr) ==
          SQLITE_OK);
  sqlite3_close(raw);
  std::string before, after;
  testing_helpers::ReadWholeFile(path, &before);
  bool built = false;
  auto opened = knowledge::OpenOrBuild(path, &built);
  CHECK(opened.status().code() == bot::Status::Code::kInvalidArgument);
  CHECK(opened.status().message().find("not a careerbot knowledge base") != std::string::npos);
  auto handle = knowledge::StoreHandle::Open(path, &built);
  CHECK_FALSE(handle.ok());
  testing_helpers::ReadWholeFile(path, &after);
  CHECK(before == after);
  CHECK_FALSE(built);
}

TEST_CASE("the knowledge base swaps under load with no failed or mixed answer", "[knowledge][ops][concurrency]") {
  TempDir dir;
  const std::string served = dir.File("served.db");
  BuildKnowledge(dir.File("v1.db"));
  BuildKnowledge(dir.File("v2.db"), {ZorblaxEntry()});
  auto v1 = knowledge::PublishSnapshot(dir.File("v1.db"), served, 1);
  REQUIRE(v1.ok());
  bool built = false;
  auto opened = knowledge::StoreHandle::Open(served, &built, dir.path());
  REQUIRE(opened.ok());
  std::shared_ptr<knowledge::StoreHandle> kb = std::move(*opened);
  CHECK(kb->read_only());
  adapters::Service service(kb, nullptr);

  // A view taken now keeps answering from v1 after the swap.
  auto old_view = service.answerer().View();
  REQUIRE(old_view.ok());

  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, asked{0};
  std::set<std::string> versions_seen[2];
  std::vector<std::thread> askers;
  for (int t = 0; t < 2; t++) {
    askers.emplace_back([&, t] {
      const char* questions[] = {"How much do backend developers earn?", "What is the zorblax certification?",
                                 "Which databases should I learn?"};
      for (int i = 0; !stop; i++) {
        bot::Question q;
        q.text = questions[i % 3];
        q.channel = "http";
        q.explain = true;
        auto a = service.Ask(q);
        asked++;
        if (!a.ok() || !a->explanation) {
          failures++;
          continue;
        }
        versions_seen[t].insert(a->explanation->kb_version);
        // An answer is wholly from one version: v1 does not know zorblax.
        if (a->explanation->kb_version == v1->version && a->entry_id == "zorblax-cert") failures++;
      }
    });
  }
  // Under load: wait until the askers are going (slow under sanitizers), not a fixed time.
  auto WaitAsked = [&](int n) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (asked < n && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  };
  WaitAsked(6);
  auto v2 = knowledge::PublishSnapshot(dir.File("v2.db"), served, 2);
  REQUIRE(v2.ok());
  auto reloaded = kb->Reload();
  REQUIRE(reloaded.ok());
  CHECK(*reloaded);
  WaitAsked(asked + 6);
  stop = true;
  for (auto& t : askers) t.join();
  CHECK(failures == 0);
  CHECK(asked > 10);
  CHECK(kb->reloads() == 1);
  // Unchanged file: nothing to do.
  auto again = kb->Reload();
  REQUIRE(again.ok());
  CHECK_FALSE(*again);

  // The view taken before still answers from v1 (its store is still open);
  // a new request takes a view of v2.
  bot::Question q;
  q.text = "What is the zorblax certification?";
  q.explain = true;
  auto old_answer = service.answerer().Ask(**old_view, q);
  REQUIRE(old_answer.ok());
  REQUIRE(old_answer->explanation);
  CHECK(old_answer->explanation->kb_version == v1->version);
  CHECK(old_answer->entry_id != "zorblax-cert");
  auto a = service.Ask(q);
  REQUIRE(a.ok());
  CHECK(a->entry_id == "zorblax-cert");
  old_view->reset();
  auto lexicon = kb->GetLexicon();
  REQUIRE(lexicon.ok());
  CHECK((*lexicon)->version == v2->version);

  SECTION("a broken replacement keeps the knowledge base served and is not retried") {
    REQUIRE(testing_helpers::WriteWholeFile(dir.File("broken.tmp"), "garbage, not a snapshot"));
    REQUIRE(std::rename(dir.File("broken.tmp").c_str(), served.c_str()) == 0);
    auto failed = kb->Reload();
    CHECK_FALSE(failed.ok());
    CHECK(kb->reload_failures() == 1);
    auto unchanged = kb->Reload();
    REQUIRE(unchanged.ok());
    CHECK_FALSE(*unchanged);
    CHECK(kb->GetLexicon().value()->version == v2->version);
    REQUIRE(knowledge::PublishSnapshot(dir.File("v1.db"), served, 3).ok());
    auto recovered = kb->Reload();
    REQUIRE(recovered.ok());
    CHECK(*recovered);
    CHECK(kb->GetLexicon().value()->version == v1->version);
  }
  SECTION("the watcher reloads a replaced file by itself") {
    kb->StartWatching(std::chrono::milliseconds(50));
    REQUIRE(knowledge::PublishSnapshot(dir.File("v1.db"), served, 3).ok());
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (kb->GetLexicon().value()->version != v1->version && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK(kb->GetLexicon().value()->version == v1->version);
    kb->StopWatching();
  }
  // The private copies go with their stores.
  kb.reset();
}
