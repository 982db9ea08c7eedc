// The curators' trends from the question log (see stats.h).
#include "knowledge/stats.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string_view>

#include "knowledge/db.h"

namespace knowledge {

using bot::Result;
using bot::Status;

// Every line of the window, read from question_log_stats alone (it holds
// every column named): counted in one pass below. (Grouping in SQL sorted a
// million rows twice, by day and by entry: 2.8 s where one pass takes a
// fraction of it.)
const char kStatsScanSql[] =
    "SELECT asked_at, channel, kind, answered, helpful, entry_id FROM question_log "
    "WHERE asked_at >= ?1 AND asked_at < ?2";
const char kEntryWeeksSql[] =
    "SELECT (asked_at - ?2) / 604800, COUNT(*), COALESCE(SUM(confidence >= ?4), 0), "
    "COALESCE(SUM(helpful = 1), 0), COALESCE(SUM(helpful = 0), 0) FROM question_log "
    "WHERE entry_id = ?1 AND asked_at >= ?3 AND asked_at < ?5 GROUP BY 1";

namespace {

constexpr int64_t kDay = 86400;

int64_t WeekStart(int64_t t) {
  int64_t day = DayStart(t);
  int64_t days = day / kDay;  // 1970-01-01 was a Thursday: (days + 3) % 7 days since Monday
  return day - ((days % 7 + 7 + 3) % 7) * kDay;
}

// Counts for entry `id` asked in [from, to): questions, confident ones, feedback.
Status CountEntry(sqlite3* db, const std::string& id, int64_t from, int64_t to, double confident, EntryWeek* out) {
  Stmt s(db,
         "SELECT COUNT(*), COALESCE(SUM(confidence >= ?4), 0), COALESCE(SUM(helpful = 1), 0), "
         "COALESCE(SUM(helpful = 0), 0) FROM question_log WHERE entry_id = ?1 AND asked_at >= ?2 AND asked_at < ?3");
  if (!s.ok()) return SqlError(db, "read the question log");
  s.Bind(1, id);
  s.Bind(2, from);
  s.Bind(3, to);
  s.BindDouble(4, confident);
  if (s.Step() != SQLITE_ROW) return SqlError(db, "read the question log");
  out->start = from;
  out->asked = s.Int(0);
  out->confident = s.Int(1);
  out->helpful = s.Int(2);
  out->unhelpful = s.Int(3);
  return Status::Ok();
}

}  // namespace

const char* StatsOutcomeName(int outcome) {
  static const char* const kNames[] = {"answered", "clarified", "declined", "smalltalk"};
  return outcome >= 0 && outcome < kStatsOutcomes ? kNames[outcome] : "unknown";
}

int64_t DayStats::total() const {
  int64_t n = 0;
  for (int64_t c : outcomes) n += c;
  return n;
}

double LogStats::helpful_rate() const {
  int64_t rated = total.helpful + total.unhelpful;
  return rated == 0 ? -1 : static_cast<double>(total.helpful) / static_cast<double>(rated);
}

int64_t DayStart(int64_t t) {
  int64_t r = t % kDay;
  if (r < 0) r += kDay;
  return t - r;
}

Result<LogStats> ReadLogStats(Conn* conn, const StatsQuery& query) {
  sqlite3* db = conn->db;
  if (query.days < 1 || query.days > 366) return Status::InvalidArgument("days must be from 1 to 366");
  LogStats out;
  out.days = query.days;
  out.channel = query.channel;
  const int64_t first = DayStart(query.now) - static_cast<int64_t>(query.days - 1) * kDay;
  out.to = DayStart(query.now) + kDay;
  out.from = first;
  if (query.retention_days > 0) out.from = std::max(first, query.now - static_cast<int64_t>(query.retention_days) * kDay);
  out.per_day.resize(static_cast<size_t>(query.days));
  for (int d = 0; d < query.days; d++) out.per_day[static_cast<size_t>(d)].start = first + d * kDay;
  out.total.start = out.from;

  // One snapshot for every count below (rolled back: it only reads).
  ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(conn, Transaction::Kind::kRead, "read the question log"));

