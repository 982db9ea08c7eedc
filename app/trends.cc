#include "app/trends.h"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <limits>

#include "app/json_codec.h"
#include "knowledge/gaps.h"

namespace adapters {

using nlohmann::json;

namespace {

json Rate(int64_t helpful, int64_t unhelpful) {
  if (helpful + unhelpful == 0) return json();
  return static_cast<double>(helpful) / static_cast<double>(helpful + unhelpful);
}

json DayToJson(const knowledge::DayStats& d, bool dated) {
  json j = json::object();
  if (dated) j["date"] = IsoDate(d.start);
  j["start"] = IsoTime(d.start);
  for (int o = 0; o < knowledge::kStatsOutcomes; o++) j[knowledge::StatsOutcomeName(o)] = d.outcomes[o];
  j["total"] = d.total();
  j["helpful"] = d.helpful;
  j["unhelpful"] = d.unhelpful;
  j["helpful_rate"] = Rate(d.helpful, d.unhelpful);
  json channels = json::object();
  for (const auto& [name, n] : d.channels) channels[name] = n;
  j["channels"] = channels;
  return j;
}

json EntriesToJson(const std::vector<knowledge::EntryStats>& entries) {
  json list = json::array();
  for (const auto& e : entries) {
    list.push_back({{"entry_id", e.entry_id}, {"asked", e.asked}, {"helpful", e.helpful}, {"unhelpful", e.unhelpful}});
  }
  return list;
}

// A CSV field: quoted when it holds a comma, a quote or a line break (entry
// ids and channel names never do; dates and numbers cannot).
std::string Field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string RateText(int64_t helpful, int64_t unhelpful) {
  if (helpful + unhelpful == 0) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", static_cast<double>(helpful) / static_cast<double>(helpful + unhelpful));
  return buf;
}

}  // namespace

std::string IsoDate(int64_t seconds) { return FormatUtc(seconds, "%Y-%m-%d"); }

bot::Result<Trends> ReadTrends(knowledge::Store& store, const knowledge::StatsQuery& query, bool count_open_gaps) {
  Trends t;
  t.retention_days = query.retention_days;
  ASSIGN_OR_RETURN(t.stats, store.ReadLogStats(query));
  if (count_open_gaps) {
    knowledge::GapOptions o;
    o.since = t.stats.from;
    o.limit = std::numeric_limits<size_t>::max();
    ASSIGN_OR_RETURN(auto gaps, knowledge::FindGaps(&store, nullptr, o));
    t.gaps_open = 0;
    for (const auto& g : gaps) {
      // The channel filter holds for gaps too: a gap counts when one of its
      // questions came through that channel.
      if (query.channel.empty() ||
          std::find(g.channels.begin(), g.channels.end(), query.channel) != g.channels.end()) {
        t.gaps_open++;
      }
    }
  }
  return t;
}

json TrendsToJson(const Trends& t) {
  const auto& s = t.stats;
  json outcomes = json::array();
  for (int o = 0; o < knowledge::kStatsOutcomes; o++) outcomes.push_back(knowledge::StatsOutcomeName(o));
  json series = json::array();
  for (const auto& d : s.per_day) series.push_back(DayToJson(d, true));
  json totals = DayToJson(s.total, false);
  return {{"days", s.days},
          {"bucket", "day"},
          {"channel", s.channel.empty() ? json() : json(s.channel)},
          {"from", IsoTime(s.from)},
          {"to", IsoTime(s.to)},
          {"retention_days", t.retention_days},
          {"outcomes", outcomes},
          {"channels", s.channels},
          {"series", series},
          {"totals", totals},
          {"top_asked", EntriesToJson(s.top_asked)},
          {"worst_feedback", EntriesToJson(s.worst_feedback)},
          {"gaps",
           {{"open", t.gaps_open < 0 ? json() : json(t.gaps_open)},
            {"accepted", s.gaps_accepted},
            {"dismissed", s.gaps_dismissed}}}};
}

bool TrendsCsvTable(const std::string& table) {
  return table == "days" || table == "top_asked" || table == "worst_feedback";
}

std::string TrendsToCsv(const Trends& t, const std::string& table) {
  std::string out;
  if (table == "days") {
    out = "date";
    for (int o = 0; o < knowledge::kStatsOutcomes; o++) out += std::string(",") + knowledge::StatsOutcomeName(o);
    out += ",total,helpful,unhelpful,helpful_rate\r\n";
    for (const auto& d : t.stats.per_day) {
      out += IsoDate(d.start);
      for (int o = 0; o < knowledge::kStatsOutcomes; o++) out += "," + std::to_string(d.outcomes[o]);
      out += "," + std::to_string(d.total()) + "," + std::to_string(d.helpful) + "," + std::to_string(d.unhelpful) +
             "," + RateText(d.helpful, d.unhelpful) + "\r\n";
    }
    return out;
  }
  const auto& entries = table == "top_asked" ? t.stats.top_asked : t.stats.worst_feedback;
  out = "entry_id,asked,helpful,unhelpful\r\n";
  for (const auto& e : entries) {
    out += Field(e.entry_id) + "," + std::to_string(e.asked) + "," + std::to_string(e.helpful) + "," +
           std::to_string(e.unhelpful) + "\r\n";
  }
  return out;
}

}  // namespace adapters
