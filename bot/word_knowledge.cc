#include "bot/word_knowledge.h"

#include <algorithm>
#include <charconv>

#include "embedded.h"

namespace careerbot {
extern const EmbeddedFile kLexiconFiles[];
}

namespace bot {
namespace {

std::string_view Field(std::string_view line, size_t* pos) {
  if (*pos > line.size()) return {};
  size_t end = line.find('\t', *pos);
  if (end == std::string_view::npos) end = line.size();
  std::string_view f = line.substr(*pos, end - *pos);
  *pos = end + 1;
  return f;
}

std::vector<std::string> SplitList(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) end = s.size();
    if (end > start) out.emplace_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

void AddUnique(std::vector<std::string>* v, std::string s) {
  if (std::find(v->begin(), v->end(), s) == v->end()) v->push_back(std::move(s));
}

// FNV-1a: short keys, no allocation.
uint32_t HashWord(std::string_view w) {
  uint32_t h = 2166136261u;
  for (char c : w) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  return h;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

WordKnowledge::WordKnowledge(std::string table) : owned_(std::move(table)), data_(owned_) { IndexLines(); }

WordKnowledge::WordKnowledge(std::string_view data, bool) : data_(data) { IndexLines(); }

void WordKnowledge::IndexLines() {
  size_t start = 0;
  while (start < data_.size()) {
    size_t end = data_.find('\n', start);
    if (end == std::string_view::npos) end = data_.size();
    if (end > start) lines_.push_back(static_cast<uint32_t>(start));
    start = end + 1;
  }
  size_t size = 16;
  while (size < 2 * lines_.size()) size *= 2;
  slots_.assign(size, 0);
  for (uint32_t line : lines_) {
    for (size_t i = HashWord(KeyAt(line)) & (size - 1);; i = (i + 1) & (size - 1)) {
      if (slots_[i] == 0) {
        slots_[i] = line + 1;
        break;
      }
      if (KeyAt(slots_[i] - 1) == KeyAt(line)) break;  // a repeated word: the first line stands
    }
  }
}

std::string_view WordKnowledge::KeyAt(uint32_t start) const {
  size_t end = start;
  while (end < data_.size() && data_[end] != '\t' && data_[end] != '\n') end++;
  return data_.substr(start, end - start);
}

const WordKnowledge& WordKnowledge::Builtin() {
  static const WordKnowledge* table = [] {
    std::string_view data;
    for (const careerbot::EmbeddedFile* f = careerbot::kLexiconFiles; f->path; f++) {
      data = std::string_view(reinterpret_cast<const char*>(f->data), f->size);
    }
    return new WordKnowledge(data, true);
  }();
  return *table;
}

bool WordKnowledge::Find(std::string_view word, Row* row) const {
  if (word.empty()) return false;
  const size_t mask = slots_.size() - 1;
  uint32_t start = 0;
  for (size_t i = HashWord(word) & mask;; i = (i + 1) & mask) {
    if (slots_[i] == 0) return false;
    if (KeyAt(slots_[i] - 1) == word) {
      start = slots_[i] - 1;
      break;
    }
  }
  const size_t end = data_.find('\n', start);
  std::string_view line = data_.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  size_t pos = 0;
  row->word = Field(line, &pos);
  row->flags = Field(line, &pos);
  std::string_view count = Field(line, &pos);
  row->count = 0;
  std::from_chars(count.data(), count.data() + count.size(), row->count);
  row->bases = Field(line, &pos);
  row->related = Field(line, &pos);
  row->expansions = Field(line, &pos);
  return true;
}

bool WordKnowledge::HasPos(std::string_view word, char pos) const {
  Row r;
  return Find(word, &r) && r.flags.find(pos) != std::string_view::npos;
}

std::vector<std::string> WordKnowledge::Lemmas(std::string_view word) const {
  std::vector<std::string> out;
  Row r;
  if (Find(word, &r)) {
    bool lemma = false;
    for (char c : r.flags) lemma = lemma || c == 'n' || c == 'v' || c == 'a' || c == 'r';
    if (lemma) out.emplace_back(word);
    for (auto& b : SplitList(r.bases, ',')) AddUnique(&out, b);
  }
  // WordNet's morphy: detachment rules per part of speech.
  struct Rule {
    const char* suffix;
    const char* ending;
    char pos;
  };
  static const Rule kRules[] = {
      {"s", "", 'n'},    {"ses", "s", 'n'}, {"xes", "x", 'n'}, {"zes", "z", 'n'},   {"ches", "ch", 'n'},
      {"shes", "sh", 'n'}, {"men", "man", 'n'}, {"ies", "y", 'n'}, {"s", "", 'v'},    {"ies", "y", 'v'},
      {"es", "e", 'v'},  {"es", "", 'v'},   {"ed", "e", 'v'},  {"ed", "", 'v'},     {"ing", "e", 'v'},
      {"ing", "", 'v'},  {"er", "", 'a'},   {"est", "", 'a'},  {"er", "e", 'a'},    {"est", "e", 'a'},
  };
  for (const Rule& rule : kRules) {
    if (!EndsWith(word, rule.suffix)) continue;
    std::string base(word.substr(0, word.size() - std::char_traits<char>::length(rule.suffix)));
    base += rule.ending;
    if (base.size() >= 2 && HasPos(base, rule.pos)) AddUnique(&out, base);
  }
  return out;
}

std::string WordKnowledge::PositiveForm(std::string_view word) const {
  const bool er = EndsWith(word, "er"), est = EndsWith(word, "est");
  if (word.size() < 5 || (!er && !est)) return "";
  Row self;
  const bool found = Find(word, &self);
  if (found && (self.flags.find('n') != std::string_view::npos || self.flags.find('v') != std::string_view::npos)) {
    return "";
  }
  // The base is an adjective, and more common than the word itself ("after"
  // is not a form of "aft", nor "later" of "late").
  const long own_count = found ? self.count : 0;
  auto adjective = [&](std::string_view base) {
    Row b;
    return Find(base, &b) && b.flags.find('a') != std::string_view::npos && b.count > own_count;
  };
  // The exception lists: "easier" -> "easy", "bigger" -> "big".
  if (found) {
    for (const std::string& b : SplitList(self.bases, ',')) {
      if (b != word && adjective(b) && b.size() + 1 < word.size()) return b;
    }
  }
  // morphy's adjective rules: "-er"/"-est" detached, or to "-e" ("safer").
  const size_t cut = er ? 2 : 3;
  std::string base(word.substr(0, word.size() - cut));
  if (base.size() >= 3 && adjective(base)) return base;
  base += 'e';
  if (base.size() >= 3 && adjective(base)) return base;
  return "";
}

bool WordKnowledge::IsPerson(std::string_view word) const {
  // A word that is a noun itself is read as an exception form ("men" ->
  // "man") only when the base is the more frequent word: "dive" is not the
  // plural of "diva", though noun.exc lists it so.
  Row self;
  const bool self_noun = Find(word, &self) && self.flags.find('n') != std::string_view::npos;
  const std::vector<std::string> exception_bases =
      self_noun ? SplitList(self.bases, ',') : std::vector<std::string>{};
  for (const std::string& l : Lemmas(word)) {
    Row r;
    if (!Find(l, &r) || r.flags.find('p') == std::string_view::npos) continue;
    const bool exception_base =
        l != word && std::find(exception_bases.begin(), exception_bases.end(), l) != exception_bases.end();
    if (exception_base && r.count <= self.count) continue;
    return true;
  }
  return false;
}

bool WordKnowledge::IsNoun(std::string_view word) const {
  for (const std::string& l : Lemmas(word)) {
    if (HasPos(l, 'n')) return true;
  }
  return false;
}

bool WordKnowledge::IsVerb(std::string_view word) const {
  for (const std::string& l : Lemmas(word)) {
    if (HasPos(l, 'v')) return true;
  }
  return false;
}

bool WordKnowledge::IsNounOnly(std::string_view word) const {
  const std::vector<std::string> lemmas = Lemmas(word);
  if (lemmas.empty()) return false;
  for (const std::string& l : lemmas) {
    for (char pos : {'v', 'a', 's', 'r'}) {
      if (HasPos(l, pos)) return false;
    }
  }
  return IsNoun(word);
}

bool WordKnowledge::IsAdverbOnly(std::string_view word) const {
  Row r;
  return Find(word, &r) && r.flags == "r";
}

long WordKnowledge::Count(std::string_view word) const {
  long best = -1;
  for (const std::string& l : Lemmas(word)) {
    Row r;
    if (Find(l, &r)) best = std::max(best, r.count);
  }
  return best;
}

std::vector<std::string> WordKnowledge::Related(std::string_view word) const {
  std::vector<std::string> lemmas = Lemmas(word);
  // "RESTful", "usefulness": a known word under a "-ful" or "-ness" suffix.
  for (std::string_view suffix : {"ful", "ness"}) {
    if (!EndsWith(word, suffix)) continue;
    std::string_view stem = word.substr(0, word.size() - suffix.size());
    if (stem.size() >= 3) {
      for (auto& l : Lemmas(stem)) AddUnique(&lemmas, l);
    }
  }
  std::vector<std::string> out = lemmas;
  for (const std::string& l : lemmas) {
    Row r;
    if (!Find(l, &r)) continue;
    for (auto& w : SplitList(r.related, ',')) AddUnique(&out, w);
  }
  return out;
}

std::vector<std::string> WordKnowledge::Expansions(std::string_view word) const {
  Row r;
  if (!Find(word, &r)) return {};
  return SplitList(r.expansions, '|');
}

}  // namespace bot
