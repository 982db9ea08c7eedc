#include "bot/answerer.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "bot/ranking.h"
#include "bot/smalltalk.h"
#include "bot/stemmer.h"
#include "bot/text.h"
#include "bot/word_knowledge.h"
#include "bot/words.h"

namespace bot {
namespace {

constexpr size_t kMaxQuestionBytes = 4096;
using namespace ranking;  // the ranking's constants and features live in bot/ranking.h

const char* const kStarterQuestions[] = {
    "What does a backend developer do?",
    "Which programming languages should a backend developer learn?",
    "How much do backend developers earn?",
};

// A term of the question as the ranker sees it.
struct Concept {
  std::string term;
  std::string surface;
  double weight = 0;
  uint32_t doc_freq = 0;
  bool weak = false;
  bool corrected = false;
  bool context = false;  // carried over from an earlier turn
  bool expanded = false; // a word the knowledge base lacks, read through word knowledge
  bool filler = false;   // a common English word the knowledge base lacks: dropped from the topic
  bool person = false;   // an unknown word naming a person or occupation ("lawyer")
  bool generic = false;  // common in general English ("simple terms"): counts less in a question naming the domain
  double rarity = 1.0;   // how rare the typed word is in general English (1 = unknown to WordNet)
};

// A concept for an index term the knowledge base holds (`doc_freq` entries),
// at `factor` of its rarity: a term carried over from an earlier turn.
Concept TermConcept(const std::string& term, uint32_t doc_freq, size_t entry_count, double factor, bool context) {
  Concept c;
  c.term = term;
  c.surface = term;
  c.doc_freq = doc_freq;
  c.weight = Idf(entry_count, doc_freq) * factor;
  c.context = context;
  return c;
}

// True when the space-separated `terms` holds `term` as a whole word.
bool ContainsTerm(const std::string& terms, const std::string& term) {
  size_t pos = 0;
  while ((pos = terms.find(term, pos)) != std::string::npos) {
    bool start_ok = pos == 0 || terms[pos - 1] == ' ';
    size_t end = pos + term.size();
    bool end_ok = end == terms.size() || terms[end] == ' ';
    if (start_ok && end_ok) return true;
    pos = end;
  }
  return false;
}

// Sum of Idf() over the distinct terms of a space-separated phrasing.
double PhrasingIdf(const std::string& phrasing, const Lexicon& lexicon) {
  std::unordered_set<std::string> seen;
  double sum = 0;
  size_t start = 0;
  while (start < phrasing.size()) {
    size_t end = phrasing.find(' ', start);
    if (end == std::string::npos) end = phrasing.size();
    std::string t = phrasing.substr(start, end - start);
    start = end + 1;
    if (t.empty() || !seen.insert(t).second) continue;
    auto df = lexicon.doc_freq.find(t);
    sum += Idf(lexicon.entry_count, df == lexicon.doc_freq.end() ? 0 : df->second);
  }
  return sum;
}

// Damerau-Levenshtein (optimal string alignment) distance, or max+1 once it
// is certain to exceed `max`.
int EditDistance(const std::string& a, const std::string& b, int max) {
  int n = static_cast<int>(a.size()), m = static_cast<int>(b.size());
  if (std::abs(n - m) > max) return max + 1;
  std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1));
  for (int i = 0; i <= n; i++) d[i][0] = i;
  for (int j = 0; j <= m; j++) d[0][j] = j;
  for (int i = 1; i <= n; i++) {
    int row_min = max + 1;
    for (int j = 1; j <= m; j++) {
      int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
      row_min = std::min(row_min, d[i][j]);
    }
    if (row_min > max) return max + 1;
  }
  return d[n][m];
}

bool StartsWith(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

// Why a question needs the previous turn to be understood, or "" when it
// stands on its own. It needs it when it refers back (a pronoun: "how much
// of it ...", "do they ..."), when it is an ellipsis ("and Express?", "what
// about Go?", "and at Google or Meta?"), or when it has no topic word of its
// own ("how much?", "is that hard?"). A question that names its own topic is
// read alone, however short.
const char kNoTopicReason[] = "no topic word of its own";

// The question's terms that were typed as names (capitalized: "Express",
// "Ruby on Rails", "Kubernetes"); the first word only when it is no common
// English word or the question is a short fragment ("Express?").
template <typename Concepts>
std::vector<std::string> NamedTerms(const std::string& text, const Concepts& concepts) {
  auto word_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '#' || c == '+';
  };
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !std::isalnum(static_cast<unsigned char>(text[i]))) i++;
    size_t start = i;
    while (i < text.size() && word_char(text[i])) i++;
    if (start == i) break;
    std::string word = text.substr(start, i - start);
    while (!word.empty() && word.back() == '.') word.pop_back();
    if (!word.empty()) words.push_back(word);
  }
  std::unordered_set<std::string> capitalized;
  for (size_t w = 0; w < words.size(); w++) {
    std::string lower = words[w];
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool upper = std::isupper(static_cast<unsigned char>(words[w][0])) != 0;
    if (upper && (w > 0 || words.size() <= 3 || !IsEnglishWord(lower))) {
      capitalized.insert(lower);
      // As the tokenizer spells it: "C#" is "csharp", "Node.js" "nodejs".
      for (const std::string& t : Tokenize(words[w])) capitalized.insert(t);
    }
  }
  std::vector<std::string> names;
  for (const auto& c : concepts) {
    if (c.doc_freq == 0 || c.context) continue;
    std::string first = c.surface.substr(0, c.surface.find(' '));
    while (!first.empty() && first.back() == '.') first.pop_back();
    if (capitalized.count(first)) names.push_back(c.term);
  }
  return names;
}

// The words that open an ellipsis ("and Express?", "what about Go?"), each
// with a trailing space: the opener `words` has at `from`, or null.
const char* EllipsisOpener(const std::vector<std::string>& words, size_t from) {
  static const char* const kOpeners[] = {"and ", "what about ", "how about ", "what of ", "also ",
                                         "same for ", "but ", "or ", "then ", "plus "};
  std::string lower;
  for (size_t i = from; i < words.size(); i++) lower += words[i] + " ";
  for (const char* e : kOpeners) {
    if (StartsWith(lower, e)) return e;
  }
  return nullptr;
}

// The number of words at the start of `words` that acknowledge the last
// answer rather than ask ("ok,", "thanks,", "got it,", "cool, so"): an
// ellipsis may follow them ("ok, and what about backend engineers?").
size_t LeadingAcknowledgement(const std::vector<std::string>& words) {
  static const std::unordered_set<std::string> kOne = {
      "ok", "okay", "k", "alright", "cool", "great", "nice", "thanks", "thx", "so", "hmm", "well", "oh", "ah",
      "right", "sure", "yes", "yeah", "yep", "interesting", "perfect", "awesome", "good", "understood"};
  static const std::vector<std::pair<std::string, std::string>> kTwo = {
      {"thank", "you"}, {"got", "it"}, {"i", "see"}, {"makes", "sense"}, {"all", "right"}};
  size_t i = 0;
  while (i < words.size()) {
    if (kOne.count(words[i])) {
      i++;
      continue;
    }
    bool two = false;
    for (const auto& [a, b] : kTwo) two = two || (i + 1 < words.size() && words[i] == a && words[i + 1] == b);
    if (!two) break;
    i += 2;
  }
  return i < words.size() ? i : 0;  // all acknowledgement: nothing skipped
}

std::string ContextReason(const std::string& text, const std::vector<std::string>& own_topic_terms) {
  std::vector<std::string> words = Tokenize(text);
  if (words.empty()) return "";
  words.erase(words.begin(), words.begin() + static_cast<std::ptrdiff_t>(LeadingAcknowledgement(words)));
  if (words.size() <= 12) {
    static const std::unordered_set<std::string> kPronouns = {"they", "them", "their", "theirs", "it",
                                                             "its", "those", "these", "he", "she",
                                                             "that", "this", "one", "ones", "him", "her"};
    for (size_t i = 0; i < words.size(); i++) {
      const std::string& w = words[i];
      if (!kPronouns.count(w)) continue;
      // "that" joining two clauses ("is it true that ...") and "this/that
      // one" are handled like the pronoun they are; "one of the ..." counts
      // nothing ("one" as a number).
      if (w == "one" && i + 1 < words.size() && words[i + 1] == "of") continue;
      // A dummy "it" ("is it hard to learn Rust?", "it's worth learning
      // Go?") refers to nothing when the question names its own topic.
      if (w == "it" && own_topic_terms.size() >= 1 && i + 2 < words.size() &&
          (words[i + 1] == "worth" || words[i + 2] == "to")) {
        continue;
      }
      if ((w == "that" || w == "this") && i > 0 && i + 1 < words.size() && own_topic_terms.size() >= 1 &&
          words[i + 1] != "one" && words[i + 1] != "ones") {
        // Right after an auxiliary, "that" is the subject ("how long does
        // that take?", "is that hard?") unless a noun follows: one of the
        // question's own topic words ("does that job pay?") or a word that
        // is only a noun ("is that framework fast?").
        static const std::unordered_set<std::string> kAuxiliaries = {
            "do", "does", "did", "is", "was", "are", "were", "will", "would", "can", "could", "should", "has", "have"};
        const std::string& next = words[i + 1];
        const bool noun_follows =
            std::find(own_topic_terms.begin(), own_topic_terms.end(), PorterStem(next)) != own_topic_terms.end() ||
            WordKnowledge::Builtin().IsNounOnly(next);
        if (!kAuxiliaries.count(words[i - 1]) || noun_follows) {
          continue;  // "that" as a conjunction or determiner with its own noun
        }
      }
      return "pronoun: '" + w + "'";
    }
    if (const char* e = EllipsisOpener(words, 0)) {
      return std::string("ellipsis: starts with '") + std::string(Trim(e)) + "'";
    }
    // A comparison that names only one side ("is a bootcamp a good
    // alternative?", "is Go faster?", "should I learn Python instead?")
    // compares with the previous topic.
    static const std::unordered_set<std::string> kOtherSide = {"than", "or", "vs", "versus", "between", "and",
                                                              "to", "with", "from"};
    static const std::unordered_set<std::string> kComparison = {"alternative", "alternatives", "instead",
                                                               "better", "worse", "compare", "compared",
                                                               "comparison"};
    if (std::none_of(words.begin(), words.end(), [](const std::string& w) { return kOtherSide.count(w) > 0; })) {
      for (const std::string& w : words) {
        if (kComparison.count(w) || (w.size() >= 5 && !WordKnowledge::Builtin().PositiveForm(w).empty())) {
          return "comparison: '" + w + "' names one side";
        }
      }
    }
  }
  if (own_topic_terms.empty()) return kNoTopicReason;
  return "";
}

// True when `text` names people ("backend developers", "engineers",
// "juniors"), by WordNet's person test.
bool NamesPeople(const std::string& text) {
  const WordKnowledge& words = WordKnowledge::Builtin();
  for (const std::string& w : Tokenize(text)) {
    if (words.IsPerson(w)) return true;
  }
  return false;
}

// True when the question's pronouns can only stand for people ("how many
// hours do they work?"), not for a thing ("is it free?").
bool PersonalPronounsOnly(const std::string& text) {
  static const std::unordered_set<std::string> kPersonal = {"they", "them", "their", "theirs",
                                                           "he",   "she",  "him",   "her"};
  static const std::unordered_set<std::string> kThing = {"it", "its", "itself"};
  bool personal = false;
  for (const std::string& w : Tokenize(text)) {
    if (kThing.count(w)) return false;
    personal = personal || kPersonal.count(w) > 0;
  }
  return personal;
}

// True when `text` is, word for word, one of the entry's curated phrasings
// or its title (case and punctuation aside).
bool IsCuratedPhrasing(const std::string& text, const Entry& e) {
  const std::vector<std::string> words = Tokenize(text);
  if (words == Tokenize(e.title)) return true;
  return std::any_of(e.questions.begin(), e.questions.end(),
                     [&](const std::string& q) { return Tokenize(q) == words; });
}

bool IsNoAnswer(const Entry& e) {
  return std::find(e.tags.begin(), e.tags.end(), "no-answer") != e.tags.end();
}


