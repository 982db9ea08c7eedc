#include "adapters/cli/train.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

namespace adapters::cli {
namespace {

uint64_t Fnv(const std::string& s) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

// A small deterministic generator (splitmix64): the same on every platform,
// unlike std:: distributions.
struct Rng {
  uint64_t state;
  explicit Rng(uint64_t seed) : state(seed) {}
  uint64_t Next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return n ? static_cast<size_t>(Next() % n) : 0; }
};

std::vector<std::string> Words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string Join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::string StripEnd(std::string s) {
  while (!s.empty() && (s.back() == '?' || s.back() == '.' || s.back() == '!' || s.back() == ' ')) s.pop_back();
  return s;
}

bool AllAsciiLetters(const std::string& w) {
  return std::all_of(w.begin(), w.end(), [](unsigned char c) { return std::isalpha(c) != 0; });
}

// Forum-style openings and closings, general ones (not from any evaluation set).
const char* const kPrefixes[] = {"Hi all, ",
                                 "Hello everyone! ",
                                 "Quick question: ",
                                 "Sorry if this has been asked before, but ",
                                 "I'm a complete beginner and wondering: ",
                                 "Hey, ",
                                 "Serious question: ",
                                 "Can anyone tell me ",
                                 "So basically ",
                                 "Random question, "};
const char* const kSuffixes[] = {"",
                                 " Thanks in advance!",
                                 " Any help appreciated.",
                                 " Asking for a friend.",
                                 " (sorry for my english)",
                                 " I'm really confused about this.",
                                 " Would love some honest opinions."};

}  // namespace

std::vector<std::string> QuestionVariants(const std::string& question) {
  std::vector<std::string> out;
  Rng rng(Fnv(question));
  const std::string bare = StripEnd(question);
  std::vector<std::string> words = Words(bare);
  if (words.empty()) return out;
  // 1. Wrapped in filler.
  {
    std::string body = bare;
    if (!body.empty() && std::isupper(static_cast<unsigned char>(body[0])) && words[0] != "I" &&
        !(words[0].size() > 1 && std::isupper(static_cast<unsigned char>(words[0][1])))) {
      body[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(body[0])));
    }
    out.push_back(std::string(kPrefixes[rng.Below(std::size(kPrefixes))]) + body + "?" +
                  kSuffixes[rng.Below(std::size(kSuffixes))]);
  }
  // 2. Title Case.
  {
    std::vector<std::string> t = words;
    for (auto& w : t) w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
    out.push_back(Join(t) + "?");
  }
  // 3. A typo in one longer word: two letters swapped, one dropped or doubled.
  {
    std::vector<size_t> long_words;
    for (size_t i = 0; i < words.size(); i++) {
      if (words[i].size() >= 5 && AllAsciiLetters(words[i])) long_words.push_back(i);
    }
    if (!long_words.empty()) {
      std::vector<std::string> t = words;
      std::string& w = t[long_words[rng.Below(long_words.size())]];
      size_t pos = 1 + rng.Below(w.size() - 2);
      switch (rng.Below(3)) {
        case 0: std::swap(w[pos], w[pos + 1]); break;
        case 1: w.erase(pos, 1); break;
        default: w.insert(pos, 1, w[pos]); break;
      }
      out.push_back(Join(t) + "?");
    }
  }
  // 4. Lower case, no punctuation.
  {
    std::string t;
    for (char c : bare) {
      unsigned char u = static_cast<unsigned char>(c);
      if (c == '?' || c == '!' || c == ',' || c == '"' || c == ':' || c == ';') continue;
      t += static_cast<char>(std::tolower(u));
    }
    out.push_back(t);
  }
  // 5. Its start cut off ("...what should I learn first").
  if (words.size() >= 6) {
    std::vector<std::string> t(words.begin() + 1 + rng.Below(2), words.end());
    out.push_back(Join(t));
  }
  return out;
}

