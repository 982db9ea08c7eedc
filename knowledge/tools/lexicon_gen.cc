// Build-time tool: compiles the parts of Debian's WordNet 3.0 (wordnet-base)
// and of the Free On-line Dictionary of Computing (dict-foldoc) that the
// answerer uses into one compact, sorted text table (bot/word_knowledge.h
// reads it). Nothing here runs at answer time, and nothing is downloaded.
//
// Usage: lexicon_gen OUT WORDNET_DIR FOLDOC_DICT_DZ
//
// The table has one line per word, sorted bytewise by word, tab-separated:
//   word  flags  count  bases  related  expansions
//   - word: a lower-case single word (WordNet lemma, inflected exception form,
//     or FOLDOC abbreviation);
//   - flags: n v a r for the parts of speech WordNet has it as a lemma, p when
//     its most frequent noun sense is a person (hypernym closure under
//     person.n.01: "lawyer", "firefighter", "nurse") and it is used as a noun
//     (some of its sense tags are noun tags, or it has none: not "straight");
//   - count: how often its senses were tagged in WordNet's semantic
//     concordance (cntlist.rev): a general-English frequency;
//   - bases: comma-separated lemmas this form is an exception inflection of
//     (noun.exc, verb.exc, adj.exc, adv.exc: "children" -> "child");
//   - related: comma-separated single-word lemmas that are synset members or
//     derivationally related forms of its main senses: those with at least a
//     quarter of its sense tag count, or its first sense when it has none
//     ("specialization" -> "specialize", "specialise", ...; "buy" ->
//     "purchase" but not "steal", a rare sense);
//   - expansions: '|'-separated lower-case phrases an abbreviation stands for,
//     from FOLDOC (an entry whose headwords hold the abbreviation and a phrase
//     whose initials spell it, or whose body starts "(ABBR)" or is only a
//     link to such a phrase).
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace {

struct Synset {
  std::vector<std::string> words;  // lower-case, '_' for spaces
  std::vector<std::pair<std::string, long>> hyponyms;
  // Derivation pointers: (source word number, 0 = all; target pos; target offset; target word number).
  struct Ptr {
    int source;
    char pos;
    long offset;
    int target;
  };
  std::vector<Ptr> derivations;
};

struct Word {
  std::set<char> flags;
  long count = 0;
  std::set<std::string> bases;
  std::vector<std::string> related;  // in order of discovery, unique
  std::set<std::string> expansions;
};

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  *out = s.str();
  return true;
}

bool ReadGzip(const std::string& path, std::string* out) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) return false;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out->append(buf, static_cast<size_t>(n));
  bool ok = n == 0;
  gzclose(f);
  return ok;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> w;
  std::istringstream in(line);
  for (std::string s; in >> s;) w.push_back(s);
  return w;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A word the table keeps: lower-case letters, digits and inner hyphens or dots.
bool Keepable(const std::string& w) {
  if (w.empty() || w.size() > 40) return false;
  for (char c : w) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' ||
          c == '.')) {
      return false;
    }
  }
  return std::isalnum(static_cast<unsigned char>(w[0])) != 0;
}

// WordNet's lemma in a data file: "Sunday" or "dwarf(p)" -> lower case, no marker.
std::string CleanLemma(std::string w) {
  size_t paren = w.find('(');
  if (paren != std::string::npos) w = w.substr(0, paren);
  return Lower(w);
}

void AddRelated(Word* w, const std::string& self, const std::string& other) {
  if (other == self || !Keepable(other)) return;
  if (std::find(w->related.begin(), w->related.end(), other) == w->related.end()) w->related.push_back(other);
}

// The initials of a phrase's words, and of the capitals inside a word
// ("JavaScript Object Notation" -> "jon"; "PostScript" counts once).
std::string Initials(const std::string& phrase) {
  std::string out;
  bool start = true;
  for (char c : phrase) {
    if (c == ' ' || c == '-' || c == '/') {
      start = true;
      continue;
    }
    if (start && std::isalnum(static_cast<unsigned char>(c))) out += static_cast<char>(std::tolower(c));
    start = false;
  }
  return out;
}

