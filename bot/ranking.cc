#include "bot/ranking.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "embedded.h"

namespace careerbot {
extern const EmbeddedFile kRankerFiles[];
}

namespace bot {
namespace ranking {
namespace {

const char* const kNames[kFeatureCount] = {
    "coverage",        "phrasing_sim",     "bm25",           "hand_score",       "hand_confidence",
    "head_share",      "body_only_share",  "title_share",    "best_phrasing_share", "phrasing_recall",
    "raw_coverage",    "unknown_share",    "max_uncovered",  "term_count",       "unknown_count",
    "anchored",        "all_weak",         "corrected_share", "score_margin",    "coverage_margin",
    "hand_rank",       "non_english",      "coverage_x_sim",  "unknown_rarity",   "lexicon_unknown",
    "occupation",      "expanded_share",   "filler_share",   "salient_head",     "salient_any",
    "salient_title",   "bm25_rank",        "sim_margin",     "other_person",     "ask_form",
    "subject",
    "rank_score",      "rank_margin",
};

double Sigmoid(double z) {
  if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
  double e = std::exp(z);
  return e / (1.0 + e);
}

bool ParseNumber(const std::string& s, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return end && *end == '\0' && std::isfinite(*out);
}

// Solves A x = b for a small symmetric positive definite A (Cholesky).
// Returns false when A is not positive definite.
bool SolveSpd(std::vector<std::vector<double>> a, std::vector<double> b, std::vector<double>* x) {
  const size_t n = b.size();
  for (size_t j = 0; j < n; j++) {
    double d = a[j][j];
    for (size_t k = 0; k < j; k++) d -= a[j][k] * a[j][k];
    if (d <= 1e-12) return false;
    a[j][j] = std::sqrt(d);
    for (size_t i = j + 1; i < n; i++) {
      double s = a[i][j];
      for (size_t k = 0; k < j; k++) s -= a[i][k] * a[j][k];
      a[i][j] = s / a[j][j];
    }
  }
  for (size_t i = 0; i < n; i++) {
    double s = b[i];
    for (size_t k = 0; k < i; k++) s -= a[i][k] * b[k];
    b[i] = s / a[i][i];
  }
  for (size_t i = n; i-- > 0;) {
    double s = b[i];
    for (size_t k = i + 1; k < n; k++) s -= a[k][i] * b[k];
    b[i] = s / a[i][i];
  }
  *x = b;
  return true;
}

}  // namespace

size_t Model::TrustedIndex(const std::vector<double>& learned) const {
  size_t best = 0;
  for (size_t i = 1; i < learned.size() && i < kTrustedAmong; i++) {
    if (PreferSecond(learned[0], learned[i]) && (best == 0 || learned[i] > learned[best])) best = i;
  }
  return best;
}

const char* FeatureName(size_t feature) { return feature < kFeatureCount ? kNames[feature] : "?"; }

double Linear::Probability(const Features& x) const {
  double z = bias;
  for (size_t i = 0; i < kFeatureCount; i++) z += weight[i] * (x[i] - mean[i]) / scale[i];
  return Sigmoid(z);
}

double Model::Score(const Features& x) const {
  if (hand_order) return x[kHandScore];
  Features y = x;
  y[kRankScore] = 0;
  y[kRankMargin] = 0;
  return rank.Probability(y);
}

double Model::Confidence(const Features& x, double* learned) const {
  const double p = confidence.Probability(x);
  if (learned) *learned = p;
  if (!hand_floor) return p;
  if (x[kOtherPerson] > 0 || x[kOccupation] > 0 || x[kAllWeak] > 0) return x[kHandConfidence];
  return std::max(p, x[kHandConfidence]);
}

void Model::AddRankOutputs(const std::vector<Features*>& candidates) const {
  std::vector<double> scores;
  for (const Features* x : candidates) scores.push_back(Score(*x));
  for (size_t i = 0; i < candidates.size(); i++) {
    double best_other = 0;
    for (size_t j = 0; j < candidates.size(); j++) {
      if (j != i) best_other = std::max(best_other, scores[j]);
    }
    (*candidates[i])[kRankScore] = scores[i];
    (*candidates[i])[kRankMargin] = scores[i] - best_other;
  }
}

std::string Model::Serialize() const {
  std::ostringstream out;
  out << "# careerbot ranker model: two logistic regressions over standardized features.\n"
      << "# Written by `careerbot kb train`; see README, \"How it answers\".\n";
  for (const auto& n : notes) out << "# " << n << "\n";
  char line[200];
  out << "careerbot-ranker 2\n";
  std::snprintf(line, sizeof line, "threshold %.6f\n", threshold);
  out << line;
  out << "order " << (hand_order ? "hand" : "learned") << "\n";
  if (hand_floor) out << "floor hand\n";
  if (second_lead >= 0) {
    std::snprintf(line, sizeof line, "second %.6f\n", second_lead);
    out << line;
  }
  for (const auto& [name, m] : {std::pair<const char*, const Linear*>{"rank", &rank}, {"confidence", &confidence}}) {
    std::snprintf(line, sizeof line, "%s bias %.9g\n", name, m->bias);
    out << line;
    for (size_t i = 0; i < kFeatureCount; i++) {
      std::snprintf(line, sizeof line, "%s %s %.9g %.9g %.9g\n", name, kNames[i], m->mean[i], m->scale[i],
                    m->weight[i]);
      out << line;
    }
  }
  return out.str();
}

Result<Model> Model::Parse(const std::string& text) {
  Model m;
  std::istringstream in(text);
  std::string line;
  bool header = false, has_threshold = false;
  std::array<bool, 2> has_bias{};
  std::array<std::array<bool, kFeatureCount>, 2> seen{};
  int line_no = 0;
  while (std::getline(in, line)) {
    line_no++;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (line[0] == '#') {
      size_t start = line.find_first_not_of("# ");
      if (start != std::string::npos && line_no > 2) m.notes.push_back(line.substr(start));
      continue;
    }
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string s; words >> s;) w.push_back(s);
    if (w.empty()) continue;
    auto bad = [&](const std::string& why) {
      return Status::InvalidArgument("ranker model line " + std::to_string(line_no) + ": " + why);
    };
    if (w[0] == "careerbot-ranker") {
      if (w.size() != 2 || w[1] != "2") return bad("unknown model version");
      header = true;
    } else if (w[0] == "threshold" && w.size() == 2) {
      if (!ParseNumber(w[1], &m.threshold) || m.threshold < 0 || m.threshold > 1) return bad("bad threshold");
      has_threshold = true;
    } else if (w[0] == "order" && w.size() == 2 && (w[1] == "hand" || w[1] == "learned")) {
      m.hand_order = w[1] == "hand";
    } else if (w[0] == "floor" && w.size() == 2 && w[1] == "hand") {
      m.hand_floor = true;
    } else if (w[0] == "second" && w.size() == 2) {
      if (!ParseNumber(w[1], &m.second_lead) || m.second_lead < 0 || m.second_lead > 1) return bad("bad second lead");
    } else if ((w[0] == "rank" || w[0] == "confidence") && (w.size() == 3 || w.size() == 5)) {
      const int which = w[0] == "rank" ? 0 : 1;
      Linear& lin = which == 0 ? m.rank : m.confidence;
      if (w.size() == 3) {
        if (w[1] != "bias" || !ParseNumber(w[2], &lin.bias)) return bad("bad bias");
        has_bias[which] = true;
        continue;
      }
      size_t i = 0;
      while (i < kFeatureCount && w[1] != kNames[i]) i++;
      if (i == kFeatureCount) return bad("unknown feature '" + w[1] + "'");
      if (seen[which][i]) return bad("feature '" + w[1] + "' twice");
      if (!ParseNumber(w[2], &lin.mean[i]) || !ParseNumber(w[3], &lin.scale[i]) || !ParseNumber(w[4], &lin.weight[i]) ||
          lin.scale[i] <= 0) {
        return bad("bad numbers for feature '" + w[1] + "'");
      }
      seen[which][i] = true;
    } else {
      return bad("cannot read '" + line + "'");
    }
  }
  if (!header) return Status::InvalidArgument("not a careerbot ranker model");
  if (!has_threshold || !has_bias[0] || !has_bias[1]) {
    return Status::InvalidArgument("ranker model without threshold or bias");
  }
  for (int which = 0; which < 2; which++) {
    for (size_t i = 0; i < kFeatureCount; i++) {
      if (!seen[which][i]) return Status::InvalidArgument(std::string("ranker model lacks feature '") + kNames[i] + "'");
    }
  }
  return m;
}

Linear Train(const std::vector<Example>& examples, double l2, int iterations) {
  Linear m;
  const size_t d = kFeatureCount;
  // Standardize: weighted mean and standard deviation per feature.
  double total = 0;
  for (const Example& e : examples) total += e.weight;
  for (size_t i = 0; i < d; i++) {
    double mean = 0, var = 0;
    for (const Example& e : examples) mean += e.weight * e.x[i];
    mean = total > 0 ? mean / total : 0;
    for (const Example& e : examples) var += e.weight * (e.x[i] - mean) * (e.x[i] - mean);
    var = total > 0 ? var / total : 0;
    m.mean[i] = mean;
    m.scale[i] = var > 1e-12 ? std::sqrt(var) : 1.0;
  }
  // Newton's method on the penalized log-likelihood; parameter d is the bias.
  std::vector<double> beta(d + 1, 0.0);
  std::vector<std::vector<double>> z(examples.size(), std::vector<double>(d + 1, 1.0));
  for (size_t k = 0; k < examples.size(); k++) {
    for (size_t i = 0; i < d; i++) z[k][i] = (examples[k].x[i] - m.mean[i]) / m.scale[i];
  }
  for (int it = 0; it < iterations; it++) {
    std::vector<double> grad(d + 1, 0.0);
    std::vector<std::vector<double>> hess(d + 1, std::vector<double>(d + 1, 0.0));
    for (size_t k = 0; k < examples.size(); k++) {
      double s = 0;
      for (size_t i = 0; i <= d; i++) s += beta[i] * z[k][i];
      double p = Sigmoid(s);
      double w = examples[k].weight;
      double r = w * ((examples[k].label ? 1.0 : 0.0) - p);
      double h = w * std::max(p * (1 - p), 1e-9);
      for (size_t i = 0; i <= d; i++) {
        grad[i] += r * z[k][i];
        for (size_t j = 0; j <= i; j++) hess[i][j] += h * z[k][i] * z[k][j];
      }
    }
    for (size_t i = 0; i <= d; i++) {
      for (size_t j = 0; j < i; j++) hess[j][i] = hess[i][j];
    }
    for (size_t i = 0; i < d; i++) {
      grad[i] -= l2 * beta[i];
      hess[i][i] += l2;
    }
    hess[d][d] += 1e-6;
    std::vector<double> step;
    if (!SolveSpd(hess, grad, &step)) break;
    double change = 0;
    for (size_t i = 0; i <= d; i++) {
      beta[i] += step[i];
      change = std::max(change, std::abs(step[i]));
    }
    if (change < 1e-8) break;
  }
  for (size_t i = 0; i < d; i++) m.weight[i] = beta[i];
  m.bias = beta[d];
  return m;
}

std::shared_ptr<const Model> BuiltinModel() {
  static const std::shared_ptr<const Model> model = []() -> std::shared_ptr<const Model> {
    for (const careerbot::EmbeddedFile* f = careerbot::kRankerFiles; f->path; f++) {
      auto m = Model::Parse(std::string(reinterpret_cast<const char*>(f->data), f->size));
      if (m.ok()) return std::make_shared<const Model>(std::move(*m));
    }
    return nullptr;
  }();
  return model;
}

}  // namespace ranking
}  // namespace bot
