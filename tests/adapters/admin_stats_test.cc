// The trends over the admin API (adapters/admin/stats.h) on a real loopback
// server: the token, bad parameters (JSON 400 naming the field), the JSON's
// exact counts over a seeded log, the channel filter, CSV equal to the JSON,
// no question text in anything it answers, and an entry's questions before
// and after an edit made through the API.
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "../fakes/fake_retriever.h"
#include "../helpers/server.h"
#include "adapters/http/server.h"
#include "app/service.h"
#include "knowledge/stats.h"
#include "knowledge/store.h"

namespace {

using nlohmann::json;

const char kToken[] = "stats-admin-token-0123456789abcdef";
constexpr int64_t kNow = 1800000000;  // 2027-01-15 08:00:00 UTC
constexpr int64_t kToday = 1799971200;
constexpr int64_t kDay = 86400;

class StatsServer {
 public:
  StatsServer() : clock_(kNow), server_(Options(), ":memory:", &clock_) {}
  knowledge::Store& store() { return server_.store(); }
  fakes::FakeClock& clock() { return clock_; }

  struct Reply {
    int status = 0;
    std::string raw;
    json body;
    std::string content_type;
  };
  Reply Get(const std::string& path, const std::string& token = kToken, const std::string& accept = "") {
    auto c = server_.Client(30);
    httplib::Headers h;
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    if (!accept.empty()) h.emplace("Accept", accept);
    auto r = c->Get(path.c_str(), h);
    INFO("GET " << path);
    REQUIRE(r);
    Reply out;
    out.status = r->status;
    out.raw = r->body;
    out.body = json::parse(r->body, nullptr, false);
    out.content_type = r->get_header_value("Content-Type");
    return out;
  }
  Reply Patch(const std::string& path, const std::string& body) {
    auto c = server_.Client(30);
    auto r = c->Patch(path.c_str(), {{"Authorization", std::string("Bearer ") + kToken}}, body, "application/json");
    REQUIRE(r);
    return {r->status, r->body, json::parse(r->body, nullptr, false), r->get_header_value("Content-Type")};
  }

 private:
  static adapters::http::HttpOptions Options() {
    adapters::http::HttpOptions o = testing_helpers::TestHttpOptions(4);
    o.admin.token = kToken;
    return o;
  }
  fakes::FakeClock clock_;
  testing_helpers::TestServer server_;
};

int serial = 0;
knowledge::LoggedQuestion Line(int64_t at, const std::string& kind, bool answered, const std::string& channel,
                               const std::string& entry = "", double confidence = 0.9) {
  knowledge::LoggedQuestion q;
  q.answer_id = "stats-" + std::to_string(++serial);
  q.asked_at = at;
  q.channel = channel;
  q.question = "private wording number " + std::to_string(serial);
  q.normalized = "wording" + std::to_string(serial);
  q.answered = answered;
  q.kind = kind;
  q.confidence = confidence;
  q.entry_id = entry;
  return q;
}

// Seeds a week: today 3 answered on web (salary x2, cv), 1 declined on
// slack, 1 clarify on slack; two days ago 2 small talk on web; 8 days ago
// (outside a 7-day window) 1 answered. Feedback: 2 helpful, 1 not.
void Seed(knowledge::Store& store) {
  std::vector<knowledge::LoggedQuestion> lines = {
      Line(kToday + 10, "kb", true, "web", "us-backend-salary"),
      Line(kToday + 20, "kb", true, "web", "us-backend-salary"),
      Line(kToday + 30, "kb", true, "web", "cv-tips"),
      Line(kToday + 40, "fallback", false, "slack"),
      Line(kToday + 50, "clarify", false, "slack"),
      Line(kToday - 2 * kDay, "smalltalk", true, "web"),
      Line(kToday - 2 * kDay + 5, "smalltalk", true, "web"),
      Line(kToday - 8 * kDay, "kb", true, "web", "cv-tips"),
  };
  REQUIRE(store.LogQuestions(lines).ok());
  REQUIRE(store.RecordFeedback(lines[0].answer_id, true, "great", kNow).ok());
  REQUIRE(store.RecordFeedback(lines[1].answer_id, true, "", kNow).ok());
  REQUIRE(store.RecordFeedback(lines[2].answer_id, false, "private comment", kNow).ok());
}

std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    REQUIRE(!line.empty());
    REQUIRE(line.back() == '\r');  // RFC 4180 line ends
    line.pop_back();
    std::vector<std::string> fields;
    std::string field;
    std::istringstream l(line);
    while (std::getline(l, field, ',')) fields.push_back(field);
    if (!line.empty() && line.back() == ',') fields.push_back("");
    rows.push_back(fields);
  }
  return rows;
}

}  // namespace

