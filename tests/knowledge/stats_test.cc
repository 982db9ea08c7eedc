// The curators' trends from the question log (knowledge/stats.h): exact
// counts over a seeded log, the window's edges, the retention, the channel
// filter, an empty log, the entries' rankings, the gaps resolved, an entry
// before and after a change, and the query plans (covering indexes only).
#include "knowledge/stats.h"

#include <sqlite3.h>

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "knowledge/store.h"

namespace {

// 2027-01-15 08:00:00 UTC; its day starts at 1799971200.
constexpr int64_t kNow = 1800000000;
constexpr int64_t kToday = 1799971200;
constexpr int64_t kDay = 86400;

int counter = 0;

knowledge::LoggedQuestion Line(int64_t at, const std::string& kind, bool answered, const std::string& channel = "web",
                               const std::string& entry = "", double confidence = 0.9) {
  knowledge::LoggedQuestion q;
  q.answer_id = "a" + std::to_string(++counter);
  q.asked_at = at;
  q.channel = channel;
  q.question = "secret question text " + q.answer_id;
  q.normalized = "secret";
  q.answered = answered;
  q.kind = kind;
  q.confidence = confidence;
  q.entry_id = entry;
  return q;
}

std::unique_ptr<knowledge::Store> NewStore() {
  auto store = knowledge::Store::Open(":memory:");
  REQUIRE(store.ok());
  return std::move(*store);
}

knowledge::StatsQuery Query(int days, const std::string& channel = "", int retention = 0) {
  knowledge::StatsQuery q;
  q.now = kNow;
  q.days = days;
  q.channel = channel;
  q.retention_days = retention;
  return q;
}

int64_t Outcome(const knowledge::DayStats& d, knowledge::StatsOutcome o) { return d.outcomes[o]; }

std::vector<std::string> Plan(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  std::vector<std::string> out;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, ("EXPLAIN QUERY PLAN " + std::string(sql)).c_str(), -1, &stmt, nullptr) == SQLITE_OK);
  while (sqlite3_step(stmt) == SQLITE_ROW) out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3)));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

}  // namespace

TEST_CASE("stats count questions per day by outcome with exact window edges", "[knowledge][stats]") {
  auto store = NewStore();
  const int64_t first = kToday - 6 * kDay;  // a 7-day window starts here
  std::vector<knowledge::LoggedQuestion> lines = {
      Line(first - 1, "kb", true),  // the second before the window: not counted
      Line(first, "kb", true, "web", "salary"),
      Line(first + 10, "clarify", false, "slack"),
      Line(first + 20, "clarified", true, "slack", "salary"),
      Line(first + 30, "fallback", false, "http"),
      Line(first + 40, "smalltalk", true, "http"),
      Line(kToday + 3600, "kb", true, "web", "resume"),
      Line(kToday + kDay - 1, "fallback", false, "web"),  // the window's last second
      Line(kToday + kDay, "kb", true),                     // tomorrow: not counted
  };
  REQUIRE(store->LogQuestions(lines).ok());

  auto stats = store->ReadLogStats(Query(7));
  REQUIRE(stats.ok());
  CHECK(stats->from == first);
  CHECK(stats->to == kToday + kDay);
  REQUIRE(stats->per_day.size() == 7);
  CHECK(stats->per_day[0].start == first);
  CHECK(stats->per_day[6].start == kToday);
  const auto& d0 = stats->per_day[0];
  CHECK(Outcome(d0, knowledge::kStatsAnswered) == 2);  // kb and clarified
  CHECK(Outcome(d0, knowledge::kStatsClarified) == 1);
  CHECK(Outcome(d0, knowledge::kStatsDeclined) == 1);
  CHECK(Outcome(d0, knowledge::kStatsSmallTalk) == 1);
  CHECK(d0.total() == 5);
  CHECK(d0.channels.at("web") == 1);
  CHECK(d0.channels.at("slack") == 2);
  CHECK(d0.channels.at("http") == 2);
  for (int d = 1; d < 6; d++) CHECK(stats->per_day[static_cast<size_t>(d)].total() == 0);
  const auto& d6 = stats->per_day[6];
  CHECK(Outcome(d6, knowledge::kStatsAnswered) == 1);
  CHECK(Outcome(d6, knowledge::kStatsDeclined) == 1);
  CHECK(stats->total.total() == 7);
  CHECK(stats->channels == std::vector<std::string>{"http", "slack", "web"});

  // A one-day window is today only.
  auto today = store->ReadLogStats(Query(1));
  REQUIRE(today.ok());
  CHECK(today->total.total() == 2);
  CHECK(today->from == kToday);

  SECTION("bad windows are refused") {
    CHECK(store->ReadLogStats(Query(0)).status().code() == bot::Status::Code::kInvalidArgument);
    CHECK(store->ReadLogStats(Query(367)).status().code() == bot::Status::Code::kInvalidArgument);
  }
}