struct Ranked {
  const Hit* hit = nullptr;
  double score = 0;       // orders the candidates
  double confidence = 0;  // decides between answering and declining
  double coverage = 0;
  double question_sim = 0;
  double hand_score = 0;       // the hand-set ranking's score and confidence
  double hand_confidence = 0;
  double learned_confidence = -1;  // the learned model's probability; -1 without a model
  // Share of the question's plain IDF weight on topic words the knowledge
  // base lacks, filler not counted ("ever wondered why", "ideally", "the
  // field of"): what a clarification could not explain.
  double unknown_topic_share = 0;
  Features features{};
};

}  // namespace

// ---- TypoCorrector ----

TypoCorrector::TypoCorrector(const Lexicon& lexicon) {
  auto add = [&](const std::string& term, const std::string& canonical, uint32_t df) {
    if (term.size() < 3 || term.size() > 40) return;
    if (by_length_.size() <= term.size()) by_length_.resize(term.size() + 1);
    by_length_[term.size()].push_back({term, canonical, df});
  };
  for (const auto& [term, df] : lexicon.doc_freq) add(term, term, df);
  for (const auto& [stem, canonical] : lexicon.normalizer.synonyms().single_stems()) {
    auto it = lexicon.doc_freq.find(canonical);
    if (it != lexicon.doc_freq.end()) add(stem, canonical, it->second);
  }
  // Deterministic order: most frequent first, then alphabetical.
  for (auto& bucket : by_length_) {
    std::sort(bucket.begin(), bucket.end(), [](const Candidate& a, const Candidate& b) {
      return a.doc_freq != b.doc_freq ? a.doc_freq > b.doc_freq : a.term < b.term;
    });
  }
}

std::string TypoCorrector::Correct(const std::string& surface, const std::string& term) const {
  if (surface.size() < 5 || term.size() < 4) return "";
  // Only ASCII words are corrected: edit distance over bytes means little elsewhere.
  for (char c : surface) {
    if (!(c >= 'a' && c <= 'z')) return "";
  }
  // A real word the knowledge base does not hold is an unknown topic, not a typo.
  if (IsEnglishWord(surface)) return "";
  const int max = term.size() >= 9 ? 2 : 1;
  int best_distance = max + 1;
  const Candidate* best = nullptr;
  size_t lo = term.size() > static_cast<size_t>(max) ? term.size() - max : 0;
  for (size_t len = lo; len <= term.size() + max && len < by_length_.size(); len++) {
    for (const Candidate& c : by_length_[len]) {
      // Typos rarely touch the first letter; requiring it keeps corrections sane and fast.
      if (c.term[0] != term[0]) continue;
      int d = EditDistance(term, c.term, max);
      if (d < best_distance || (d == best_distance && best && c.doc_freq > best->doc_freq)) {
        best_distance = d;
        best = &c;
      }
    }
  }
  return best && best_distance <= max ? best->canonical : "";
}

// ---- Answerer ----

Answerer::Answerer(KnowledgeSource* source, AnswererOptions options, Clock* clock, IdGenerator* ids)
    : source_(source), options_(options), clock_(clock), ids_(ids), conversations_(clock) {}

Result<std::shared_ptr<const KnowledgeView>> Answerer::View() {
  ASSIGN_OR_RETURN(std::shared_ptr<const KnowledgeVersion> version, source_->CurrentVersion());
  std::shared_ptr<const TypoCorrector> typos;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!typos_ || typos_lexicon_ != version->lexicon()) {
      typos_lexicon_ = version->lexicon();
      typos_ = std::make_shared<const TypoCorrector>(*typos_lexicon_);
    }
    typos = typos_;
  }
  return std::make_shared<const KnowledgeView>(std::move(version), std::move(typos), options_.model);
}