  // One pass over the window's range of the covering index.
  {
    Stmt s(db, kStatsScanSql);
    if (!s.ok()) return SqlError(db, "read the question log");
    s.Bind(1, out.from);
    s.Bind(2, out.to);
    sqlite3_stmt* st = s.get();
    // Channels and entries are few: each name is looked up without a copy
    // (std::less<> compares a std::string with a string_view).
    std::map<std::string, size_t, std::less<>> channel_ids, entry_ids;
    std::vector<std::string> channel_names;
    std::vector<EntryStats> entries;
    const bool filtered = !query.channel.empty();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      const int64_t at = sqlite3_column_int64(st, 0);
      auto text = [st](int col) {
        const char* p = reinterpret_cast<const char*>(sqlite3_column_text(st, col));
        return std::string_view(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(st, col)));
      };
      const std::string_view channel = text(1);
      auto c = channel_ids.find(channel);
      if (c == channel_ids.end()) {
        c = channel_ids.emplace(std::string(channel), channel_names.size()).first;
        channel_names.emplace_back(channel);
      }
      if (filtered && channel != query.channel) continue;
      const std::string_view kind = text(2);
      const int outcome = kind == "smalltalk"                ? kStatsSmallTalk
                          : kind == "clarify"                ? kStatsClarified
                          : sqlite3_column_int64(st, 3) != 0 ? kStatsAnswered
                                                             : kStatsDeclined;
      const bool rated = sqlite3_column_type(st, 4) != SQLITE_NULL;
      const int64_t helpful = rated && sqlite3_column_int64(st, 4) == 1;
      const int64_t unhelpful = rated && sqlite3_column_int64(st, 4) == 0;
      const int64_t day = (at - first) / kDay;
      if (day < 0 || day >= query.days) continue;
      for (DayStats* d : {&out.per_day[static_cast<size_t>(day)], &out.total}) {
        d->outcomes[outcome]++;
        d->helpful += helpful;
        d->unhelpful += unhelpful;
      }
      out.per_day[static_cast<size_t>(day)].channels[c->first]++;
      const std::string_view entry = text(5);
      if (entry.empty()) continue;
      auto e = entry_ids.find(entry);
      if (e == entry_ids.end()) {
        e = entry_ids.emplace(std::string(entry), entries.size()).first;
        entries.push_back({std::string(entry), 0, 0, 0});
      }
      EntryStats& es = entries[e->second];
      es.asked++;
      es.helpful += helpful;
      es.unhelpful += unhelpful;
    }
    if (rc != SQLITE_DONE) return SqlError(db, "read the question log");
    out.channels = channel_names;
    std::sort(out.channels.begin(), out.channels.end());
    for (const auto& d : out.per_day) {
      for (const auto& [name, n] : d.channels) out.total.channels[name] += n;
    }
    const size_t top = query.top;
    std::vector<EntryStats> asked = entries;
    std::sort(asked.begin(), asked.end(), [](const EntryStats& a, const EntryStats& b) {
      return a.asked != b.asked ? a.asked > b.asked : a.entry_id < b.entry_id;
    });
    if (asked.size() > top) asked.resize(top);
    out.top_asked = std::move(asked);
    std::vector<EntryStats> worst;
    for (const EntryStats& e : entries) {
      if (e.unhelpful > 0) worst.push_back(e);
    }
    // Most "not helpful" first; on a tie the lower helpful share, then the id.
    std::sort(worst.begin(), worst.end(), [](const EntryStats& a, const EntryStats& b) {
      if (a.unhelpful != b.unhelpful) return a.unhelpful > b.unhelpful;
      // a.helpful / (a.helpful + a.unhelpful) < b's, without division.
      int64_t l = a.helpful * (b.helpful + b.unhelpful), r = b.helpful * (a.helpful + a.unhelpful);
      if (l != r) return l < r;
      return a.entry_id < b.entry_id;
    });
    if (worst.size() > top) worst.resize(top);
    out.worst_feedback = std::move(worst);
  }

  // Gaps resolved in the window: one resolution writes a row per wording,
  // all with the same time, way, entry and curator.
  {
    Stmt s(db,
           "SELECT how, COUNT(*) FROM (SELECT DISTINCT resolved_at, how, entry_id, who FROM gap_resolution "
           "WHERE resolved_at >= ?1 AND resolved_at < ?2) GROUP BY how");
    if (!s.ok()) return SqlError(db, "read the gap resolutions");
    s.Bind(1, out.from);
    s.Bind(2, out.to);
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      std::string how = s.Text(0);
      if (how == "accepted") out.gaps_accepted += s.Int(1);
      if (how == "dismissed") out.gaps_dismissed += s.Int(1);
    }
    if (rc != SQLITE_DONE) return SqlError(db, "read the gap resolutions");
  }
  return out;
}

