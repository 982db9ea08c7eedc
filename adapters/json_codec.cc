#include "adapters/json_codec.h"

#include <cmath>

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
  if (a.explanation) {
    const bot::Explanation& e = *a.explanation;
    json matches = json::object();
    for (const auto& m : e.matches) matches[m.field] = m.terms;
    out["explain"] = {{"query_terms", e.query_terms},
                      {"corrected", e.corrected},
                      {"context_terms", e.context_terms},
                      {"matched_terms", matches},
                      {"winner",
                       {{"id", e.winner_id},
                        {"score", e.winner_score},
                        {"coverage", e.coverage},
                        {"question_similarity", e.question_similarity},
                        {"confidence", e.confidence}}},
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

}  // namespace adapters