bool IsAbbreviation(const std::string& w) {
  if (w.size() < 2 || w.size() > 6) return false;
  int upper = 0;
  for (char c : w) {
    if (std::isupper(static_cast<unsigned char>(c))) upper++;
    else if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') return false;
  }
  return upper >= 2;
}

bool IsPhrase(const std::string& p) {
  if (p.find(' ') == std::string::npos || p.size() > 60) return false;
  for (char c : p) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == '-')) return false;
  }
  return true;
}


const char kPosNames[4][5] = {"noun", "verb", "adj", "adv"};
const char kPosChars[4] = {'n', 'v', 'a', 'r'};

// What the table is built from, read from WordNet's files.
struct WordNet {
  // Synsets, by part of speech and offset.
  std::map<char, std::unordered_map<long, Synset>> synsets;
  // Sense lists per lemma and part of speech.
  std::map<std::string, std::map<char, std::vector<long>>> senses;
  // Everything under person.n.01 (its first noun sense), by hyponym links.
  std::unordered_set<long> persons;
  // Tag counts per sense (cntlist.rev: "lemma%ss_type:... sense_number tag_cnt"):
  // how often each sense of a lemma was seen in WordNet's semantic concordance.
  std::map<std::string, std::map<char, std::map<int, long>>> sense_counts;
};

// data.*: every synset's words, hyponyms and derivation links.
bool ReadSynsets(const std::string& wn, WordNet* net) {
  auto& synsets = net->synsets;
  const auto& pos_names = kPosNames;
  const auto& pos_chars = kPosChars;
  for (int p = 0; p < 4; p++) {
    std::string text;
    if (!ReadFile(wn + "data." + pos_names[p], &text)) {
      std::fprintf(stderr, "lexicon_gen: cannot read %sdata.%s\n", wn.c_str(), pos_names[p]);
      return false;
    }
    for (const std::string& line : Lines(text)) {
      if (line.empty() || line[0] == ' ') continue;  // licence header
      std::string head = line.substr(0, line.find('|'));
      std::vector<std::string> f = Split(head);
      if (f.size() < 4) continue;
      long offset = std::stol(f[0]);
      size_t i = 3;
      int w_cnt = static_cast<int>(std::stol(f[i++], nullptr, 16));
      Synset s;
      for (int k = 0; k < w_cnt && i + 1 < f.size(); k++, i += 2) s.words.push_back(CleanLemma(f[i]));
      if (i >= f.size()) continue;
      int p_cnt = std::stoi(f[i++]);
      for (int k = 0; k < p_cnt && i + 3 < f.size(); k++, i += 4) {
        const std::string& sym = f[i];
        long target = std::stol(f[i + 1]);
        char tpos = f[i + 2][0] == 's' ? 'a' : f[i + 2][0];
        const std::string& st = f[i + 3];
        if (sym == "~" && p == 0) s.hyponyms.emplace_back("n", target);
        if (sym == "+") {
          int source = static_cast<int>(std::stol(st.substr(0, 2), nullptr, 16));
          int tword = static_cast<int>(std::stol(st.substr(2, 2), nullptr, 16));
          s.derivations.push_back({source, tpos, target, tword});
        }
      }
      synsets[pos_chars[p]][offset] = std::move(s);
    }
  }

  return true;
}

