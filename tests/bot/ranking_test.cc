// The learned ranker's model: its file format and its training; the term
// sets and subjects its features read (bot/retriever.h).
#include <cmath>

#include <catch2/catch.hpp>

#include "bot/ranking.h"
#include "bot/retriever.h"

namespace {

using bot::ranking::Example;
using bot::ranking::Features;
using bot::ranking::Model;

bot::ranking::Linear Toy(double bias, double w0) {
  bot::ranking::Linear l;
  l.bias = bias;
  for (size_t i = 0; i < bot::ranking::kFeatureCount; i++) {
    l.mean[i] = 0.1 * i;
    l.scale[i] = 1.0 + i;
    l.weight[i] = i == 0 ? w0 : 0.01 * i;
  }
  return l;
}

}  // namespace

TEST_CASE("a ranker model survives writing and reading", "[bot][ranking]") {
  Model m;
  m.threshold = 0.42;
  m.rank = Toy(-1.5, 2.0);
  m.confidence = Toy(0.25, -3.0);
  m.notes = {"held-out: something"};
  auto back = Model::Parse(m.Serialize());
  REQUIRE(back.ok());
  CHECK(back->threshold == Approx(0.42));
  CHECK(back->rank.bias == Approx(-1.5));
  CHECK(back->confidence.weight[0] == Approx(-3.0));
  CHECK(back->notes == m.notes);
  Features x{};
  x[0] = 1.0;
  x[3] = 0.5;
  CHECK(back->Score(x) == Approx(m.Score(x)));
  CHECK(back->Confidence(x) == Approx(m.Confidence(x)));
  CHECK(m.Score(x) != Approx(m.Confidence(x)));
}

TEST_CASE("the shipped model fits this build and is the hybrid", "[bot][ranking]") {
  // knowledge/ranker.model, compiled in: a change to the features that was
  // not followed by a retrain leaves the build without it (kb_train_reproduces
  // checks the rest of what a retrain changes).
  std::shared_ptr<const Model> m = bot::ranking::BuiltinModel();
  REQUIRE(m != nullptr);
  CHECK(m->hand_order);
  CHECK(m->hand_floor);
  CHECK(m->threshold == Approx(0.54));
  CHECK(m->second_lead == Approx(bot::ranking::kSecondLead));
}

TEST_CASE("the second candidate is preferred only when the confidence model trusts it clearly more",
          "[bot][ranking]") {
  Model m;
  m.rank = Toy(0, 1);
  m.confidence = Toy(0, 1);
  m.hand_order = true;
  CHECK_FALSE(m.PreferSecond(0.1, 0.9));  // no lead set: never
  m.second_lead = 0.1;
  CHECK(m.PreferSecond(0.3, 0.45));
  CHECK_FALSE(m.PreferSecond(0.3, 0.39));
  CHECK_FALSE(m.PreferSecond(0.9, 0.2));
  // Among the first kTrustedAmong: the one trusted most of those leading the
  // first by more than the lead; none leading: the first.
  CHECK(m.TrustedIndex({0.3, 0.45}) == 1);
  CHECK(m.TrustedIndex({0.3, 0.39}) == 0);
  CHECK(m.TrustedIndex({0.3}) == 0);
  CHECK(m.TrustedIndex({}) == 0);
  std::vector<double> many = {0.1};
  for (size_t i = 1; i < bot::ranking::kTrustedAmong + 2; i++) many.push_back(0.2 + 0.1 * static_cast<double>(i));
  CHECK(m.TrustedIndex(many) == bot::ranking::kTrustedAmong - 1);  // the later, more trusted ones are not looked at
  m.hand_order = false;  // the learned order already ranks by the model
  CHECK_FALSE(m.PreferSecond(0.3, 0.45));
  CHECK(m.TrustedIndex({0.3, 0.45}) == 0);
  m.hand_order = true;
  auto back = Model::Parse(m.Serialize());
  REQUIRE(back.ok());
  CHECK(back->second_lead == Approx(0.1));
  CHECK(back->PreferSecond(0.3, 0.45));
  // Without the line, never; a lead outside [0, 1] is refused.
  m.second_lead = -1;
  auto none = Model::Parse(m.Serialize());
  REQUIRE(none.ok());
  CHECK(none->second_lead < 0);
  CHECK_FALSE(Model::Parse(m.Serialize() + "second 1.5\n").ok());
  CHECK_FALSE(Model::Parse(m.Serialize() + "second x\n").ok());
}