std::vector<TrainQuestion> BuildTrainingQuestions(const std::vector<EvalCase>& written,
                                                  const std::vector<bot::Entry>& entries, bool variants,
                                                  bool paraphrases) {
  std::vector<TrainQuestion> out;
  for (const EvalCase& c : written) {
    if (c.expect != "answer" && c.expect != "decline") continue;
    TrainQuestion q;
    q.text = c.question;
    q.group = "w:" + c.id;
    q.source = "written";
    q.answerable = c.expect == "answer";
    q.entries = c.entries;
    out.push_back(q);
    if (!variants) continue;
    for (const std::string& v : QuestionVariants(c.question)) {
      TrainQuestion vq = q;
      vq.text = v;
      vq.source = "variant";
      out.push_back(std::move(vq));
    }
  }
  for (const bot::Entry& e : entries) {
    bool no_answer = std::find(e.tags.begin(), e.tags.end(), "no-answer") != e.tags.end();
    for (size_t i = 0; i < e.questions.size(); i++) {
      TrainQuestion q;
      q.text = e.questions[i];
      q.group = "c:" + e.id + ":" + std::to_string(i);
      q.source = "curated";
      q.answerable = !no_answer;
      q.entries = {e.id};
      out.push_back(q);
      // Asked without itself, when the entry keeps another phrasing.
      if (paraphrases && e.questions.size() >= 2) {
        q.source = "paraphrase";
        q.phrasing = static_cast<int>(i);
        out.push_back(std::move(q));
      }
    }
  }
  return out;
}

int FoldOf(const std::string& group, int folds) { return static_cast<int>(Fnv(group) % static_cast<uint64_t>(folds)); }

std::vector<bot::Entry> WithoutParaphrases(const std::vector<bot::Entry>& entries,
                                           const std::vector<TrainQuestion>& questions, int fold, int folds,
                                           std::set<std::pair<std::string, int>>* held_out) {
  std::vector<bot::Entry> out = entries;
  std::map<std::string, std::vector<int>> drop;
  for (const TrainQuestion& q : questions) {
    if (q.source == "paraphrase" && FoldOf(q.group, folds) == fold) drop[q.entries[0]].push_back(q.phrasing);
  }
  for (bot::Entry& e : out) {
    auto it = drop.find(e.id);
    if (it == drop.end()) continue;
    std::vector<std::string> kept;
    for (size_t i = 0; i < e.questions.size(); i++) {
      if (std::find(it->second.begin(), it->second.end(), static_cast<int>(i)) == it->second.end()) {
        kept.push_back(e.questions[i]);
      }
    }
    // An entry keeps at least one phrasing (an entry needs one): its first
    // dropped one then stays, and that question is not held out.
    const int stays = kept.empty() ? it->second[0] : -1;
    if (kept.empty()) kept.push_back(e.questions[static_cast<size_t>(stays)]);
    for (int i : it->second) {
      if (i != stays) held_out->insert({e.id, i});
    }
    e.questions = std::move(kept);
  }
  return out;
}