TEST_CASE("admin stats need the token", "[adapters][admin][stats]") {
  StatsServer server;
  for (const std::string path : {"/v1/admin/stats", "/v1/admin/stats?days=7&format=csv",
                                 "/v1/admin/entries/us-backend-salary/stats"}) {
    INFO(path);
    auto none = server.Get(path, "");
    CHECK(none.status == 401);
    CHECK(none.body["error"]["code"] == "unauthorized");
    auto wrong = server.Get(path, "stats-admin-token-0123456789abcdeX");
    CHECK(wrong.status == 401);
  }
}

TEST_CASE("admin stats refuse bad parameters with a JSON 400 naming them", "[adapters][admin][stats]") {
  StatsServer server;
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"days=0", "days"},           {"days=367", "days"},         {"days=abc", "days"},
      {"days=7.5", "days"},         {"days=-7", "days"},          {"days=", "days"},
      {"days=99999999999", "days"}, {"bucket=week", "bucket"},    {"channel=Web%21", "channel"},
      {"format=xml", "format"},     {"table=secrets", "table"},   {"open_gaps=yes", "open_gaps"},
  };
  for (const auto& [query, field] : bad) {
    INFO(query);
    auto r = server.Get("/v1/admin/stats?" + query);
    CHECK(r.status == 400);
    REQUIRE(r.body.is_object());
    CHECK(r.body["error"]["code"] == "invalid_request");
    CHECK(r.body["error"]["field"] == field);
    CHECK(r.content_type.find("application/json") == 0);
  }
  auto weeks = server.Get("/v1/admin/entries/us-backend-salary/stats?weeks=0");
  CHECK(weeks.status == 400);
  CHECK(weeks.body["error"]["field"] == "weeks");
  auto missing = server.Get("/v1/admin/entries/no-such-entry/stats");
  CHECK(missing.status == 404);
  CHECK(server.Get("/v1/admin/stats?days=90&bucket=day").status == 200);
}

