#include "bot/text.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <unordered_map>
#include <unordered_set>

#include "bot/stemmer.h"
#include "bot/word_knowledge.h"

namespace bot {
namespace {

constexpr size_t kMaxTokenBytes = 64;

// Decodes one UTF-8 sequence at s[i]; returns its code point and sets *len, or
// returns -1 (and *len = 1) for an invalid or truncated sequence.
int32_t DecodeUtf8(std::string_view s, size_t i, size_t* len) {
  auto b0 = static_cast<unsigned char>(s[i]);
  *len = 1;
  if (b0 < 0x80) return b0;
  int n;
  int32_t cp;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4;
    cp = b0 & 0x07;
  } else {
    return -1;
  }
  if (i + n > s.size()) return -1;
  for (int k = 1; k < n; k++) {
    auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (b & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are invalid.
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
      (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
    return -1;
  }
  *len = n;
  return cp;
}

void AppendUtf8(int32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool IsAsciiAlnum(int32_t cp) {
  return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
}
bool IsDigit(int32_t cp) { return cp >= '0' && cp <= '9'; }

// Letters outside ASCII that may be part of a word: Latin-1 letters through
// the end of the Cyrillic/Greek/Hebrew/Arabic/Indic blocks, and CJK. Symbols,
// punctuation, arrows and emoji are not.
bool IsWordCodePoint(int32_t cp) {
  if (cp < 0xC0) return false;
  if (cp == 0xD7 || cp == 0xF7) return false;
  if (cp < 0x2000) return true;
  if (cp >= 0x3040 && cp <= 0x9FFF) return true;
  if (cp >= 0xAC00 && cp <= 0xD7AF) return true;
  return false;
}

bool IsApostrophe(int32_t cp) { return cp == '\'' || cp == 0x2019; }

const std::unordered_set<std::string>& StopWords() {
  static const auto* words = new std::unordered_set<std::string>{
      "a", "about", "above", "actually", "after", "again", "all", "also", "am", "an", "and", "any",
      "anyone", "anything", "are", "arent", "as", "at", "basically", "be", "because", "been",
      "before", "being", "between", "both", "but", "by", "can", "cant", "could", "couldnt", "did",
      "didnt", "do", "does", "doesnt", "doing", "done", "dont", "down", "during", "each", "eg",
      "either", "else", "etc", "even", "ever", "every", "few", "for", "from", "further", "get",
      "gets", "getting", "got", "gonna", "guys", "had", "has", "have", "having", "he", "hello",
      "her", "here", "hers", "hey", "hi", "him", "his", "how", "i", "id", "ie", "if", "im", "in",
      "into", "is", "isnt", "it", "its", "itself", "ive", "just", "kind", "know", "let", "lets",
      "lol", "lot", "lots", "me", "might", "mine", "must", "my", "myself", "need", "needs",
      "no", "nor", "not", "now", "of", "off", "ok", "okay", "on", "once", "one", "only", "or",
      "other", "others", "ought", "our", "ours", "out", "over", "own", "per", "please", "pls",
      "plz", "quite", "rather", "really", "same", "say", "she", "should", "so", "some",
      "someone", "something", "sort", "such", "sure", "tell", "than", "that", "thats", "the",
      "their", "theirs", "them", "then", "there", "theres", "these", "they", "theyre", "thing",
      "things", "think", "this", "those", "through", "to", "too", "under", "until", "up",
      "upon", "us", "use", "used", "uses", "using", "very", "via", "wanna", "want", "was",
      "we", "well", "were", "what", "whats", "which", "while", "whom", "whose", "will", "with",
      "within", "without", "wont", "would", "wouldnt", "yes", "yet", "you", "youre", "your",
      "yours", "yourself", "whether", "take", "takes", "typically", "usually", "generally",
      "mostly", "probably", "currently", "nowadays", "today", "ones", "many", "much", "more",
      "most", "way", "ways", "going", "thanks", "thank", "thx", "cheers", "hiya", "yo", "give", "gives", "giving", "gave"};
  return *words;
}

const std::unordered_set<std::string>& WeakWords() {
  static const auto* words = new std::unordered_set<std::string>{
      "where", "why", "when", "who", "long", "best", "good", "better", "great", "top", "common",
      "popular", "important", "become", "becoming", "start", "starting", "first", "new", "main",
      "major", "different", "difference", "work", "working", "job", "jobs", "people", "person",
      "learn", "learning", "make", "makes", "making", "time", "right", "like", "year", "years",
      "day", "big", "help", "explain", "mean", "means", "meaning", "define", "definition",
      "example", "examples", "someone", "option", "options", "choose", "pick", "worth", "next",
      "typical", "average", "today", "actual", "real", "easy", "hard", "difficult", "pros", "cons"};
  return *words;
}

}  // namespace

std::string SanitizeUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t len;
    int32_t cp = DecodeUtf8(text, i, &len);
    if (cp < 0) {
      AppendUtf8(0xFFFD, &out);
    } else if (cp < 0x20 && cp != '\t' && cp != '\n') {
      out.push_back(cp == '\r' ? '\n' : ' ');
    } else if (cp == 0x7F) {
      out.push_back(' ');
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  return out;
}

bool IsValidUtf8(std::string_view text) {
  for (size_t i = 0, len = 0; i < text.size(); i += len) {
    if (DecodeUtf8(text, i, &len) < 0) return false;
  }
  return true;
}

std::string RepairUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0, len = 0; i < text.size(); i += len) {
    if (DecodeUtf8(text, i, &len) < 0) {
      AppendUtf8(0xFFFD, &out);
    } else {
      out.append(text.substr(i, len));
    }
  }
  return out;
}

std::string_view TruncateUtf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  // Step back over continuation bytes so a sequence is never split.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) end--;
  return text.substr(0, end);
}