// index.*: each lemma's senses; then the persons, by hyponym closure.
bool ReadSenses(const std::string& wn, WordNet* net) {
  auto& synsets = net->synsets;
  auto& senses = net->senses;
  auto& persons = net->persons;
  const auto& pos_names = kPosNames;
  const auto& pos_chars = kPosChars;
  for (int p = 0; p < 4; p++) {
    std::string text;
    if (!ReadFile(wn + "index." + pos_names[p], &text)) {
      std::fprintf(stderr, "lexicon_gen: cannot read %sindex.%s\n", wn.c_str(), pos_names[p]);
      return false;
    }
    for (const std::string& line : Lines(text)) {
      if (line.empty() || line[0] == ' ') continue;
      std::vector<std::string> f = Split(line);
      if (f.size() < 6) continue;
      size_t synset_cnt = std::stoul(f[2]);
      size_t p_cnt = std::stoul(f[3]);
      size_t first = 4 + p_cnt + 2;
      if (first + synset_cnt > f.size()) continue;
      std::vector<long> offs;
      for (size_t k = 0; k < synset_cnt; k++) offs.push_back(std::stol(f[first + k]));
      const std::string lemma = Lower(f[0]);
      senses[lemma][pos_chars[p]] = offs;
      if (lemma == "person" && p == 0 && !offs.empty()) persons.insert(offs[0]);
    }
  }
  {
    std::vector<long> queue(persons.begin(), persons.end());
    while (!queue.empty()) {
      long o = queue.back();
      queue.pop_back();
      auto it = synsets['n'].find(o);
      if (it == synsets['n'].end()) continue;
      for (const auto& h : it->second.hyponyms) {
        if (persons.insert(h.second).second) queue.push_back(h.second);
      }
    }
  }

  return true;
}

// cntlist.rev: tag counts per sense.
bool ReadSenseCounts(const std::string& wn, WordNet* net) {
  auto& sense_counts = net->sense_counts;
  {
    std::string text;
    if (!ReadFile(wn + "cntlist.rev", &text)) {
      std::fprintf(stderr, "lexicon_gen: cannot read %scntlist.rev\n", wn.c_str());
      return false;
    }
    const char kTypes[] = {'?', 'n', 'v', 'a', 'r', 'a'};
    for (const std::string& line : Lines(text)) {
      std::vector<std::string> f = Split(line);
      if (f.size() != 3) continue;
      size_t pct = f[0].find('%');
      if (pct == std::string::npos || pct + 1 >= f[0].size()) continue;
      int type = f[0][pct + 1] - '0';
      if (type < 1 || type > 5) continue;
      sense_counts[Lower(f[0].substr(0, pct))][kTypes[type]][std::stoi(f[1])] += std::stol(f[2]);
    }
  }

  return true;
}

// Each keepable lemma: its parts of speech, whether it is a person, and the
// synonyms and derivations of its main senses.
void AddRelatedWords(WordNet& net, std::map<std::string, Word>* words_out) {
  auto& words = *words_out;
  auto& synsets = net.synsets;
  const auto& senses = net.senses;
  const auto& persons = net.persons;
  const auto& sense_counts = net.sense_counts;
  for (const auto& entry : senses) {
    // Named references, not structured bindings: a C++17 lambda cannot capture
    // a structured binding (clang refuses; the fuzz build uses clang).
    const auto& lemma = entry.first;
    const auto& by_pos = entry.second;
    if (!Keepable(lemma)) continue;
    // The senses that carry the word's usage: those with at least a quarter
    // of its tag count; for a word never tagged, its first sense of its first
    // part of speech.
    long total = 0;
    auto counts = sense_counts.find(lemma);
    if (counts != sense_counts.end()) {
      for (const auto& [pos, by_sense] : counts->second) {
        for (const auto& [n, c] : by_sense) total += c;
      }
    }
    auto main_sense = [&](char pos, size_t k) {
      if (total == 0) return k == 0 && pos == by_pos.begin()->first;
      long c = 0;
      if (counts != sense_counts.end()) {
        auto p = counts->second.find(pos);
        if (p != counts->second.end()) {
          auto s = p->second.find(static_cast<int>(k) + 1);
          if (s != p->second.end()) c = s->second;
        }
      }
      return c > 0 && 4 * c >= total;
    };
    // A person only when the word is used as a noun: a word whose tagged uses
    // are all adjective, adverb or verb ("straight", "great", "hire",
    // "monitor") names no person in a question, whatever its first noun sense.
    long noun_tags = 0;
    if (counts != sense_counts.end()) {
      auto n = counts->second.find('n');
      if (n != counts->second.end()) {
        for (const auto& [k, c] : n->second) noun_tags += c;
      }
    }
    const bool used_as_noun = total == 0 || noun_tags > 0;
    Word& w = words[lemma];
    for (const auto& [pos, offs] : by_pos) {
      w.flags.insert(pos);
      if (pos == 'n' && !offs.empty() && persons.count(offs[0]) && used_as_noun) w.flags.insert('p');
      for (size_t k = 0; k < offs.size(); k++) {
        if (!main_sense(pos, k)) continue;
        auto it = synsets[pos].find(offs[k]);
        if (it == synsets[pos].end()) continue;
        const Synset& s = it->second;
        int self = 0;
        for (size_t j = 0; j < s.words.size(); j++) {
          if (s.words[j] == lemma) self = static_cast<int>(j) + 1;
        }
        for (const std::string& other : s.words) AddRelated(&w, lemma, other);
        for (const auto& d : s.derivations) {
          if (d.source != 0 && d.source != self) continue;
          auto t = synsets[d.pos].find(d.offset);
          if (t == synsets[d.pos].end()) continue;
          if (d.target >= 1 && static_cast<size_t>(d.target) <= t->second.words.size()) {
            AddRelated(&w, lemma, t->second.words[d.target - 1]);
          }
        }
      }
    }
  }

}