TEST_CASE("a ranker model file that does not fit this build is refused", "[bot][ranking]") {
  Model m;
  m.rank = Toy(0, 1);
  m.confidence = Toy(0, 1);
  std::string text = m.Serialize();
  CHECK(Model::Parse(text).ok());
  // A feature missing.
  std::string missing = text;
  size_t at = missing.find("confidence coverage ");
  REQUIRE(at != std::string::npos);
  missing.erase(at, missing.find('\n', at) - at + 1);
  CHECK_FALSE(Model::Parse(missing).ok());
  // Another version, an unknown feature, a zero scale, no header at all.
  std::string version = text;
  version.replace(version.find("careerbot-ranker 2"), 18, "careerbot-ranker 9");
  CHECK_FALSE(Model::Parse(version).ok());
  CHECK_FALSE(Model::Parse(text + "rank no_such_feature 0 1 0\n").ok());
  std::string zero = text;
  size_t line = zero.find("rank bm25 ");
  zero.replace(line, zero.find('\n', line) - line, "rank bm25 0 0 1");
  CHECK_FALSE(Model::Parse(zero).ok());
  CHECK_FALSE(Model::Parse("# nothing here\n").ok());
}

TEST_CASE("training learns which feature tells right from wrong, deterministically", "[bot][ranking]") {
  std::vector<Example> examples;
  for (int i = 0; i < 200; i++) {
    Example e;
    e.x[bot::ranking::kCoverage] = (i % 20) / 20.0;
    e.x[bot::ranking::kBm25] = ((i * 7) % 13) / 13.0;  // noise
    e.label = e.x[bot::ranking::kCoverage] > 0.5 ? (i % 10 != 0) : (i % 10 == 0);
    examples.push_back(e);
  }
  auto a = bot::ranking::Train(examples, 1.0);
  auto b = bot::ranking::Train(examples, 1.0);
  CHECK(a.weight[bot::ranking::kCoverage] > 1.0);
  CHECK(std::abs(a.weight[bot::ranking::kBm25]) < a.weight[bot::ranking::kCoverage] / 4);
  CHECK(a.weight == b.weight);
  CHECK(a.bias == b.bias);
  Features high{}, low{};
  high[bot::ranking::kCoverage] = 0.9;
  low[bot::ranking::kCoverage] = 0.1;
  CHECK(a.Probability(high) > 0.75);
  CHECK(a.Probability(low) < 0.25);
  // A strong penalty pulls the weights toward zero.
  auto flat = bot::ranking::Train(examples, 1e6);
  CHECK(std::abs(flat.weight[bot::ranking::kCoverage]) < 0.01);
}

TEST_CASE("a model that keeps the hand-set order scores by the hand-set score and survives writing",
          "[bot][ranking]") {
  Model m;
  m.rank = Toy(0.5, 2.0);
  m.confidence = Toy(-0.5, 1.0);
  Features x{};
  x[bot::ranking::kHandScore] = 0.375;
  x[0] = 0.9;
  CHECK(m.Score(x) != Approx(0.375));
  m.hand_order = true;
  CHECK(m.Score(x) == Approx(0.375));
  auto back = Model::Parse(m.Serialize());
  REQUIRE(back.ok());
  CHECK(back->hand_order);
  CHECK(back->Score(x) == Approx(0.375));
  m.hand_order = false;
  auto learned = Model::Parse(m.Serialize());
  REQUIRE(learned.ok());
  CHECK_FALSE(learned->hand_order);
  // An unknown order is refused.
  std::string text = m.Serialize();
  size_t at = text.find("order learned");
  REQUIRE(at != std::string::npos);
  text.replace(at, 13, "order random");
  CHECK_FALSE(Model::Parse(text).ok());
}

TEST_CASE("the confidence model reads the rank model's score and lead and the rank model does not",
          "[bot][ranking]") {
  Model m;
  m.rank = Toy(0.0, 3.0);  // feature 0 orders
  m.confidence = Toy(0.0, 0.0);
  Features a{}, b{}, c{};
  a[0] = 0.9;
  b[0] = 0.5;
  c[0] = 0.1;
  // The rank model ignores the slots it fills itself.
  Features a2 = a;
  a2[bot::ranking::kRankScore] = 0.77;
  a2[bot::ranking::kRankMargin] = -0.5;
  CHECK(m.Score(a2) == Approx(m.Score(a)));
  m.AddRankOutputs({&a, &b, &c});
  CHECK(a[bot::ranking::kRankScore] == Approx(m.Score(a)));
  CHECK(a[bot::ranking::kRankMargin] == Approx(m.Score(a) - m.Score(b)));
  CHECK(a[bot::ranking::kRankMargin] > 0);
  CHECK(b[bot::ranking::kRankMargin] == Approx(m.Score(b) - m.Score(a)));
  CHECK(c[bot::ranking::kRankMargin] < b[bot::ranking::kRankMargin]);
  // A confidence model that weighs the lead is surer of a clear winner.
  m.confidence.weight.fill(0.0);
  m.confidence.weight[bot::ranking::kRankMargin] = 5.0;
  CHECK(m.Confidence(a) > m.Confidence(b));
  // A single candidate leads by its whole score.
  Features only{};
  only[0] = 0.5;
  m.AddRankOutputs({&only});
  CHECK(only[bot::ranking::kRankMargin] == Approx(m.Score(only)));
}

