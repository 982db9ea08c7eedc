#include "adapters/cli/kb_stats.h"

#include <sys/stat.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "app/trends.h"
#include "bot/clock.h"
#include "knowledge/stats.h"
#include "knowledge/store.h"

namespace adapters::cli {
namespace {

int Usage(FILE* out, int status) {
  std::fprintf(out,
               "usage: careerbot kb stats [--days N] [--channel NAME] [--open-gaps] [--json | --csv TABLE] [--db PATH] "
               "[--log-db PATH]\n\n"
               "How the bot is doing, from the question log: questions per UTC day by outcome (answered,\n"
               "clarified, declined, small talk), feedback and the helpful rate, the entries asked most and\n"
               "those with the worst feedback, and the gaps. Counts and entry ids only.\n\n"
               "  --days N          the last N days, today included (1 to 366; default 30)\n"
               "  --channel NAME    only this channel's questions (web, http, slack, ...)\n"
               "  --open-gaps       also count the gaps open (kb gaps' grouping: slower on a large log)\n"
               "  --json            what GET /v1/admin/stats answers\n"
               "  --csv TABLE       one CSV table: days, top_asked or worst_feedback\n"
               "  --db PATH         the knowledge base (default $CAREERBOT_DB, else the data directory's)\n"
               "  --log-db PATH     the question log kept apart from the knowledge base (serve --log-db)\n"
               "\nLines older than $CAREERBOT_LOG_RETENTION_DAYS (default 90) are not counted.\n");
  return status;
}

int Fail(const std::string& message, int status = 1) {
  std::fprintf(stderr, "careerbot kb stats: %s\n", message.c_str());
  return status;
}

std::string Percent(int64_t part, int64_t whole) {
  if (whole == 0) return "-";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
  return buf;
}

void PrintEntries(const char* title, const std::vector<knowledge::EntryStats>& entries) {
  std::printf("\n%s\n", title);
  if (entries.empty()) std::printf("  (none)\n");
  for (size_t i = 0; i < entries.size(); i++) {
    const auto& e = entries[i];
    std::printf("  %2zu. %-40s %7lld asked  %5lld helpful  %5lld not helpful\n", i + 1, e.entry_id.c_str(),
                static_cast<long long>(e.asked), static_cast<long long>(e.helpful),
                static_cast<long long>(e.unhelpful));
  }
}

void PrintTable(const Trends& t) {
  const auto& s = t.stats;
  std::printf("questions in the last %d day%s (%s to %s, UTC), %s", s.days, s.days == 1 ? "" : "s",
              IsoDate(s.per_day.front().start).c_str(), IsoDate(s.per_day.back().start).c_str(),
              s.channel.empty() ? "every channel" : ("channel " + s.channel).c_str());
  if (t.retention_days > 0) std::printf("; the log keeps %d days", t.retention_days);
  std::printf("\n\n%-10s %9s %9s %9s %9s %9s %8s %11s\n", "date", "answered", "clarified", "declined", "smalltalk",
              "total", "helpful", "not helpful");
  auto row = [](const std::string& label, const knowledge::DayStats& d) {
    std::printf("%-10s %9lld %9lld %9lld %9lld %9lld %8lld %11lld\n", label.c_str(),
                static_cast<long long>(d.outcomes[knowledge::kStatsAnswered]),
                static_cast<long long>(d.outcomes[knowledge::kStatsClarified]),
                static_cast<long long>(d.outcomes[knowledge::kStatsDeclined]),
                static_cast<long long>(d.outcomes[knowledge::kStatsSmallTalk]), static_cast<long long>(d.total()),
                static_cast<long long>(d.helpful), static_cast<long long>(d.unhelpful));
  };
  for (const auto& d : s.per_day) row(IsoDate(d.start), d);
  row("total", s.total);
  std::printf("\nanswered: %s of the questions; helpful rate: %s (%lld of %lld rated)\n",
              Percent(s.total.outcomes[knowledge::kStatsAnswered], s.total.total()).c_str(),
              Percent(s.total.helpful, s.total.helpful + s.total.unhelpful).c_str(),
              static_cast<long long>(s.total.helpful), static_cast<long long>(s.total.helpful + s.total.unhelpful));
  if (!s.total.channels.empty()) {
    std::printf("by channel:");
    for (const auto& [name, n] : s.total.channels) std::printf(" %s %lld", name.c_str(), static_cast<long long>(n));
    std::printf("\n");
  }
  std::printf("gaps: %s%lld accepted, %lld dismissed in the window\n",
              t.gaps_open < 0 ? "" : (std::to_string(t.gaps_open) + " open, ").c_str(),
              static_cast<long long>(s.gaps_accepted), static_cast<long long>(s.gaps_dismissed));
  PrintEntries("asked most:", s.top_asked);
  PrintEntries("worst feedback:", s.worst_feedback);
}

}  // namespace

int KbStats(int argc, char** argv, const Environment& env) {
  knowledge::StatsQuery q;
  q.days = 30;
  std::string db = DefaultDbPath(env), log_db, csv;
  bool json_out = false, open_gaps = false;
  for (int i = 3; i < argc; i++) {
    std::string a = argv[i];
    std::string value;
    bool has_value = false;
    size_t eq = a.find('=');
    if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_value = true;
    }
    auto next = [&](std::string* out) {
      if (has_value) {
        *out = value;
        return true;
      }
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    if (a == "--help" || a == "-h") return Usage(stdout, 0);
    if (a == "--json" && !has_value) {
      json_out = true;
    } else if (a == "--open-gaps" && !has_value) {
      open_gaps = true;
    } else if (a == "--days") {
      std::string v;
      if (!next(&v)) return Fail("--days needs a value", 2);
      bool digits = !v.empty() && v.size() <= 4;
      for (char c : v) digits = digits && std::isdigit(static_cast<unsigned char>(c));
      if (!digits || std::atoi(v.c_str()) < 1 || std::atoi(v.c_str()) > 366) {
        return Fail("--days must be a whole number from 1 to 366", 2);
      }
      q.days = std::atoi(v.c_str());
    } else if (a == "--channel") {
      if (!next(&q.channel) || q.channel.empty()) return Fail("--channel needs a channel name", 2);
    } else if (a == "--csv") {
      if (!next(&csv) || !TrendsCsvTable(csv)) return Fail("--csv needs a table: days, top_asked or worst_feedback", 2);
    } else if (a == "--db") {
      if (!next(&db) || db.empty()) return Fail("--db needs a path", 2);
    } else if (a == "--log-db") {
      if (!next(&log_db) || log_db.empty()) return Fail("--log-db needs a path", 2);
    } else {
      std::fprintf(stderr, "careerbot kb stats: unknown argument '%s'\n", argv[i]);
      return Usage(stderr, 2);
    }
  }
  if (json_out && !csv.empty()) return Fail("--json and --csv: choose one", 2);
  const std::string path = log_db.empty() ? db : log_db;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Fail("no knowledge base at " + path);
  // Writable when it can be: opening adds the indexes the counts read (a
  // file made by an older careerbot has none); else read-only, as it is.
  auto store = knowledge::Store::Open(path, knowledge::Store::Mode::kReadWrite);
  if (!store.ok()) store = knowledge::Store::Open(path, knowledge::Store::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status().message());
  q.now = bot::Clock::Real()->NowSeconds();
  // The retention `serve` prunes by (app/config.cc reads it for serve).
  const std::string retention = env.Get("CAREERBOT_LOG_RETENTION_DAYS", "90");
  bool digits = !retention.empty() && retention.size() <= 6;
  for (char c : retention) digits = digits && std::isdigit(static_cast<unsigned char>(c));
  if (!digits) return Fail("CAREERBOT_LOG_RETENTION_DAYS must be a number of days, 0 for forever", 2);
  q.retention_days = std::atoi(retention.c_str());
  auto trends = ReadTrends(**store, q, open_gaps);
  if (!trends.ok()) return Fail(trends.status().message());
  if (json_out) {
    std::printf("%s\n", TrendsToJson(*trends).dump(2).c_str());
  } else if (!csv.empty()) {
    std::fputs(TrendsToCsv(*trends, csv).c_str(), stdout);
  } else {
    PrintTable(*trends);
  }
  return 0;
}

}  // namespace adapters::cli