namespace {

// True when `surface` is directly followed by a word that opens an embedded
// question: "why", "whether", "if", "how", "what", "which", "when", "where".
bool FramesEmbeddedQuestion(const std::string& surface, const std::vector<std::string>& tokens) {
  static const std::unordered_set<std::string> kOpeners = {"why",  "whether", "if",    "how",
                                                           "what", "which",   "when", "where"};
  for (size_t i = 0; i + 1 < tokens.size(); i++) {
    if (tokens[i] == surface && kOpeners.count(tokens[i + 1])) return true;
  }
  return false;
}

// True when an ellipsis continues with a prepositional phrase: "and at
// Amazon?", "what about in Germany?", "and for seniors?" (not "what about
// Go?", "and Express?").
bool PrepositionalEllipsis(const std::string& text) {
  static const std::unordered_set<std::string> kPrepositions = {"at",   "in",     "for",    "with",  "on",
                                                               "from", "outside", "inside", "across", "among",
                                                               "within", "near",  "under"};
  const std::vector<std::string> words = Tokenize(text);
  size_t i = LeadingAcknowledgement(words);  // past "ok," and the openers ("and what about in Germany?")
  while (const char* e = EllipsisOpener(words, i)) i += std::count(e, e + std::strlen(e), ' ');
  return i < words.size() && kPrepositions.count(words[i]) > 0;
}

// A word the knowledge base lacks, read through word knowledge (WordNet and
// FOLDOC, bot/word_knowledge.h). A verb opening an embedded question ("ever
// wondered why") is filler. Otherwise: a lemma the knowledge base has, a synonym
// or derived form some entry is about ("remuneration" -> "pay") when the
// question names the domain, or the words
// of an abbreviation's expansion when the knowledge base holds them and is
// about one of them ("VM" -> "virtual machine"; of several readings, the one
// whose words it holds). A
// person noun ("lawyer") is only read as another person noun, so another
// profession stays unknown. Otherwise the word is marked as filler when it is
// an adverb, or a common noun framing the question ("the field of", "at the
// time of", "at this point"), and as a person when it names one.
void ReadWithWordKnowledge(const std::string& surface, const std::vector<std::string>& tokens, bool names_domain,
                           const Lexicon& lexicon, Concept* c, std::vector<Concept>* extra) {
  if (surface.empty() || surface.find(' ') != std::string::npos) return;
  const WordKnowledge& words = WordKnowledge::Builtin();
  std::string word;
  for (char ch : surface) {
    if (ch != '.') word += ch;
  }
  auto known_term = [&](const std::string& text, std::string* term) {
    std::vector<Term> terms = lexicon.normalizer.Terms(text);
    if (terms.size() != 1) return false;
    auto it = lexicon.doc_freq.find(terms[0].term);
    if (it == lexicon.doc_freq.end()) return false;
    *term = terms[0].term;
    return true;
  };
  const long count = words.Count(word);
  c->rarity = count < 0 ? 1.0 : 1.0 / (1.0 + std::log1p(static_cast<double>(count)));
  c->person = words.IsPerson(word);
  // A verb the knowledge base lacks that introduces an embedded question
  // ("ever wondered why", "I was wondering whether", "does anyone know if")
  // frames the question rather than naming its topic: it is filler, and is
  // not read as a related word ("wonder" ~ "question" would find interview
  // questions).
  if (!c->person && words.IsVerb(word) && FramesEmbeddedQuestion(surface, tokens)) {
    c->filler = true;
    return;
  }
  const std::vector<std::string> lemmas = words.Lemmas(word);
  for (const std::string& r : names_domain ? words.Related(word) : lemmas) {
    if (c->person && !words.IsPerson(r)) continue;
    std::string term;
    // Another form of the same word may meet any term; a related word only
    // a term some entry is about (its title, phrasings or tags), not one
    // bodies merely use: "font" ~ "case" must not find a body's "in any case".
    const bool same_word = std::find(lemmas.begin(), lemmas.end(), r) != lemmas.end();
    if (known_term(r, &term) && (same_word || lexicon.head_terms.count(term))) {
      c->term = term;
      c->expanded = true;
      c->person = false;
      return;
    }
  }
  // An abbreviation: the reading whose words the knowledge base holds best.
  double best_share = 0;
  std::vector<std::string> best_terms;
  for (const std::string& e : words.Expansions(word)) {
    std::vector<Term> terms = lexicon.normalizer.Terms(e);
    if (terms.empty()) continue;
    std::vector<std::string> held;
    for (const Term& t : terms) {
      if (lexicon.doc_freq.count(t.term)) held.push_back(t.term);
    }
    double share = static_cast<double>(held.size()) / static_cast<double>(terms.size());
    if (std::none_of(held.begin(), held.end(), [&](const std::string& t) { return lexicon.head_terms.count(t) > 0; })) {
      continue;
    }
    if (share > best_share) {
      best_share = share;
      best_terms = held;
    }
  }
  if (best_share >= kExpansionMinShare && !best_terms.empty()) {
    c->term = best_terms[0];
    c->expanded = true;
    c->person = false;
    for (size_t i = 1; i < best_terms.size(); i++) {
      Concept e;
      e.term = best_terms[i];
      e.surface = surface;
      e.doc_freq = lexicon.doc_freq.at(e.term);
      e.expanded = true;
      e.rarity = c->rarity;
      extra->push_back(std::move(e));
    }
    return;
  }
  if (count < 0 || c->person) return;
  if (words.IsAdverbOnly(word)) {
    c->filler = true;
    return;
  }
  // A common noun framing the question rather than naming its topic: "the
  // field of", "at the time of", "in terms of", "at this point".
  if (count < kFillerCount || !words.IsNoun(word)) return;
  static const std::unordered_set<std::string> kAfter = {"of", "in"};
  static const std::unordered_set<std::string> kPlace = {"at", "in", "on", "for"};
  static const std::unordered_set<std::string> kDeterminers = {"the", "this", "that", "a", "an", "some", "any"};
  for (size_t i = 0; i < tokens.size(); i++) {
    if (tokens[i] != surface) continue;
    bool before = i >= 2 && kPlace.count(tokens[i - 2]) && kDeterminers.count(tokens[i - 1]);
    bool after = i + 1 < tokens.size() && kAfter.count(tokens[i + 1]) && i >= 1 && kDeterminers.count(tokens[i - 1]);
    bool framed_after = i + 1 < tokens.size() && kAfter.count(tokens[i + 1]) && i >= 1 && kPlace.count(tokens[i - 1]);
    if (before || after || framed_after) c->filler = true;
  }
}

// True when `surface` (one word) is common in general English (WordNet's
// sense tag counts) and names no person: see kGenericCount.
bool IsGenericWord(const std::string& surface, bool domain_word) {
  if (domain_word || surface.empty() || surface.find(' ') != std::string::npos) return false;
  const WordKnowledge& words = WordKnowledge::Builtin();
  return words.Count(surface) >= kGenericCount && !words.IsPerson(surface);
}

// Builds the weighted concepts of a question.
std::vector<Concept> BuildConcepts(const std::string& text, const Lexicon& lexicon, const TypoCorrector& typos,
                                   size_t max_terms, std::vector<std::string>* corrections,
                                   bool in_domain_conversation = false) {
  std::vector<Concept> concepts;
  std::unordered_set<std::string> seen;
  const size_t n = lexicon.entry_count;
  const std::vector<std::string> tokens = Tokenize(text);  // with stop words, for filler frames
  std::vector<Term> terms = lexicon.normalizer.Terms(text);
  // Word knowledge reads an unknown word as a related one only in a question
  // that names the domain (see below): elsewhere the unknown word is most
  // likely the subject ("renew my passport" is not "pass" an exam).
  const auto& domain_terms = lexicon.normalizer.synonyms().domain_terms();
  // A follow-up in a conversation about the domain is about the domain too
  // ("how do teams keep it sustainable?" after on-call).
  const bool names_domain =
      in_domain_conversation ||
      std::any_of(terms.begin(), terms.end(), [&](const Term& t) { return domain_terms.count(t.term) > 0; });
  for (Term& t : terms) {
    if (concepts.size() >= max_terms) break;
    Concept c;
    c.term = t.term;
    c.surface = t.surface;
    auto it = lexicon.doc_freq.find(c.term);
    if (it == lexicon.doc_freq.end()) {
      std::string fixed = typos.Correct(t.surface, c.term);
      if (!fixed.empty()) {
        if (corrections) corrections->push_back(t.surface + " -> " + fixed);
        c.term = fixed;
        c.corrected = true;
        it = lexicon.doc_freq.find(c.term);
      }
    }
    std::vector<Concept> extra;  // further terms of an abbreviation's expansion
    if (it == lexicon.doc_freq.end()) ReadWithWordKnowledge(t.surface, tokens, names_domain, lexicon, &c, &extra);
    it = lexicon.doc_freq.find(c.term);
    if (!seen.insert(c.term).second) continue;
    c.doc_freq = it == lexicon.doc_freq.end() ? 0 : it->second;
    c.weight = Idf(n, c.doc_freq);
    c.weak = t.weak;
    if (t.weak) c.weight *= kWeakFactor;
    // An unknown adverb ("typically", "honestly") is filler more often than topic.
    if (c.doc_freq == 0 && t.surface.size() > 4 && t.surface.compare(t.surface.size() - 2, 2, "ly") == 0) {
      c.weight *= kWeakFactor;
      c.weak = true;
    }
    // A common English word the knowledge base lacks ("ideally", "the field
    // of", "at the time of") is filler: it stays in the question, out of the topic.
    if (c.filler && !c.weak) {
      c.weight *= kWeakFactor;
      c.weak = true;
    }
    if (c.corrected) c.weight *= kCorrectedFactor;
    if (c.expanded) c.weight *= kExpandedFactor;
    // A word common in general English ("choice", "real", "simple terms")
    // tells little about which entry a question means, however rarely the
    // knowledge base uses it: in a question that names the domain it counts
    // less. People and occupations never are filler ("how long to become a
    // doctor"), nor are the domain's own words, nor a word the curated
    // synonyms read as another ("need" = "required").
    if (names_domain && !c.weak && !c.corrected && c.term == PorterStem(t.surface) &&
        IsGenericWord(t.surface, domain_terms.count(c.term) > 0)) {
      c.weight *= kGenericFactor;
      c.generic = true;
    }
    concepts.push_back(std::move(c));
    for (Concept& e : extra) {
      if (concepts.size() >= max_terms || !seen.insert(e.term).second) continue;
      e.weight = Idf(n, e.doc_freq) * kExpandedFactor / static_cast<double>(extra.size());
      concepts.push_back(std::move(e));
    }
  }
  // A question that names the domain ("backend", "developer", "API") and has
  // a word the knowledge base lacks, or only uses in passing (never as what
  // an entry is about), is most likely phrased in other words ("is a degree
  // mandatory for backend jobs"); without such an anchor that word is most
  // likely the real subject ("how much do plumbers earn", "can doctors work
  // from home"), and keeps its full weight.
  const auto& domain = lexicon.normalizer.synonyms().domain_terms();
  bool anchored = std::any_of(concepts.begin(), concepts.end(), [&](const Concept& c) { return domain.count(c.term) > 0; });
  if (anchored) {
    for (Concept& c : concepts) {
      if (c.weak) continue;
      if (c.doc_freq == 0) {
        c.weight *= kAnchoredUnknownFactor;
      } else if (!lexicon.head_terms.count(c.term)) {
        c.weight *= kBodyOnlyFactor;
      }
    }
  }
  return concepts;
}

struct Ranking {
  std::vector<Hit> hits;
  std::vector<Ranked> ranked;  // best first
};

// The question's salient concepts: its `count` heaviest own topic terms
// (weak words, filler and words carried over from an earlier turn never),
// heaviest first, ties by term. The domain's own words ("backend",
// "developer") never are: nearly every entry is about them. A word the
// knowledge base lacks is salient only in a question that does not name the
// domain: there it is most likely the subject ("plumber"), in one that does
// most likely a paraphrase.
std::vector<size_t> SalientConcepts(const std::vector<Concept>& concepts, size_t count, bool anchored,
                                    const std::unordered_set<std::string>& domain) {
  std::vector<size_t> out;
  for (size_t i = 0; i < concepts.size(); i++) {
    const Concept& c = concepts[i];
    if (!c.weak && !c.context && (c.doc_freq > 0 || !anchored) && !domain.count(c.term)) out.push_back(i);
  }
  std::sort(out.begin(), out.end(), [&](size_t a, size_t b) {
    if (concepts[a].weight != concepts[b].weight) return concepts[a].weight > concepts[b].weight;
    return concepts[a].term < concepts[b].term;
  });
  if (out.size() > count) out.resize(count);
  return out;
}

// The share of the question's words that are neither English nor known to
// the knowledge base, or of its bytes outside ASCII when that is larger: how
// much the question looks written in another language.
double NonEnglishShare(const std::string& text, const std::vector<Concept>& concepts) {
  size_t high = 0, letters = 0;
  for (unsigned char c : text) {
    if (c >= 0x80) {
      high++;
      letters++;
    } else if (std::isalpha(c)) {
      letters++;
    }
  }
  double bytes = letters ? static_cast<double>(high) / letters : 0.0;
  size_t unknown = 0, counted = 0;
  for (const Concept& c : concepts) {
    if (c.context) continue;
    counted++;
    if (c.doc_freq == 0 && !IsEnglishWord(c.surface)) unknown++;
  }
  double words = counted ? static_cast<double>(unknown) / counted : 0.0;
  return std::max(bytes, words);
}

// The index terms the search looks for: the question's topic words, most
// selective first (weak words only when there is nothing else).
std::vector<std::string> SearchTerms(const std::vector<Concept>& concepts, const Lexicon& lexicon) {
  // The search looks for the question's topic words; weak words ("explain",
  // "best") only when there is nothing else, or they would bring in entries
  // that merely share them and crowd out the ones about the topic.
  bool has_topic = std::any_of(concepts.begin(), concepts.end(),
                               [](const Concept& c) { return c.doc_freq > 0 && !c.weak; });
  std::vector<std::pair<double, std::string>> known;
  for (const Concept& c : concepts) {
    if (c.doc_freq > 0 && (!c.weak || !has_topic)) known.emplace_back(c.weight, c.term);
  }
  if (known.empty()) return {};
  // Most selective terms first; the store may bound how many it uses.
  std::sort(known.begin(), known.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  // Terms most entries hold ("backend", "developer") would make the search
  // visit nearly every row while telling the entries apart least; they still
  // count in the re-ranking below, which reads every candidate's terms.
  std::vector<std::string> terms;
  const double common = kCommonTermShare * static_cast<double>(lexicon.entry_count);
  bool only_common = true;
  for (auto& k : known) {
    auto df = lexicon.doc_freq.find(k.second);
    bool is_common = df != lexicon.doc_freq.end() && df->second > common;
    if (!is_common) only_common = false;
    if (!is_common || terms.empty()) terms.push_back(k.second);
  }
  // When the topic is only words most entries hold ("is backend hard to
  // learn?": "backend"), the search alone would draw near-random candidates
  // from most of the knowledge base. Then the question's other words, weak as
  // they are, say which of those entries it means: search for them too.
  if (has_topic && only_common) {
    for (const Concept& c : concepts) {
      if (!c.weak || c.doc_freq == 0 || static_cast<double>(c.doc_freq) > common) continue;
      if (std::find(terms.begin(), terms.end(), c.term) == terms.end()) terms.push_back(c.term);
    }
  }
  return terms;
}

// True when the question names a person or occupation no entry is about
// ("doctor", "teacher"; the knowledge base may still use the word in passing):
// a question about another profession is a near miss, never a clarification.
bool NamesOtherPerson(const std::vector<Concept>& concepts, const Lexicon& lexicon) {
  const auto& domain = lexicon.normalizer.synonyms().domain_terms();
  const WordKnowledge& words = WordKnowledge::Builtin();
  return std::any_of(concepts.begin(), concepts.end(), [&](const Concept& c) {
    return !c.context && !domain.count(c.term) && !lexicon.head_terms.count(c.term) &&
           c.surface.find(' ') == std::string::npos && words.IsPerson(c.surface);
  });
}

// What every candidate is scored against: the question's weights, term
// hashes and counts, computed once per ranking.
struct QuestionStats {
  bool all_weak = true;
  double total_weight = 0, topic_weight = 0;
  double max_bm25 = 0;
  std::vector<uint64_t> hashes;
  std::vector<double> idfs;  // Idf of each concept's term (0 for unknown terms, which never match)
  double raw_total = 0, unknown_raw = 0, unknown_topic_raw = 0;
  size_t unknown_count = 0, corrected_count = 0, own_count = 0;
  double unknown_rarity = 0;
  size_t lexicon_unknown = 0, filler_count = 0;
  bool occupation = false;
  bool other_person = false;
  bool anchored = false;
  bool own_anchored = false;  // by the question's own words, not an earlier turn's
  std::vector<size_t> salient;
  double salient_weight = 0;
  // The TermHash of the question's subject (StatsOf); has_subject false
  // when the question has no own topic word the knowledge base knows.
  bool has_subject = false;
  uint64_t subject = 0;
  std::vector<double> bm25s;  // the hits' BM25F, best first
};

QuestionStats StatsOf(const std::vector<Concept>& concepts, const Lexicon& lexicon, const std::vector<Hit>& hits) {
  QuestionStats q;
  // Coverage is measured over the topic words; weak words ("best", "become")
  // only count when the question has nothing else.
  for (const Concept& c : concepts) q.all_weak = q.all_weak && c.weak;
  for (const Concept& c : concepts) {
    q.total_weight += c.weight;
    if (q.all_weak || !c.weak) q.topic_weight += c.weight;
  }
  for (const Hit& h : hits) q.max_bm25 = std::max(q.max_bm25, h.bm25);

  for (const Concept& c : concepts) {
    q.hashes.push_back(TermHash(c.term));
    q.idfs.push_back(c.doc_freq > 0 ? Idf(lexicon.entry_count, c.doc_freq) : 0.0);
    if (c.context) continue;
    q.own_count++;
    if (c.filler) q.filler_count++;
    if (c.doc_freq == 0) {
      if (!c.weak) q.unknown_rarity = std::max(q.unknown_rarity, c.rarity);
      if (c.rarity >= 1.0) q.lexicon_unknown++;
      if (c.person) q.occupation = true;
    }
    double raw = Idf(lexicon.entry_count, c.doc_freq);
    q.raw_total += raw;
    if (c.doc_freq == 0) {
      q.unknown_raw += raw;
      if (!c.filler) q.unknown_topic_raw += raw;
      q.unknown_count++;
    }
    if (c.corrected) q.corrected_count++;
  }
  const auto& domain = lexicon.normalizer.synonyms().domain_terms();
  q.anchored =
      std::any_of(concepts.begin(), concepts.end(), [&](const Concept& c) { return domain.count(c.term) > 0; });
  q.own_anchored = std::any_of(concepts.begin(), concepts.end(),
                               [&](const Concept& c) { return !c.context && domain.count(c.term) > 0; });
  q.salient = SalientConcepts(concepts, kSalientTerms, q.anchored, domain);
  q.other_person = NamesOtherPerson(concepts, lexicon);
  for (size_t i : q.salient) q.salient_weight += concepts[i].weight;
  // The question's subject: its first own topic word (known to the
  // knowledge base, not weak or filler) that is not generic (common in
  // general English, a domain word, or a word most entries hold), else its
  // first topic word.
  const Concept* first_topic = nullptr;
  for (const Concept& c : concepts) {
    if (c.context || c.weak || c.filler || c.doc_freq == 0) continue;
    if (!first_topic) first_topic = &c;
    if (c.generic || IsGenericTerm(lexicon, c.term)) continue;
    first_topic = &c;
    break;
  }
  if (first_topic) {
    q.has_subject = true;
    q.subject = TermHash(first_topic->term);
  }
  // Each hit's rank by BM25F alone.
  for (const Hit& h : hits) q.bm25s.push_back(h.bm25);
  std::sort(q.bm25s.begin(), q.bm25s.end(), std::greater<double>());
  return q;
}

// One candidate's hand-set score and confidence, and its ranking features
// (all but the margins over the other candidates).
Ranked ScoreCandidate(const Hit& h, const std::vector<Concept>& concepts, const Lexicon& lexicon,
                      const QuestionStats& q, double non_english, uint32_t ask_form) {
  const bool all_weak = q.all_weak;
  const double total_weight = q.total_weight, topic_weight = q.topic_weight, max_bm25 = q.max_bm25;
  const std::vector<uint64_t>& hashes = q.hashes;
  const std::vector<double>& idfs = q.idfs;
  const std::vector<size_t>& salient = q.salient;
  const double salient_weight = q.salient_weight;
  const std::vector<double>& bm25s = q.bm25s;
  Ranked rk;
  rk.hit = &h;
  // The term sets of the hit: the retriever's, or made here.
  IndexedEntry local;
  const IndexedEntry* doc = &WithTermSets(*h.doc, lexicon, &local);
  double covered = 0, head = 0, body_only = 0, title = 0, raw_covered = 0, max_uncovered = 0, expanded = 0;
  for (size_t i = 0; i < concepts.size(); i++) {
    const Concept& c = concepts[i];
    bool in_head = Has(doc->head_set, hashes[i]);
    bool in_body = !in_head && Has(doc->body_set, hashes[i]);
    if (!c.context && (in_head || in_body)) raw_covered += Idf(lexicon.entry_count, c.doc_freq);
    if (c.weak && !all_weak) continue;
    if (c.expanded && (in_head || in_body)) expanded += c.weight;
    if (in_head) {
      covered += c.weight * kHeadStrength;
      head += c.weight;
      if (Has(doc->title_set, hashes[i])) title += c.weight;
    } else if (in_body) {
      covered += c.weight * kBodyStrength;
      body_only += c.weight;
    } else {
      max_uncovered = std::max(max_uncovered, c.weight);
    }
  }
  rk.coverage = topic_weight > 0 ? covered / topic_weight : 0;
  // How much of the question's salient terms the entry holds: in its
  // phrasings, title or tags, in its title, anywhere.
  double salient_head = 0, salient_any = 0, salient_title = 0;
  for (size_t i : salient) {
    const double w = concepts[i].weight;
    if (concepts[i].doc_freq > 0 && Has(doc->head_set, hashes[i])) {
      salient_head += w;
      salient_any += w;
      if (Has(doc->title_set, hashes[i])) salient_title += w;
    } else if (concepts[i].doc_freq > 0 && Has(doc->body_set, hashes[i])) {
      salient_any += w;
    }
  }
  // Similarity to the closest curated phrasing (or the title): a weighted
  // Dice coefficient, so extra words on either side lower it.
  // The phrasing's own terms count at half their rarity when the question
  // lacks them, at the question's weight when it has them.
  double best_share = 0, best_recall = 0;
  auto similarity = [&](const std::string& phrasing, const TermSet& set, double phrasing_idf) {
    if (phrasing_idf < 0) phrasing_idf = PhrasingIdf(phrasing, lexicon);
    double matched = 0, matched_idf = 0, topic_matched = 0;
    for (size_t i = 0; i < concepts.size(); i++) {
      const Concept& c = concepts[i];
      if (c.doc_freq > 0 && Has(set, hashes[i])) {
        matched += c.weight;
        matched_idf += idfs[i];
        if (all_weak || !c.weak) topic_matched += c.weight;
      }
    }
    double share = topic_weight > 0 ? topic_matched / topic_weight : 0;
    if (share > best_share || (share == best_share && phrasing_idf > 0 && matched_idf / phrasing_idf > best_recall)) {
      best_share = share;
      best_recall = phrasing_idf > 0 ? std::min(1.0, matched_idf / phrasing_idf) : 0;
    }
    double denom = total_weight + matched + 0.5 * std::max(0.0, phrasing_idf - matched_idf);
    return denom > 0 ? 2 * matched / denom : 0;
  };
  rk.question_sim = similarity(doc->title_terms, doc->title_set, doc->title_idf);
  for (size_t k = 0; k < doc->question_terms.size() && k < doc->question_sets.size(); k++) {
    double idf = k < doc->question_idf.size() ? doc->question_idf[k] : -1;
    rk.question_sim = std::max(rk.question_sim, similarity(doc->question_terms[k], doc->question_sets[k], idf));
  }
  double bm = max_bm25 > 0 ? h.bm25 / max_bm25 : 0;
  rk.score = kCoverageWeight * rk.coverage + kQuestionWeight * rk.question_sim + kBm25Weight * bm;
  // Confidence is mostly coverage: an entry that leaves a topic word of the
  // question unexplained ("dentist" in "how much does a dentist earn") is
  // not an answer however well the rest matches.
  rk.confidence = rk.coverage * (1.0 - kPhrasingShare + kPhrasingShare * rk.question_sim);
  // A question made only of weak words ("is it popular?") names no topic;
  // alone it is too vague to answer (a conversation may give it one).
  if (all_weak) rk.confidence *= kNoTopicFactor;
  // A question about another occupation that does not name the domain ("How
  // much does a paramedic earn per hour in the US?") is a near miss however
  // much of the rest an entry explains: it declines, and is never clarified.
  if (q.occupation && !q.own_anchored) rk.confidence = std::min(rk.confidence, kNearMissConfidence);
  rk.hand_score = rk.score;
  rk.hand_confidence = rk.confidence;
  Features& f = rk.features;
  f[kCoverage] = rk.coverage;
  f[kPhrasingSim] = rk.question_sim;
  f[kBm25] = bm;
  f[kHandScore] = rk.score;
  f[kHandConfidence] = rk.confidence;
  f[kHeadShare] = topic_weight > 0 ? head / topic_weight : 0;
  f[kBodyOnlyShare] = topic_weight > 0 ? body_only / topic_weight : 0;
  f[kTitleShare] = topic_weight > 0 ? title / topic_weight : 0;
  f[kBestPhrasingShare] = best_share;
  f[kPhrasingRecall] = best_recall;
  f[kRawCoverage] = q.raw_total > 0 ? raw_covered / q.raw_total : 0;
  f[kUnknownShare] = q.raw_total > 0 ? q.unknown_raw / q.raw_total : 0;
  rk.unknown_topic_share = q.raw_total > 0 ? q.unknown_topic_raw / q.raw_total : 0;
  f[kMaxUncovered] = topic_weight > 0 ? max_uncovered / topic_weight : 0;
  f[kTermCount] = std::log1p(static_cast<double>(q.own_count));
  f[kUnknownCount] = static_cast<double>(std::min<size_t>(q.unknown_count, 5)) / 5.0;
  f[kAnchored] = q.anchored ? 1 : 0;
  f[kAllWeak] = all_weak ? 1 : 0;
  f[kCorrectedShare] = q.own_count ? static_cast<double>(q.corrected_count) / q.own_count : 0;
  f[kNonEnglish] = non_english;
  f[kCoverageXSim] = rk.coverage * rk.question_sim;
  f[kUnknownRarity] = q.unknown_rarity;
  f[kLexiconUnknown] = static_cast<double>(std::min<size_t>(q.lexicon_unknown, 3)) / 3.0;
  f[kOccupation] = q.occupation ? 1 : 0;
  f[kOtherPerson] = q.other_person ? 1 : 0;
  f[kAskForm] = ask_form == 0 || doc->ask_forms == 0 ? 0.5 : (doc->ask_forms & ask_form) ? 1.0 : 0.0;
  f[kSubject] = !q.has_subject ? 0.5 : Has(doc->subjects, q.subject) ? 1.0 : 0.0;
  f[kExpandedShare] = topic_weight > 0 ? expanded / topic_weight : 0;
  f[kFillerShare] = q.own_count ? static_cast<double>(q.filler_count) / q.own_count : 0;
  f[kSalientHead] = salient_weight > 0 ? salient_head / salient_weight : 0;
  f[kSalientAny] = salient_weight > 0 ? salient_any / salient_weight : 0;
  f[kSalientTitle] = salient_weight > 0 ? salient_title / salient_weight : 0;
  f[kBm25Rank] = 1.0 / (1.0 + static_cast<double>(std::lower_bound(bm25s.begin(), bm25s.end(), h.bm25,
                                                                   std::greater<double>()) -
                                                  bm25s.begin()));
  return rk;
}

// Each candidate's margins over the best of the others, and its place by the
// hand-set score.
void AddMargins(std::vector<Ranked>* ranked_out) {
  std::vector<Ranked>& ranked = *ranked_out;
  // How each candidate stands against the others (by the hand-set score).
  std::vector<size_t> order(ranked.size());
  for (size_t i = 0; i < order.size(); i++) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (ranked[a].hand_score != ranked[b].hand_score) return ranked[a].hand_score > ranked[b].hand_score;
    return ranked[a].hit->entry().id < ranked[b].hit->entry().id;
  });
  for (size_t pos = 0; pos < order.size(); pos++) {
    Ranked& rk = ranked[order[pos]];
    double best_other_score = 0, best_other_coverage = 0, best_other_sim = 0;
    for (size_t j = 0; j < ranked.size(); j++) {
      if (j == order[pos]) continue;
      best_other_score = std::max(best_other_score, ranked[j].hand_score);
      best_other_coverage = std::max(best_other_coverage, ranked[j].coverage);
      best_other_sim = std::max(best_other_sim, ranked[j].question_sim);
    }
    rk.features[kScoreMargin] = rk.hand_score - best_other_score;
    rk.features[kCoverageMargin] = rk.coverage - best_other_coverage;
    rk.features[kSimMargin] = rk.question_sim - best_other_sim;
    rk.features[kHandRank] = 1.0 / (1.0 + static_cast<double>(pos));
  }
}

