// The curators' trends as GET /v1/admin/stats and `careerbot kb stats --json`
// show them (one shape for both), and as CSV: the question log's counts
// (knowledge/stats.h) plus the open gaps (knowledge/gaps.h). Counts and entry
// ids only: no question text. Pure functions of the store; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "bot/status.h"
#include "knowledge/stats.h"
#include "knowledge/store.h"

namespace adapters {

struct Trends {
  knowledge::LogStats stats;
  int retention_days = 0;
  // Gaps open now among the window's questions (FindGaps' count, -1 when not
  // counted).
  int64_t gaps_open = -1;
};

// Reads the trends for `query` from `store` (the knowledge base whose log
// FindGaps reads too). `count_open_gaps`: also count the gaps open.
bot::Result<Trends> ReadTrends(knowledge::Store& store, const knowledge::StatsQuery& query, bool count_open_gaps);

// {"days", "bucket": "day", "channel" (null: all), "from", "to",
//  "retention_days", "outcomes": [...], "channels": [...],
//  "series": [{"date", "start", "answered", "clarified", "declined",
//              "smalltalk", "total", "helpful", "unhelpful",
//              "helpful_rate" (null: no feedback), "channels": {name: n}}],
//  "totals": {same but "date"}, "top_asked": [{"entry_id", "asked",
//  "helpful", "unhelpful"}], "worst_feedback": [...],
//  "gaps": {"open" (null: not counted), "accepted", "dismissed"}}
nlohmann::json TrendsToJson(const Trends& trends);

// The CSV tables of the trends (RFC 4180, a header line, "\r\n" line ends):
// "days" (one line a day: date and the series' counts, helpful_rate empty
// when nobody gave feedback), "top_asked" and "worst_feedback" (entry_id,
// asked, helpful, unhelpful). False for another table name.
bool TrendsCsvTable(const std::string& table);
std::string TrendsToCsv(const Trends& trends, const std::string& table);

// "2027-01-15": the UTC date holding `seconds`.
std::string IsoDate(int64_t seconds);

}  // namespace adapters
