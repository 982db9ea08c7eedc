#include "adapters/cli/eval.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace adapters::cli {

using nlohmann::json;

namespace {
std::string ParseCase(const json& j, const std::string& default_id, EvalCase* out);
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
    std::string default_id = "line-" + std::to_string(line_no);
    if (j.contains("turns")) {
      const json& turns = j["turns"];
      if (!turns.is_array() || turns.empty()) return bad("'turns' must be a non-empty list of questions");
      std::string id = j.contains("id") && j["id"].is_string() ? j["id"].get<std::string>() : default_id;
      for (size_t t = 0; t < turns.size(); t++) {
        if (!turns[t].is_object()) return bad("turn " + std::to_string(t + 1) + ": not a JSON object");
        EvalCase c;
        std::string why = ParseCase(turns[t], id + "#" + std::to_string(t + 1), &c);
        if (!why.empty()) return bad("turn " + std::to_string(t + 1) + ": " + why);
        c.dialogue = id;
        c.turn = static_cast<int>(t);
        cases.push_back(std::move(c));
      }
      continue;
    }
    EvalCase c;
    std::string why = ParseCase(j, default_id, &c);
    if (!why.empty()) return bad(why);
    cases.push_back(std::move(c));
  }
  return cases;
}

namespace {
std::string ParseCase(const json& j, const std::string& default_id, EvalCase* out) {
    auto bad = [](const std::string& why) { return why; };
    EvalCase& c = *out;
    if (!j.contains("q") || !j["q"].is_string()) return bad("'q' must be a string");
    if (!j.contains("expect") || !j["expect"].is_string()) return bad("'expect' must be a string");
    c.question = j["q"];
    c.expect = j["expect"];
    if (c.expect != "answer" && c.expect != "decline" && c.expect != "smalltalk") {
      return bad("'expect' must be answer, decline or smalltalk");
    }
    c.id = j.contains("id") && j["id"].is_string() ? j["id"].get<std::string>() : default_id;
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
    return "";
}
}  // namespace

bot::Result<RawAnswers> AskAll(bot::KnowledgeSource* source, const std::vector<EvalCase>& cases,
                               const bot::AnswererOptions& options) {
  bot::Answerer answerer(source, options);
  RawAnswers raw;
  for (const EvalCase& c : cases) {
    bot::Question q;
    q.text = c.question;
    q.channel = "eval";
    // A dialogue's turns share one conversation; each run starts it afresh.
    if (!c.dialogue.empty()) q.conversation_id = "eval-dialogue:" + c.dialogue;
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
    std::vector<bot::Answer> chosen;
    for (const bot::ClarifyOption& o : a->options) {
      bot::Question pick;
      pick.text = o.question;
      pick.entry_id = o.entry_id;
      pick.channel = "eval";
      auto answer = answerer.Ask(pick);
      if (answer.ok()) chosen.push_back(std::move(*answer));
    }
    raw.chosen.resize(raw.answers.size());
    raw.chosen.push_back(std::move(chosen));
    raw.answers.push_back(std::move(*a));
  }
  raw.chosen.resize(raw.answers.size());
  return raw;
}

bool ClarificationHoldsRight(const EvalCase& c, const bot::Answer& a, const std::vector<bot::Answer>* chosen) {
  if (a.kind != "clarify" || c.expect != "answer") return false;
  for (const bot::ClarifyOption& o : a.options) {
    if (std::find(c.entries.begin(), c.entries.end(), o.entry_id) != c.entries.end()) return true;
  }
  if (chosen) {
    for (const bot::Answer& answer : *chosen) {
      if (AnswerIsRight(c, answer)) return true;
    }
  }
  return false;
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
    } else if (a.kind == "clarify") {
      o.kind = "clarify";
      o.answer = a.text;
      for (const auto& opt : a.options) o.options.push_back(opt.entry_id);
      r.clarify_total++;
      if (c.expect == "decline") r.clarify_on_decline++;
      o.clarified_right = ClarificationHoldsRight(c, a, i < raw.chosen.size() ? &raw.chosen[i] : nullptr);
      r.clarify_right += o.clarified_right;
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
  // Dialogues: right when every turn is.
  std::vector<std::pair<std::string, bool>> dialogues;  // in file order
  for (const EvalOutcome& o : r.outcomes) {
    if (o.c->dialogue.empty()) continue;
    if (dialogues.empty() || dialogues.back().first != o.c->dialogue || o.c->turn == 0) {
      dialogues.emplace_back(o.c->dialogue, true);
    }
    dialogues.back().second = dialogues.back().second && o.pass;
  }
  r.dialogue_total = static_cast<int>(dialogues.size());
  for (const auto& d : dialogues) r.dialogue_pass += d.second;
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
                        {"options", o.options},
                        {"answer", o.answer}});
  }
  json clarify = {{"offered", r.clarify_total},
                  {"share_of_questions", r.clarify_rate()},
                  {"with_right_entry", r.clarify_right},
                  {"right_share", r.clarify_right_rate()},
                  {"on_decline_cases", r.clarify_on_decline},
                  {"answerable_right_or_clarified", r.answer_or_clarify_rate()}};
  return {{"threshold", r.threshold},
          {"answerable", {{"pass", r.answer_pass}, {"total", r.answer_total}, {"accuracy", r.answer_rate()}}},
          {"decline", {{"pass", r.decline_pass}, {"total", r.decline_total}, {"accuracy", r.decline_rate()}}},
          {"smalltalk", {{"pass", r.smalltalk_pass}, {"total", r.smalltalk_total}, {"accuracy", r.smalltalk_rate()}}},
          {"turns", {{"pass", r.turn_pass()}, {"total", r.cases()}, {"accuracy", r.turn_rate()}}},
          {"dialogues", {{"pass", r.dialogue_pass}, {"total", r.dialogue_total}, {"accuracy", r.dialogue_rate()}}},
          {"clarify", clarify},
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
  if (r.dialogue_total) {
    std::snprintf(line, sizeof line, "  turns       %.3f  (%d/%d)\n  dialogues   %.3f  (%d/%d)\n", r.turn_rate(),
                  r.turn_pass(), r.cases(), r.dialogue_rate(), r.dialogue_pass, r.dialogue_total);
    out << line;
  }
  std::snprintf(line, sizeof line,
                "  clarify     %.3f of questions (%d), %d with the right entry among the options, %d on decline cases\n"
                "  answerable right or clarified with the right entry  %.3f\n",
                r.clarify_rate(), r.clarify_total, r.clarify_right, r.clarify_on_decline, r.answer_or_clarify_rate());
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
    out << line << "      q: " << o.c->question << "\n";
    if (!o.options.empty()) {
      out << "      options:";
      for (const auto& id : o.options) out << " " << id;
      out << (o.clarified_right ? "  (right entry offered)" : "") << "\n";
    } else {
      out << "      a: " << answer << "\n";
    }
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
