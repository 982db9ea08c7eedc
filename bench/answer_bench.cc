// In-process answer time: Answerer::Ask over the shipped knowledge base,
// without HTTP. Asks every question of the given JSONL files (default: the
// knowledge base's own tests) round-robin for --seconds, then prints the
// median, p90 and p99 in microseconds (text, or one CSV line with --csv).
// --article-only builds a knowledge base of the source article's entries
// only (the knowledge before the breadth entries), to compare both sizes.
// It answers as `careerbot serve` does by default, with the ranker model
// compiled in (knowledge/ranker.model); --hand uses the hand-set ranking alone.
//   answer_bench [--db PATH] [--seconds N] [--csv] [--article-only] [--hand] [FILE.jsonl...]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bot/answerer.h"
#include "knowledge/builtin.h"
#include "knowledge/store.h"

int main(int argc, char** argv) {
  std::string db = ":memory:";
  double seconds = 3;
  bool csv = false;
  bool article_only = false;
  bool learned = true;
  std::vector<std::string> files;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--db" && i + 1 < argc) {
      db = argv[++i];
    } else if (a == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else if (a == "--csv") {
      csv = true;
    } else if (a == "--article-only") {
      article_only = true;
    } else if (a == "--learned") {
      learned = true;
    } else if (a == "--hand") {
      learned = false;
    } else {
      files.push_back(a);
    }
  }
  bool built = false;
  auto store = knowledge::OpenOrBuild(db, &built);
  if (!store.ok()) {
    std::fprintf(stderr, "answer_bench: %s\n", store.status().ToString().c_str());
    return 1;
  }
  if (article_only) {
    knowledge::KnowledgeFiles shipped = knowledge::BuiltinKnowledge();
    std::vector<bot::Entry> article;
    for (const auto& e : shipped.entries) {
      if (e.source.article == "The Demand for Backend Developers") article.push_back(e);
    }
    bot::Status s = (*store)->ReplaceAll(article, shipped.synonyms, "bench:article-only");
    if (!s.ok()) {
      std::fprintf(stderr, "answer_bench: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  std::vector<std::string> questions;
  auto add_jsonl = [&](const std::string& text) {
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      auto j = nlohmann::json::parse(text.substr(start, end - start), nullptr, false);
      if (j.is_object() && j.contains("q") && j["q"].is_string()) questions.push_back(j["q"]);
      start = end + 1;
    }
  };
  if (files.empty()) add_jsonl(knowledge::BuiltinKnowledge().tests);
  for (const auto& f : files) {
    std::ifstream in(f);
    add_jsonl(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
  }
  if (questions.empty()) {
    std::fprintf(stderr, "answer_bench: no questions\n");
    return 1;
  }
  bot::AnswererOptions options;
  if (learned) {
    options.model = bot::ranking::BuiltinModel();
    if (!options.model) {
      std::fprintf(stderr, "answer_bench: this build has no ranker model\n");
      return 1;
    }
    options.threshold = options.model->threshold;
  }
  bot::Answerer answerer(store->get(), options);
  // Warm up: the lexicon, the typo index and SQLite's page cache.
  for (const auto& q : questions) answerer.Ask({q, "", "bench", false, "", ""});
  std::vector<double> micros;
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  size_t i = 0;
  while (std::chrono::steady_clock::now() < until) {
    bot::Question q{questions[i++ % questions.size()], "", "bench", false, "", ""};
    auto t0 = std::chrono::steady_clock::now();
    auto a = answerer.Ask(q);
    auto t1 = std::chrono::steady_clock::now();
    if (!a.ok()) {
      std::fprintf(stderr, "answer_bench: %s\n", a.status().ToString().c_str());
      return 1;
    }
    micros.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  std::sort(micros.begin(), micros.end());
  auto pct = [&](double p) { return micros[std::min(micros.size() - 1, static_cast<size_t>(p * micros.size()))]; };
  auto entries = (*store)->CountEntries();
  size_t n = entries.ok() ? *entries : 0;
  if (csv) {
    std::printf("%zu,%zu,%.1f,%.1f,%.1f\n", n, micros.size(), pct(0.5), pct(0.9), pct(0.99));
  } else {
    std::printf("entries %zu, questions %zu, asks %zu: median %.1f us, p90 %.1f us, p99 %.1f us\n", n,
                questions.size(), micros.size(), pct(0.5), pct(0.9), pct(0.99));
  }
  return 0;
}
