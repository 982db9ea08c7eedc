// Text handling shared by indexing and answering: UTF-8 repair, tokenizing,
// stop words and the Normalizer that turns any text into index terms. The same
// Normalizer runs over knowledge entries at build time and over questions at
// answer time, so a question and an entry meet on identical terms.
// All functions are pure; Normalizer is immutable after construction and safe
// to share between threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace bot {

// Returns `text` as valid UTF-8: invalid sequences become U+FFFD, NUL and other
// C0 control characters (except tab and newline) become spaces.
std::string SanitizeUtf8(std::string_view text);

// True when `text` is valid UTF-8.
bool IsValidUtf8(std::string_view text);
// `text` with only its invalid UTF-8 sequences replaced by U+FFFD.
std::string RepairUtf8(std::string_view text);

// Cuts `text` to at most `max_bytes` without splitting a UTF-8 sequence.
std::string_view TruncateUtf8(std::string_view text, size_t max_bytes);

// Lower-cased word tokens. Letters and digits form words; "c++" and "c#" are
// kept as "cplusplus" and "csharp"; dots, apostrophes and commas inside a word
// or a number join ("node.js" -> "nodejs", "100,000" -> "100000", "what's" ->
// "whats"); non-ASCII letters are kept, symbols and emoji separate words.
std::vector<std::string> Tokenize(std::string_view text);

// What kind of answer a question asks for, from its first question words
// ("how many", "how long", "why", "should", a yes/no question...): one bit
// per kind, or 0 when none is found. Stop words carry it, so the index terms
// lose it: "How many developers have a degree?" asks for a count, "Do I need
// a degree?" for a verdict.
uint32_t AskForm(std::string_view text);

// Words that carry no topic ("the", "how", "please").
bool IsStopWord(std::string_view token);
// Words that carry a little topic but should never decide a match on their own
// ("where", "become", "best"); they get a reduced weight.
bool IsWeakWord(std::string_view token);
// Whether an index term is the stem of a weak word ("best", "first").
bool IsWeakStem(std::string_view term);

// A curated synonym list: groups of words or phrases, the first of each group
// canonical. Parsed from text, one group per line, items comma-separated,
// '#' comments. Matching is done on stemmed tokens, longest phrase first,
// except that words of three letters or fewer ("us", "db", "sre") must match
// the typed word exactly, so "used" (stem "us") is not "u.s".
class SynonymTable {
 public:
  SynonymTable() = default;
  // Never fails: malformed lines (fewer than two items) are skipped and
  // reported in `warnings` when given.
  static SynonymTable Parse(std::string_view text, std::vector<std::string>* warnings = nullptr);

  // If an item starts at position `pos` of the typed `tokens` (with their
  // `stems`), returns its canonical term and sets *length to the number of
  // tokens it spans; otherwise returns nullptr.
  const std::string* Match(const std::vector<std::string>& tokens, const std::vector<std::string>& stems,
                           size_t pos, size_t* length) const;
  // Every single-word member mapped to its canonical term (for typo lookup).
  const std::unordered_map<std::string, std::string>& single_stems() const { return single_; }
  // The domain's subject terms, from a line "@domain: word, word, ...":
  // canonical index terms that show a question is about this domain.
  const std::unordered_set<std::string>& domain_terms() const { return domain_; }
  size_t group_count() const { return groups_; }
  const std::string& source_text() const { return text_; }

 private:
  struct Item {
    std::vector<std::string> words;  // stems, or typed words where exact
    std::vector<bool> exact;         // short words match the typed word
    std::string canonical;
  };
  std::unordered_map<std::string, std::string> single_;  // long single words by stem
  // Everything else (phrases and short words), keyed by first word, longest first.
  std::unordered_map<std::string, std::vector<Item>> items_;
  std::unordered_set<std::string> domain_;
  size_t groups_ = 0;
  std::string text_;
};

// One term of normalized text.
struct Term {
  std::string term;    // the index term: stemmed, canonical synonym
  std::string surface; // the words it came from, as typed (lower-cased)
  bool weak = false;   // a weak word (see IsWeakWord)
};

class Normalizer {
 public:
  // Bump whenever a change here gives different terms for the same text:
  // stores indexed by another version are re-indexed when opened.
  static constexpr int kVersion = 1;

  explicit Normalizer(SynonymTable synonyms = SynonymTable());
  // The terms of `text`, in order, stop words removed. Text is sanitized and
  // capped at kMaxTextBytes first. With `expand_phrases`, a phrase synonym
  // ("job outlook") also yields its own words after its canonical term, so
  // the words stay findable on their own; the index is built that way.
  std::vector<Term> Terms(std::string_view text, bool expand_phrases = false) const;
  // The expanded terms joined by single spaces: what the index stores.
  std::string IndexText(std::string_view text) const;
  const SynonymTable& synonyms() const { return synonyms_; }

  static constexpr size_t kMaxTextBytes = 64 * 1024;

 private:
  SynonymTable synonyms_;
};

// Splits `text` into sentences (on . ! ? followed by space, and on newlines),
// trimmed, empty ones dropped.
std::vector<std::string> SplitSentences(std::string_view text);

// Trims ASCII white space at both ends.
std::string_view Trim(std::string_view s);
// True when `s` holds nothing but white space, ASCII or Unicode (no-break
// and ideographic spaces, the U+2000 block, line and paragraph separators)
// and invisible format characters (zero-width spaces and joiners, BOM).
bool IsBlank(std::string_view s);

}  // namespace bot