namespace {

struct Prediction {
  const TrainItem* item = nullptr;
  std::string top;
  bool top_no_answer = false;
  double p = 0;
};

bool TopIsRight(const TrainItem& item, const std::string& top, bool no_answer) {
  if (top.empty()) return false;
  bool listed = std::find(item.q->entries.begin(), item.q->entries.end(), top) != item.q->entries.end();
  if (item.q->answerable) return listed && !no_answer;
  return listed;  // a decline whose right response is a no-answer entry
}

HeldOut Judge(const std::vector<Prediction>& preds, const std::string& source, double threshold) {
  HeldOut h;
  const int kBins = 10;
  std::vector<double> conf(kBins, 0), right(kBins, 0);
  std::vector<int> count(kBins, 0);
  int n = 0;
  for (const Prediction& p : preds) {
    if (source != "all" && p.item->q->source != source) continue;
    bool top_right = TopIsRight(*p.item, p.top, p.top_no_answer);
    if (p.item->q->answerable) {
      h.answerable++;
      h.top1_right += top_right;
      h.answerable_right += top_right && p.p >= threshold;
    } else {
      h.decline++;
      h.decline_right += p.p < threshold || p.top_no_answer;
    }
    int b = std::min(kBins - 1, static_cast<int>(std::max(0.0, p.p) * kBins));
    conf[b] += p.p;
    right[b] += top_right;
    count[b]++;
    n++;
    h.brier += (p.p - top_right) * (p.p - top_right);
  }
  for (int b = 0; b < kBins; b++) {
    if (count[b]) h.ece += std::abs(right[b] / count[b] - conf[b] / count[b]) * count[b];
  }
  if (n) {
    h.ece /= n;
    h.brier /= n;
  }
  return h;
}

std::string Row(const std::string& name, const HeldOut& h) {
  char line[256];
  std::snprintf(line, sizeof line, "  %-22s answerable %.3f (%d/%d)  top-1 %.3f  decline %.3f (%d/%d)  ECE %.3f  Brier %.3f\n",
                name.c_str(), h.answer_rate(), h.answerable_right, h.answerable, h.top1_rate(), h.decline_rate(),
                h.decline_right, h.decline, h.ece, h.brier);
  return line;
}

void AddExamples(const TrainItem& item, std::vector<bot::ranking::Example>* out) {
  for (const bot::Candidate& c : item.candidates) {
    bot::ranking::Example e;
    e.x = c.features;
    e.label = TopIsRight(item, c.entry_id, c.no_answer);
    out->push_back(e);
  }
}

// The candidate `model` ranks first, or null when there is none.
const bot::Candidate* Top(const bot::ranking::Model& model, const TrainItem& item) {
  const bot::Candidate* best = nullptr;
  double best_score = 0;
  for (const bot::Candidate& c : item.candidates) {
    double s = model.Score(c.features);
    if (!best || s > best_score) {
      best = &c;
      best_score = s;
    }
  }
  return best;
}

// The features of `top` with the rank model's outputs filled in (its score
// and its lead over the other candidates), as the confidence model reads them.
bot::ranking::Features WithRankOutputs(const bot::ranking::Model& model, const TrainItem& item,
                                       const bot::Candidate& top) {
  std::vector<bot::ranking::Features> xs;
  size_t at = 0;
  for (const bot::Candidate& c : item.candidates) {
    if (&c == &top) at = xs.size();
    xs.push_back(c.features);
  }
  std::vector<bot::ranking::Features*> ptrs;
  for (auto& x : xs) ptrs.push_back(&x);
  model.AddRankOutputs(ptrs);
  return xs[at];
}

// The candidate the bot answers with: the first, or of the first
// kTrustedAmong the one the confidence model trusts clearly more
// (Model::PreferSecond) when the question is not one of the first's
// phrasings, as the answerer does (TrustedFirst).
const bot::Candidate* Answered(const bot::ranking::Model& model, const TrainItem& item) {
  const bot::Candidate* first = Top(model, item);
  if (!first || model.second_lead < 0 || first->curated_phrasing) return first;
  // The first few by the ranking's score, best first.
  std::vector<std::pair<double, const bot::Candidate*>> order;
  for (const bot::Candidate& c : item.candidates) order.emplace_back(model.Score(c.features), &c);
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  // `first` leads the order (ties aside): put it there, the rest after it.
  std::vector<const bot::Candidate*> top = {first};
  for (size_t i = 0; i < order.size() && top.size() < bot::ranking::kTrustedAmong; i++) {
    if (order[i].second != first) top.push_back(order[i].second);
  }
  std::vector<double> learned(top.size(), 0);
  for (size_t i = 0; i < top.size(); i++) model.Confidence(WithRankOutputs(model, item, *top[i]), &learned[i]);
  return top[model.TrustedIndex(learned)];
}

// Fits both parts of the model on the items `use` accepts: the ranking on
// every candidate, then the confidence on the candidates it ranks first.
template <typename Use>
bot::ranking::Model Fit(const std::vector<TrainItem>& items, Use use, double l2, bool hand_order, bool hand_floor,
                        size_t* examples) {
  bot::ranking::Model model;
  std::vector<bot::ranking::Example> train;
  for (const TrainItem& item : items) {
    if (use(item)) AddExamples(item, &train);
  }
  if (examples) *examples = train.size();
  model.rank = bot::ranking::Train(train, l2);
  model.hand_order = hand_order;
  model.hand_floor = hand_floor;
  std::vector<bot::ranking::Example> tops;
  for (const TrainItem& item : items) {
    if (!use(item)) continue;
    const bot::Candidate* top = Top(model, item);
    if (!top) continue;
    bot::ranking::Example e;
    e.x = WithRankOutputs(model, item, *top);
    e.label = TopIsRight(item, top->entry_id, top->no_answer);
    tops.push_back(e);
  }
  model.confidence = bot::ranking::Train(tops, l2);
  model.second_lead = hand_order ? bot::ranking::kSecondLead : -1;
  return model;
}

}  // namespace