std::vector<std::string> Tokenize(std::string_view text) {
  std::vector<std::string> tokens;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) {
      if (cur.size() > kMaxTokenBytes) cur.resize(std::string(TruncateUtf8(cur, kMaxTokenBytes)).size());
      tokens.push_back(std::move(cur));
      cur.clear();
    }
  };
  size_t i = 0;
  while (i < text.size()) {
    size_t len;
    int32_t cp = DecodeUtf8(text, i, &len);
    if (IsAsciiAlnum(cp)) {
      cur.push_back(static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
      i += len;
      continue;
    }
    if (cp > 0 && IsWordCodePoint(cp)) {
      // Latin-1 capitals fold to lower case; other scripts are kept as written.
      if (cp >= 0xC0 && cp <= 0xDE) cp += 0x20;
      AppendUtf8(cp, &cur);
      i += len;
      continue;
    }
    size_t next_len = 0;
    int32_t next = i + len < text.size() ? DecodeUtf8(text, i + len, &next_len) : -1;
    if (!cur.empty() && (cp == '+' || cp == '#') && cur == "c") {
      if (cp == '#') {
        cur = "csharp";
        i += len;
      } else if (next == '+') {
        cur = "cplusplus";
        i += len + next_len;
      } else {
        i += len;
      }
      flush();
      continue;
    }
    // "e.g" and "i.e", with or without their last dot, are one word each (the
    // stop words "eg" and "ie"), not the letters "e" and "g".
    if (cp == '.' && cur.size() == 1 && i + len < text.size()) {
      const char a = cur[0], b = static_cast<char>(std::tolower(static_cast<unsigned char>(text[i + len])));
      const size_t after = i + len + 1;
      const bool word_ends = after >= text.size() || !IsAsciiAlnum(static_cast<unsigned char>(text[after]));
      if (word_ends && ((a == 'e' && b == 'g') || (a == 'i' && b == 'e'))) {
        cur.push_back(b);
        i = after;
        flush();
        continue;
      }
    }
    // Joiners inside a word: node.js, what's, 100,000.
    bool joins = false;
    if (!cur.empty() && next >= 0) {
      // "node.js" joins, but "u.s." and "e.g." stay letters apart.
      if (cp == '.' && IsAsciiAlnum(next)) {
        size_t run = 0;
        for (size_t k = i + len; k < text.size() && IsAsciiAlnum(static_cast<unsigned char>(text[k])); k++) run++;
        joins = cur.size() >= 2 || run >= 2;
      }
      if (IsApostrophe(cp) && IsAsciiAlnum(next)) joins = true;
      if (cp == ',' && IsDigit(next) && IsDigit(static_cast<unsigned char>(cur.back()))) joins = true;
    }
    if (!joins) flush();
    i += len;
  }
  flush();
  return tokens;
}

