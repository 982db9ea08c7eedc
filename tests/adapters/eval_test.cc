// careerbot eval's scoring: the "entry" field, the facts, and the calibration.
#include <sstream>
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "adapters/cli/eval.h"
#include "adapters/cli/train.h"

namespace {

using adapters::cli::AnswerIsRight;
using adapters::cli::ComputeCalibration;
using adapters::cli::EvalCase;
using adapters::cli::ParseEvalCases;
using adapters::cli::RawAnswers;

bot::Answer Kb(const std::string& id, const std::string& text, double confidence = 0.9) {
  bot::Answer a;
  a.kind = "kb";
  a.answered = true;
  a.entry_id = id;
  a.text = text;
  a.confidence = confidence;
  bot::AnswerSource s;
  s.id = id;
  a.sources.push_back(s);
  return a;
}

bot::Answer Fallback(double confidence, const std::string& id = "") {
  bot::Answer a;
  a.kind = "fallback";
  a.confidence = confidence;
  a.entry_id = id;
  return a;
}

}  // namespace

TEST_CASE("eval cases take an optional entry id or list of ids", "[eval]") {
  auto cases = ParseEvalCases(
      "{\"q\": \"a\", \"expect\": \"answer\", \"entry\": [\"x\", \"y\"]}\n"
      "{\"q\": \"b\", \"expect\": \"answer\", \"entry\": \"z\", \"facts\": [[\"f\"]]}\n"
      "{\"q\": \"c\", \"expect\": \"decline\"}\n");
  REQUIRE(cases.ok());
  REQUIRE(cases->size() == 3);
  CHECK((*cases)[0].entries == std::vector<std::string>{"x", "y"});
  CHECK((*cases)[1].entries == std::vector<std::string>{"z"});
  CHECK((*cases)[2].entries.empty());

  auto bad = ParseEvalCases("{\"q\": \"a\", \"expect\": \"answer\", \"entry\": [1]}\n");
  REQUIRE(!bad.ok());
  CHECK(bad.status().message().find("line 1") != std::string::npos);
  CHECK(!ParseEvalCases("{\"q\": \"a\", \"expect\": \"answer\", \"entry\": {}}\n").ok());
}

TEST_CASE("an answer counts when its first source is an expected entry or every facts group holds", "[eval]") {
  EvalCase c;
  c.expect = "answer";
  c.entries = {"right-entry", "other-right"};
  c.facts = {{"alpha", "beta"}, {"gamma"}};
  // The right entry, whatever its text says.
  CHECK(AnswerIsRight(c, Kb("right-entry", "nothing relevant")));
  CHECK(AnswerIsRight(c, Kb("other-right", "nothing relevant")));
  // Another entry whose text holds every facts group.
  CHECK(AnswerIsRight(c, Kb("wrong-entry", "BETA and Gamma")));
  // Another entry holding only some facts groups.
  CHECK_FALSE(AnswerIsRight(c, Kb("wrong-entry", "alpha only")));
  // Only the first source counts as the answer's entry.
  bot::Answer two = Kb("wrong-entry", "no facts");
  bot::AnswerSource second;
  second.id = "right-entry";
  two.sources.push_back(second);
  CHECK_FALSE(AnswerIsRight(c, two));
  // A decline is never a right answer, even from the right entry.
  CHECK_FALSE(AnswerIsRight(c, Fallback(0.3, "right-entry")));
}

TEST_CASE("entry without facts needs the entry; neither needs any answer", "[eval]") {
  EvalCase only_entry;
  only_entry.expect = "answer";
  only_entry.entries = {"e1"};
  CHECK(AnswerIsRight(only_entry, Kb("e1", "x")));
  CHECK_FALSE(AnswerIsRight(only_entry, Kb("e2", "x")));

  EvalCase only_facts;
  only_facts.expect = "answer";
  only_facts.facts = {{"server"}};
  CHECK(AnswerIsRight(only_facts, Kb("any", "runs on a Server")));
  CHECK_FALSE(AnswerIsRight(only_facts, Kb("any", "runs on a phone")));

  EvalCase neither;
  neither.expect = "answer";
  CHECK(AnswerIsRight(neither, Kb("any", "")));
  CHECK_FALSE(AnswerIsRight(neither, Fallback(0.9)));
}

TEST_CASE("calibration bins the confidence against being right", "[eval]") {
  std::vector<EvalCase> cases(5);
  for (auto& c : cases) c.expect = "answer";
  for (auto& c : cases) c.entries = {"good"};
  cases[3].expect = "decline";
  cases[4].expect = "decline";
  RawAnswers raw;
  raw.answers.push_back(Kb("good", "", 0.95));   // right, bin 0.9
  raw.answers.push_back(Kb("bad", "", 0.85));    // wrong, bin 0.8
  raw.answers.push_back(Kb("good", "", 0.15));   // right, bin 0.1
  raw.answers.push_back(Kb("other", "", 0.25));  // a decline case answered: wrong, bin 0.2
  raw.answers.push_back(Fallback(0.65, "no-answer-entry"));  // declined by its no-answer entry: right
  auto cal = ComputeCalibration(cases, raw);
  CHECK(cal.cases == 5);
  REQUIRE(cal.bins.size() == 10);
  CHECK(cal.bins[9].count == 1);
  CHECK(cal.bins[9].accuracy == Approx(1.0));
  CHECK(cal.bins[8].accuracy == Approx(0.0));
  CHECK(cal.bins[6].accuracy == Approx(1.0));
  // |1-.95| + |0-.85| + |1-.15| + |0-.25| + |1-.65| = .05+.85+.85+.25+.35 = 2.35
  CHECK(cal.ece == Approx(2.35 / 5));
  CHECK(cal.brier == Approx((0.0025 + 0.7225 + 0.7225 + 0.0625 + 0.1225) / 5));
}

