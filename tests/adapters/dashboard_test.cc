// deploy/grafana-dashboard.json against a real scrape: every metric its
// queries name is one a running careerbot exports at GET /metrics (a
// histogram's _bucket, _sum and _count included), and every label its
// queries group or filter by is one that metric carries (besides the
// labels Prometheus adds: instance, job; and le on a histogram's buckets).
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "../helpers/files.h"
#include "../helpers/server.h"
#include "adapters/http/server.h"
#include "app/service.h"

namespace {

using nlohmann::json;

struct Scrape {
  std::map<std::string, std::string> types;                // metric -> counter, gauge, histogram
  std::map<std::string, std::set<std::string>> labels;     // sample name -> label names seen
};

Scrape Parse(const std::string& text) {
  Scrape s;
  std::istringstream in(text);
  std::string line;
  static const std::regex kType(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$)");
  static const std::regex kSample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? \S+$)");
  static const std::regex kLabel(R"(([a-zA-Z_][a-zA-Z0-9_]*)=\"(?:[^\"\\]|\\.)*\")");
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, kType)) {
      s.types[m[1]] = m[2];
    } else if (!line.empty() && line[0] != '#' && std::regex_match(line, m, kSample)) {
      auto& set = s.labels[m[1]];
      std::string labels = m[3];
      for (std::sregex_iterator it(labels.begin(), labels.end(), kLabel), end; it != end; ++it) set.insert((*it)[1]);
    }
  }
  return s;
}

// The metric a sample name belongs to ("x_bucket" of histogram "x" is "x").
std::string MetricOf(const Scrape& s, const std::string& name) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    std::string sfx = suffix;
    if (name.size() > sfx.size() && name.compare(name.size() - sfx.size(), sfx.size(), sfx) == 0) {
      std::string base = name.substr(0, name.size() - sfx.size());
      auto it = s.types.find(base);
      if (it != s.types.end() && it->second == "histogram") return base;
    }
  }
  return name;
}

// Every PromQL expression in the dashboard: its panels' targets and its
// variables' queries.
std::vector<std::string> Expressions(const json& dashboard) {
  std::vector<std::string> out;
  std::vector<const json*> stack = {&dashboard};
  while (!stack.empty()) {
    const json* j = stack.back();
    stack.pop_back();
    if (j->is_object()) {
      if (j->contains("expr") && (*j)["expr"].is_string()) out.push_back((*j)["expr"]);
      if (j->contains("query") && (*j)["query"].is_string() && (*j)["query"].get<std::string>().find("careerbot_") !=
                                                                      std::string::npos) {
        out.push_back((*j)["query"]);
      }
      for (const auto& [k, v] : j->items()) stack.push_back(&v);
    } else if (j->is_array()) {
      for (const auto& v : *j) stack.push_back(&v);
    }
  }
  return out;
}

// Problems with `expr` against the scrape: unknown metrics, unknown labels.
std::vector<std::string> Check(const Scrape& s, const std::string& expr) {
  std::vector<std::string> problems;
  static const std::regex kMetric(R"((careerbot_[a-z0-9_]+)(\{([^}]*)\})?)");
  static const std::regex kMatcher(R"(([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=))");
  static const std::regex kBy(R"(\b(?:by|without)\s*\(([^)]*)\))");
  static const std::regex kLabelValues(R"(label_values\((careerbot_[a-z0-9_]+),\s*([a-z_]+)\))");
  const std::set<std::string> added = {"instance", "job"};
  std::set<std::string> metrics;
  std::set<std::string> all_labels;  // the labels of every metric in the expression
  for (std::sregex_iterator it(expr.begin(), expr.end(), kMetric), end; it != end; ++it) {
    const std::string sample = (*it)[1];
    const std::string metric = MetricOf(s, sample);
    if (!s.types.count(metric)) {
      problems.push_back("'" + sample + "' is not a metric careerbot exports");
      continue;
    }
    metrics.insert(metric);
    std::set<std::string> labels = s.labels.count(sample) ? s.labels.at(sample) : std::set<std::string>{};
    all_labels.insert(labels.begin(), labels.end());
    const std::string matchers = (*it)[3];
    for (std::sregex_iterator m(matchers.begin(), matchers.end(), kMatcher); m != end; ++m) {
      const std::string label = (*m)[1];
      if (!added.count(label) && !labels.count(label)) {
        problems.push_back("'" + sample + "' has no label '" + label + "'");
      }
    }
  }
  if (metrics.empty()) problems.push_back("queries no careerbot metric");
  for (std::sregex_iterator it(expr.begin(), expr.end(), kBy), end; it != end; ++it) {
    std::string list = (*it)[1];
    std::stringstream ss(list);
    std::string label;
    while (std::getline(ss, label, ',')) {
      label.erase(0, label.find_first_not_of(' '));
      label.erase(label.find_last_not_of(' ') + 1);
      if (label.empty() || added.count(label) || all_labels.count(label)) continue;
      problems.push_back("groups by '" + label + "', which none of its metrics carries");
    }
  }
  std::smatch lv;
  if (std::regex_search(expr, lv, kLabelValues) && !added.count(lv[2]) &&
      !(s.labels.count(lv[1]) && s.labels.at(lv[1]).count(lv[2]))) {
    problems.push_back("label_values of a label '" + std::string(lv[2]) + "' that " + std::string(lv[1]) + " lacks");
  }
  return problems;
}