Result<EntryLogStats> ReadEntryLogStats(Conn* conn, const EntryStatsQuery& query) {
  sqlite3* db = conn->db;
  if (query.weeks < 1 || query.weeks > 104) return Status::InvalidArgument("weeks must be from 1 to 104");
  if (query.span_days < 1 || query.span_days > 366) return Status::InvalidArgument("span must be from 1 to 366 days");
  EntryLogStats out;
  out.entry_id = query.entry_id;
  const int64_t floor = query.retention_days > 0 ? query.now - static_cast<int64_t>(query.retention_days) * kDay
                                                 : INT64_MIN;
  const int64_t week0 = WeekStart(query.now) - static_cast<int64_t>(query.weeks - 1) * 7 * kDay;
  const int64_t end = query.now + 1;
  ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(conn, Transaction::Kind::kRead, "read the question log"));

  out.weeks.resize(static_cast<size_t>(query.weeks));
  for (int w = 0; w < query.weeks; w++) out.weeks[static_cast<size_t>(w)].start = week0 + w * 7 * kDay;
  {
    Stmt s(db, kEntryWeeksSql);
    if (!s.ok()) return SqlError(db, "read the question log");
    s.Bind(1, query.entry_id);
    s.Bind(2, week0);
    s.Bind(3, std::max(week0, floor));
    s.BindDouble(4, query.confident);
    s.Bind(5, end);
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      int64_t w = s.Int(0);
      if (w < 0 || w >= query.weeks) continue;
      EntryWeek& week = out.weeks[static_cast<size_t>(w)];
      week.asked = s.Int(1);
      week.confident = s.Int(2);
      week.helpful = s.Int(3);
      week.unhelpful = s.Int(4);
    }
    if (rc != SQLITE_DONE) return SqlError(db, "read the question log");
  }

  // Around each change: the same span before and after, the after span cut
  // at the next (newer) change and at now, the before span at the previous
  // (older) change and at the retention.
  const int64_t span = static_cast<int64_t>(query.span_days) * kDay;
  for (size_t i = 0; i < query.changes.size(); i++) {
    const auto& c = query.changes[i];
    EntryChangeStats cs;
    cs.change_id = c.id;
    cs.at = c.at;
    cs.action = c.action;
    int64_t after_to = std::min(c.at + span, end);
    if (i > 0) after_to = std::min(after_to, query.changes[i - 1].at);
    cs.after_to = std::max(after_to, c.at);
    cs.before_from = std::max(c.at - span, floor);
    if (i + 1 < query.changes.size()) cs.before_from = std::max(cs.before_from, query.changes[i + 1].at);
    if (cs.before_from > c.at) cs.before_from = c.at;
    if (Status st = CountEntry(db, query.entry_id, cs.before_from, c.at, query.confident, &cs.before); !st.ok()) {
      return st;
    }
    if (Status st = CountEntry(db, query.entry_id, c.at, cs.after_to, query.confident, &cs.after); !st.ok()) {
      return st;
    }
    out.changes.push_back(std::move(cs));
  }
  return out;
}

}  // namespace knowledge
