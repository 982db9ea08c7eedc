// Word knowledge beyond the knowledge base's own vocabulary: a table compiled
// at build time from Debian's WordNet 3.0 and the Free On-line Dictionary of
// Computing (knowledge/tools/lexicon_gen.cc writes it; the format is described
// there). It tells the answerer
//   - the lemmas of an inflected word, by WordNet's morphy rules and exception
//     lists ("specializations" -> "specialization", "children" -> "child");
//   - related words: synset members of a word's most frequent senses and its
//     derivationally related forms ("salary" ~ "pay", "specialization" ~
//     "specialize"), and a stripped "-ful"/"-ness" ("RESTful" ~ "REST");
//   - what an abbreviation stands for (FOLDOC: "VM" = "virtual machine"; an
//     abbreviation may have several readings, the caller picks by its own
//     vocabulary);
//   - whether a noun names a person or occupation ("lawyer", "firefighter");
//   - how common a word is in general English (WordNet's sense tag counts).
// The table stays in the binary's read-only data; loading it only indexes its
// line starts (a few milliseconds). Immutable and thread-safe once made.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bot {

class WordKnowledge {
 public:
  // The compiled-in table (built on first use).
  static const WordKnowledge& Builtin();
  // A table in lexicon_gen's format (lines sorted bytewise by word); for tests.
  explicit WordKnowledge(std::string table);

  // Lower-case lemmas of `word` known to WordNet: itself when it is one, the
  // bases of its exception forms, then morphy's suffix rules. Empty when
  // WordNet knows no form of it.
  std::vector<std::string> Lemmas(std::string_view word) const;
  bool Known(std::string_view word) const { return !Lemmas(word).empty(); }
  // True when the most frequent noun sense of a lemma of `word` is a person
  // ("men" -> "man"; but "dive", a noun itself, is not read as "diva").
  bool IsPerson(std::string_view word) const;
  // True when a lemma of `word` is a noun.
  bool IsNoun(std::string_view word) const;
  // True when a lemma of `word` is a verb ("wondered" -> "wonder").
  bool IsVerb(std::string_view word) const;
  // True when WordNet knows `word` only as an adverb ("ideally", "basically").
  bool IsAdverbOnly(std::string_view word) const;
  // True when WordNet knows `word` (through its lemmas) only as a noun
  // ("framework", "language"; not "take", "cost" or "hard").
  bool IsNounOnly(std::string_view word) const;
  // The positive form of a comparative or superlative adjective or adverb
  // ("faster", "fastest" -> "fast"; "easier" -> "easy"; "bigger" -> "big"),
  // or "" when `word` is not one. A word WordNet has as a noun or verb
  // ("server", "lower", "latest") is left alone, and so is a word whose base
  // is no adjective ("clever") or a rarer word than itself ("later", "after").
  std::string PositiveForm(std::string_view word) const;
  // The general-English frequency of `word`: the largest sense tag count of
  // its lemmas; -1 when WordNet does not know it.
  long Count(std::string_view word) const;
  // Words related to `word`'s lemmas (synonyms of their most frequent senses,
  // derivations; "-ful"/"-ness" stripped to a known lemma), lemmas first.
  std::vector<std::string> Related(std::string_view word) const;
  // What the abbreviation `word` (lower case, dots removed) may stand for.
  std::vector<std::string> Expansions(std::string_view word) const;
  size_t size() const { return lines_.size(); }

 private:
  struct Row {
    std::string_view word, flags, bases, related, expansions;
    long count = 0;
  };
  bool Find(std::string_view word, Row* row) const;
  bool HasPos(std::string_view word, char pos) const;

  std::string owned_;
  std::string_view data_;
  std::vector<uint32_t> lines_;  // start of each line
  // An open-addressing hash of each line's word: slots_[h] is a line start
  // + 1, or 0 when empty; the size is a power of two at least twice the
  // line count. A lookup costs one hash and about one key comparison, where
  // a binary search over the sorted lines missed the cache ~17 times, and
  // the answering path looks words up dozens of times per question.
  std::vector<uint32_t> slots_;
  std::string_view KeyAt(uint32_t start) const;
  WordKnowledge(std::string_view data, bool);
  void IndexLines();
};

}  // namespace bot