Result<Ranking> Rank(const KnowledgeView& view, const std::vector<Concept>& concepts, size_t candidates,
                     const ranking::Model* model, double non_english, uint32_t ask_form) {
  const Lexicon& lexicon = view.lexicon();
  Ranking r;
  std::vector<std::string> terms = SearchTerms(concepts, lexicon);
  if (terms.empty()) return r;
  ASSIGN_OR_RETURN(r.hits, view.Search(terms, candidates));
  if (r.hits.empty()) return r;
  const QuestionStats q = StatsOf(concepts, lexicon, r.hits);
  for (const Hit& h : r.hits) r.ranked.push_back(ScoreCandidate(h, concepts, lexicon, q, non_english, ask_form));
  AddMargins(&r.ranked);
  if (model) {
    // The learned ranking: one model's probability that a candidate is
    // right orders the candidates; the other's, that answering with it is
    // right (knowing how far the rank model puts it ahead), is the confidence.
    std::vector<Features*> xs;
    for (Ranked& rk : r.ranked) xs.push_back(&rk.features);
    model->AddRankOutputs(xs);
    for (Ranked& rk : r.ranked) {
      rk.score = rk.features[kRankScore];
      rk.confidence = model->Confidence(rk.features, &rk.learned_confidence);
    }
  }
  std::sort(r.ranked.begin(), r.ranked.end(), [](const Ranked& a, const Ranked& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.hit->entry().id < b.hit->entry().id;
  });
  return r;
}

// The answer text: the whole body when it is short, else its sentences that
// best cover the question, in their original order.
std::string Compose(const Entry& entry, const std::vector<Concept>& concepts, const Normalizer& normalizer,
                    size_t max_chars) {
  std::string body(Trim(entry.body));
  if (body.size() <= max_chars) return body;
  std::vector<std::string> sentences = SplitSentences(body);
  std::vector<std::pair<double, size_t>> scored;
  for (size_t i = 0; i < sentences.size(); i++) {
    std::string terms = normalizer.IndexText(sentences[i]);
    double s = 0;
    for (const Concept& c : concepts) {
      if (ContainsTerm(terms, c.term)) s += c.weight;
    }
    // Earlier sentences usually carry the point; break ties toward them.
    scored.emplace_back(s - 0.001 * static_cast<double>(i), i);
  }
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<size_t> chosen;
  size_t length = 0;
  for (auto& [score, i] : scored) {
    if (chosen.size() == 3) break;
    if (!chosen.empty() && length + sentences[i].size() + 1 > max_chars) continue;
    chosen.push_back(i);
    length += sentences[i].size() + 1;
  }
  std::sort(chosen.begin(), chosen.end());
  std::string out;
  for (size_t i : chosen) {
    if (!out.empty()) out += " ";
    out += sentences[i];
  }
  if (out.size() > max_chars * 2) {
    // A single enormous sentence: cut at a word boundary.
    std::string_view cut = TruncateUtf8(out, max_chars);
    size_t space = cut.rfind(' ');
    out = std::string(cut.substr(0, space == std::string_view::npos ? cut.size() : space)) + "…";
  }
  return out;
}

