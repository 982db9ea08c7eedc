// The fields indexed for an entry (see index_fields.h).
#include "knowledge/index_fields.h"

namespace knowledge {

std::vector<std::string> SplitOn(const std::string& s, const std::string& sep) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string::npos) {
      out.push_back(s.substr(start));
      break;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + sep.size();
  }
  return out;
}

std::string JoinWith(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); i++) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::string IndexFields::QuestionsColumn() const { return JoinWith(questions, kQuestionSeparator); }

IndexFields IndexFieldsFor(const bot::Entry& entry, const bot::Normalizer& normalizer) {
  IndexFields f;
  f.title = normalizer.IndexText(entry.title);
  f.questions.reserve(entry.questions.size());
  for (const auto& q : entry.questions) f.questions.push_back(normalizer.IndexText(q));
  f.tags = normalizer.IndexText(JoinWith(entry.tags, " , "));
  f.body = normalizer.IndexText(entry.body);
  return f;
}

}  // namespace knowledge