bot::ranking::Model TrainRanker(const std::vector<TrainItem>& items, int folds, double l2, double threshold,
                                TrainReport* report, bool hand_order, bool hand_floor) {
  const double kHandThreshold = bot::AnswererOptions{}.threshold;
  std::vector<Prediction> learned, hand;
  for (int f = 0; f < folds; f++) {
    auto in_fold = [&](const TrainItem& item) { return FoldOf(item.q->group, folds) == f; };
    bot::ranking::Model model = Fit(items, [&](const TrainItem& item) { return !in_fold(item); }, l2, hand_order, hand_floor,
                                    nullptr);
    for (const TrainItem& item : items) {
      if (!in_fold(item)) continue;
      Prediction pl, ph;
      pl.item = ph.item = &item;
      if (const bot::Candidate* top = Answered(model, item)) {
        pl.top = top->entry_id;
        pl.top_no_answer = top->no_answer;
        pl.p = model.Confidence(WithRankOutputs(model, item, *top));
      }
      double best_hand = -1;
      for (const bot::Candidate& c : item.candidates) {
        if (c.hand_score > best_hand) {
          best_hand = c.hand_score;
          ph.p = c.hand_confidence;
          ph.top = c.entry_id;
          ph.top_no_answer = c.no_answer;
        }
      }
      learned.push_back(pl);
      hand.push_back(ph);
    }
  }
  TrainReport& r = *report;
  r.folds = folds;
  r.questions = items.size();
  r.threshold = threshold;
  std::ostringstream text;
  text << "held-out figures, " << folds << "-fold cross-validation grouped by written question ("
       << items.size() << " questions):\n";
  for (const char* source : {"all", "written", "variant", "curated", "paraphrase"}) {
    HeldOut l = Judge(learned, source, threshold);
    HeldOut h = Judge(hand, source, kHandThreshold);
    if (l.answerable + l.decline == 0) continue;
    r.learned.emplace_back(source, l);
    r.hand.emplace_back(source, h);
    char t[64];
    std::snprintf(t, sizeof t, "%s %s @%.2f", hand_floor ? "hybrid" : "learned", source, threshold);
    text << Row(t, l);
    std::snprintf(t, sizeof t, "hand-set %s @%.2f", source, kHandThreshold);
    text << Row(t, h);
  }
  text << (hand_floor ? "hybrid" : "learned") << ", all sources, by threshold (held out):\n";
  for (int i = 30; i <= 70; i += 5) {
    HeldOut l = Judge(learned, "all", i / 100.0);
    char line[128];
    std::snprintf(line, sizeof line, "  %.2f  answerable %.3f  decline %.3f\n", i / 100.0, l.answer_rate(),
                  l.decline_rate());
    text << line;
  }
  bot::ranking::Model model = Fit(items, [](const TrainItem&) { return true; }, l2, hand_order, hand_floor, &r.examples);
  model.threshold = threshold;
  r.text = text.str();
  return model;
}

void WriteFeatures(const std::vector<TrainItem>& items, std::ostream& out) {
  out << "group\tsource\tanswerable\tposition\tright\tno_answer";
  for (size_t f = 0; f < bot::ranking::kFeatureCount; f++) out << '\t' << bot::ranking::FeatureName(f);
  out << '\n';
  for (const TrainItem& item : items) {
    for (size_t k = 0; k < item.candidates.size(); k++) {
      const bot::Candidate& c = item.candidates[k];
      out << item.q->group << '\t' << item.q->source << '\t' << item.q->answerable << '\t' << k << '\t'
          << TopIsRight(item, c.entry_id, c.no_answer) << '\t' << c.no_answer;
      for (double v : c.features) out << '\t' << v;
      out << '\n';
    }
  }
}

}  // namespace adapters::cli