std::string Lower(const std::string& s) {
  std::string out = s;
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

// Where a question may hold two: after a question mark with more text
// behind it, or at ", and", "; and", ", also" or "and" before a question
// word ("..., and is it a good career?"). Each part needs three words.
std::vector<std::string> SplitParts(const std::string& text) {
  std::string lower = Lower(text);
  std::vector<size_t> cuts;  // (cut at, resume at) pairs flattened
  auto words_in = [](const std::string& s) { return Tokenize(s).size(); };
  size_t q = lower.find('?');
  if (q != std::string::npos && q + 1 < lower.size() && !Trim(lower.substr(q + 1)).empty()) {
    cuts = {q + 1, q + 1};
  } else {
    static const char* const kJoins[] = {", and ", "; and ", ", also ", "; "};
    static const char* const kQuestionWords[] = {"is ", "are ", "what ", "how ", "which ", "should ", "do ",
                                                 "does ", "can ", "why ", "where ", "when ", "will ", "who "};
    for (const char* j : kJoins) {
      size_t at = lower.find(j);
      if (at != std::string::npos) {
        cuts = {at, at + std::char_traits<char>::length(j)};
        break;
      }
    }
    if (cuts.empty()) {
      size_t at = 0;
      while ((at = lower.find(" and ", at)) != std::string::npos) {
        std::string rest = lower.substr(at + 5);
        if (std::any_of(std::begin(kQuestionWords), std::end(kQuestionWords),
                        [&](const char* w) { return StartsWith(rest, w); })) {
          cuts = {at, at + 5};
          break;
        }
        at += 5;
      }
    }
  }
  if (cuts.empty()) return {};
  std::string first(Trim(text.substr(0, cuts[0])));
  std::string second(Trim(text.substr(cuts[1])));
  if (words_in(first) < 3 || words_in(second) < 3) return {};
  return {first, second};
}

// A two-part question's parts, each read and ranked alone.
struct TwoParts {
  bool found = false;
  std::vector<Concept> concepts[2];
  std::shared_ptr<Ranking> rankings[2];
  const Ranked* first = nullptr;  // each part's confident winner
  const Ranked* second = nullptr;
};

Result<bool> AnswerParts(const KnowledgeView& view, const AnswererOptions& options_, const std::string& text,
                         TwoParts* out) {
  const Lexicon& lexicon = view.lexicon();
  const TypoCorrector& typos = view.typos();
  std::vector<std::string> parts = SplitParts(text);
  if (parts.size() != 2) return false;
  for (int i = 0; i < 2; i++) {
    out->concepts[i] = BuildConcepts(parts[i], lexicon, typos, options_.max_query_terms, nullptr);
  }
  // The second part often refers back to the first ("is it a good
  // career?"): then it is read with the first part's topic, as a follow-up.
  std::vector<std::string> own_topic;
  const auto& domain = lexicon.normalizer.synonyms().domain_terms();
  for (const Concept& c : out->concepts[1]) {
    if (c.doc_freq > 0 && !c.weak && !domain.count(c.term)) own_topic.push_back(c.term);
  }
  if (!ContextReason(parts[1], own_topic).empty()) {
    for (const Concept& c : out->concepts[0]) {
      if (c.doc_freq == 0 || c.weak) continue;
      if (std::any_of(out->concepts[1].begin(), out->concepts[1].end(),
                      [&](const Concept& o) { return o.term == c.term; })) {
        continue;
      }
      Concept k = c;
      k.weight = Idf(lexicon.entry_count, c.doc_freq) * kContextFactor;
      k.context = true;
      out->concepts[1].push_back(std::move(k));
    }
  }
  const Ranked* winners[2] = {nullptr, nullptr};
  for (int i = 0; i < 2; i++) {
    auto r = Rank(view, out->concepts[i], options_.candidates, view.model(),
                  NonEnglishShare(parts[i], out->concepts[i]), AskForm(parts[i]));
    if (!r.ok()) return r.status();
    out->rankings[i] = std::make_shared<Ranking>(std::move(*r));
    const auto& ranked = out->rankings[i]->ranked;
    if (ranked.empty() || ranked[0].confidence < options_.threshold || IsNoAnswer(ranked[0].hit->entry())) {
      return false;
    }
    winners[i] = &ranked[0];
  }
  if (winners[0]->hit->entry().id == winners[1]->hit->entry().id) return false;
  out->first = winners[0];
  out->second = winners[1];
  out->found = true;
  return true;
}

}  // namespace

Result<std::vector<Candidate>> Answerer::Candidates(const std::string& question) {
  std::string text = SanitizeUtf8(TruncateUtf8(question, kMaxQuestionBytes));
  ASSIGN_OR_RETURN(std::shared_ptr<const KnowledgeView> view, View());
  std::vector<Concept> concepts = BuildConcepts(text, view->lexicon(), view->typos(), options_.max_query_terms, nullptr);
  auto ranking = Rank(*view, concepts, options_.candidates, nullptr, NonEnglishShare(text, concepts), AskForm(text));
  if (!ranking.ok()) return ranking.status();
  std::vector<Candidate> out;
  for (const Ranked& r : ranking->ranked) {
    Candidate c;
    c.entry_id = r.hit->entry().id;
    c.no_answer = IsNoAnswer(r.hit->entry());
    c.features = r.features;
    c.hand_score = r.hand_score;
    c.hand_confidence = r.hand_confidence;
    c.curated_phrasing = IsCuratedPhrasing(text, r.hit->entry());
    out.push_back(std::move(c));
  }
  return out;
}

namespace {
// An entry worth offering: it explains enough of the question, which is not
// mostly unknown words (filler aside), holds at least one of the question's salient (rarest)
// topic words in its title, phrasings or tags (what it is about), and the
// question names no other profession ("how do I prepare
// for a nursing interview" is a near miss, not a backend interview question).
bool Plausible(const Ranked& r) {
  return r.coverage >= kClarifyMinCoverage && r.unknown_topic_share < kClarifyMaxUnknown &&
         r.features[kSalientHead] > 0 && r.features[kOccupation] == 0;
}
}  // namespace

Result<Answer> Answerer::AnswerChosen(const KnowledgeView& view, const Question& question, const std::string& text,
                                      const std::string& entry_id, const std::string& clarified_question,
                                      const std::vector<Turn>& history, Answer answer) {
  const Lexicon& lexicon = view.lexicon();
  std::vector<Concept> concepts = BuildConcepts(text, lexicon, view.typos(), options_.max_query_terms, nullptr);
  auto ranking = Rank(view, concepts, std::max<size_t>(options_.candidates, 64), view.model(),
                      NonEnglishShare(text, concepts), AskForm(text));
  if (!ranking.ok()) return ranking.status();
  const Ranked* chosen = nullptr;
  for (const Ranked& r : ranking->ranked) {
    if (r.hit->entry().id == entry_id) chosen = &r;
  }
  if (!chosen) return Status::NotFound("no entry '" + entry_id + "' answers '" + text + "'");
  const Entry& e = chosen->hit->entry();
  answer.kind = IsNoAnswer(e) ? "fallback" : "kb";
  answer.answered = !IsNoAnswer(e);
  answer.confidence = std::round(chosen->confidence * 10000) / 10000;
  answer.entry_id = e.id;
  answer.clarified_question = clarified_question;
  answer.text = IsNoAnswer(e) ? std::string(Trim(e.body))
                              : Compose(e, concepts, lexicon.normalizer, options_.max_answer_chars);
  answer.sources.push_back({e.id, e.title, e.source.article, e.source.section, e.source.url, answer.confidence});
  for (const Concept& c : concepts) {
    if (!answer.normalized_question.empty()) answer.normalized_question += " ";
    answer.normalized_question += c.term;
  }
  Turn turn;
  for (const Concept& c : concepts) {
    if (c.doc_freq > 0) turn.terms.push_back(c.term);
  }
  turn.entry_id = e.id;
  turn.names = NamedTerms(text, concepts);
  turn.answer_id = answer.answer_id;
  Dialogue().Add(answer.conversation_id, std::move(turn));
  if (question.explain) {
    Explanation ex;
    for (const Concept& c : concepts) ex.query_terms.push_back(c.term);
    ex.threshold = options_.threshold;
    ex.kb_version = lexicon.version;
    ex.winner_id = e.id;
    ex.winner_score = chosen->score;
    ex.coverage = chosen->coverage;
    ex.question_similarity = chosen->question_sim;
    ex.confidence = chosen->confidence;
    ex.context_reason = clarified_question.empty() ? "not used: the entry was chosen by id"
                                                   : "not used: a choice among the previous turn's clarification";
    (void)history;
    answer.explanation = ex;
  }
  return answer;
}

