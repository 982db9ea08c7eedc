// Scale benchmark: builds knowledge bases of N entries (the shipped entries
// plus generated ones whose words follow a Zipf distribution over a synthetic
// vocabulary, with a few real domain words mixed in), then measures
//   - build time (kb build equivalent: ReplaceAll + VACUUM),
//   - start-up time (open + first lexicon/snapshot load),
//   - in-process answer time (median, p99) over the shipped test questions,
//   - peak resident memory of the process after the run.
// Each size runs in its own process (fork) so peak memory is per size.
// Output: one CSV line per size:
//   entries,build_ms,startup_ms,asks,median_us,p99_us,peak_rss_mb
//   scale_bench [--sizes 137,1000,10000,100000] [--seconds 3] [--dir /tmp] [--keep]
// --keep leaves each knowledge base in DIR as careerbot-scale-N.db (bench/run.sh
// serves them to measure the server's start-up time and peak memory).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bot/answerer.h"
#include "knowledge/builtin.h"
#include "knowledge/store.h"

namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

// A pronounceable synthetic word for rank r (deterministic).
std::string Word(size_t r) {
  static const char* kSyl[] = {"ba", "ko", "ri", "ne", "lu", "ta", "mi", "so", "de", "fa", "gu", "pe", "zo", "xi", "vy", "ha"};
  std::string w;
  size_t x = r + 17;
  do {
    w += kSyl[x % 16];
    x /= 16;
  } while (x);
  return w + "n";
}

std::vector<bot::Entry> Generate(size_t n, const std::vector<bot::Entry>& real) {
  std::vector<bot::Entry> out = real;
  std::mt19937_64 rng(42);
  const size_t vocab = 50000;
  // Zipf(s=1) sampler over ranks 1..vocab by inverse CDF on harmonic numbers.
  std::vector<double> cdf(vocab);
  double h = 0;
  for (size_t i = 0; i < vocab; i++) cdf[i] = (h += 1.0 / static_cast<double>(i + 1));
  std::uniform_real_distribution<double> u(0, h);
  auto zipf = [&] { return static_cast<size_t>(std::lower_bound(cdf.begin(), cdf.end(), u(rng)) - cdf.begin()); };
  static const char* kDomain[] = {"backend", "developer", "salary", "database", "python", "cloud", "api", "remote",
                                  "docker", "career", "skills", "frontend"};
  std::uniform_int_distribution<int> domain_pick(0, 11), coin(0, 9);
  for (size_t i = real.size(); i < n; i++) {
    bot::Entry e;
    e.id = "gen-" + std::to_string(i);
    auto words = [&](int count) {
      std::string s;
      for (int k = 0; k < count; k++) {
        if (!s.empty()) s += ' ';
        s += coin(rng) == 0 ? kDomain[domain_pick(rng)] : Word(zipf());
      }
      return s;
    };
    e.title = words(4);
    e.body = words(40) + ". " + words(30) + ".";
    for (int q = 0; q < 4; q++) e.questions.push_back(words(7) + "?");
    e.tags = {Word(zipf()), Word(zipf())};
    e.source = {"Generated", "Scale benchmark", ""};
    e.updated_at = "2026-11-29";
    out.push_back(std::move(e));
  }
  return out;
}

int RunOne(size_t n, double seconds, const std::string& dir, bool keep) {
  knowledge::KnowledgeFiles files = knowledge::BuiltinKnowledge();
  std::vector<bot::Entry> entries = Generate(n, files.entries);
  std::string path = dir + "/careerbot-scale-" + std::to_string(n) + ".db";
  std::remove(path.c_str());
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
  auto t0 = Clock::now();
  {
    auto store = knowledge::Store::Open(path);
    if (!store.ok() || !(*store)->ReplaceAll(entries, files.synonyms, "bench").ok() || !(*store)->Compact().ok()) {
      std::fprintf(stderr, "scale_bench: build failed\n");
      return 1;
    }
  }
  auto t1 = Clock::now();
  auto store = knowledge::Store::Open(path, knowledge::Store::Mode::kReadOnly);
  if (!store.ok()) return 1;
  auto lexicon = (*store)->GetLexicon();
  auto t2 = Clock::now();
  if (!lexicon.ok()) return 1;

  std::vector<std::string> questions;
  std::istringstream in(files.tests);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("q") && j["q"].is_string()) questions.push_back(j["q"]);
  }
  // As `careerbot serve` answers by default: with the ranker model compiled in.
  bot::AnswererOptions options;
  if ((options.model = bot::ranking::BuiltinModel())) options.threshold = options.model->threshold;
  bot::Answerer answerer(store->get(), options);
  for (const auto& q : questions) answerer.Ask({q, "", "bench", false, "", ""});
  std::vector<double> micros;
  auto until = Clock::now() + std::chrono::duration<double>(seconds);
  for (size_t i = 0; Clock::now() < until; i++) {
    auto a = Clock::now();
    auto r = answerer.Ask({questions[i % questions.size()], "", "bench", false, "", ""});
    auto b = Clock::now();
    if (!r.ok()) return 1;
    micros.push_back(std::chrono::duration<double, std::micro>(b - a).count());
  }
  std::sort(micros.begin(), micros.end());
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  std::printf("%zu,%.1f,%.1f,%zu,%.1f,%.1f,%.1f\n", (*lexicon)->entry_count, Ms(t0, t1), Ms(t1, t2), micros.size(),
              micros[micros.size() / 2], micros[std::min(micros.size() - 1, micros.size() * 99 / 100)],
              static_cast<double>(ru.ru_maxrss) / 1024.0);
  std::fflush(stdout);
  if (!keep) std::remove(path.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<size_t> sizes = {137, 1000, 10000, 100000};
  double seconds = 3;
  std::string dir = "/tmp";
  bool keep = false;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--sizes" && i + 1 < argc) {
      sizes.clear();
      std::stringstream ss(argv[++i]);
      std::string item;
      while (std::getline(ss, item, ',')) sizes.push_back(std::stoul(item));
    } else if (a == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (a == "--keep") {
      keep = true;
    }
  }
  std::printf("entries,build_ms,startup_ms,asks,median_us,p99_us,peak_rss_mb\n");
  std::fflush(stdout);
  for (size_t n : sizes) {
    pid_t pid = fork();
    if (pid == 0) _exit(RunOne(n, seconds, dir, keep));
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "scale_bench: size %zu failed\n", n);
      return 1;
    }
  }
  return 0;
}
