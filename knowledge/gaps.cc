#include "knowledge/gaps.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <unordered_map>

#include <sqlite3.h>

#include "bot/text.h"
#include "knowledge/db.h"

namespace knowledge {
namespace {

std::vector<std::string> Words(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t end = s.find(' ', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string ShortHash(const std::string& s) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return std::string(buf).substr(0, 12);
}

double Jaccard(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  // Both sorted and distinct.
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

// The log lines of one wording key.
struct Group {
  std::string key;
  std::vector<std::string> terms;  // sorted, distinct
  std::vector<const LoggedQuestion*> rows;
  int64_t last_asked = 0;
};

// Fills in the entry most likely meant.
void FindLikely(Store* store, bot::Answerer* likely, double min_confidence, Gap* gap) {
  if (!likely) return;
  bot::Question q;
  q.text = gap->example;
  q.channel = "cli";
  q.explain = true;
  auto answer = likely->Ask(q);
  if (!answer.ok() || answer->kind == "smalltalk" || !answer->explanation) return;
  const bot::Explanation& ex = *answer->explanation;
  std::string id = ex.winner_id;
  double confidence = ex.confidence;
  bool mostly_unhelpful = gap->unhelpful * 2 > gap->count;
  if (mostly_unhelpful && !gap->answered_by.empty() && id == gap->answered_by) {
    id = ex.runner_up_id;
    confidence = ex.runner_up_confidence;
  }
  if (id.empty() || confidence < min_confidence) return;
  auto entry = store->GetEntry(id);
  if (!entry.ok()) return;
  gap->likely_entry_id = id;
  gap->likely_entry_title = entry->title;
  gap->likely_confidence = std::round(confidence * 10000) / 10000;
}

// Finds a gap by id or 1-based position.
bot::Result<Gap> FindOne(const std::vector<Gap>& gaps, const std::string& gap_id) {
  for (const Gap& g : gaps) {
    if (g.id == gap_id) return g;
  }
  bool digits = !gap_id.empty() && gap_id.size() < 6 &&
                std::all_of(gap_id.begin(), gap_id.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits) {
    size_t n = std::stoul(gap_id);
    if (n >= 1 && n <= gaps.size()) return gaps[n - 1];
  }
  return bot::Status::NotFound("no open gap '" + gap_id + "' (list them again: they change as questions come in)");
}

}  // namespace

std::string GapKey(const std::string& normalized, const std::string& question) {
  std::vector<std::string> terms = Words(normalized);
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  if (terms.empty()) return "q:" + Lower(std::string(bot::Trim(question)));
  std::string key;
  for (const auto& t : terms) key += (key.empty() ? "" : " ") + t;
  return key;
}

bot::Result<std::vector<Gap>> FindGaps(Store* store, bot::Answerer* likely, const GapOptions& options) {
  ASSIGN_OR_RETURN(auto rows, store->ListGapQuestions(options.since, options.low_confidence));
  ASSIGN_OR_RETURN(auto resolved, store->GapResolutions());

  std::map<std::string, Group> groups;
  for (const LoggedQuestion& q : rows) {
    // A decline by an entry that records what the knowledge does not hold
    // ("no-answer") is the curators' own answer, not a gap, unless a user
    // said it did not help.
    bool no_answer_decline = !q.answered && !q.entry_id.empty();
    if (no_answer_decline && q.helpful != 0) continue;
    std::string key = GapKey(q.normalized, q.question);
    auto r = resolved.find(key);
    if (r != resolved.end() && r->second >= q.asked_at) continue;
    Group& g = groups[key];
    if (g.key.empty()) {
      g.key = key;
      if (key.rfind("q:", 0) != 0) g.terms = Words(key);
    }
    g.rows.push_back(&q);
    g.last_asked = std::max(g.last_asked, q.asked_at);
  }
  std::vector<Group*> ordered;
  for (auto& [key, g] : groups) ordered.push_back(&g);
  std::sort(ordered.begin(), ordered.end(), [](const Group* a, const Group* b) {
    if (a->rows.size() != b->rows.size()) return a->rows.size() > b->rows.size();
    if (a->last_asked != b->last_asked) return a->last_asked > b->last_asked;
    return a->key < b->key;
  });

  // Each wording joins the cluster whose main wording it overlaps most (at
  // least merge_overlap), or starts its own; most asked wordings first, so
  // they become the main ones.
  struct Cluster {
    const Group* main;
    std::vector<const Group*> members;
  };
  std::vector<Cluster> clusters;
  std::unordered_map<std::string, std::vector<size_t>> by_term;  // main wording term -> clusters
  for (const Group* g : ordered) {
    size_t best = clusters.size();
    double best_overlap = 0;
    std::set<size_t> candidates;
    for (const auto& t : g->terms) {
      auto it = by_term.find(t);
      if (it != by_term.end()) candidates.insert(it->second.begin(), it->second.end());
    }
    for (size_t c : candidates) {
      double overlap = Jaccard(g->terms, clusters[c].main->terms);
      if (overlap >= options.merge_overlap && overlap > best_overlap) {
        best = c;
        best_overlap = overlap;
      }
    }
    if (best < clusters.size()) {
      clusters[best].members.push_back(g);
      continue;
    }
    clusters.push_back({g, {g}});
    for (const auto& t : g->terms) by_term[t].push_back(clusters.size() - 1);
  }

  std::vector<Gap> gaps;
  for (const Cluster& c : clusters) {
    Gap gap;
    gap.id = ShortHash(c.main->key);
    gap.terms = c.main->key.rfind("q:", 0) == 0 ? "" : c.main->key;
    std::map<std::string, std::pair<size_t, int64_t>> wordings;  // lower-cased -> (count, last asked)
    std::map<std::string, std::string> shown;                    // lower-cased -> as asked (latest)
    std::map<std::string, size_t> answered_by;
    std::map<std::string, size_t> chosen;  // resolved clarifications: entry chosen -> times
    std::set<std::string> channels;
    gap.first_asked = INT64_MAX;
    for (const Group* g : c.members) {
      gap.keys.push_back(g->key);
      for (const LoggedQuestion* q : g->rows) {
        if (q->kind == "clarified") {
          chosen[q->entry_id]++;
          continue;
        }
        if (q->kind == "clarify") gap.clarified++;
        gap.count++;
        if (!q->answered) gap.declined++;
        if (q->answered && q->confidence < options.low_confidence) gap.low_confidence++;
        if (q->helpful == 0) gap.unhelpful++;
        if (!q->entry_id.empty() && q->answered) answered_by[q->entry_id]++;
        channels.insert(q->channel);
        gap.first_asked = std::min(gap.first_asked, q->asked_at);
        gap.last_asked = std::max(gap.last_asked, q->asked_at);
        std::string wording(bot::Trim(q->question));
        std::string lower = Lower(wording);
        auto& w = wordings[lower];
        w.first++;
        if (q->asked_at >= w.second) {
          w.second = q->asked_at;
          shown[lower] = wording;
        }
      }
    }
    std::vector<std::pair<std::string, std::pair<size_t, int64_t>>> sorted(wordings.begin(), wordings.end());
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
      if (a.second.first != b.second.first) return a.second.first > b.second.first;
      if (a.second.second != b.second.second) return a.second.second > b.second.second;
      return a.first < b.first;
    });
    for (size_t i = 0; i < sorted.size() && i < 5; i++) gap.examples.push_back(shown[sorted[i].first]);
    gap.example = gap.examples.empty() ? "" : gap.examples[0];
    gap.channels.assign(channels.begin(), channels.end());
    size_t best = 0;
    for (const auto& [id, n] : answered_by) {
      if (n > best) {
        best = n;
        gap.answered_by = id;
      }
    }
    for (const auto& [id, n] : chosen) {
      if (n > gap.chosen_count) {
        gap.chosen_count = n;
        gap.chosen_entry_id = id;
      }
    }
    if (gap.count == 0) continue;  // only resolved clarifications: nothing unanswered
    gaps.push_back(std::move(gap));
  }
  std::sort(gaps.begin(), gaps.end(), [](const Gap& a, const Gap& b) {
    if (a.count != b.count) return a.count > b.count;
    if (a.last_asked != b.last_asked) return a.last_asked > b.last_asked;
    return a.id < b.id;
  });
  if (gaps.size() > options.limit) gaps.resize(options.limit);
  for (Gap& g : gaps) {
    FindLikely(store, likely, options.min_likely, &g);
    // What people chose when asked back beats any guess.
    if (!g.chosen_entry_id.empty()) {
      g.likely_entry_id = g.chosen_entry_id;
      auto e = store->GetEntry(g.chosen_entry_id);
      g.likely_entry_title = e.ok() ? e->title : "";
      g.likely_confidence = 1.0;
    }
  }
  return gaps;
}

bot::Result<AcceptedGap> AcceptGap(Store* store, Curator* curator, bot::Answerer* likely, const GapOptions& options,
                                   const std::string& gap_id, const std::string& entry_id, const std::string& question,
                                   const std::string& who, int64_t now) {
  GapOptions all = options;
  all.limit = SIZE_MAX;
  // The likely entry is only needed when none is given.
  ASSIGN_OR_RETURN(auto gaps, FindGaps(store, nullptr, all));
  AcceptedGap accepted;
  ASSIGN_OR_RETURN(accepted.gap, FindOne(gaps, gap_id));
  accepted.entry_id = entry_id;
  if (accepted.entry_id.empty()) {
    if (accepted.gap.chosen_entry_id.empty()) FindLikely(store, likely, options.min_likely, &accepted.gap);
    accepted.entry_id = accepted.gap.likely_entry_id;
    if (accepted.entry_id.empty()) {
      return bot::Status::InvalidArgument("entry_id: no entry is likely meant by this gap; name the entry");
    }
  }
  accepted.question = std::string(bot::Trim(question));
  if (accepted.question.empty()) accepted.question = accepted.gap.example;
  ASSIGN_OR_RETURN(accepted.change, curator->AddQuestion(accepted.entry_id, accepted.question, who, "accept-gap"));
  RETURN_IF_ERROR(store->ResolveGaps(accepted.gap.keys, now, "accepted", accepted.entry_id, who));
  return accepted;
}

bot::Result<Gap> DismissGap(Store* store, const GapOptions& options, const std::string& gap_id, const std::string& who,
                            int64_t now) {
  GapOptions all = options;
  all.limit = SIZE_MAX;
  ASSIGN_OR_RETURN(auto gaps, FindGaps(store, nullptr, all));
  ASSIGN_OR_RETURN(Gap gap, FindOne(gaps, gap_id));
  RETURN_IF_ERROR(store->ResolveGaps(gap.keys, now, "dismissed", "", who));
  return gap;
}

// ---- The gap_resolution table ----

bot::Status WriteGapResolutions(Conn* writer, const std::vector<std::string>& keys, int64_t at, const std::string& how,
                                const std::string& entry_id, const std::string& who) {
  sqlite3* db = writer->db;
  ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(writer, Transaction::Kind::kImmediate));
  Stmt s(db, "INSERT OR REPLACE INTO gap_resolution(key, resolved_at, how, entry_id, who) "
             "VALUES(?1, ?2, ?3, ?4, ?5)");
  if (!s.ok()) return SqlError(db, "record the resolved gap");
  for (const std::string& key : keys) {
    s.Bind(1, key);
    s.Bind(2, at);
    s.Bind(3, how);
    s.Bind(4, entry_id);
    s.Bind(5, who);
    RETURN_IF_ERROR(s.Run("record the resolved gap"));
  }
  return tx.Commit();
}

bot::Result<std::map<std::string, int64_t>> ReadGapResolutions(sqlite3* db) {
  Stmt s(db, "SELECT key, resolved_at FROM gap_resolution");
  if (!s.ok()) return SqlError(db, "read the resolved gaps");
  std::map<std::string, int64_t> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out[s.Text(0)] = s.Int(1);
  if (rc != SQLITE_DONE) return SqlError(db, "read the resolved gaps");
  return out;
}

}  // namespace knowledge
