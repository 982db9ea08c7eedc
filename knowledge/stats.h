// How the bot is doing over time, counted from the question log for the
// curators' trends (the admin page's Trends panel, GET /v1/admin/stats,
// `careerbot kb stats`): questions per UTC day by outcome and by channel,
// feedback and the helpful rate, the entries asked most and those with the
// worst feedback, and the gaps resolved. Counts and entry ids only: no
// question text leaves here.
//
// The window is one range of the covering index question_log_stats
// (asked_at, channel, kind, answered, helpful, entry_id: db.cc), read once,
// never the table's rows (bench/stats_bench.cc times a million lines). An entry's questions before and after each
// of its recorded changes read question_log_entry (entry_id, asked_at, ...).
//
// Outcomes, from what the log stores (kind and answered):
//   smalltalk  kind "smalltalk"
//   clarified  kind "clarify": the bot asked back which entry was meant
//   answered   any other line answered (kind "kb", and "clarified": the
//              choice made after a clarification, answered with that entry)
//   declined   the rest (kind "fallback", a no-answer entry)
// Thread-safe when the store is.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bot/status.h"


namespace knowledge {

struct Conn;

struct StatsQuery {
  int64_t now = 0;        // Unix seconds: the window ends here, on day `days - 1`
  int days = 30;          // UTC days in the window, today included (1 to 366)
  std::string channel;    // only this channel's questions; empty: every channel
  int retention_days = 0; // lines older than this many days are not counted (they are being pruned); 0: none
  size_t top = 10;        // entries in top_asked and worst_feedback
};

enum StatsOutcome { kStatsAnswered, kStatsClarified, kStatsDeclined, kStatsSmallTalk, kStatsOutcomes };
// "answered", "clarified", "declined", "smalltalk".
const char* StatsOutcomeName(int outcome);

struct DayStats {
  int64_t start = 0;                   // the day's first second (UTC midnight)
  int64_t outcomes[kStatsOutcomes]{};  // questions by outcome
  int64_t helpful = 0, unhelpful = 0;  // feedback on that day's answers
  std::map<std::string, int64_t> channels;  // questions by channel
  int64_t total() const;
};

struct EntryStats {
  std::string entry_id;
  int64_t asked = 0;  // questions answered (or clarified) with it
  int64_t helpful = 0, unhelpful = 0;
};

struct LogStats {
  int64_t from = 0;      // first second counted: the first day's start, or the retention's edge when later
  int64_t to = 0;        // the window's end (exclusive): the end of today
  int days = 0;
  std::string channel;   // the filter, empty for none
  std::vector<DayStats> per_day;  // `days` days, oldest first, empty days included
  DayStats total;                 // the whole window (start = from)
  std::vector<std::string> channels;  // every channel seen in the window (whatever the filter), sorted
  std::vector<EntryStats> top_asked;       // most asked first
  std::vector<EntryStats> worst_feedback;  // entries marked not helpful at least once: most such marks first
  // Gaps (knowledge/gaps.h) a curator resolved in the window: one count per
  // accept or dismiss, whatever the number of wordings it closed.
  int64_t gaps_accepted = 0, gaps_dismissed = 0;
  // helpful / (helpful + unhelpful) over the window; -1 when nobody gave feedback.
  double helpful_rate() const;
};

// The counts for `query` read on connection `conn` (one read transaction;
// Store::ReadLogStats gives it a reader).
// kInvalidArgument for days outside 1 to 366.
bot::Result<LogStats> ReadLogStats(Conn* conn, const StatsQuery& query);

// One entry's questions before and after a recorded change.
struct EntryWeek {
  int64_t start = 0;            // the week's first second (a Monday, UTC midnight)
  int64_t asked = 0;            // questions answered (or clarified) with the entry
  int64_t confident = 0;        // of those, answered with confidence >= the query's threshold
  int64_t helpful = 0, unhelpful = 0;
};
struct EntryChangeStats {
  int64_t change_id = 0;  // the history record
  int64_t at = 0;
  std::string action;
  // Up to EntryStatsQuery::span_days before and after the change: before
  // from the previous change (or the retention's edge), after to the next
  // change (or now).
  int64_t before_from = 0, after_to = 0;
  EntryWeek before, after;  // totals over the spans (start = the span's start)
};
struct EntryStatsQuery {
  std::string entry_id;
  int64_t now = 0;
  int weeks = 12;                // weeks listed, this one included (1 to 104)
  int span_days = 28;            // before/after spans around each change
  double confident = 0.65;       // "answered confidently": at least this confidence
  int retention_days = 0;        // as in StatsQuery
  struct Change {
    int64_t id = 0;
    int64_t at = 0;
    std::string action;
  };
  std::vector<Change> changes;  // the entry's recorded changes (Store::History), newest first
};
struct EntryLogStats {
  std::string entry_id;
  std::vector<EntryWeek> weeks;  // oldest first
  std::vector<EntryChangeStats> changes;  // newest first, as given
};

// An entry's questions per week and before/after each of its changes.
bot::Result<EntryLogStats> ReadEntryLogStats(Conn* conn, const EntryStatsQuery& query);

// The statements that read the log, for tests of their query plans: the
// first reads only question_log_stats, the second only question_log_entry.
extern const char kStatsScanSql[];
extern const char kEntryWeeksSql[];

// The UTC midnight starting the day that holds `t`.
int64_t DayStart(int64_t t);

}  // namespace knowledge