bool AddTagCounts(const std::string& wn, std::map<std::string, Word>* words_out) {
  auto& words = *words_out;
  // Tag counts: a lemma's general-English frequency.
  {
    std::string text;
    if (!ReadFile(wn + "cntlist.rev", &text)) {
      std::fprintf(stderr, "lexicon_gen: cannot read %scntlist.rev\n", wn.c_str());
      return false;
    }
    for (const std::string& line : Lines(text)) {
      std::vector<std::string> f = Split(line);
      if (f.size() != 3) continue;
      std::string lemma = Lower(f[0].substr(0, f[0].find('%')));
      auto it = words.find(lemma);
      if (it != words.end()) it->second.count += std::stol(f[2]);
    }
  }

  return true;
}

bool AddExceptions(const std::string& wn, std::map<std::string, Word>* words_out) {
  auto& words = *words_out;
  const auto& pos_names = kPosNames;
  // Exception lists: inflected forms and their lemmas.
  for (int p = 0; p < 4; p++) {
    std::string text;
    if (!ReadFile(wn + pos_names[p] + ".exc", &text)) {
      std::fprintf(stderr, "lexicon_gen: cannot read %s%s.exc\n", wn.c_str(), pos_names[p]);
      return false;
    }
    for (const std::string& line : Lines(text)) {
      std::vector<std::string> f = Split(line);
      if (f.size() < 2 || !Keepable(Lower(f[0]))) continue;
      Word& w = words[Lower(f[0])];
      for (size_t k = 1; k < f.size(); k++) {
        if (Keepable(Lower(f[k]))) w.bases.insert(Lower(f[k]));
      }
    }
  }

  return true;
}

