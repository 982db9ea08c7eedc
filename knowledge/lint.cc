#include "knowledge/lint.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <unordered_map>

#include "bot/text.h"
#include "knowledge/entry_json.h"

namespace knowledge {
namespace {

using Severity = LintFinding::Severity;

std::vector<std::string> TermSet(const std::string& index_text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < index_text.size()) {
    size_t end = index_text.find(' ', start);
    if (end == std::string::npos) end = index_text.size();
    if (end > start) out.push_back(index_text.substr(start, end - start));
    start = end + 1;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

double Jaccard(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  size_t i = 0, j = 0, both = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] == b[j]) {
      both++;
      i++;
      j++;
    } else if (a[i] < b[j]) {
      i++;
    } else {
      j++;
    }
  }
  size_t either = a.size() + b.size() - both;
  return either == 0 ? 0.0 : static_cast<double>(both) / static_cast<double>(either);
}

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Percent(double v) { return std::to_string(static_cast<int>(std::lround(v * 100))) + "%"; }

std::string Fixed2(double v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

}  // namespace

bot::Result<LintReport> Lint(Store* store, bot::Answerer* answerer, const LintOptions& options) {
  ASSIGN_OR_RETURN(auto entries, store->ListEntries());
  ASSIGN_OR_RETURN(auto lexicon, store->GetLexicon());
  const bot::Normalizer& normalizer = lexicon->normalizer;
  LintReport report;
  report.entries = entries.size();
  auto add = [&](Severity severity, const std::string& check, const std::string& id, const std::string& message) {
    report.findings.push_back({severity, check, id, message});
  };

  std::map<std::string, std::vector<std::pair<std::string, std::string>>> phrasings;  // terms -> (entry, question)
  std::vector<std::vector<std::string>> body_terms(entries.size());
  for (size_t i = 0; i < entries.size(); i++) {
    const bot::Entry& e = entries[i];
    for (const auto& p : ValidateEntry(e)) add(Severity::kError, "invalid", e.id, p.ToString());
    const std::string& url = e.source.url;
    if (!url.empty()) {
      size_t host = url.find("://");
      bool http = url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0;
      if (!http || host + 3 >= url.size() || url.find_first_of(" <>\"") != std::string::npos) {
        add(Severity::kError, "source", e.id, "source.url: '" + url + "' is not an http(s) link");
      }
    }
    if (e.source.article.empty()) {
      add(Severity::kError, "source", e.id, "source.article: empty; every answer names where it comes from");
    } else if (e.source.section.empty()) {
      add(Severity::kWarning, "source", e.id, "source.section: empty; name the part of the source it restates");
    }
    if (e.questions.empty()) {
      add(Severity::kWarning, "no-questions", e.id,
          "no alternate questions: add the ways users ask for it (the bot matches them best)");
    }
    size_t chars = CodePoints(e.body);
    if (chars > options.max_answer_chars) {
      add(Severity::kWarning, "long-answer", e.id,
          "the answer is " + std::to_string(chars) + " characters; a chat answer should be at most " +
              std::to_string(options.max_answer_chars) + " (the bot sends only its best sentences)");
    }
    for (const auto& q : e.questions) {
      // The same terms in another order are the same phrasing to the ranker.
      std::string terms;
      for (const auto& t : TermSet(normalizer.IndexText(q))) terms += (terms.empty() ? "" : " ") + t;
      if (!terms.empty()) phrasings[terms].emplace_back(e.id, q);
    }
    body_terms[i] = TermSet(normalizer.IndexText(e.title + "\n" + e.body));
  }

  // The same phrasing (same index terms) in two entries.
  for (const auto& [terms, holders] : phrasings) {
    std::set<std::string> ids;
    for (const auto& h : holders) ids.insert(h.first);
    if (ids.size() < 2) continue;
    std::string list;
    for (const auto& h : holders) list += (list.empty() ? "" : ", ") + h.first + " ('" + h.second + "')";
    add(Severity::kError, "duplicate-question", *ids.begin(),
        "the same question is curated in " + std::to_string(ids.size()) + " entries: " + list);
  }

  // Near-duplicate entries: candidates share a rarer term; then Jaccard.
  std::unordered_map<std::string, std::vector<size_t>> postings;
  for (size_t i = 0; i < body_terms.size(); i++) {
    for (const auto& t : body_terms[i]) postings[t].push_back(i);
  }
  const size_t max_postings = std::max<size_t>(50, entries.size() / 20);
  for (size_t i = 0; i < body_terms.size(); i++) {
    std::set<size_t> candidates;
    for (const auto& t : body_terms[i]) {
      const auto& list = postings[t];
      if (list.size() > max_postings) continue;
      for (size_t j : list) {
        if (j > i) candidates.insert(j);
      }
    }
    for (size_t j : candidates) {
      const bot::Entry& a = entries[i];
      const bot::Entry& b = entries[j];
      double overlap = Jaccard(body_terms[i], body_terms[j]);
      if (overlap >= options.near_duplicate) {
        add(Severity::kWarning, "near-duplicate", a.id,
            "says nearly the same as '" + b.id + "' (" + Percent(overlap) +
                " of their words in common); merge them "
                "or make each one distinct");
      } else if (Lower(a.title) == Lower(b.title)) {
        add(Severity::kWarning, "near-duplicate", a.id, "has the same title as '" + b.id + "'");
      }
    }
  }

  // Each entry's own alternate questions: who answers them?
  if (answerer) {
    for (const bot::Entry& e : entries) {
      for (const auto& q : e.questions) {
        bot::Question question;
        question.text = q;
        question.channel = "cli";
        question.explain = true;
        auto answer = answerer->Ask(question);
        report.questions_asked++;
        RETURN_IF_ERROR(answer);
        if (answer->entry_id == e.id) continue;  // answered (or a no-answer entry declining) by itself
        if (answer->kind == "smalltalk") {
          add(Severity::kWarning, "confusion", e.id, "question '" + q + "' is taken as small talk");
          continue;
        }
        bool shown = std::any_of(answer->sources.begin(), answer->sources.end(),
                                 [&](const bot::AnswerSource& s) { return s.id == e.id; });
        std::string confidence = Fixed2(answer->confidence);
        if (answer->kind == "fallback" && answer->entry_id.empty()) {
          std::string why = answer->explanation && answer->explanation->winner_id == e.id
                                ? " (it wins, with confidence " + confidence + ", under the threshold)"
                            : answer->explanation && !answer->explanation->winner_id.empty()
                                ? " (closest: '" + answer->explanation->winner_id + "')"
                                : "";
          add(Severity::kWarning, "declined-question", e.id, "question '" + q + "' is declined" + why);
        } else if (shown) {
          add(Severity::kWarning, "confusion", e.id,
              "question '" + q + "' is answered by '" + answer->entry_id + "' together with this entry");
        } else {
          add(Severity::kError, "confusion", e.id,
              "question '" + q + "' is answered by '" + answer->entry_id + "' (confidence " + confidence + ")");
        }
      }
    }
  }

  // Synonym groups that point nowhere.
  auto synonyms = store->GetMeta("synonyms");
  if (synonyms.ok()) {
    std::vector<std::string> warnings;
    bot::SynonymTable::Parse(*synonyms, &warnings);
    for (const auto& w : warnings) add(Severity::kWarning, "synonyms", "", w);
    const auto& doc_freq = lexicon->doc_freq;
    size_t start = 0, line_no = 0;
    const std::string& text = *synonyms;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      line_no++;
      std::string line(bot::Trim(std::string_view(text).substr(start, end - start)));
      start = end + 1;
      if (line.empty() || line[0] == '#' || line[0] == '@') continue;
      bool found = false;
      size_t p = 0;
      while (!found && p <= line.size()) {
        size_t comma = line.find(',', p);
        if (comma == std::string::npos) comma = line.size();
        for (const auto& t : TermSet(normalizer.IndexText(line.substr(p, comma - p)))) {
          if (doc_freq.count(t)) found = true;
        }
        p = comma + 1;
      }
      if (!found) {
        std::string shown = line.size() > 60 ? std::string(bot::TruncateUtf8(line, 60)) + "..." : line;
        add(Severity::kWarning, "synonyms", "",
            "synonyms line " + std::to_string(line_no) + " ('" + shown + "'): none of its words occur in any entry");
      }
    }
  }

  std::stable_sort(report.findings.begin(), report.findings.end(), [](const LintFinding& a, const LintFinding& b) {
    if (a.severity != b.severity) return a.severity == Severity::kError;
    return a.entry_id < b.entry_id;
  });
  for (const auto& f : report.findings) (f.severity == Severity::kError ? report.errors : report.warnings)++;
  return report;
}

}  // namespace knowledge