TEST_CASE("small talk cases do not count in the calibration", "[eval]") {
  std::vector<EvalCase> cases(1);
  cases[0].expect = "smalltalk";
  RawAnswers raw;
  raw.answers.push_back(Kb("x", "", 1.0));
  auto cal = ComputeCalibration(cases, raw);
  CHECK(cal.cases == 0);
  CHECK(cal.ece == 0);
}

TEST_CASE("training variants are generated deterministically, grouped with their question", "[eval][train]") {
  const std::string q = "How much does a backend developer earn in Germany?";
  auto a = adapters::cli::QuestionVariants(q);
  auto b = adapters::cli::QuestionVariants(q);
  CHECK(a == b);
  REQUIRE(a.size() == 5);  // filler, Title Case, typo, lower case, cut start
  for (const auto& v : a) CHECK(v != q);
  CHECK(a[1] == "How Much Does A Backend Developer Earn In Germany?");
  CHECK(a[3] == "how much does a backend developer earn in germany");
  CHECK(a[0].find("backend developer earn in Germany") != std::string::npos);
  CHECK(adapters::cli::QuestionVariants("").empty());

  std::vector<EvalCase> written(2);
  written[0].id = "w1";
  written[0].question = q;
  written[0].expect = "answer";
  written[0].entries = {"pay"};
  written[1].id = "w2";
  written[1].question = "tell me a joke";
  written[1].expect = "decline";
  bot::Entry e;
  e.id = "pay";
  e.questions = {"What is the pay?", "How much?"};
  auto qs = adapters::cli::BuildTrainingQuestions(written, {e}, true);
  size_t w1 = 0, curated = 0;
  for (const auto& t : qs) {
    if (t.group == "w:w1") {
      w1++;
      CHECK(t.answerable);
      CHECK(t.entries == std::vector<std::string>{"pay"});
    }
    if (t.source == "curated") curated++;
  }
  CHECK(w1 == 6);
  CHECK(curated == 2);
  CHECK(adapters::cli::BuildTrainingQuestions(written, {e}, false).size() == 4);
}

TEST_CASE("paraphrase questions are asked of entries without their own phrasing", "[eval][train]") {
  bot::Entry pay, solo;
  pay.id = "pay";
  pay.questions = {"What is the pay?", "How much do they earn?", "Salary?", "Is the money good?"};
  solo.id = "solo";
  solo.questions = {"Only one?"};
  const std::vector<bot::Entry> entries = {pay, solo};
  auto qs = adapters::cli::BuildTrainingQuestions({}, entries, false, true);
  size_t paraphrases = 0;
  for (const auto& t : qs) {
    if (t.source != "paraphrase") continue;
    paraphrases++;
    CHECK(t.entries == std::vector<std::string>{"pay"});  // an entry with one phrasing has none
    CHECK(t.text == pay.questions[static_cast<size_t>(t.phrasing)]);
  }
  CHECK(paraphrases == 4);
  CHECK(adapters::cli::BuildTrainingQuestions({}, entries, false).size() == 5);  // curated only

  // Across the folds, each phrasing is held out in its own fold, except that
  // an entry always keeps one phrasing (then that question is not held out).
  for (int folds : {2, 3, 5}) {
    std::set<std::pair<std::string, int>> all;
    for (int f = 0; f < folds; f++) {
      std::set<std::pair<std::string, int>> held_out;
      auto without = adapters::cli::WithoutParaphrases(entries, qs, f, folds, &held_out);
      REQUIRE(without.size() == 2);
      CHECK(without[1].questions == solo.questions);
      CHECK_FALSE(without[0].questions.empty());
      for (const auto& [id, i] : held_out) {
        CHECK(id == "pay");
        const std::string& text = pay.questions[static_cast<size_t>(i)];
        CHECK(std::find(without[0].questions.begin(), without[0].questions.end(), text) ==
              without[0].questions.end());
        CHECK(adapters::cli::FoldOf("c:pay:" + std::to_string(i), folds) == f);
        all.insert({id, i});
      }
      // Everything not held out in this fold is still there.
      CHECK(without[0].questions.size() + held_out.size() == pay.questions.size());
    }
    CHECK(all.size() >= 3);
  }
}

