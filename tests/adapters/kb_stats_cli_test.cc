// `careerbot kb stats` through the real binary over a seeded question log:
// the table, --json (the API's shape), --csv, --channel, the retention
// setting, and usage errors.
#include <sys/wait.h>

#include <cstdlib>
#include <ctime>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../helpers/cli.h"
#include "../helpers/files.h"
#include "knowledge/stats.h"
#include "knowledge/store.h"

namespace {

using nlohmann::json;
using testing_helpers::TempDir;

using testing_helpers::Quote;
using testing_helpers::Run;
using testing_helpers::Careerbot;

int serial = 0;
knowledge::LoggedQuestion Line(int64_t at, const std::string& kind, bool answered, const std::string& channel,
                               const std::string& entry = "") {
  knowledge::LoggedQuestion q;
  q.answer_id = "cli-" + std::to_string(++serial);
  q.asked_at = at;
  q.channel = channel;
  q.question = "confidential wording " + std::to_string(serial);
  q.normalized = "wording" + std::to_string(serial);
  q.answered = answered;
  q.kind = kind;
  q.confidence = 0.9;
  q.entry_id = entry;
  return q;
}

// A knowledge base at dir/kb.db with a log: today 2 answered (web) + 1
// declined (slack), 3 days ago 1 small talk (web); feedback 1 helpful, 1 not.
std::string SeededDb(const TempDir& dir) {
  const std::string path = dir.File("kb.db");
  auto store = knowledge::Store::Open(path);
  REQUIRE(store.ok());
  const int64_t today = knowledge::DayStart(static_cast<int64_t>(std::time(nullptr)));
  std::vector<knowledge::LoggedQuestion> lines = {
      Line(today, "kb", true, "web", "us-backend-salary"), Line(today + 1, "kb", true, "web", "us-backend-salary"),
      Line(today + 2, "fallback", false, "slack"), Line(today - 3 * 86400, "smalltalk", true, "web")};
  REQUIRE((*store)->LogQuestions(lines).ok());
  REQUIRE((*store)->RecordFeedback(lines[0].answer_id, true, "", today).ok());
  REQUIRE((*store)->RecordFeedback(lines[1].answer_id, false, "", today).ok());
  return path;
}

}  // namespace

TEST_CASE("kb stats prints a table of the log's counts", "[adapters][cli][stats]") {
  TempDir dir;
  const std::string db = Quote(SeededDb(dir));
  Run r = Careerbot(dir, "kb stats --days 7 --db " + db);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("questions in the last 7 days") != std::string::npos);
  // total: answered 2, clarified 0, declined 1, small talk 1, total 4, helpful 1, not 1
  std::istringstream lines(r.out);
  std::string line, total;
  int dated = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("total ", 0) == 0) total = line;
    if (line.size() > 10 && line[4] == '-' && line[7] == '-') dated++;
  }
  CHECK(dated == 7);
  std::istringstream t(total);
  std::string label;
  std::vector<long> n(7);
  t >> label >> n[0] >> n[1] >> n[2] >> n[3] >> n[4] >> n[5] >> n[6];
  CHECK(n == std::vector<long>{2, 0, 1, 1, 4, 1, 1});
  CHECK(r.out.find("helpful rate: 50.0% (1 of 2 rated)") != std::string::npos);
  CHECK(r.out.find("us-backend-salary") != std::string::npos);
  CHECK(r.out.find("confidential") == std::string::npos);
}

TEST_CASE("kb stats --json is the API's shape; --csv, --channel and the retention hold", "[adapters][cli][stats]") {
  TempDir dir;
  const std::string db = Quote(SeededDb(dir));
  Run r = Careerbot(dir, "kb stats --days 7 --open-gaps --json --db " + db);
  REQUIRE(r.exit_code == 0);
  json j = json::parse(r.out);
  CHECK(j["days"] == 7);
  CHECK(j["series"].size() == 7);
  CHECK(j["totals"]["total"] == 4);
  CHECK(j["totals"]["answered"] == 2);
  CHECK(j["series"][6]["total"] == 3);
  CHECK(j["series"][3]["smalltalk"] == 1);
  CHECK(j["top_asked"][0]["entry_id"] == "us-backend-salary");
  CHECK(j["worst_feedback"][0]["unhelpful"] == 1);
  CHECK(j["gaps"]["open"] == 2);  // the declined question, the answer marked not helpful

  Run slack = Careerbot(dir, "kb stats --days=7 --channel slack --json --db " + db);
  REQUIRE(slack.exit_code == 0);
  CHECK(json::parse(slack.out)["totals"]["total"] == 1);
  CHECK(json::parse(slack.out)["gaps"]["open"].is_null());  // not asked for

  Run csv = Careerbot(dir, "kb stats --days 7 --csv days --db " + db);
  REQUIRE(csv.exit_code == 0);
  size_t rows = 0;
  for (char c : csv.out) rows += c == '\n';
  CHECK(rows == 8);
  CHECK(csv.out.rfind("date,answered,clarified,declined,smalltalk,total,helpful,unhelpful,helpful_rate\r\n", 0) == 0);

  // A retention of 1 day: the small talk 3 days ago is not counted.
  Run kept = Careerbot(dir, "kb stats --days 7 --json --db " + db, "CAREERBOT_LOG_RETENTION_DAYS=1");
  REQUIRE(kept.exit_code == 0);
  json k = json::parse(kept.out);
  CHECK(k["retention_days"] == 1);
  CHECK(k["totals"]["total"] == 3);
  CHECK(k["totals"]["smalltalk"] == 0);
}

TEST_CASE("kb stats usage errors", "[adapters][cli][stats]") {
  TempDir dir;
  const std::string db = Quote(SeededDb(dir));
  for (const std::string args : {"--days 0", "--days 367", "--days abc", "--days", "--csv nope", "--bogus",
                                 "--json --csv days"}) {
    INFO(args);
    Run r = Careerbot(dir, "kb stats " + args + " --db " + db);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("kb stats") != std::string::npos);
  }
  Run missing = Careerbot(dir, "kb stats --db " + Quote(dir.File("nothing.db")));
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("no knowledge base") != std::string::npos);
  Run help = Careerbot(dir, "kb stats --help");
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("usage: careerbot kb stats") != std::string::npos);
}