uint32_t AskForm(std::string_view text) {
  enum : uint32_t {
    kHowMany = 1u << 0, kHowMuch = 1u << 1, kHowLong = 1u << 2, kHowOften = 1u << 3, kHowHard = 1u << 4,
    kHow = 1u << 5, kWhy = 1u << 6, kWho = 1u << 7, kWhere = 1u << 8, kWhen = 1u << 9, kWhich = 1u << 10,
    kWhat = 1u << 11,
    // A yes/no question and advice ("should I ...?") ask alike for a verdict:
    // "do I need SQL before NoSQL?" is "should I learn SQL first?".
    kYesNo = 1u << 12,
  };
  static const std::unordered_map<std::string, uint32_t> kAfterHow = {
      {"many", kHowMany}, {"much", kHowMuch},  {"long", kHowLong},      {"often", kHowOften},
      {"hard", kHowHard}, {"difficult", kHowHard}, {"easy", kHowHard}, {"tough", kHowHard}};
  static const std::unordered_map<std::string, uint32_t> kWords = {
      {"why", kWhy},      {"who", kWho},      {"whom", kWho},       {"whose", kWho},     {"where", kWhere},
      {"when", kWhen},    {"which", kWhich},  {"what", kWhat},      {"whats", kWhat},    {"should", kYesNo},
      {"shall", kYesNo}};
  static const std::unordered_set<std::string> kAuxiliaries = {
      "is", "are", "am", "was", "were", "do", "does", "did", "can", "could", "will", "would",
      "has", "have", "may", "might", "must", "isnt", "arent", "dont", "doesnt", "cant", "wont"};
  static const std::unordered_set<std::string> kOpeners = {"hey", "hi", "hello", "so", "ok", "okay", "well",
                                                            "please", "honestly", "guys", "folks", "and", "but"};
  const std::vector<std::string> words = Tokenize(text);
  // The first question word among the first few ("so, how many ...", "hey
  // can you tell me how much ..."); else a yes/no question when it opens
  // with an auxiliary ("is it ...", "ok, do I need ...").
  const size_t limit = std::min<size_t>(words.size(), 8);
  for (size_t i = 0; i < limit; i++) {
    const std::string& w = words[i];
    if (w == "how") {
      if (i + 1 < words.size()) {
        auto it = kAfterHow.find(words[i + 1]);
        if (it != kAfterHow.end()) return it->second;
      }
      return kHow;
    }
    auto it = kWords.find(w);
    if (it != kWords.end()) return it->second;
  }
  size_t first = 0;
  while (first < words.size() && kOpeners.count(words[first])) first++;
  if (first < words.size() && kAuxiliaries.count(words[first])) return kYesNo;
  return 0;
}

bool IsStopWord(std::string_view token) { return StopWords().count(std::string(token)) > 0; }
bool IsWeakWord(std::string_view token) { return WeakWords().count(std::string(token)) > 0; }

bool IsWeakStem(std::string_view term) {
  static const std::unordered_set<std::string> stems = [] {
    std::unordered_set<std::string> out;
    for (const std::string& w : WeakWords()) out.insert(PorterStem(w));
    return out;
  }();
  return stems.count(std::string(term)) > 0;
}


namespace {

// A token's index stem: Porter's, of the positive form of a comparative or
// superlative ("faster", "fastest" -> "fast"), so that "which is faster?"
// meets "is Python fast enough?". WordNet decides what is one
// (WordKnowledge::PositiveForm).
std::string IndexStem(const std::string& token) {
  std::string positive = token.size() >= 5 ? WordKnowledge::Builtin().PositiveForm(token) : std::string();
  return PorterStem(positive.empty() ? token : positive);
}

constexpr size_t kExactWordMax = 3;
}  // namespace

