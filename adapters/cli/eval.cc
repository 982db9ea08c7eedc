#include "adapters/cli/eval.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace adapters::cli {

using nlohmann::json;

namespace {
std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

bot::Result<std::vector<EvalCase>> ParseEvalCases(const std::string& jsonl) {
  std::vector<EvalCase> cases;
  std::istringstream in(jsonl);
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    line_no++;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json j = json::parse(line, nullptr, false);
    auto bad = [&](const std::string& why) {
      return bot::Status::InvalidArgument("line " + std::to_string(line_no) + ": " + why);
    };
    if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
    EvalCase c;
    if (!j.contains("q") || !j["q"].is_string()) return bad("'q' must be a string");
    if (!j.contains("expect") || !j["expect"].is_string()) return bad("'expect' must be a string");
    c.question = j["q"];
    c.expect = j["expect"];
    if (c.expect != "answer" && c.expect != "decline" && c.expect != "smalltalk") {
      return bad("'expect' must be answer, decline or smalltalk");
    }
    c.id = j.contains("id") && j["id"].is_string() ? j["id"].get<std::string>() : "line-" + std::to_string(line_no);
    if (j.contains("facts")) {
      if (!j["facts"].is_array()) return bad("'facts' must be a list of lists of strings");
      for (const auto& group : j["facts"]) {
        std::vector<std::string> alts;
        if (group.is_string()) {
          alts.push_back(group.get<std::string>());
        } else if (group.is_array()) {
          for (const auto& a : group) {
            if (!a.is_string()) return bad("'facts' must be a list of lists of strings");
            alts.push_back(a.get<std::string>());
          }
        } else {
          return bad("'facts' must be a list of lists of strings");
        }
        c.facts.push_back(std::move(alts));
      }
    }
    if (j.contains("entry")) {
      const json& e = j["entry"];
      if (e.is_string()) {
        c.entries.push_back(e.get<std::string>());
      } else if (e.is_array()) {
        for (const auto& id : e) {
          if (!id.is_string()) return bad("'entry' must be an entry id or a list of them");
          c.entries.push_back(id.get<std::string>());
        }
      } else if (!e.is_null()) {
        return bad("'entry' must be an entry id or a list of them");
      }
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

bot::Result<RawAnswers> AskAll(bot::Retriever* retriever, const std::vector<EvalCase>& cases,
                               const bot::AnswererOptions& options) {
  bot::Answerer answerer(retriever, options);
  RawAnswers raw;
  for (const EvalCase& c : cases) {
    bot::Question q;
    q.text = c.question;
    q.channel = "eval";
    auto a = answerer.Ask(q);
    if (!a.ok()) {
      if (a.status().code() == bot::Status::Code::kInvalidArgument) {
        bot::Answer empty;
        empty.kind = "fallback";
        raw.answers.push_back(empty);
        continue;
      }
      return a.status();
    }
    raw.answers.push_back(std::move(*a));
  }
  return raw;
}

bool AnswerIsRight(const EvalCase& c, const bot::Answer& a) {
  if (a.kind != "kb") return false;
  if (c.entries.empty() && c.facts.empty()) return true;
  const std::string& first = a.sources.empty() ? a.entry_id : a.sources[0].id;
  if (!first.empty() && std::find(c.entries.begin(), c.entries.end(), first) != c.entries.end()) return true;
  if (c.facts.empty()) return false;
  std::string lower = Lower(a.text);
  for (const auto& group : c.facts) {
    bool holds = std::any_of(group.begin(), group.end(),
                             [&](const std::string& alt) { return lower.find(Lower(alt)) != std::string::npos; });
    if (!holds) return false;
  }
  return true;
}

EvalReport Score(const std::vector<EvalCase>& cases, const RawAnswers& raw, double threshold) {
  EvalReport r;
  r.threshold = threshold;
  for (size_t i = 0; i < cases.size(); i++) {
    const EvalCase& c = cases[i];
    const bot::Answer& a = raw.answers[i];
    EvalOutcome o;
    o.c = &c;
    o.confidence = a.confidence;
    o.entry_id = a.entry_id;
    if (a.kind == "smalltalk") {
      o.kind = "smalltalk";
      o.answered = true;
      o.answer = a.text;
    } else if (a.kind == "kb") {
      o.kind = "kb";
      o.answered = true;
      o.answer = a.text;
    } else {
      o.kind = "fallback";
      o.answer = a.text;
    }
    if (c.expect == "answer") {
      r.answer_total++;
      bool pass = AnswerIsRight(c, a);
      o.pass = pass;
      r.answer_pass += pass;
    } else if (c.expect == "decline") {
      r.decline_total++;
      o.pass = o.kind == "fallback";
      r.decline_pass += o.pass;
    } else {
      r.smalltalk_total++;
      o.pass = o.kind == "smalltalk";
      r.smalltalk_pass += o.pass;
    }
    r.outcomes.push_back(std::move(o));
  }
  return r;
}

json ReportToJson(const EvalReport& r) {
  json failures = json::array();
  for (const auto& o : r.outcomes) {
    if (o.pass) continue;
    failures.push_back({{"id", o.c->id},
                        {"q", o.c->question},
                        {"expect", o.c->expect},
                        {"expect_entry", o.c->entries},
                        {"kind", o.kind},
                        {"confidence", o.confidence},
                        {"entry_id", o.entry_id},
                        {"answer", o.answer}});
  }
  return {{"threshold", r.threshold},
          {"answerable", {{"pass", r.answer_pass}, {"total", r.answer_total}, {"accuracy", r.answer_rate()}}},
          {"decline", {{"pass", r.decline_pass}, {"total", r.decline_total}, {"accuracy", r.decline_rate()}}},
          {"smalltalk", {{"pass", r.smalltalk_pass}, {"total", r.smalltalk_total}, {"accuracy", r.smalltalk_rate()}}},
          {"failures", failures}};
}

std::string ReportToText(const EvalReport& r, const std::string& title) {
  std::ostringstream out;
  char line[256];
  out << title << " (threshold " << r.threshold << ")\n";
  std::snprintf(line, sizeof line, "  answerable  %.3f  (%d/%d)\n  decline     %.3f  (%d/%d)\n  smalltalk   %.3f  (%d/%d)\n",
                r.answer_rate(), r.answer_pass, r.answer_total, r.decline_rate(), r.decline_pass, r.decline_total,
                r.smalltalk_rate(), r.smalltalk_pass, r.smalltalk_total);
  out << line;
  bool any = false;
  for (const auto& o : r.outcomes) {
    if (o.pass) continue;
    if (!any) out << "confusion (each wrong case):\n";
    any = true;
    std::string answer = o.answer.size() > 140 ? o.answer.substr(0, 140) + "..." : o.answer;
    std::string expected = o.c->expect;
    if (!o.c->entries.empty()) {
      expected += " [";
      for (size_t i = 0; i < o.c->entries.size(); i++) expected += (i ? ", " : "") + o.c->entries[i];
      expected += "]";
    }
    std::snprintf(line, sizeof line, "  [%s] expect %s, got %s (confidence %.3f%s%s)\n", o.c->id.c_str(),
                  expected.c_str(), o.kind.c_str(), o.confidence, o.entry_id.empty() ? "" : ", entry ",
                  o.entry_id.c_str());
    out << line << "      q: " << o.c->question << "\n      a: " << answer << "\n";
  }
  return out.str();
}

Calibration ComputeCalibration(const std::vector<EvalCase>& cases, const RawAnswers& at_zero) {
  Calibration cal;
  const int kBins = 10;
  std::vector<double> conf_sum(kBins, 0), right_sum(kBins, 0);
  std::vector<int> count(kBins, 0);
  for (size_t i = 0; i < cases.size() && i < at_zero.answers.size(); i++) {
    const EvalCase& c = cases[i];
    const bot::Answer& a = at_zero.answers[i];
    if (c.expect != "answer" && c.expect != "decline") continue;
    double p = std::min(1.0, std::max(0.0, a.confidence));
    bool right = c.expect == "answer" ? AnswerIsRight(c, a) : (a.kind == "fallback" && !a.entry_id.empty());
    int b = std::min(kBins - 1, static_cast<int>(p * kBins));
    conf_sum[b] += p;
    right_sum[b] += right ? 1 : 0;
    count[b]++;
    cal.cases++;
    cal.brier += (p - (right ? 1 : 0)) * (p - (right ? 1 : 0));
  }
  for (int b = 0; b < kBins; b++) {
    CalibrationBin bin;
    bin.lo = b / double(kBins);
    bin.hi = (b + 1) / double(kBins);
    bin.count = count[b];
    if (count[b]) {
      bin.mean_confidence = conf_sum[b] / count[b];
      bin.accuracy = right_sum[b] / count[b];
      cal.ece += std::abs(bin.accuracy - bin.mean_confidence) * count[b];
    }
    cal.bins.push_back(bin);
  }
  if (cal.cases) {
    cal.ece /= cal.cases;
    cal.brier /= cal.cases;
  }
  return cal;
}

std::string CalibrationToText(const Calibration& c) {
  std::ostringstream out;
  char line[160];
  std::snprintf(line, sizeof line, "calibration over %d cases: ECE %.3f, Brier %.3f\n", c.cases, c.ece, c.brier);
  out << line << "  confidence   cases  mean conf  right\n";
  for (const auto& b : c.bins) {
    if (!b.count) continue;
    std::snprintf(line, sizeof line, "  %.1f-%.1f    %5d    %.3f    %.3f\n", b.lo, b.hi, b.count, b.mean_confidence,
                  b.accuracy);
    out << line;
  }
  return out.str();
}

json CalibrationToJson(const Calibration& c) {
  json bins = json::array();
  for (const auto& b : c.bins) {
    bins.push_back({{"lo", b.lo}, {"hi", b.hi}, {"count", b.count}, {"mean_confidence", b.mean_confidence},
                    {"accuracy", b.accuracy}});
  }
  return {{"cases", c.cases}, {"ece", c.ece}, {"brier", c.brier}, {"bins", bins}};
}

}  // namespace adapters::cli