TEST_CASE("stats filter by channel but list every channel seen", "[knowledge][stats]") {
  auto store = NewStore();
  REQUIRE(store->LogQuestions({Line(kToday, "kb", true, "web", "salary"), Line(kToday + 1, "kb", true, "slack", "salary"),
                               Line(kToday + 2, "fallback", false, "slack"), Line(kToday + 3, "kb", true, "slack", "cv")})
              .ok());
  auto stats = store->ReadLogStats(Query(7, "slack"));
  REQUIRE(stats.ok());
  CHECK(stats->channel == "slack");
  CHECK(stats->total.total() == 3);
  CHECK(Outcome(stats->total, knowledge::kStatsAnswered) == 2);
  CHECK(Outcome(stats->total, knowledge::kStatsDeclined) == 1);
  CHECK(stats->total.channels.size() == 1);
  CHECK(stats->channels == std::vector<std::string>{"slack", "web"});
  REQUIRE(stats->top_asked.size() == 2);
  CHECK(stats->top_asked[0].entry_id == "cv");  // a tie (1 each): by id
  CHECK(stats->top_asked[0].asked == 1);
  CHECK(stats->top_asked[1].entry_id == "salary");
  CHECK(stats->top_asked[1].asked == 1);

  auto none = store->ReadLogStats(Query(7, "discord"));
  REQUIRE(none.ok());
  CHECK(none->total.total() == 0);
  CHECK(none->top_asked.empty());
}

TEST_CASE("stats respect the log's retention", "[knowledge][stats]") {
  auto store = NewStore();
  const int64_t edge = kNow - 3 * kDay;  // retention 3 days: lines before this are being pruned
  REQUIRE(store->LogQuestions({Line(edge - 1, "kb", true), Line(edge, "kb", true), Line(kToday, "kb", true)}).ok());
  auto stats = store->ReadLogStats(Query(7, "", 3));
  REQUIRE(stats.ok());
  CHECK(stats->from == edge);
  CHECK(stats->total.total() == 2);
  CHECK(stats->per_day.size() == 7);  // the days before the edge are listed, empty
  CHECK(stats->per_day[3].total() == 1);
  auto all = store->ReadLogStats(Query(7));
  REQUIRE(all.ok());
  CHECK(all->total.total() == 3);
  // Once pruned, the lines are gone whatever the query.
  REQUIRE(store->PruneQuestionLog(edge).ok());
  auto pruned = store->ReadLogStats(Query(7));
  REQUIRE(pruned.ok());
  CHECK(pruned->total.total() == 2);
}

TEST_CASE("stats over an empty log are zeros", "[knowledge][stats]") {
  auto store = NewStore();
  auto stats = store->ReadLogStats(Query(30));
  REQUIRE(stats.ok());
  CHECK(stats->per_day.size() == 30);
  CHECK(stats->total.total() == 0);
  CHECK(stats->helpful_rate() == -1);
  CHECK(stats->top_asked.empty());
  CHECK(stats->worst_feedback.empty());
  CHECK(stats->channels.empty());
  CHECK(stats->gaps_accepted == 0);
  CHECK(stats->gaps_dismissed == 0);
}

TEST_CASE("stats rank the entries asked most and those with the worst feedback", "[knowledge][stats]") {
  auto store = NewStore();
  std::vector<knowledge::LoggedQuestion> lines;
  for (int i = 0; i < 5; i++) lines.push_back(Line(kToday + i, "kb", true, "web", "salary"));
  for (int i = 0; i < 3; i++) lines.push_back(Line(kToday + 10 + i, "kb", true, "web", "resume"));
  for (int i = 0; i < 2; i++) lines.push_back(Line(kToday + 20 + i, "kb", true, "web", "interview"));
  REQUIRE(store->LogQuestions(lines).ok());
  // salary: 2 helpful, 1 not; resume: 1 not helpful; interview: 2 helpful.
  REQUIRE(store->RecordFeedback(lines[0].answer_id, true, "", kNow).ok());
  REQUIRE(store->RecordFeedback(lines[1].answer_id, true, "", kNow).ok());
  REQUIRE(store->RecordFeedback(lines[2].answer_id, false, "", kNow).ok());
  REQUIRE(store->RecordFeedback(lines[5].answer_id, false, "", kNow).ok());
  REQUIRE(store->RecordFeedback(lines[8].answer_id, true, "", kNow).ok());
  REQUIRE(store->RecordFeedback(lines[9].answer_id, true, "", kNow).ok());

  knowledge::StatsQuery q = Query(7);
  q.top = 2;
  auto stats = store->ReadLogStats(q);
  REQUIRE(stats.ok());
  REQUIRE(stats->top_asked.size() == 2);
  CHECK(stats->top_asked[0].entry_id == "salary");
  CHECK(stats->top_asked[0].asked == 5);
  CHECK(stats->top_asked[1].entry_id == "resume");
  CHECK(stats->total.helpful == 4);
  CHECK(stats->total.unhelpful == 2);
  CHECK(stats->per_day[6].helpful == 4);
  CHECK(stats->helpful_rate() == Approx(4.0 / 6.0));
  // Both have one "not helpful": resume (0 of 1 helpful) is worse than salary (2 of 3).
  REQUIRE(stats->worst_feedback.size() == 2);
  CHECK(stats->worst_feedback[0].entry_id == "resume");
  CHECK(stats->worst_feedback[1].entry_id == "salary");
  CHECK(stats->worst_feedback[1].helpful == 2);
  CHECK(stats->worst_feedback[1].unhelpful == 1);
}

