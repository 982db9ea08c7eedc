#include "bot/retriever.h"

#include "bot/ranking.h"
#include "bot/text.h"

namespace bot {

uint64_t TermHash(std::string_view term) {
  // FNV-1a, then a final mix (terms differ mostly in their last bytes).
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : term) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

namespace {

// Calls `f` on each of the space-separated `terms` in order while it
// returns true.
template <typename F>
void ForEachTerm(std::string_view terms, F f) {
  size_t start = 0;
  while (start < terms.size()) {
    size_t end = terms.find(' ', start);
    if (end == std::string_view::npos) end = terms.size();
    if (end > start && !f(terms.substr(start, end - start))) return;
    start = end + 1;
  }
}

void AddTerms(std::string_view terms, TermSet* set) {
  ForEachTerm(terms, [set](std::string_view term) {
    set->push_back(TermHash(term));
    return true;
  });
}

void Finish(TermSet* set) {
  std::sort(set->begin(), set->end());
  set->erase(std::unique(set->begin(), set->end()), set->end());
  set->shrink_to_fit();
}

}  // namespace

TermSet MakeTermSet(std::string_view terms) {
  TermSet set;
  AddTerms(terms, &set);
  Finish(&set);
  return set;
}

bool IsGenericTerm(const Lexicon& lexicon, const std::string& term) {
  if (lexicon.normalizer.synonyms().domain_terms().count(term)) return true;
  auto it = lexicon.doc_freq.find(term);
  return it != lexicon.doc_freq.end() &&
         static_cast<double>(it->second) > ranking::kCommonTermShare * static_cast<double>(lexicon.entry_count);
}

void PrepareTermSets(IndexedEntry* doc, const Lexicon& lexicon) {
  doc->title_set = MakeTermSet(doc->title_terms);
  doc->question_sets.clear();
  doc->head_set.clear();
  AddTerms(doc->title_terms, &doc->head_set);
  AddTerms(doc->tag_terms, &doc->head_set);
  for (const auto& q : doc->question_terms) {
    doc->question_sets.push_back(MakeTermSet(q));
    AddTerms(q, &doc->head_set);
  }
  Finish(&doc->head_set);
  doc->body_set = MakeTermSet(doc->body_terms);
  doc->ask_forms = 0;
  for (const std::string& q : doc->entry.questions) doc->ask_forms |= AskForm(q);
  doc->subjects.clear();
  auto add_subject = [&](std::string_view terms) {
    std::string_view first, subject;
    ForEachTerm(terms, [&](std::string_view term) {
      if (IsWeakStem(term)) return true;
      if (!IsGenericTerm(lexicon, std::string(term))) {
        subject = term;
        return false;
      }
      if (first.empty()) first = term;
      return true;
    });
    if (subject.empty()) subject = first;
    if (!subject.empty()) doc->subjects.push_back(TermHash(subject));
  };
  add_subject(doc->title_terms);
  for (const auto& q : doc->question_terms) add_subject(q);
  Finish(&doc->subjects);
  doc->sets_ready = true;
}

const IndexedEntry& WithTermSets(const IndexedEntry& doc, const Lexicon& lexicon, IndexedEntry* local) {
  if (doc.sets_ready) return doc;
  *local = doc;
  PrepareTermSets(local, lexicon);
  return *local;
}

}  // namespace bot