bool AddAbbreviations(const std::string& foldoc, std::map<std::string, Word>* words_out) {
  auto& words = *words_out;
  // FOLDOC: abbreviations and what they stand for.
  {
    std::string text;
    if (!ReadGzip(foldoc, &text)) {
      std::fprintf(stderr, "lexicon_gen: cannot read %s\n", foldoc.c_str());
      return false;
    }
    // An entry: headword lines (not indented) then an indented body.
    std::vector<std::string> lines = Lines(text);
    size_t i = 0;
    size_t kept = 0;
    while (i < lines.size()) {
      std::vector<std::string> heads;
      while (i < lines.size() && !lines[i].empty() && lines[i][0] != ' ' && lines[i][0] != '\t') heads.push_back(lines[i++]);
      std::string body;
      while (i < lines.size() && (lines[i].empty() || lines[i][0] == ' ' || lines[i][0] == '\t')) {
        body += lines[i++] + "\n";
      }
      if (heads.empty()) {
        if (i < lines.size() && body.empty()) i++;
        continue;
      }
      std::vector<std::string> abbrevs, phrases;
      for (const std::string& h : heads) {
        if (IsAbbreviation(h)) abbrevs.push_back(h);
        else if (IsPhrase(h)) phrases.push_back(h);
      }
      // "(ABBR)" early in the body of a phrase's entry.
      for (const std::string& h : heads) {
        if (!IsPhrase(h)) continue;
        size_t open = body.find('(');
        if (open == std::string::npos || open > 80) continue;
        size_t close = body.find(')', open);
        if (close == std::string::npos) continue;
        std::string inside = body.substr(open + 1, close - open - 1);
        inside = inside.substr(0, inside.find(','));
        if (IsAbbreviation(inside)) {
          abbrevs.push_back(inside);
          phrases.push_back(h);
        }
      }
      // An abbreviation's entry that is only links: "{object relational mapping}".
      for (const std::string& h : heads) {
        if (!IsAbbreviation(h)) continue;
        size_t pos = 0;
        while ((pos = body.find('{', pos)) != std::string::npos && pos < 600) {
          size_t close = body.find('}', pos);
          if (close == std::string::npos) break;
          std::string link = body.substr(pos + 1, close - pos - 1);
          for (char& c : link) {
            if (c == '\n') c = ' ';
          }
          std::string squeezed;
          for (char c : link) {
            if (c == ' ' && (squeezed.empty() || squeezed.back() == ' ')) continue;
            squeezed += c;
          }
          if (IsPhrase(squeezed)) phrases.push_back(squeezed);
          pos = close + 1;
        }
      }
      for (const std::string& a : abbrevs) {
        std::string key;
        for (char c : a) {
          if (c != '.') key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        if (!Keepable(key)) continue;
        for (const std::string& p : phrases) {
          if (Initials(p) != key) continue;
          words[key].expansions.insert(Lower(p));
          kept++;
        }
      }
    }
    if (kept < 100) {
      std::fprintf(stderr, "lexicon_gen: only %zu abbreviations found in %s: not FOLDOC's format?\n", kept,
                   foldoc.c_str());
      return false;
    }
  }

  return true;
}

// Writes the table (unchanged files are left alone, so the build does not
// recompile what embeds it). 0 on success.
int WriteTable(const std::map<std::string, Word>& words, const std::string& out_path, const std::string& wn) {
  std::ostringstream out;
  size_t lines_out = 0;
  for (const auto& [word, w] : words) {
    std::string line = word + "\t";
    for (char f : {'n', 'v', 'a', 'r', 'p'}) {
      if (w.flags.count(f)) line += f;
    }
    line += "\t" + std::to_string(w.count) + "\t";
    bool first = true;
    for (const auto& b : w.bases) {
      line += (first ? "" : ",") + b;
      first = false;
    }
    line += "\t";
    size_t n = 0;
    for (const auto& r : w.related) {
      if (n == 16) break;
      line += (n++ ? "," : "") + r;
    }
    line += "\t";
    first = true;
    for (const auto& e : w.expansions) {
      line += (first ? "" : "|") + e;
      first = false;
    }
    out << line << "\n";
    lines_out++;
  }
  if (lines_out < 50000) {
    std::fprintf(stderr, "lexicon_gen: only %zu words from %s: not WordNet 3.0?\n", lines_out, wn.c_str());
    return 1;
  }
  std::string text = out.str();
  std::string previous;
  if (ReadFile(out_path, &previous) && previous == text) return 0;
  std::ofstream f(out_path, std::ios::binary);
  f << text;
  return f ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: lexicon_gen OUT WORDNET_DIR FOLDOC_DICT_DZ\n");
    return 2;
  }
  const std::string out_path = argv[1], wn = std::string(argv[2]) + "/", foldoc = argv[3];
  WordNet net;
  if (!ReadSynsets(wn, &net) || !ReadSenses(wn, &net) || !ReadSenseCounts(wn, &net)) return 1;
  std::map<std::string, Word> words;
  AddRelatedWords(net, &words);
  if (!AddTagCounts(wn, &words) || !AddExceptions(wn, &words) || !AddAbbreviations(foldoc, &words)) return 1;
  return WriteTable(words, out_path, wn);
}