TEST_CASE("admin stats count the seeded log exactly", "[adapters][admin][stats]") {
  StatsServer server;
  Seed(server.store());
  auto r = server.Get("/v1/admin/stats?days=7&bucket=day&open_gaps=1");
  REQUIRE(r.status == 200);
  const json& b = r.body;
  CHECK(b["days"] == 7);
  CHECK(b["bucket"] == "day");
  CHECK(b["channel"].is_null());
  CHECK(b["from"] == "2027-01-09T00:00:00Z");
  CHECK(b["to"] == "2027-01-16T00:00:00Z");
  CHECK(b["outcomes"] == json({"answered", "clarified", "declined", "smalltalk"}));
  CHECK(b["channels"] == json({"slack", "web"}));
  REQUIRE(b["series"].size() == 7);
  CHECK(b["series"][0]["date"] == "2027-01-09");
  const json& today = b["series"][6];
  CHECK(today["date"] == "2027-01-15");
  CHECK(today["answered"] == 3);
  CHECK(today["declined"] == 1);
  CHECK(today["clarified"] == 1);
  CHECK(today["smalltalk"] == 0);
  CHECK(today["total"] == 5);
  CHECK(today["helpful"] == 2);
  CHECK(today["unhelpful"] == 1);
  CHECK(today["helpful_rate"].get<double>() == Approx(2.0 / 3.0));
  CHECK(today["channels"] == json({{"slack", 2}, {"web", 3}}));
  CHECK(b["series"][4]["smalltalk"] == 2);
  CHECK(b["series"][5]["total"] == 0);
  CHECK(b["series"][5]["helpful_rate"].is_null());
  CHECK(b["totals"]["total"] == 7);  // the line 8 days ago is outside
  REQUIRE(b["top_asked"].size() == 2);
  CHECK(b["top_asked"][0] == json({{"entry_id", "us-backend-salary"}, {"asked", 2}, {"helpful", 2}, {"unhelpful", 0}}));
  CHECK(b["top_asked"][1]["entry_id"] == "cv-tips");
  REQUIRE(b["worst_feedback"].size() == 1);
  CHECK(b["worst_feedback"][0]["entry_id"] == "cv-tips");
  // The declined and the clarified question, the answer marked not helpful.
  CHECK(b["gaps"]["open"] == 3);
  CHECK(b["gaps"]["accepted"] == 0);
  CHECK(b["retention_days"].is_number());
  // Counts and ids only: neither a question nor a comment.
  CHECK(r.raw.find("private") == std::string::npos);

  SECTION("the channel filter") {
    auto slack = server.Get("/v1/admin/stats?days=7&channel=slack&open_gaps=1");
    REQUIRE(slack.status == 200);
    CHECK(slack.body["channel"] == "slack");
    CHECK(slack.body["totals"]["total"] == 2);
    CHECK(slack.body["series"][6]["declined"] == 1);
    CHECK(slack.body["series"][6]["answered"] == 0);
    CHECK(slack.body["top_asked"].empty());
    CHECK(slack.body["gaps"]["open"] == 2);
    CHECK(slack.body["channels"] == json({"slack", "web"}));
  }
  SECTION("the open gaps are counted only when asked") {
    auto plain = server.Get("/v1/admin/stats?days=7");
    REQUIRE(plain.status == 200);
    CHECK(plain.body["gaps"]["open"].is_null());
    CHECK(plain.body["series"] == b["series"]);
  }
  SECTION("a longer window reaches the older line") {
    auto month = server.Get("/v1/admin/stats?days=30");
    REQUIRE(month.status == 200);
    CHECK(month.body["series"].size() == 30);
    CHECK(month.body["totals"]["total"] == 8);
  }
}