TEST_CASE("a hand-floored confidence is the larger of the learned and the hand-set one, but not for another "
          "person or a topic-less question",
          "[bot][ranking]") {
  using namespace bot::ranking;
  Model m;
  m.hand_order = true;
  m.rank = Toy(0.0, 0.0);
  m.confidence = Toy(0.0, 0.0);
  m.confidence.bias = 2.0;  // the learned probability is about 0.9 whatever the features
  for (auto& w : m.confidence.weight) w = 0;
  Features x{};
  x[kHandConfidence] = 0.3;
  const double learned = m.confidence.Probability(x);
  REQUIRE(learned > 0.85);
  CHECK(m.Confidence(x) == Approx(learned));  // no floor: the learned one
  m.hand_floor = true;
  CHECK(m.Confidence(x) == Approx(learned));  // the learned one is larger
  x[kHandConfidence] = 0.95;
  CHECK(m.Confidence(x) == Approx(0.95));  // the hand-set one is larger
  // Another person or occupation ("how much does a nurse earn?"), or no topic
  // at all ("is it worth it?" alone): the hand-set confidence, lower or not.
  x[kHandConfidence] = 0.3;
  for (Feature f : {kOtherPerson, kOccupation, kAllWeak}) {
    Features y = x;
    y[f] = 1;
    double got = -1;
    CHECK(m.Confidence(y, &got) == Approx(0.3));
    CHECK(got == Approx(learned));  // the learned probability is still reported
  }
  // The floor survives writing and reading; a file without it has none.
  auto back = Model::Parse(m.Serialize());
  REQUIRE(back.ok());
  CHECK(back->hand_floor);
  CHECK(back->Confidence(x) == Approx(learned));
  m.hand_floor = false;
  auto plain = Model::Parse(m.Serialize());
  REQUIRE(plain.ok());
  CHECK_FALSE(plain->hand_floor);
  CHECK(Model::Parse(m.Serialize() + "floor learned\n").ok() == false);
}

// ---- The term strings an entry is indexed with, split for ranking ----

TEST_CASE("term sets and subjects survive stray spaces, empty fields and all-weak phrasings", "[bot][retriever]") {
  bot::Lexicon lexicon;
  lexicon.normalizer = bot::Normalizer(bot::SynonymTable::Parse("@domain: backend\n"));
  lexicon.entry_count = 100;
  lexicon.doc_freq = {{"backend", 90}, {"golang", 3}, {"salari", 5}, {"job", 60}};
  // Spaces at either end, doubled, or alone: the same set as clean text.
  CHECK(bot::MakeTermSet("  golang   salari ") == bot::MakeTermSet("golang salari"));
  CHECK(bot::MakeTermSet(" ").empty());
  CHECK(bot::MakeTermSet("").empty());
  CHECK(bot::MakeTermSet("golang golang").size() == 1);

  bot::IndexedEntry doc;
  doc.title_terms = "  backend  golang ";  // the domain word passed over: golang
  doc.question_terms = {"", "   ", "best first", "backend job", "salari golang"};
  bot::PrepareTermSets(&doc, lexicon);
  CHECK(doc.sets_ready);
  CHECK(doc.question_sets.size() == doc.question_terms.size());
  // "" and "   " have no subject; "best first" is weak words only; "backend
  // job" is generic only ("job": 60 of 100 entries) and opens on "backend";
  // "salari golang" opens on "salari".
  CHECK(bot::Has(doc.subjects, bot::TermHash("golang")));
  CHECK(bot::Has(doc.subjects, bot::TermHash("backend")));
  CHECK(bot::Has(doc.subjects, bot::TermHash("salari")));
  CHECK_FALSE(bot::Has(doc.subjects, bot::TermHash("job")));
  CHECK_FALSE(bot::Has(doc.subjects, bot::TermHash("best")));
  CHECK_FALSE(bot::Has(doc.subjects, bot::TermHash("")));
  CHECK(doc.subjects.size() == 3);
  CHECK(bot::Has(doc.head_set, bot::TermHash("job")));
  CHECK_FALSE(bot::Has(doc.head_set, bot::TermHash("")));
}