TEST_CASE("a dialogue line becomes its turns, in order, sharing the dialogue id", "[eval][dialogue]") {
  auto cases = ParseEvalCases(
      "{\"id\": \"d1\", \"turns\": [{\"q\": \"a\", \"expect\": \"answer\", \"entry\": [\"x\"]},"
      " {\"q\": \"b\", \"expect\": \"decline\"}]}\n"
      "{\"id\": \"s1\", \"q\": \"c\", \"expect\": \"answer\"}\n");
  REQUIRE(cases.ok());
  REQUIRE(cases->size() == 3);
  CHECK((*cases)[0].dialogue == "d1");
  CHECK((*cases)[0].turn == 0);
  CHECK((*cases)[0].id == "d1#1");
  CHECK((*cases)[1].dialogue == "d1");
  CHECK((*cases)[1].turn == 1);
  CHECK((*cases)[1].expect == "decline");
  CHECK((*cases)[2].dialogue.empty());

  auto bad = ParseEvalCases("{\"id\": \"d\", \"turns\": [{\"q\": \"a\", \"expect\": \"maybe\"}]}\n");
  REQUIRE(!bad.ok());
  CHECK(bad.status().message().find("turn 1") != std::string::npos);
  CHECK(!ParseEvalCases("{\"id\": \"d\", \"turns\": []}\n").ok());
  CHECK(!ParseEvalCases("{\"id\": \"d\", \"turns\": \"q\"}\n").ok());
}

TEST_CASE("dialogues count as right only when every turn is; clarifications are counted", "[eval][dialogue]") {
  auto cases = ParseEvalCases(
      "{\"id\": \"d1\", \"turns\": [{\"q\": \"a\", \"expect\": \"answer\", \"entry\": [\"x\"]},"
      " {\"q\": \"b\", \"expect\": \"answer\", \"entry\": [\"y\"]}]}\n"
      "{\"id\": \"d2\", \"turns\": [{\"q\": \"c\", \"expect\": \"answer\", \"entry\": [\"z\"]},"
      " {\"q\": \"d\", \"expect\": \"decline\"}]}\n");
  REQUIRE(cases.ok());
  RawAnswers raw;
  raw.answers.push_back(Kb("x", ""));
  bot::Answer clarify;
  clarify.kind = "clarify";
  clarify.options = {{"Q1?", "w"}, {"Q2?", "y"}};
  raw.answers.push_back(clarify);
  raw.answers.push_back(Kb("z", ""));
  raw.answers.push_back(Fallback(0.1));
  auto r = adapters::cli::Score(*cases, raw, 0.5);
  CHECK(r.turn_pass() == 3);
  CHECK(r.cases() == 4);
  CHECK(r.dialogue_total == 2);
  CHECK(r.dialogue_pass == 1);
  CHECK(r.clarify_total == 1);
  CHECK(r.clarify_right == 1);
  CHECK(r.answer_or_clarify_rate() == Approx(1.0));
  CHECK(r.clarify_rate() == Approx(0.25));
  auto j = adapters::cli::ReportToJson(r);
  CHECK(j["dialogues"]["pass"] == 1);
  CHECK(j["clarify"]["offered"] == 1);
}

TEST_CASE("training features are written one candidate a line with a header naming every feature", "[eval][train]") {
  adapters::cli::TrainQuestion answerable;
  answerable.group = "w:w1";
  answerable.source = "written";
  answerable.answerable = true;
  answerable.entries = {"pay"};
  adapters::cli::TrainQuestion decline;
  decline.group = "w:w2";
  decline.source = "written";
  decline.entries = {"pay-mars"};  // its right response is a no-answer entry
  std::vector<adapters::cli::TrainItem> items(2);
  items[0].q = &answerable;
  items[0].candidates.resize(2);
  items[0].candidates[0].entry_id = "skills";
  items[0].candidates[1].entry_id = "pay";
  items[0].candidates[1].features[bot::ranking::kCoverage] = 0.75;
  items[1].q = &decline;
  items[1].candidates.resize(1);
  items[1].candidates[0].entry_id = "pay-mars";
  items[1].candidates[0].no_answer = true;
  std::ostringstream out;
  adapters::cli::WriteFeatures(items, out);
  std::vector<std::vector<std::string>> lines;
  std::istringstream in(out.str());
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::istringstream cs(line);
    for (std::string cell; std::getline(cs, cell, '\t');) cells.push_back(cell);
    lines.push_back(cells);
  }
  REQUIRE(lines.size() == 4);
  const size_t columns = 6 + bot::ranking::kFeatureCount;
  for (const auto& l : lines) CHECK(l.size() == columns);
  CHECK(lines[0][0] == "group");
  CHECK(lines[0][6] == bot::ranking::FeatureName(0));
  CHECK(lines[0][columns - 1] == bot::ranking::FeatureName(bot::ranking::kFeatureCount - 1));
  // group, source, answerable, hand rank, right, no-answer
  CHECK(lines[1][0] == "w:w1");
  CHECK((lines[1][3] == "0" && lines[1][4] == "0"));
  CHECK((lines[2][3] == "1" && lines[2][4] == "1"));
  CHECK(lines[2][6 + bot::ranking::kCoverage] == "0.75");
  CHECK((lines[3][2] == "0" && lines[3][4] == "1" && lines[3][5] == "1"));
}