TEST_CASE("stats count gap resolutions once each in the window", "[knowledge][stats]") {
  auto store = NewStore();
  REQUIRE(store->ResolveGaps({"k1", "k2", "k3"}, kToday + 5, "accepted", "salary", "ann").ok());
  REQUIRE(store->ResolveGaps({"k4"}, kToday + 6, "accepted", "resume", "ann").ok());
  REQUIRE(store->ResolveGaps({"k5", "k6"}, kToday + 7, "dismissed", "", "bob").ok());
  REQUIRE(store->ResolveGaps({"k7"}, kToday - 30 * kDay, "dismissed", "", "bob").ok());  // before the window
  auto stats = store->ReadLogStats(Query(7));
  REQUIRE(stats.ok());
  CHECK(stats->gaps_accepted == 2);
  CHECK(stats->gaps_dismissed == 1);
}

TEST_CASE("stats read only the covering indexes", "[knowledge][stats]") {
  auto store = NewStore();
  REQUIRE(store->LogQuestions({Line(kToday, "kb", true)}).ok());
  for (const char* sql : {knowledge::kStatsScanSql}) {
    auto plan = Plan(store->path(), sql);
    REQUIRE(!plan.empty());
    CAPTURE(sql, plan);
    bool covering = false;
    for (const auto& step : plan) {
      if (step.find("USING COVERING INDEX question_log_stats") != std::string::npos) covering = true;
    }
    CHECK(covering);
  }
  auto plan = Plan(store->path(), knowledge::kEntryWeeksSql);
  CAPTURE(plan);
  REQUIRE(!plan.empty());
  CHECK(plan[0].find("USING COVERING INDEX question_log_entry") != std::string::npos);
}

TEST_CASE("entry stats show weeks and before and after each change", "[knowledge][stats]") {
  auto store = NewStore();
  const int64_t change1 = kNow - 20 * kDay, change2 = kNow - 5 * kDay;
  std::vector<knowledge::LoggedQuestion> lines;
  // Before change 1 (within 28 days): 2 questions, one confident.
  lines.push_back(Line(change1 - 3 * kDay, "kb", true, "web", "salary", 0.9));
  lines.push_back(Line(change1 - 2 * kDay, "kb", true, "web", "salary", 0.5));
  // Between the changes: 3, all confident.
  for (int i = 0; i < 3; i++) lines.push_back(Line(change1 + kDay + i, "kb", true, "web", "salary", 0.8));
  // After change 2: 1, not confident.
  lines.push_back(Line(change2 + 1, "kb", true, "web", "salary", 0.3));
  // Another entry: never counted.
  lines.push_back(Line(change2 + 2, "kb", true, "web", "resume", 0.9));
  REQUIRE(store->LogQuestions(lines).ok());
  REQUIRE(store->RecordFeedback(lines[2].answer_id, true, "", kNow).ok());
  REQUIRE(store->RecordFeedback(lines[5].answer_id, false, "", kNow).ok());

  knowledge::EntryStatsQuery q;
  q.entry_id = "salary";
  q.now = kNow;
  q.weeks = 8;
  q.changes = {{2, change2, "edit"}, {1, change1, "accept-gap"}};
  auto stats = store->ReadEntryLogStats(q);
  REQUIRE(stats.ok());
  REQUIRE(stats->weeks.size() == 8);
  int64_t asked = 0;
  for (const auto& w : stats->weeks) asked += w.asked;
  CHECK(asked == 6);
  REQUIRE(stats->changes.size() == 2);
  const auto& c2 = stats->changes[0];
  CHECK(c2.change_id == 2);
  CHECK(c2.before_from == change1);  // cut at the previous change
  CHECK(c2.before.asked == 3);
  CHECK(c2.before.confident == 3);
  CHECK(c2.before.helpful == 1);
  CHECK(c2.after.asked == 1);
  CHECK(c2.after.confident == 0);
  CHECK(c2.after.unhelpful == 1);
  CHECK(c2.after_to == kNow + 1);
  const auto& c1 = stats->changes[1];
  CHECK(c1.before.asked == 2);
  CHECK(c1.before.confident == 1);
  CHECK(c1.after_to == change2);  // cut at the next change
  CHECK(c1.after.asked == 3);
  q.weeks = 0;
  CHECK(store->ReadEntryLogStats(q).status().code() == bot::Status::Code::kInvalidArgument);
}