SynonymTable SynonymTable::Parse(std::string_view text, std::vector<std::string>* warnings) {
  SynonymTable table;
  table.text_ = std::string(text);
  std::vector<std::string> domain_lines;
  size_t line_no = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = Trim(text.substr(start, end - start));
    start = end + 1;
    line_no++;
    if (line.empty() || line[0] == '#') {
      if (end == text.size()) break;
      continue;
    }
    if (line.rfind("@domain:", 0) == 0) {
      domain_lines.emplace_back(line.substr(8));
      if (end == text.size()) break;
      continue;
    }
    std::vector<Item> items;
    size_t p = 0;
    while (p <= line.size()) {
      size_t comma = line.find(',', p);
      if (comma == std::string_view::npos) comma = line.size();
      Item item;
      for (auto& token : Tokenize(line.substr(p, comma - p))) {
        bool exact = token.size() <= kExactWordMax;
        item.words.push_back(exact ? token : IndexStem(token));
        item.exact.push_back(exact);
      }
      if (!item.words.empty()) items.push_back(std::move(item));
      p = comma + 1;
    }
    if (items.size() < 2) {
      if (warnings) warnings->push_back("synonyms line " + std::to_string(line_no) + ": a group needs two or more items");
      if (end == text.size()) break;
      continue;
    }
    std::string canonical;
    for (auto& w : items[0].words) canonical += w;
    for (auto& item : items) {
      item.canonical = canonical;
      if (item.words.size() == 1 && !item.exact[0]) {
        auto [it, inserted] = table.single_.emplace(item.words[0], canonical);
        if (!inserted && it->second != canonical && warnings) {
          warnings->push_back("synonyms line " + std::to_string(line_no) + ": '" + item.words[0] +
                              "' is already in the group of '" + it->second + "'");
        }
      } else {
        std::string first = item.words[0];
        table.items_[first].push_back(std::move(item));
      }
    }
    table.groups_++;
    if (end == text.size()) break;
  }
  // Longest phrase first, so "work from home" wins over a shorter prefix.
  for (auto& [first, list] : table.items_) {
    std::stable_sort(list.begin(), list.end(),
                     [](const Item& a, const Item& b) { return a.words.size() > b.words.size(); });
  }
  // Domain terms go through the groups, so they name canonical terms.
  Normalizer normalizer(table);
  for (const std::string& words : domain_lines) {
    for (const Term& t : normalizer.Terms(words)) table.domain_.insert(t.term);
  }
  return table;
}

const std::string* SynonymTable::Match(const std::vector<std::string>& tokens, const std::vector<std::string>& stems,
                                       size_t pos, size_t* length) const {
  // Items are keyed by their first word, which is a stem or (exact) a typed word.
  for (const std::string* key : {&stems[pos], &tokens[pos]}) {
    auto it = items_.find(*key);
    if (it == items_.end()) continue;
    for (const Item& item : it->second) {
      if (pos + item.words.size() > stems.size()) continue;
      bool all = true;
      for (size_t k = 0; all && k < item.words.size(); k++) {
        all = item.words[k] == (item.exact[k] ? tokens[pos + k] : stems[pos + k]);
      }
      if (all) {
        *length = item.words.size();
        return &item.canonical;
      }
    }
  }
  auto single = single_.find(stems[pos]);
  if (single != single_.end()) {
    *length = 1;
    return &single->second;
  }
  return nullptr;
}

Normalizer::Normalizer(SynonymTable synonyms) : synonyms_(std::move(synonyms)) {}

namespace {

// "How much do backend developers make?": after "how much", the verb "make"
// with no object of its own asks about pay, and is read as "earn". With an
// object it is the ordinary verb ("how much does it cost to make an app",
// "how much effort to make it work"); "a year", "an hour" and the like are
// no object.
void ReadPayMake(std::vector<std::string>* tokens) {
  static const std::unordered_set<std::string> kMake = {"make", "makes", "making"};
  static const std::unordered_set<std::string> kObjects = {"a",    "an",    "the",  "my",   "your", "our",
                                                           "their", "his",  "her",  "its",  "it",   "this",
                                                           "that", "these", "those", "sure", "use",  "sense",
                                                           "up",   "them",  "one",  "some", "any"};
  static const std::unordered_set<std::string> kPeriods = {"year", "month", "week", "day", "hour"};
  std::vector<std::string>& t = *tokens;
  bool how_much = false;
  for (size_t i = 0; i < t.size(); i++) {
    if (i + 1 < t.size() && t[i] == "how" && t[i + 1] == "much") how_much = true;
    if (!how_much || !kMake.count(t[i])) continue;
    const bool last = i + 1 == t.size();
    const bool period = i + 2 < t.size() && (t[i + 1] == "a" || t[i + 1] == "an") && kPeriods.count(t[i + 2]);
    if (last || period || !kObjects.count(t[i + 1])) t[i] = "earn";
  }
}

}  // namespace