namespace {

// ---- Ask's steps, in the order Ask runs them ----

// The entry a choice among the previous turn's clarification asks for: the
// option's number ("2"), its question as offered, or its entry id
// (Question::entry_id, as the buttons of the chat page, Slack and Discord
// send it); "" when the question is no choice. On a choice among the
// previous turn's options, `*text` becomes the option's question (the entry
// is asked in the knowledge's own words) and `*clarified` that turn, whose
// question needed the clarification.
std::string ChosenEntry(const Question& question, const std::vector<Turn>& history, std::string* text,
                        const Turn** clarified) {
  std::string chosen_entry = question.entry_id;
  if (history.empty() || history.back().options.empty()) return chosen_entry;
  const Turn& last = history.back();
  std::string trimmed(Trim(*text));
  while (!trimmed.empty() && (trimmed.back() == '.' || trimmed.back() == ')')) trimmed.pop_back();
  if (chosen_entry.empty() && !trimmed.empty() && trimmed.size() <= 2 &&
      std::all_of(trimmed.begin(), trimmed.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    size_t n = std::stoul(trimmed);
    if (n >= 1 && n <= last.options.size()) chosen_entry = last.options[n - 1].entry_id;
  }
  for (const ClarifyOption& o : last.options) {
    if (chosen_entry.empty() && Lower(std::string(Trim(o.question))) == Lower(std::string(Trim(*text)))) {
      chosen_entry = o.entry_id;
    }
    if (!chosen_entry.empty() && o.entry_id == chosen_entry) {
      *clarified = &last;
      *text = o.question;
    }
  }
  return chosen_entry;
}

Answer SmallTalkAnswer(SmallTalkIntent intent, bool explain, const AnswererOptions& options, const Lexicon& lexicon,
                       Answer answer) {
  answer.kind = "smalltalk";
  answer.answered = true;
  answer.confidence = 1.0;
  answer.text = SmallTalkReply(intent);
  answer.normalized_question = std::string("smalltalk:") + SmallTalkName(intent);
  if (intent == SmallTalkIntent::kGreeting || intent == SmallTalkIntent::kHelp) {
    for (const char* q : kStarterQuestions) answer.suggestions.emplace_back(q);
  }
  if (explain) {
    Explanation e;
    e.threshold = options.threshold;
    e.kb_version = lexicon.version;
    answer.explanation = e;
  }
  return answer;
}

// The question read against the knowledge: its concepts and their ranking,
// with the previous turn's terms when it is a follow-up that needed them.
struct Reading {
  std::vector<Concept> concepts;
  std::vector<std::string> corrections;
  double non_english = 0;
  uint32_t ask_form = 0;  // AskForm of the question's text
  Ranking ranking;
  std::string context_reason;  // why the context was (or would be) needed
  bool context_used = false;
  // Set when a pronoun's referent (the previous turn's entry, read with the
  // context) and the question alone disagree: the reply asks back with both.
  // The referent's hit lives in context_ranking.
  std::optional<Ranked> referent;
  std::shared_ptr<Ranking> context_ranking;
  // The context was not used for a reason context_reason states in full
  // (not "no confident reading with it").
  bool context_refused = false;
};

// A follow-up is read together with the previous turn's terms, and only a
// follow-up: a question that names its own topic is answered alone (the
// previous turn must not leak into it). See ContextReason. `reading` holds
// the question read alone; it keeps the reading with context when that is
// the better one.
Status ReadWithContext(const KnowledgeView& view, const AnswererOptions& options, const std::string& text,
                       const std::vector<Turn>& history, Reading* reading) {
  const Lexicon& lexicon = view.lexicon();
  std::vector<Concept>& concepts = reading->concepts;
  const Ranking& alone = reading->ranking;
  std::string& context_reason = reading->context_reason;
  bool& context_used = reading->context_used;
  const auto& domain = lexicon.normalizer.synonyms().domain_terms();
  std::vector<std::string> own_topic;
  for (const Concept& c : concepts) {
    if (c.doc_freq > 0 && !c.weak && !domain.count(c.term)) own_topic.push_back(c.term);
  }
  context_reason = ContextReason(text, own_topic);
  const std::string& previous = history.back().entry_id;
  if (context_reason.empty() || concepts.size() > 10 || history.back().terms.empty()) return Status::Ok();
  // After a near miss ("How much does a firefighter earn?"), the topic was
  // another occupation: "which is better?" is not about what its terms
  // say, while "and a backend developer?" names what to read them about.
  const bool names_domain = std::any_of(concepts.begin(), concepts.end(), [&](const Concept& c) {
    return !c.context && c.doc_freq > 0 && domain.count(c.term) > 0;
  });
  if (history.back().near_miss && own_topic.empty() && !names_domain) {
    context_reason = "not used: the previous question was about another occupation, and this one names no topic";
    reading->context_refused = true;
    return Status::Ok();
  }
  // Read with the context, the question's own words are read as in a
  // question naming the domain (the conversation named it): a word common in
  // general English counts less ("teams", "keep").
  const std::vector<Concept> own_read =
      previous.empty() ? concepts
                       : BuildConcepts(text, lexicon, view.typos(), options.max_query_terms, nullptr, true);
  std::vector<Concept> merged = own_read;
  // An ellipsis swaps one name for another: in "and Express?" after a
  // question about Ruby on Rails, Express takes Rails' place and what
  // was asked about it (used for backend?) stays; in "what about Go?"
  // after a pay question nothing named is replaced, and pay stays. A
  // pronoun ("how much of it ...") refers to the previous topic instead:
  // nothing is swapped.
  const bool ellipsis = StartsWith(context_reason, "ellipsis");
  const std::vector<std::string> own_names = NamedTerms(text, concepts);
  const std::vector<std::string>& previous_names = history.back().names;
  std::vector<std::string> swapped;
  for (const std::string& t : history.back().terms) {
    if (std::any_of(merged.begin(), merged.end(), [&](const Concept& c) { return c.term == t; })) continue;
    auto it = lexicon.doc_freq.find(t);
    if (it == lexicon.doc_freq.end()) continue;
    if (ellipsis && !own_names.empty() &&
        std::find(previous_names.begin(), previous_names.end(), t) != previous_names.end()) {
      swapped.push_back(t);
      continue;
    }
    merged.push_back(TermConcept(t, it->second, lexicon.entry_count, kContextFactor, /*context=*/true));
  }
  if (merged.size() == own_read.size()) return Status::Ok();
  auto with_context = Rank(view, merged, options.candidates, view.model(), reading->non_english, reading->ask_form);
  if (!with_context.ok()) return with_context.status();
  auto& ranked = with_context->ranked;
  // The follow-up's own words decide: among the readings with context,
  // the best entry that holds one of them, and not the entry just
  // given unless nothing else fits ("what about Go?" after the
  // languages answer means the Go entry, not the list once more).
  // How much of the follow-up's own words (not the context's) an
  // entry holds: in its phrasings, title or tags fully, in its body
  // less ("and Express?" means the Express entry, not the frameworks
  // entry whose body lists Express among others).
  std::vector<std::pair<uint64_t, double>> own;
  double own_total = 0;
  // A question word alone ("why?", "where?") asks about the previous
  // answer; it names no entry of its own (entries merely phrased with it).
  static const std::unordered_set<std::string> kQuestionWords = {"why", "where", "when", "who"};
  for (const Concept& c : own_read) {
    if (c.doc_freq == 0 || (c.weak && !own_topic.empty())) continue;
    if (kQuestionWords.count(c.surface)) continue;
    own.emplace_back(TermHash(c.term), c.weight);
    own_total += c.weight;
  }
  // Whether an entry holds a term, in its phrasings, title, tags or body.
  auto holds = [&](const Ranked& r, uint64_t h) {
    IndexedEntry local;
    const IndexedEntry& doc = WithTermSets(*r.hit->doc, view.lexicon(), &local);
    return Has(doc.head_set, h) || Has(doc.body_set, h);
  };
  auto own_share = [&](const Ranked& r) {
    if (own_total <= 0) return 1.0;
    IndexedEntry local;
    const IndexedEntry& doc = WithTermSets(*r.hit->doc, view.lexicon(), &local);
    double held = 0;
    for (const auto& [h, w] : own) {
      if (Has(doc.head_set, h)) {
        held += w * kHeadStrength;
      } else if (Has(doc.body_set, h)) {
        held += w * kBodyStrength;
      }
    }
    return held / own_total;
  };
  // A pronoun stands for what the previous question named ("is it free?"
  // after "What is Redis?" asks about Redis): an entry that holds none of
  // those names answers the follow-up's words alone, not the follow-up (the
  // free learning path is not about Redis).
  std::vector<uint64_t> referent_names;
  if (StartsWith(context_reason, "pronoun")) {
    for (const Concept& c : merged) {
      if (c.context && std::find(previous_names.begin(), previous_names.end(), c.term) != previous_names.end()) {
        referent_names.push_back(TermHash(c.term));
      }
    }
  }
  // An entry is about a name when its phrasings, title or tags hold it; a
  // body may use the word in passing ("go" in "go further").
  auto head_holds = [&](const Ranked& r, uint64_t h) {
    IndexedEntry local;
    return Has(WithTermSets(*r.hit->doc, view.lexicon(), &local).head_set, h);
  };
  auto about_referent = [&](const Ranked& r) {
    return referent_names.empty() || std::any_of(referent_names.begin(), referent_names.end(),
                                                 [&](uint64_t h) { return head_holds(r, h); });
  };
  // An ellipsis of a place, employer or group ("and at Amazon?", "what
  // about in Germany?") keeps what was asked: after a pay question it asks
  // about pay at Amazon. An entry that holds none of the previous
  // question's own topic words (not a name it swapped, not the domain's
  // words, not words common in general English such as "hard" or "common")
  // answers the follow-up's words alone, not the follow-up. A bare
  // name ("what about Go?") swaps the subject instead: it is not held to
  // this.
  std::vector<uint64_t> asked;  // what the previous question asked about
  if (ellipsis && PrepositionalEllipsis(text)) {
    for (const Concept& c : merged) {
      if (!c.context || c.weak || domain.count(c.term)) continue;
      if (IsGenericWord(c.surface.empty() ? c.term : c.surface, false)) continue;
      asked.push_back(TermHash(c.term));
    }
  }
  auto keeps_asked = [&](const Ranked& r) {
    return asked.empty() || std::any_of(asked.begin(), asked.end(), [&](uint64_t h) { return holds(r, h); });
  };
  auto fits = [&](const Ranked& r) {
    return r.confidence >= options.threshold && own_share(r) > 0 && about_referent(r) && keeps_asked(r);
  };
  // An ellipsis that swaps one name for another asks the previous question
  // about the new name: the entry just given answers it again when it is
  // about the new name too ("does it expire?" about AWS, then "what about
  // Azure?": the renewal entry covers both clouds).
  std::vector<uint64_t> own_name_hashes;
  for (const std::string& n : own_names) own_name_hashes.push_back(TermHash(n));
  auto previous_covers_swap = [&](const Ranked& r) {
    return !swapped.empty() && !own_name_hashes.empty() &&
           std::all_of(own_name_hashes.begin(), own_name_hashes.end(), [&](uint64_t h) { return head_holds(r, h); });
  };
  // How many of the follow-up's own topic words (not the domain's) the
  // entry's title holds: of entries holding its words equally, the one whose
  // title names them is about them ("what about caching?" after scaling: the
  // caching entry, not the database roadmap listing caching among its
  // topics). Not when the follow-up swaps a name: what was asked then stays,
  // and decides with the new name.
  std::vector<uint64_t> own_topic_hashes;
  if (swapped.empty()) {
    for (const std::string& t : own_topic) own_topic_hashes.push_back(TermHash(t));
  }
  auto own_title_count = [&](const Ranked& r) {
    IndexedEntry local;
    const IndexedEntry& doc = WithTermSets(*r.hit->doc, view.lexicon(), &local);
    return std::count_if(own_topic_hashes.begin(), own_topic_hashes.end(),
                         [&](uint64_t h) { return Has(doc.title_set, h); });
  };
  auto best_fit = [&](bool allow_previous) {
    auto best = ranked.end();
    double best_share = -1;
    long best_title = -1;
    for (auto it = ranked.begin(); it != ranked.end(); ++it) {
      if (!fits(*it)) continue;
      if (!allow_previous && it->hit->entry().id == previous && !previous_covers_swap(*it)) continue;
      const double share = own_share(*it);
      if (share < best_share - 1e-9) continue;
      // Ties: the title that holds more of them, then the better score (met first).
      const long title = own_title_count(*it);
      if (share > best_share + 1e-9 || title > best_title) {
        best = it;
        best_share = share;
        best_title = title;
      }
    }
    return best;
  };
  auto pick = best_fit(false);
  // A pronoun stands for the previous question's subject, not for what was
  // asked about it: after "is it a good career?" (about backend
  // developers), "how do I become one?" asks how to become a backend
  // developer. When no other entry fits with the whole previous question,
  // the reading with its subject alone (its names and domain words) and the
  // follow-up's own words is tried.
  if (pick == ranked.end() && StartsWith(context_reason, "pronoun") && own_total > 0) {
    std::vector<Concept> subject = own_read;
    std::vector<uint64_t> names, topic, domain_words;  // the subject's: the entry must hold them
    const std::vector<std::string>& previous_topic = history.back().topic;
    for (const Concept& c : merged) {
      if (!c.context) continue;
      const bool name = std::find(previous_names.begin(), previous_names.end(), c.term) != previous_names.end();
      // A topic word of the previous question's own ("bootcamp" in "is a
      // bootcamp a good alternative?") is what "they" may stand for too.
      const bool own_topic_word =
          std::find(previous_topic.begin(), previous_topic.end(), c.term) != previous_topic.end();
      if (name || own_topic_word) {
        (name ? names : topic).push_back(TermHash(c.term));
        // The pronoun stands for the name: it weighs as if written out
        // ("is it good for beginners?" after C# asks "is C# good for
        // beginners?").
        auto it = lexicon.doc_freq.find(c.term);
        subject.push_back(it == lexicon.doc_freq.end()
                              ? c
                              : TermConcept(c.term, it->second, lexicon.entry_count, 1.0, /*context=*/true));
      } else if (domain.count(c.term)) {
        domain_words.push_back(TermHash(c.term));
        subject.push_back(c);
      }
    }
    // An entry about the subject: it holds each of its names ("C#"),
    // without names one of its topic words in its phrasings, title or tags
    // ("bootcamp"), or without either one of its domain words ("backend
    // developer").
    auto about_subject = [&](const Ranked& r) {
      if (!names.empty()) {
        return std::all_of(names.begin(), names.end(), [&](uint64_t h) { return head_holds(r, h); });
      }
      if (!topic.empty()) {
        return std::any_of(topic.begin(), topic.end(), [&](uint64_t h) { return head_holds(r, h); });
      }
      return std::any_of(domain_words.begin(), domain_words.end(), [&](uint64_t h) { return holds(r, h); });
    };
    // (With names or topic words, the subject reading differs from the
    // whole one even when it holds every word: they weigh fully.)
    if (subject.size() > own_read.size() && (subject.size() < merged.size() || !names.empty() || !topic.empty())) {
      auto with_subject = Rank(view, subject, options.candidates, view.model(), reading->non_english, reading->ask_form);
      if (!with_subject.ok()) return with_subject.status();
      Ranking whole = std::move(*with_context);
      *with_context = std::move(*with_subject);
      pick = best_fit(false);
      // Nothing else fits: the entry just given, when it is the one about
      // the subject and holds the follow-up's words ("which framework does
      // it use?" after "what about C#?" is the C# entry again).
      if (pick == ranked.end()) pick = best_fit(true);
      if (pick != ranked.end() && !about_subject(*pick)) pick = ranked.end();
      // No entry about a named subject holds the follow-up's own words, and
      // the follow-up names nothing itself: the best reading about the
      // subject, when confident, is the nearest answer there is ("is it good
      // for beginners?" after C# is the C# entry, not the first-job entry
      // the words alone find). An entry about the subject holding some of
      // the words ("is it still popular?" after Docker: Docker's
      // popularity) or a name of the follow-up's own ("how is it different
      // from Jenkins?") leaves this to the checks below.
      const bool subject_holds_words = std::any_of(ranked.begin(), ranked.end(), [&](const Ranked& r) {
        return about_subject(r) && own_share(r) > 0;
      });
      // Of the confident entries about the subject, the one whose phrasings,
      // title or tags hold most of the follow-up's words, weak ones
      // included ("popular"); ties: the better score.
      if (pick == ranked.end() && (!names.empty() || !topic.empty()) && own_names.empty() && !subject_holds_words) {
        double best_held = -1;
        for (auto it = ranked.begin(); it != ranked.end(); ++it) {
          if (!about_subject(*it) || it->confidence < options.threshold || IsNoAnswer(it->hit->entry())) continue;
          double held = 0;
          for (const Concept& c : own_read) {
            if (c.doc_freq > 0 && head_holds(*it, TermHash(c.term))) held += c.weight;
          }
          if (held > best_held + 1e-9) {
            best_held = held;
            pick = it;
          }
        }
      }
      if (pick == ranked.end()) {
        *with_context = std::move(whole);
        pick = ranked.end();
      } else {
        merged = std::move(subject);
        context_reason += "; read with its subject only";
      }
    }
  }
  if (pick == ranked.end()) pick = best_fit(true);
  // Without a topic word of its own and no entry holding its words, the
  // follow-up asks about the topic itself ("which is better?" after REST or
  // GraphQL): the best reading with the context, when confident.
  if (pick == ranked.end() && own_topic.empty() && !ranked.empty() && ranked[0].confidence >= options.threshold) {
    pick = ranked.begin();
  }
  const bool alone_confident = !alone.ranked.empty() && alone.ranked[0].confidence >= options.threshold;
  // Without a topic word of its own but answered confidently alone
  // ("How much do backend developers make?"), the question stands alone.
  if (alone_confident && context_reason == kNoTopicReason) pick = ranked.end();
  // Only the entry just given fits with the context, but the question
  // alone has a confident answer elsewhere: that one ("what about Go?"
  // after the languages answer is the Go entry).
  // A pronoun naming the previous subject is the exception: the entry just
  // given is then the one about that subject holding the follow-up's words
  // ("is it free?" after Redis is the Redis entry again, not a free course).
  if (pick != ranked.end() && pick->hit->entry().id == previous && alone_confident &&
      alone.ranked[0].hit->entry().id != previous && referent_names.empty() && !previous_covers_swap(*pick)) {
    pick = ranked.end();
  }
  // A pronoun that points back ("is it good for beginners?" after the C#
  // answer), no reading with the context confident, and a confident answer
  // of the words alone about something else: the bot cannot tell which the
  // asker means, so it asks back with both (the topic just given, first).
  // A "they" after a conversation about people ("Do backend developers have
  // to be on call?", then "and how many hours do they work?") may stand for
  // those people: a confident answer of the words alone about people (its
  // title names them: "How many hours developers work") is then the reading.
  // After "Which languages do backend developers use?", "are they hard to
  // learn?" is not read so: the entry its words find is about a language.
  const bool may_mean_people =
      alone_confident && PersonalPronounsOnly(text) && NamesPeople(alone.ranked[0].hit->entry().title) &&
      std::any_of(history.begin(), history.end(), [](const Turn& t) { return t.named_people; });
  // A follow-up that names something of its own ("how is it different from
  // Jenkins?" after GitHub Actions) asks about it: a confident answer of the
  // words alone about each name it typed is the reading; the pronoun only
  // says what it is compared with or used for.
  const bool alone_about_own_names =
      alone_confident && !own_name_hashes.empty() &&
      std::all_of(own_name_hashes.begin(), own_name_hashes.end(),
                  [&](uint64_t h) { return head_holds(alone.ranked[0], h); });
  if (pick == ranked.end() && alone_confident && StartsWith(context_reason, "pronoun") && !previous.empty() &&
      alone.ranked[0].hit->entry().id != previous && !may_mean_people && !alone_about_own_names) {
    auto referent = std::find_if(ranked.begin(), ranked.end(),
                                 [&](const Ranked& r) { return r.hit->entry().id == previous; });
    // The referent is vetted here (Plausible asks whether an entry is about
    // the question's own words, and the pronoun stands for its topic).
    if (referent != ranked.end() && referent->confidence >= options.clarify_floor &&
        !IsNoAnswer(referent->hit->entry()) && !IsNoAnswer(alone.ranked[0].hit->entry()) &&
        referent->features[kOccupation] == 0) {
      reading->referent = *referent;
      reading->context_ranking = std::make_shared<Ranking>(std::move(*with_context));
      context_reason = "asked back: " + context_reason + " points to " + previous +
                       ", but no reading with it is confident and the words alone mean another entry";
      return Status::Ok();
    }
  }
  // Nothing keeps what the ellipsis asked, and the words alone mean an entry
  // about something else: the reading with the context stands, without the
  // entries that ignore what was asked, so the bot declines or asks back
  // rather than answer another question.
  // Likewise a pronoun that stands for a name ("is it fast?" after "What is
  // Django?"): the words alone mean an entry not about Django, which
  // answers another question. The entries about the name stand.
  if (pick == ranked.end() && !asked.empty() && alone_confident && !keeps_asked(alone.ranked[0])) {
    ranked.erase(std::remove_if(ranked.begin(), ranked.end(), [&](const Ranked& r) { return !keeps_asked(r); }),
                 ranked.end());
    context_used = true;
    context_reason += "; alone it would not ask what was asked";
  } else if (pick == ranked.end() && !referent_names.empty() && alone_confident &&
             !about_referent(alone.ranked[0]) && !alone_about_own_names) {
    ranked.erase(std::remove_if(ranked.begin(), ranked.end(), [&](const Ranked& r) { return !about_referent(r); }),
                 ranked.end());
    context_used = true;
    context_reason += "; alone it would not be about what the pronoun stands for";
  } else if (pick != ranked.end()) {
    std::rotate(ranked.begin(), pick, pick + 1);
    context_used = true;
  } else if (!alone_confident && !ranked.empty() && context_reason != kNoTopicReason &&
             (alone.ranked.empty() || ranked[0].confidence > alone.ranked[0].confidence)) {
    // Neither reading is confident: keep the closer one (for the
    // decline's suggestions and a clarification).
    context_used = true;
  }
  if (context_used) {
    reading->ranking = std::move(*with_context);
    concepts = std::move(merged);
    if (!swapped.empty()) {
      context_reason += "; replaced by the question's own words:";
      for (const auto& t : swapped) context_reason += " " + t;
    }
  }
  return Status::Ok();
}

// Of the hand-set ranking's first few (ranking::kTrustedAmong), the one the
// confidence model trusts clearly more than the first
// (ranking::Model::PreferSecond) comes first, unless the question is one of
// the first's own phrasings; the others keep their order.
void TrustedFirst(const std::string& text, const ranking::Model* model, Ranking* ranking) {
  std::vector<Ranked>& ranked = ranking->ranked;
  if (!model || ranked.size() < 2) return;
  std::vector<double> learned;
  for (size_t i = 0; i < ranked.size() && i < ranking::kTrustedAmong; i++) learned.push_back(ranked[i].learned_confidence);
  const size_t best = model->TrustedIndex(learned);
  if (best == 0 || IsCuratedPhrasing(text, ranked[0].hit->entry())) return;
  std::rotate(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(best),
              ranked.begin() + static_cast<std::ptrdiff_t>(best) + 1);
}

// Reads `text`: its concepts (typos corrected), ranked, then with the
// conversation's context when it is a follow-up.
Status Read(const KnowledgeView& view, const AnswererOptions& options, const std::string& text,
            const std::vector<Turn>& history, Reading* reading) {
  reading->concepts = BuildConcepts(text, view.lexicon(), view.typos(), options.max_query_terms, &reading->corrections);
  reading->non_english = NonEnglishShare(text, reading->concepts);
  reading->ask_form = AskForm(text);
  ASSIGN_OR_RETURN(reading->ranking, Rank(view, reading->concepts, options.candidates, view.model(),
                                          reading->non_english, reading->ask_form));
  TrustedFirst(text, view.model(), &reading->ranking);
  if (history.empty()) return Status::Ok();
  return ReadWithContext(view, options, text, history, reading);
}

AnswerSource SourceOf(const Entry& e, double confidence) {
  return {e.id, e.title, e.source.article, e.source.section, e.source.url, std::round(confidence * 10000) / 10000};
}

// "Source?" after an answer: that answer's entry, found again from its
// turn's terms, and its source. Small talk adds no turn, so the next
// follow-up still reads that answer's topic. Leaves the small-talk reply
// when the last turn got no answer (a decline, a clarification) or its
// entry is gone.
void NameSource(const KnowledgeView& view, const std::vector<Turn>& history, const AnswererOptions& options,
                Answer* answer) {
  if (history.empty() || history.back().entry_id.empty()) return;  // the last turn was not answered
  const Turn* turn = &history.back();
  const Lexicon& lexicon = view.lexicon();
  std::vector<Concept> concepts;
  for (const std::string& term : turn->terms) {
    auto it = lexicon.doc_freq.find(term);
    if (it != lexicon.doc_freq.end()) {
      concepts.push_back(TermConcept(term, it->second, lexicon.entry_count, 1.0, /*context=*/false));
    }
  }
  // The entry is found among the same hits a ranking would score; only its
  // source is needed, so nothing is scored.
  const std::vector<std::string> terms = SearchTerms(concepts, lexicon);
  if (terms.empty()) return;
  auto hits = view.Search(terms, std::max<size_t>(options.candidates, 64));
  if (!hits.ok()) return;
  for (const Hit& h : *hits) {
    const Entry& e = h.entry();
    if (e.id != turn->entry_id) continue;
    std::string from = e.source.article;
    if (!e.source.section.empty()) from += from.empty() ? e.source.section : ", " + e.source.section;
    answer->text = "My answer on \"" + e.title + "\" comes from " + (from.empty() ? "the knowledge base" : from) +
                   (e.updated_at.empty() ? "" : " (entry last reviewed " + e.updated_at + ")") +
                   (e.source.url.empty() ? "." : ": " + e.source.url);
    // Only the source: no entry_id, so the question log and `kb stats`
    // do not count this as the entry asked again.
    answer->sources.push_back(SourceOf(e, 1.0));
    return;
  }
}

// Curators mark entries that record what the knowledge does NOT hold
// ("no reliable figure for pay in India") with the tag "no-answer": they
// decline, but say why and cite where that was checked.
void DeclineWithNoAnswerEntry(const Entry& e, const AnswererOptions& options, Answer* answer) {
  answer->answered = false;
  answer->kind = "fallback";
  answer->entry_id = e.id;
  answer->text = std::string(Trim(e.body));
  answer->sources.push_back(SourceOf(e, answer->confidence));
  for (const char* q : kStarterQuestions) {
    if (answer->suggestions.size() >= options.max_suggestions) break;
    answer->suggestions.emplace_back(q);
  }
}

// The answer from `winner`'s entry; a two-part question's second part, or
// a near tie's runner-up, adds its own answer and source; the next entries
// become suggestions.
void ComposeAnswer(const Ranked& winner, const std::vector<Ranked>& ranked, const TwoParts& parts,
                   const std::vector<Concept>& concepts, const std::string& text, const Lexicon& lexicon,
                   const AnswererOptions& options, Answer* answer) {
  const Entry& e = winner.hit->entry();
  answer->kind = "kb";
  answer->entry_id = e.id;
  answer->text = Compose(e, parts.found ? parts.concepts[0] : concepts, lexicon.normalizer, options.max_answer_chars);
  answer->sources.push_back(SourceOf(e, parts.found ? winner.confidence : answer->confidence));
  // When the runner-up is as good a reading of the question (a near tie
  // between two confident entries), the answer gives both, each with its
  // source, rather than betting on one.
  const Entry* second = nullptr;
  if (parts.found) {
    second = &parts.second->hit->entry();
    answer->text += "\n\n" + Compose(*second, parts.concepts[1], lexicon.normalizer, options.max_answer_chars);
    answer->sources.push_back(SourceOf(*second, parts.second->confidence));
  } else if (ranked.size() > 1 && winner.score - ranked[1].score < options.tie_margin &&
             ranked[1].confidence >= options.threshold && !IsNoAnswer(ranked[1].hit->entry())) {
    second = &ranked[1].hit->entry();
    answer->text += "\n\n" + Compose(*second, concepts, lexicon.normalizer, options.max_second_chars);
    answer->sources.push_back(SourceOf(*second, ranked[1].confidence));
  }
  std::string asked = Lower(std::string(Trim(text)));
  for (size_t i = 1; i < ranked.size() && answer->suggestions.size() < options.max_suggestions; i++) {
    const Entry& other = ranked[i].hit->entry();
    if (&other == second) continue;
    if (ranked[i].confidence < options.threshold * 0.6) continue;
    std::string s = other.questions.empty() ? other.title : other.questions[0];
    if (Lower(s) == asked) continue;
    if (std::find(answer->suggestions.begin(), answer->suggestions.end(), s) == answer->suggestions.end()) {
      answer->suggestions.push_back(s);
    }
  }
}

// Unsure, not lost: a plausible winner between the clarification floor and
// the threshold, on a question in English with a word of its own to be
// unsure about ("1" in "OR 1=1" is none).
bool ShouldClarify(const Ranked* winner, const Reading& reading, const AnswererOptions& options) {
  return winner && winner->confidence >= options.clarify_floor && !IsNoAnswer(winner->hit->entry()) &&
         winner->features[kOtherPerson] == 0 &&
         reading.non_english < kNonEnglishReplyShare && Plausible(*winner) &&
         std::any_of(reading.concepts.begin(), reading.concepts.end(), [](const Concept& c) {
           return !c.context && c.doc_freq > 0 && !c.weak && c.surface.size() >= 2 &&
                  std::any_of(c.surface.begin(), c.surface.end(),
                              [](char ch) { return std::isalpha(static_cast<unsigned char>(ch)); });
         });
}

// Asks back with these entries' own questions, in this order.
void AskBack(const std::vector<const Ranked*>& offered, Answer* answer) {
  answer->kind = "clarify";
  answer->text = "I'm not sure which you mean. Did you mean one of these?";
  for (const Ranked* r : offered) {
    const Entry& e = r->hit->entry();
    answer->options.push_back({e.questions.empty() ? e.title : e.questions[0], e.id});
  }
  // The options in the text too, numbered: every channel can show them as
  // they are, and replying with a number (or the question) chooses one.
  for (size_t i = 0; i < answer->options.size(); i++) {
    answer->text += "\n" + std::to_string(i + 1) + ". " + answer->options[i].question;
  }
  answer->text += "\nReply with a number to choose.";
}

// Asks back with the likely entries: up to max_options plausible ones.
void Clarify(const std::vector<Ranked>& ranked, const AnswererOptions& options, Answer* answer) {
  std::vector<const Ranked*> offered;
  for (const Ranked& r : ranked) {
    if (offered.size() >= options.max_options) break;
    if (IsNoAnswer(r.hit->entry()) || r.confidence < options.clarify_floor * kOptionShare || !Plausible(r)) continue;
    offered.push_back(&r);
  }
  AskBack(offered, answer);
}

void Decline(const Reading& reading, const AnswererOptions& options, Answer* answer) {
  answer->kind = "fallback";
  // A question in another language gets told so, not "I don't know".
  size_t own_terms = std::count_if(reading.concepts.begin(), reading.concepts.end(),
                                   [](const Concept& c) { return !c.context; });
  answer->text = own_terms >= 2 && reading.non_english >= kNonEnglishReplyShare
                     ? std::string("Sorry, I can only answer questions asked in English. ") + kTopicsSentence
                     : std::string("Sorry, I don't know that one. ") + kTopicsSentence;
  // Near misses: offer the closest topics the knowledge base does have.
  const std::vector<Ranked>& ranked = reading.ranking.ranked;
  for (size_t i = 0; i < ranked.size() && answer->suggestions.size() < options.max_suggestions; i++) {
    if (ranked[i].coverage < 0.34) break;
    const Entry& other = ranked[i].hit->entry();
    answer->suggestions.push_back(other.questions.empty() ? other.title : other.questions[0]);
  }
  for (const char* q : kStarterQuestions) {
    if (answer->suggestions.size() >= options.max_suggestions) break;
    answer->suggestions.emplace_back(q);
  }
}

// What the conversation remembers of this turn, for a follow-up or a choice.
Turn TurnOf(const std::string& text, const std::vector<Concept>& concepts, const std::string& context_reason,
            const std::vector<Turn>& history, const Answer& answer, const Lexicon& lexicon) {
  Turn turn;
  for (const Concept& c : concepts) {
    // A weak word carried over from an earlier turn ("worth" in "is an AWS
    // certification worth it?") was what that turn asked; this turn asked
    // its own ("does it expire?"), so the next ellipsis ("what about
    // Azure?") does not carry it on.
    if (c.context && IsWeakWord(c.term)) continue;
    if (c.doc_freq > 0) turn.terms.push_back(c.term);
  }
  turn.entry_id = answer.entry_id;
  const bool declined = !answer.answered && answer.kind != "clarify";  // small talk adds no turn
  turn.near_miss = declined && (NamesOtherPerson(concepts, lexicon) ||
                                std::any_of(concepts.begin(), concepts.end(), [](const Concept& c) {
                                  return !c.context && c.person && c.doc_freq == 0;
                                }));
  // A declined question of weak words only, read alone ("which is
  // better?" as a first question), has no topic to carry on: "and a backend
  // developer?" after it is read alone, not as a question about "better".
  if (declined && std::all_of(concepts.begin(), concepts.end(), [](const Concept& c) {
        return !c.context && (c.weak || c.doc_freq == 0);
      })) {
    turn.terms.clear();
  }
  turn.names = NamedTerms(text, concepts);
  // A question with a pronoun ("is it a good career?") is about what the
  // pronoun stands for; its own words ("career") are what it asks.
  const auto& domain = lexicon.normalizer.synonyms().domain_terms();
  if (!StartsWith(context_reason, "pronoun")) {
    for (const Concept& c : concepts) {
      if (!c.context && !c.weak && c.doc_freq > 0 && !domain.count(c.term)) turn.topic.push_back(c.term);
    }
  }
  turn.named_people = NamesPeople(text);
  if (answer.kind == "clarify") {
    turn.text = std::string(Trim(text));
    turn.normalized = answer.normalized_question;
    turn.options = answer.options;
  }
  for (const Concept& c : concepts) {
    // Names carried over stay names ("and Express?" then "and Django?").
    if (c.context && !history.empty() &&
        std::find(history.back().names.begin(), history.back().names.end(), c.term) != history.back().names.end()) {
      turn.names.push_back(c.term);
    }
  }
  turn.answer_id = answer.answer_id;
  return turn;
}

// Why the answer is what it is (`careerbot ask --explain`, "explain": true).
Explanation Explain(const Reading& reading, const Ranked* winner, bool has_history, const Lexicon& lexicon,
                    const AnswererOptions& options) {
  const std::vector<Concept>& concepts = reading.concepts;
  const std::vector<Ranked>& ranked = reading.ranking.ranked;
  Explanation ex;
  for (const Concept& c : concepts) {
    (c.context ? ex.context_terms : ex.query_terms).push_back(c.term);
  }
  ex.corrected = reading.corrections;
  ex.threshold = options.threshold;
  ex.kb_version = lexicon.version;
  ex.context_used = reading.context_used;
  const std::string& reason = reading.context_reason;
  ex.context_reason = !has_history          ? "no earlier turn in this conversation"
                      : reason.empty()      ? "not needed: the question names its own topic"
                      : reading.context_used ? "used: " + reason
                      : reading.referent || reading.context_refused ? reason
                                             : "not used (no confident reading with it): " + reason;
  if (!winner) return ex;
  const Hit& h = *winner->hit;
  ex.winner_id = h.entry().id;
  ex.winner_score = winner->score;
  ex.coverage = winner->coverage;
  ex.question_similarity = winner->question_sim;
  ex.confidence = winner->confidence;
  ex.hand_confidence = winner->hand_confidence;
  ex.learned_confidence = winner->learned_confidence;
  auto field = [&](const char* name, auto&& contains) {
    Explanation::FieldMatch fm;
    fm.field = name;
    for (const Concept& c : concepts) {
      if (contains(c.term)) fm.terms.push_back(c.term);
    }
    if (!fm.terms.empty()) ex.matches.push_back(std::move(fm));
  };
  field("title", [&](const std::string& t) { return ContainsTerm(h.doc->title_terms, t); });
  field("questions", [&](const std::string& t) {
    return std::any_of(h.doc->question_terms.begin(), h.doc->question_terms.end(),
                       [&](const std::string& q) { return ContainsTerm(q, t); });
  });
  field("tags", [&](const std::string& t) { return ContainsTerm(h.doc->tag_terms, t); });
  field("body", [&](const std::string& t) { return ContainsTerm(h.doc->body_terms, t); });
  if (ranked.size() > 1) {
    ex.runner_up_id = ranked[1].hit->entry().id;
    ex.runner_up_score = ranked[1].score;
    ex.runner_up_confidence = ranked[1].confidence;
    ex.margin = winner->score - ranked[1].score;
  } else {
    ex.margin = winner->score;
  }
  return ex;
}

}  // namespace

Result<Answer> Answerer::Ask(const Question& question) {
  if (IsBlank(SanitizeUtf8(TruncateUtf8(question.text, kMaxQuestionBytes)))) {
    return Status::InvalidArgument("the question is empty");
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const KnowledgeView> view, View());
  return Ask(*view, question);
}

// Ask's pipeline, on one view of the knowledge: a choice among a
// clarification → small talk → read the question (with the conversation's
// context for a follow-up) → decide the outcome (answer, two parts, no-answer
// entry, clarification, decline) → remember the turn → explain.
Result<Answer> Answerer::Ask(const KnowledgeView& view, const Question& question) {
  std::string text = SanitizeUtf8(TruncateUtf8(question.text, kMaxQuestionBytes));
  if (IsBlank(text)) return Status::InvalidArgument("the question is empty");
  const Lexicon& lexicon = view.lexicon();

  Answer answer;
  answer.answer_id = ids_->NewId();
  answer.conversation_id = question.conversation_id.empty() ? ids_->NewId() : question.conversation_id;
  std::vector<Turn> history = question.conversation_id.empty()
                                  ? std::vector<Turn>{}
                                  : Dialogue().Recent(question.conversation_id);

  const Turn* clarified = nullptr;
  std::string chosen_entry = ChosenEntry(question, history, &text, &clarified);
  if (!chosen_entry.empty()) {
    std::string clarified_question;
    if (clarified) {
      clarified_question = clarified->text;
      answer.clarified_normalized = clarified->normalized;
    }
    answer.clarification_id = clarified ? clarified->answer_id : question.clarification_id;
    return AnswerChosen(view, question, text, chosen_entry, clarified_question, history, std::move(answer));
  }
  if (auto intent = DetectSmallTalk(text)) {
    Answer reply = SmallTalkAnswer(*intent, question.explain, options_, lexicon, std::move(answer));
    if (*intent == SmallTalkIntent::kSource) NameSource(view, history, options_, &reply);
    return reply;
  }

  Reading reading;
  RETURN_IF_ERROR(Read(view, options_, text, history, &reading));
  for (const Concept& c : reading.concepts) {
    if (!answer.normalized_question.empty()) answer.normalized_question += " ";
    answer.normalized_question += c.term;
  }
  const std::vector<Ranked>& ranked = reading.ranking.ranked;
  const Ranked* winner = ranked.empty() ? nullptr : &ranked[0];
  answer.confidence = winner ? std::round(winner->confidence * 10000) / 10000 : 0.0;
  answer.answered = winner && answer.confidence >= options_.threshold;

  // A two-part question ("What is a backend developer, and is it a good
  // career?") answers both parts, each with its source, when each part alone
  // ranks confidently on a different entry; otherwise it is one question.
  TwoParts parts;
  if (!reading.context_used) {
    ASSIGN_OR_RETURN(parts.found, AnswerParts(view, options_, text, &parts));
    if (parts.found) {
      winner = parts.first;
      answer.confidence = std::round(std::min(parts.first->confidence, parts.second->confidence) * 10000) / 10000;
      answer.answered = true;
    }
  }

  if (reading.referent && !parts.found) {
    // Asks back: the pronoun's referent or what the words alone mean.
    answer.answered = false;
    answer.confidence = std::round(reading.referent->confidence * 10000) / 10000;
    AskBack({&*reading.referent, winner}, &answer);  // both vetted in ReadWithContext
  } else if (answer.answered && IsNoAnswer(winner->hit->entry())) {
    DeclineWithNoAnswerEntry(winner->hit->entry(), options_, &answer);
  } else if (answer.answered) {
    ComposeAnswer(*winner, ranked, parts, reading.concepts, text, lexicon, options_, &answer);
  } else if (ShouldClarify(winner, reading, options_)) {
    Clarify(ranked, options_, &answer);
  } else {
    Decline(reading, options_, &answer);
  }

  // Every answer starts or continues a conversation the caller may come back to.
  Dialogue().Add(answer.conversation_id,
                 TurnOf(text, reading.concepts, reading.context_reason, history, answer, lexicon));
  if (question.explain) answer.explanation = Explain(reading, winner, !history.empty(), lexicon, options_);
  return answer;
}

}  // namespace bot
