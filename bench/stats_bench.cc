// The curators' trends over a large question log (knowledge/stats.h):
// seeds a knowledge base's log with N questions spread over the last 90 UTC days
// (one transaction), then times Store::ReadLogStats over 90 days, over 90
// days of one channel, and over 7 days, each `runs` times, and prints CSV:
//   rows,seed_s,stats90_median_ms,stats90_channel_median_ms,stats7_median_ms,file_mb
// `--db PATH` keeps the seeded file (bench/run.sh then times
// `careerbot kb stats` on it); `--seed-only` skips the timings.
//   stats_bench [--rows 1000000] [--runs 7] [--db PATH] [--seed-only]
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "knowledge/stats.h"
#include "knowledge/store.h"

namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  long rows = 1000000;
  int runs = 7;
  std::string db = ":memory:";
  bool seed_only = false;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--rows" && i + 1 < argc) {
      rows = std::atol(argv[++i]);
    } else if (a == "--runs" && i + 1 < argc) {
      runs = std::atoi(argv[++i]);
    } else if (a == "--db" && i + 1 < argc) {
      db = argv[++i];
    } else if (a == "--seed-only") {
      seed_only = true;
    } else {
      std::fprintf(stderr, "usage: stats_bench [--rows N] [--runs N] [--db PATH] [--seed-only]\n");
      return 2;
    }
  }
  if (db != ":memory:") {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((db + suffix).c_str());
  }
  auto store = knowledge::Store::Open(db);
  if (!store.ok()) {
    std::fprintf(stderr, "stats_bench: %s\n", store.status().message().c_str());
    return 1;
  }
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  // Spread over the 90 UTC days a 90-day window holds (today included).
  const int64_t first = knowledge::DayStart(now) - 89 * 86400;
  const int64_t span = now - first + 1;
  std::mt19937_64 rng(19);
  const char* const channels[] = {"web", "web", "web", "http", "slack", "slack", "discord", "mattermost"};
  // Outcomes as a live log might hold them: mostly answered, some declined,
  // a few clarifications and small talk.
  auto seed_start = std::chrono::steady_clock::now();
  std::vector<knowledge::LoggedQuestion> lines;
  lines.reserve(static_cast<size_t>(rows));
  for (long i = 0; i < rows; i++) {
    knowledge::LoggedQuestion q;
    q.answer_id = "b" + std::to_string(i);
    q.asked_at = first + static_cast<int64_t>(rng() % static_cast<uint64_t>(span));
    q.channel = channels[rng() % 8];
    int pick = static_cast<int>(rng() % 100);
    int wording = static_cast<int>(rng() % 5000);
    q.question = "how do I get better at topic " + std::to_string(wording) + "?";
    q.normalized = "topic" + std::to_string(wording) + " better";
    if (pick < 70) {
      q.kind = "kb";
      q.answered = true;
      q.entry_id = "entry-" + std::to_string(rng() % 300);
      q.confidence = 0.55 + static_cast<double>(rng() % 45) / 100;
      if (rng() % 20 == 0) q.helpful = static_cast<int>(rng() % 4 != 0);
    } else if (pick < 80) {
      q.kind = "smalltalk";
      q.answered = true;
    } else if (pick < 85) {
      q.kind = "clarify";
      q.confidence = 0.4;
    } else {
      q.kind = "fallback";
      q.confidence = 0.2;
    }
    lines.push_back(std::move(q));
  }
  // One transaction for the lines, then the feedback (set directly: the
  // log's own feedback path is one UPDATE per answer).
  auto logged = (*store)->LogQuestions(lines);
  if (!logged.ok()) {
    std::fprintf(stderr, "stats_bench: %s\n", logged.message().c_str());
    return 1;
  }
  size_t feedback = 0;
  for (const auto& q : lines) {
    if (q.helpful < 0) continue;
    if (!(*store)->RecordFeedback(q.answer_id, q.helpful == 1, "", now).ok()) return 1;
    feedback++;
  }
  double seed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - seed_start).count();
  std::fprintf(stderr, "stats_bench: seeded %ld lines (%zu with feedback) in %.1f s\n", rows, feedback, seed_s);
  struct stat st{};
  double mb = ::stat((*store)->path().c_str(), &st) == 0 ? static_cast<double>(st.st_size) / 1e6 : 0;
  if (seed_only) {
    std::printf("rows,seed_s,file_mb\n%ld,%.1f,%.0f\n", rows, seed_s, mb);
    return 0;
  }
  auto time_it = [&](int days, const std::string& channel) {
    std::vector<double> ms;
    for (int r = 0; r < runs; r++) {
      knowledge::StatsQuery q;
      q.now = now;
      q.days = days;
      q.channel = channel;
      q.retention_days = 90;
      auto t0 = std::chrono::steady_clock::now();
      auto s = (*store)->ReadLogStats(q);
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      if (!s.ok() || (days == 90 && channel.empty() && s->total.total() != rows)) {
        std::fprintf(stderr, "stats_bench: wrong count\n");
        std::exit(1);
      }
    }
    return Median(ms);
  };
  double all = time_it(90, ""), slack = time_it(90, "slack"), week = time_it(7, "");
  std::printf("rows,seed_s,stats90_median_ms,stats90_channel_median_ms,stats7_median_ms,file_mb\n");
  std::printf("%ld,%.1f,%.0f,%.0f,%.0f,%.0f\n", rows, seed_s, all, slack, week, mb);
  return 0;
}