json Dashboard() {
  std::string text;
  REQUIRE(testing_helpers::ReadWholeFile(CAREERBOT_SOURCE_DIR "/deploy/grafana-dashboard.json", &text));
  json d = json::parse(text, nullptr, false);
  REQUIRE(!d.is_discarded());
  return d;
}

// A scrape of a live server after it answered a few requests (some
// counters only show the label sets they have counted).
std::string LiveScrape() {
  adapters::http::HttpOptions options = testing_helpers::TestHttpOptions(4);
  options.rate_limit_per_minute = 2;  // so that a 429 is counted too
  testing_helpers::TestServer server(options);
  auto c = server.Client();
  for (int i = 0; i < 4; i++) c->Post("/v1/ask", R"({"question": "How much do backend developers earn?"})", "application/json");
  c->Get("/no-such-page");
  auto metrics = c->Get("/metrics");
  REQUIRE(metrics);
  REQUIRE(metrics->status == 200);
  return metrics->body;
}

}  // namespace

TEST_CASE("the Grafana dashboard queries only metrics and labels careerbot exports", "[adapters][ops][dashboard]") {
  json d = Dashboard();
  Scrape s = Parse(LiveScrape());
  REQUIRE(s.types.count("careerbot_http_requests_total"));
  REQUIRE(s.labels["careerbot_http_requests_total"].count("status"));
  auto exprs = Expressions(d);
  REQUIRE(exprs.size() >= 15);
  for (const auto& e : exprs) {
    INFO(e);
    auto problems = Check(s, e);
    for (const auto& p : problems) UNSCOPED_INFO(p);
    CHECK(problems.empty());
  }
  // What the brief promises an operator sees.
  std::string all;
  for (const auto& e : exprs) all += e + "\n";
  for (const char* m : {"careerbot_http_requests_total", "careerbot_http_request_duration_seconds_bucket",
                        "careerbot_answers_total", "careerbot_knowledge_reloads_total",
                        "careerbot_knowledge_snapshot_info", "careerbot_http_connections", "status=\"429\""}) {
    INFO(m);
    CHECK(all.find(m) != std::string::npos);
  }
}

TEST_CASE("the dashboard check finds a metric or label careerbot does not export", "[adapters][ops][dashboard]") {
  Scrape s = Parse(LiveScrape());
  CHECK(Check(s, "sum(rate(careerbot_http_requests_total[5m]))").empty());
  CHECK(Check(s, "histogram_quantile(0.9, sum by (le) (rate(careerbot_answer_duration_seconds_bucket[5m])))").empty());
  CHECK(!Check(s, "rate(careerbot_http_request_total[5m])").empty());             // a typo
  CHECK(!Check(s, "sum by (path) (rate(careerbot_http_requests_total[5m]))").empty());  // no such label
  CHECK(!Check(s, "careerbot_answers_total{kind=\"kb\"}").empty());                 // no such label
  CHECK(!Check(s, "careerbot_uptime_seconds_bucket").empty());                      // not a histogram
  CHECK(!Check(s, "up").empty());                                                   // no careerbot metric
}
