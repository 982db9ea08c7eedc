#include "adapters/admin/stats.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "adapters/http/reply.h"
#include "app/json_codec.h"
#include "app/service.h"
#include "app/trends.h"
#include "bot/entry.h"
#include "knowledge/gaps.h"
#include "knowledge/stats.h"

namespace adapters::admin {
namespace {

using nlohmann::json;

void Send(httplib::Response& res, int status, const json& body) {
  res.set_header("Cache-Control", "no-store");
  http::SendJson(res, status, body);
}

void BadParam(httplib::Response& res, const std::string& field, const std::string& message) {
  json body = ErrorJson("invalid_request", message);
  body["error"]["field"] = field;
  Send(res, 400, body);
}

// A whole number in [lo, hi] from query parameter `name` (default `def`);
// answers 400 and returns false otherwise.
bool IntParam(const httplib::Request& req, httplib::Response& res, const char* name, long lo, long hi, long def,
              long* out) {
  *out = def;
  if (!req.has_param(name)) return true;
  const std::string v = req.get_param_value(name);
  bool digits = !v.empty() && v.size() <= 6;
  for (char c : v) digits = digits && std::isdigit(static_cast<unsigned char>(c));
  if (!digits || std::atol(v.c_str()) < lo || std::atol(v.c_str()) > hi) {
    BadParam(res, name,
             std::string("'") + name + "' must be a whole number from " + std::to_string(lo) + " to " +
                 std::to_string(hi));
    return false;
  }
  *out = std::atol(v.c_str());
  return true;
}

bool WantsCsv(const httplib::Request& req, httplib::Response& res, bool* csv) {
  std::string format = req.get_param_value("format");
  if (format.empty()) {
    std::string accept = req.get_header_value("Accept");
    *csv = accept.find("text/csv") != std::string::npos;
    return true;
  }
  if (format != "json" && format != "csv") {
    BadParam(res, "format", "'format' must be json or csv");
    return false;
  }
  *csv = format == "csv";
  return true;
}

void SendFailure(httplib::Response& res, const bot::Status& s) {
  if (s.code() == bot::Status::Code::kInvalidArgument) return Send(res, 400, ErrorJson("invalid_request", s.message()));
  if (s.code() == bot::Status::Code::kNotFound) return Send(res, 404, ErrorJson("not_found", s.message()));
  Send(res, 503, ErrorJson("unavailable", s.message()));
}

json Span(const knowledge::EntryWeek& w, int64_t from, int64_t to) {
  double weeks = static_cast<double>(to - from) / (7.0 * 86400);
  json share = w.asked ? json(static_cast<double>(w.confident) / static_cast<double>(w.asked)) : json();
  json rate = w.helpful + w.unhelpful
                  ? json(static_cast<double>(w.helpful) / static_cast<double>(w.helpful + w.unhelpful))
                  : json();
  return {{"from", IsoTime(from)},
          {"to", IsoTime(to)},
          {"asked", w.asked},
          {"per_week", weeks > 0 ? json(static_cast<double>(w.asked) / weeks) : json()},
          {"confident", w.confident},
          {"confident_share", share},
          {"helpful", w.helpful},
          {"unhelpful", w.unhelpful},
          {"helpful_rate", rate}};
}

}  // namespace

void ServeStats(Service& service, const httplib::Request& req, httplib::Response& res) {
  long days = 30;
  if (!IntParam(req, res, "days", 1, 366, 30, &days)) return;
  if (req.has_param("bucket") && req.get_param_value("bucket") != "day") {
    return BadParam(res, "bucket", "'bucket' must be day");
  }
  std::string channel = req.get_param_value("channel");
  if (channel.size() > 32 || !std::all_of(channel.begin(), channel.end(), [](char c) {
        return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_' ||
               c == '-';
      })) {
    return BadParam(res, "channel", "'channel' must be a channel name (lower-case letters, digits, - and _)");
  }
  bool csv = false;
  if (!WantsCsv(req, res, &csv)) return;
  std::string open_gaps = req.has_param("open_gaps") ? req.get_param_value("open_gaps") : "0";
  if (open_gaps != "0" && open_gaps != "1") return BadParam(res, "open_gaps", "'open_gaps' must be 0 or 1");
  std::string table = req.has_param("table") ? req.get_param_value("table") : "days";
  if (!TrendsCsvTable(table)) return BadParam(res, "table", "'table' must be days, top_asked or worst_feedback");

  knowledge::StatsQuery q;
  q.now = service.clock().NowSeconds();
  q.days = static_cast<int>(days);
  q.channel = channel;
  q.retention_days = service.log_retention_days();
  auto trends = ReadTrends(*service.log_store(), q, /*count_open_gaps=*/open_gaps == "1");
  if (!trends.ok()) return SendFailure(res, trends.status());
  if (csv) {
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Content-Disposition", "attachment; filename=\"careerbot-stats-" + table + "-" +
                                              std::to_string(days) + "d" + (channel.empty() ? "" : "-" + channel) +
                                              ".csv\"");
    res.set_content(TrendsToCsv(*trends, table), "text/csv; charset=utf-8");
    res.status = 200;
    return;
  }
  Send(res, 200, TrendsToJson(*trends));
}

void ServeEntryStats(Service& service, knowledge::Store& store, const std::string& entry_id, const httplib::Request& req,
                     httplib::Response& res) {
  if (!bot::IsValidSlug(entry_id)) return Send(res, 404, ErrorJson("not_found", "no entry with id '" + entry_id + "'"));
  long weeks = 12;
  if (!IntParam(req, res, "weeks", 1, 104, 12, &weeks)) return;
  auto history = store.History(entry_id, 100);
  if (!history.ok()) return SendFailure(res, history.status());
  if (history->empty()) {
    auto e = store.GetEntry(entry_id);
    if (!e.ok()) return SendFailure(res, e.status());
  }
  knowledge::EntryStatsQuery q;
  q.entry_id = entry_id;
  q.now = service.clock().NowSeconds();
  q.weeks = static_cast<int>(weeks);
  q.confident = knowledge::GapOptions().low_confidence;
  q.retention_days = service.log_retention_days();
  for (const auto& r : *history) q.changes.push_back({r.id, r.at, r.action});
  auto stats = service.log_store()->ReadEntryLogStats(q);
  if (!stats.ok()) return SendFailure(res, stats.status());
  json list = json::array();
  for (const auto& w : stats->weeks) {
    json week = Span(w, w.start, w.start + 7 * 86400);
    week["week"] = IsoDate(w.start);
    week.erase("per_week");
    list.push_back(week);
  }
  json changes = json::array();
  for (size_t i = 0; i < stats->changes.size(); i++) {
    const auto& c = stats->changes[i];
    changes.push_back({{"id", c.change_id},
                       {"at", IsoTime(c.at)},
                       {"action", c.action},
                       {"who", (*history)[i].who},
                       {"before", Span(c.before, c.before_from, c.at)},
                       {"after", Span(c.after, c.at, c.after_to)}});
  }
  Send(res, 200,
       {{"entry_id", entry_id},
        {"confident_threshold", q.confident},
        {"retention_days", q.retention_days},
        {"weeks", list},
        {"changes", changes}});
}

}  // namespace adapters::admin