TEST_CASE("admin stats CSV holds what the JSON holds", "[adapters][admin][stats]") {
  StatsServer server;
  Seed(server.store());
  for (const std::string channel : {"", "web"}) {
    INFO("channel " << channel);
    std::string filter = channel.empty() ? "" : "&channel=" + channel;
    auto j = server.Get("/v1/admin/stats?days=7" + filter);
    REQUIRE(j.status == 200);
    auto csv = server.Get("/v1/admin/stats?days=7&format=csv" + filter);
    REQUIRE(csv.status == 200);
    CHECK(csv.content_type.find("text/csv") == 0);
    CHECK(csv.raw.find("private") == std::string::npos);
    auto rows = ParseCsv(csv.raw);
    REQUIRE(rows.size() == 8);
    CHECK(rows[0] == std::vector<std::string>{"date", "answered", "clarified", "declined", "smalltalk", "total",
                                              "helpful", "unhelpful", "helpful_rate"});
    for (size_t i = 0; i < 7; i++) {
      const json& day = j.body["series"][i];
      const auto& row = rows[i + 1];
      REQUIRE(row.size() == 9);
      CHECK(row[0] == day["date"].get<std::string>());
      const char* keys[] = {"answered", "clarified", "declined", "smalltalk", "total", "helpful", "unhelpful"};
      for (size_t k = 0; k < 7; k++) CHECK(std::stoll(row[k + 1]) == day[keys[k]].get<int64_t>());
      if (day["helpful_rate"].is_null()) {
        CHECK(row[8].empty());
      } else {
        CHECK(std::stod(row[8]) == Approx(day["helpful_rate"].get<double>()).margin(1e-4));
      }
    }
    // Accept: text/csv is the same table.
    CHECK(server.Get("/v1/admin/stats?days=7" + filter, kToken, "text/csv").raw == csv.raw);
    for (const std::string table : {"top_asked", "worst_feedback"}) {
      auto t = server.Get("/v1/admin/stats?days=7&format=csv&table=" + table + filter);
      REQUIRE(t.status == 200);
      auto trows = ParseCsv(t.raw);
      const json& list = j.body[table];
      REQUIRE(trows.size() == list.size() + 1);
      CHECK(trows[0] == std::vector<std::string>{"entry_id", "asked", "helpful", "unhelpful"});
      for (size_t i = 0; i < list.size(); i++) {
        CHECK(trows[i + 1][0] == list[i]["entry_id"].get<std::string>());
        CHECK(std::stoll(trows[i + 1][1]) == list[i]["asked"].get<int64_t>());
        CHECK(std::stoll(trows[i + 1][2]) == list[i]["helpful"].get<int64_t>());
        CHECK(std::stoll(trows[i + 1][3]) == list[i]["unhelpful"].get<int64_t>());
      }
    }
  }
}

TEST_CASE("an entry's stats show its questions before and after an edit", "[adapters][admin][stats]") {
  StatsServer server;
  const std::string id = "us-backend-salary";
  const int64_t edit_at = kNow - 10 * kDay;
  // Before the edit: 4 questions, 1 confident; after: 2, both confident.
  std::vector<knowledge::LoggedQuestion> lines;
  for (int i = 0; i < 4; i++) lines.push_back(Line(edit_at - kDay - i, "kb", true, "web", id, i == 0 ? 0.9 : 0.4));
  lines.push_back(Line(edit_at + kDay, "kb", true, "web", id, 0.95));
  lines.push_back(Line(edit_at + 2 * kDay, "kb", true, "web", id, 0.9));
  REQUIRE(server.store().LogQuestions(lines).ok());
  REQUIRE(server.store().RecordFeedback(lines[1].answer_id, false, "", kNow).ok());
  REQUIRE(server.store().RecordFeedback(lines[5].answer_id, true, "", kNow).ok());

  server.clock().Set(edit_at);
  auto edit = server.Patch("/v1/admin/entries/" + id, R"({"tags": ["salary", "pay", "trends-test"]})");
  REQUIRE(edit.status == 200);
  server.clock().Set(kNow);

  auto r = server.Get("/v1/admin/entries/" + id + "/stats?weeks=4");
  REQUIRE(r.status == 200);
  CHECK(r.body["entry_id"] == id);
  REQUIRE(r.body["weeks"].size() == 4);
  int64_t asked = 0;
  for (const auto& w : r.body["weeks"]) asked += w["asked"].get<int64_t>();
  CHECK(asked == 6);
  REQUIRE(r.body["changes"].size() == 1);
  const json& c = r.body["changes"][0];
  CHECK(c["at"] == "2027-01-05T08:00:00Z");
  CHECK(c["before"]["asked"] == 4);
  CHECK(c["before"]["confident"] == 1);
  CHECK(c["before"]["confident_share"].get<double>() == Approx(0.25));
  CHECK(c["before"]["unhelpful"] == 1);
  CHECK(c["after"]["asked"] == 2);
  CHECK(c["after"]["confident_share"].get<double>() == Approx(1.0));
  CHECK(c["after"]["helpful_rate"].get<double>() == Approx(1.0));
  CHECK(c["after"]["to"] == "2027-01-15T08:00:01Z");
  CHECK(r.raw.find("private") == std::string::npos);
}