std::vector<Term> Normalizer::Terms(std::string_view text, bool expand_phrases) const {
  std::string clean = SanitizeUtf8(TruncateUtf8(text, kMaxTextBytes));
  std::vector<std::string> tokens = Tokenize(clean);
  ReadPayMake(&tokens);
  std::vector<std::string> stems;
  stems.reserve(tokens.size());
  for (auto& t : tokens) stems.push_back(IndexStem(t));
  std::vector<Term> terms;
  size_t i = 0;
  while (i < stems.size()) {
    size_t length = 0;
    if (const std::string* canonical = synonyms_.Match(tokens, stems, i, &length)) {
      std::string surface;
      for (size_t k = i; k < i + length; k++) surface += (k > i ? " " : "") + tokens[k];
      // A weak word stays weak when a synonym group maps it ("popular").
      terms.push_back({*canonical, surface, length == 1 && IsWeakWord(tokens[i])});
      if (expand_phrases && length > 1) {
        for (size_t k = i; k < i + length; k++) {
          if (!IsStopWord(tokens[k]) && stems[k] != *canonical) terms.push_back({stems[k], tokens[k], false});
        }
      }
      i += length;
      continue;
    }
    if (!IsStopWord(tokens[i])) terms.push_back({stems[i], tokens[i], IsWeakWord(tokens[i])});
    i++;
  }
  return terms;
}

std::string Normalizer::IndexText(std::string_view text) const {
  std::string out;
  for (auto& term : Terms(text, /*expand_phrases=*/true)) {
    if (!out.empty()) out.push_back(' ');
    out += term.term;
  }
  return out;
}

bool IsBlank(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == ' ' || (c >= '\t' && c <= '\r')) {
      i++;
      continue;
    }
    // A UTF-8 sequence of 2 or 3 bytes (every blank code point is below U+10000).
    uint32_t cp = 0;
    size_t len = 0;
    if ((c & 0xE0) == 0xC0 && i + 1 < s.size()) {
      cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
      len = 2;
    } else if ((c & 0xF0) == 0xE0 && i + 2 < s.size()) {
      cp = ((c & 0x0Fu) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6) |
           (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
      len = 3;
    } else {
      return false;
    }
    const bool blank = cp == 0x85 || cp == 0xA0 || cp == 0x1680 || cp == 0x180E || (cp >= 0x2000 && cp <= 0x200D) ||
                       cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x2060 ||
                       cp == 0x3000 || cp == 0xFEFF;
    if (!blank) return false;
    i += len;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\n' || s[b] == '\r')) b++;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\n' || s[e - 1] == '\r')) e--;
  return s.substr(b, e - b);
}

std::vector<std::string> SplitSentences(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); i++) {
    char c = text[i];
    bool end = false;
    if (c == '\n') {
      end = true;
    } else if ((c == '.' || c == '!' || c == '?') && (i + 1 == text.size() || text[i + 1] == ' ' || text[i + 1] == '\n')) {
      // "e.g." and "U.S." do not end a sentence: a one-letter word before the dot.
      bool abbreviation = c == '.' && i >= 2 && text[i - 2] == '.';
      abbreviation = abbreviation || (c == '.' && i >= 1 && i + 2 < text.size() && text[i + 1] == ' ' &&
                                      text[i + 2] >= 'a' && text[i + 2] <= 'z');
      end = !abbreviation;
    }
    if (end) {
      auto s = Trim(text.substr(start, i + 1 - start));
      if (!s.empty()) out.emplace_back(s);
      start = i + 1;
    }
  }
  auto s = Trim(text.substr(start));
  if (!s.empty()) out.emplace_back(s);
  return out;
}

}  // namespace bot
