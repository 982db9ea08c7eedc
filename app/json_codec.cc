#include "app/json_codec.h"

#include <cmath>
#include <ctime>

#include "knowledge/entry_json.h"

namespace adapters {

using nlohmann::json;

json AnswerToJson(const bot::Answer& a) {
  json sources = json::array();
  for (const auto& s : a.sources) {
    json src = {{"id", s.id}, {"title", s.title}, {"article", s.article}, {"section", s.section},
                {"score", s.score}};
    if (!s.url.empty()) src["url"] = s.url;
    sources.push_back(std::move(src));
  }
  json out = {{"answer", a.text},
              {"answered", a.answered},
              {"kind", a.kind},
              {"confidence", a.confidence},
              {"answer_id", a.answer_id},
              {"sources", sources},
              {"suggestions", a.suggestions},
              {"conversation_id", a.conversation_id}};
  json options = json::array();
  for (const auto& o : a.options) options.push_back({{"question", o.question}, {"entry_id", o.entry_id}});
  out["options"] = std::move(options);
  if (a.explanation) {
    const bot::Explanation& e = *a.explanation;
    json matches = json::object();
    for (const auto& m : e.matches) matches[m.field] = m.terms;
    out["explain"] = {{"query_terms", e.query_terms},
                      {"corrected", e.corrected},
                      {"context_terms", e.context_terms},
                      {"context", {{"used", e.context_used}, {"reason", e.context_reason}}},
                      {"matched_terms", matches},
                      {"winner",
                       {{"id", e.winner_id},
                        {"score", e.winner_score},
                        {"coverage", e.coverage},
                        {"question_similarity", e.question_similarity},
                        {"confidence", e.confidence},
                        {"hand_confidence", e.hand_confidence},
                        {"learned_confidence", e.learned_confidence >= 0 ? json(e.learned_confidence) : json(nullptr)}}},
                      {"runner_up",
                       {{"id", e.runner_up_id}, {"score", e.runner_up_score}, {"confidence", e.runner_up_confidence}}},
                      {"margin", e.margin},
                      {"threshold", e.threshold},
                      {"kb_version", e.kb_version}};
  }
  return out;
}

// One shape everywhere: the admin API, the JSONL export and the history.
json EntryToJson(const bot::Entry& e) { return knowledge::EntryToJson(e); }

json ErrorJson(const std::string& code, const std::string& message) {
  return {{"error", {{"code", code}, {"message", message}}}};
}

bool JsonNestingWithin(std::string_view text, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    // The parser (nlohmann::json) takes a NUL byte for the end of its input:
    // what follows is never parsed, so it does not count (found by
    // fuzz/json_fuzz.cc: "true\0[[[[..." parses as true).
    if (c == '\0') break;
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      depth--;
    }
  }
  return true;
}

std::string FormatUtc(int64_t seconds, const char* format) {
  time_t t = static_cast<time_t>(seconds);
  struct tm tm_utc;
  gmtime_r(&t, &tm_utc);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, format, &tm_utc);
  return std::string(buf, n);
}

std::string IsoTime(int64_t seconds) { return FormatUtc(seconds, "%Y-%m-%dT%H:%M:%SZ"); }

nlohmann::json GapToJson(const knowledge::Gap& g, size_t position) {
  nlohmann::json likely;
  if (!g.likely_entry_id.empty()) {
    likely = {{"id", g.likely_entry_id}, {"title", g.likely_entry_title}, {"confidence", g.likely_confidence}};
  }
  return {{"id", g.id},
          {"position", position},
          {"count", g.count},
          {"declined", g.declined},
          {"low_confidence", g.low_confidence},
          {"unhelpful", g.unhelpful},
          {"example", g.example},
          {"examples", g.examples},
          {"terms", g.terms},
          {"channels", g.channels},
          {"first_asked", IsoTime(g.first_asked)},
          {"last_asked", IsoTime(g.last_asked)},
          {"answered_by", g.answered_by},
          {"clarified", g.clarified},
          {"chosen", g.chosen_entry_id.empty() ? nlohmann::json(nullptr)
                                               : nlohmann::json({{"id", g.chosen_entry_id}, {"count", g.chosen_count}})},
          {"likely_entry", likely}};
}

}  // namespace adapters
