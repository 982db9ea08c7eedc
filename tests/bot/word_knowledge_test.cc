// Word knowledge: the table compiled from WordNet and FOLDOC at build time
// (knowledge/tools/lexicon_gen.cc) and what the answerer reads from it.
#include <algorithm>
#include <chrono>
#include <string>

#include <catch2/catch.hpp>

#include "bot/word_knowledge.h"

namespace {

bool Holds(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// A small table in the generator's format: word flags count bases related expansions.
const char kTable[] =
    "child\tn\t50\t\tkid,youngster\t\n"
    "children\t\t0\tchild\t\t\n"
    "ideally\tr\t4\t\t\t\n"
    "lawyer\tnp\t15\t\tattorney,law\t\n"
    "rest\tnv\t104\t\tremainder,ease\t\n"
    "specialization\tn\t4\t\tspecialize,specialty\t\n"
    "specialize\tv\t9\t\tspecialization\t\n"
    "vm\t\t0\t\t\tvirtual machine|vector machine\n";

}  // namespace

TEST_CASE("word knowledge lemmatizes with morphy's rules and exception lists", "[bot][words]") {
  bot::WordKnowledge wk(kTable);
  CHECK(wk.Lemmas("specializations") == std::vector<std::string>{"specialization"});
  CHECK(wk.Lemmas("specialized") == std::vector<std::string>{"specialize"});
  CHECK(wk.Lemmas("children") == std::vector<std::string>{"child"});
  CHECK(wk.Lemmas("lawyers") == std::vector<std::string>{"lawyer"});
  CHECK(wk.Lemmas("zzyzx").empty());
  CHECK_FALSE(wk.Known("vm"));  // an abbreviation only, no lemma
  CHECK(wk.Count("children") == 50);
  CHECK(wk.Count("zzyzx") == -1);
}

TEST_CASE("word knowledge gives related words persons adverbs and abbreviations", "[bot][words]") {
  bot::WordKnowledge wk(kTable);
  auto related = wk.Related("specializations");
  REQUIRE_FALSE(related.empty());
  CHECK(related[0] == "specialization");
  CHECK(Holds(related, "specialize"));
  // "-ful" stripped to a known word.
  CHECK(Holds(wk.Related("restful"), "rest"));
  CHECK_FALSE(Holds(wk.Related("restive"), "rest"));
  CHECK(wk.IsPerson("lawyers"));
  CHECK_FALSE(wk.IsPerson("rest"));
  CHECK(wk.IsAdverbOnly("ideally"));
  CHECK_FALSE(wk.IsAdverbOnly("rest"));
  CHECK(wk.IsVerb("specialized"));
  CHECK(wk.IsVerb("rest"));
  CHECK_FALSE(wk.IsVerb("children"));
  CHECK_FALSE(wk.IsVerb("zzyzx"));
  CHECK(wk.Expansions("vm") == std::vector<std::string>{"virtual machine", "vector machine"});
  CHECK(wk.Expansions("rest").empty());
  CHECK(wk.Expansions("nothing").empty());
}

TEST_CASE("word knowledge finds every word of its table and no other", "[bot][words]") {
  // The lookup hashes each line's word (open addressing): every key must be
  // found with its own line, prefixes and extensions of keys must not be,
  // a repeated word keeps its first line, and a last line without a newline
  // counts.
  std::string table;
  for (int i = 0; i < 5000; i++) table += "w" + std::to_string(i) + "\tn\t" + std::to_string(i + 1) + "\t\t\t\n";
  table += "w7\tn\t999\t\t\t\n";  // repeated: the first line stands
  table += "a\tn\t3\t\t\t\nab\tn\t4\t\t\t\nabc\tn\t5\t\t\t";
  bot::WordKnowledge wk(table);
  CHECK(wk.size() == 5004);
  int wrong = 0;
  for (int i = 0; i < 5000; i++) {
    if (wk.Count("w" + std::to_string(i)) != i + 1) wrong++;
  }
  CHECK(wrong == 0);
  CHECK(wk.Count("w7") == 8);
  CHECK(wk.Count("a") == 3);
  CHECK(wk.Count("ab") == 4);
  CHECK(wk.Count("abc") == 5);
  for (const char* absent : {"w", "w5000", "w12345", "abcd", "b", "w1\tn", "", "n"}) {
    INFO(absent);
    CHECK(wk.Count(absent) == -1);
  }
  bot::WordKnowledge empty("");
  CHECK(empty.Count("a") == -1);
  CHECK(empty.Lemmas("anything").empty());
}

TEST_CASE("the compiled-in word knowledge holds WordNet and FOLDOC", "[bot][words]") {
  auto start = std::chrono::steady_clock::now();
  const bot::WordKnowledge& wk = bot::WordKnowledge::Builtin();
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  INFO("loaded in " << ms << " ms");
  CHECK(wk.size() > 50000);
  CHECK(wk.Lemmas("specializations") == std::vector<std::string>{"specialization"});
  CHECK(Holds(wk.Related("specialization"), "specialize"));
  CHECK(Holds(wk.Related("salary"), "pay"));
  CHECK(Holds(wk.Related("restful"), "rest"));
  CHECK(wk.IsPerson("firefighter"));
  CHECK(wk.IsPerson("lawyer"));
  CHECK(wk.IsPerson("nurses"));
  CHECK_FALSE(wk.IsPerson("database"));
  CHECK_FALSE(wk.IsPerson("salary"));
  CHECK(wk.IsPerson("cook"));  // used as a noun and as a verb
  // Comparatives and superlatives, by morphy's rules and adj.exc.
  CHECK(wk.PositiveForm("faster") == "fast");
  CHECK(wk.PositiveForm("fastest") == "fast");
  CHECK(wk.PositiveForm("easier") == "easy");
  CHECK(wk.PositiveForm("bigger") == "big");
  CHECK(wk.PositiveForm("safer") == "safe");
  CHECK(wk.PositiveForm("fast") == "");
  CHECK(wk.PositiveForm("server") == "");     // a noun
  CHECK(wk.PositiveForm("developer") == "");  // a noun
  CHECK(wk.PositiveForm("lower") == "");      // also a verb
  CHECK(wk.PositiveForm("clever") == "");     // "clev" is no adjective
  CHECK(wk.PositiveForm("after") == "");      // "aft" is rarer than "after"
  CHECK(wk.PositiveForm("interest") == "");
  // Words whose first noun sense is a person but which English uses as
  // adjectives or verbs: "dive straight into NoSQL", "a great career".
  CHECK_FALSE(wk.IsPerson("straight"));
  CHECK_FALSE(wk.IsPerson("great"));
  CHECK_FALSE(wk.IsPerson("hire"));
  CHECK_FALSE(wk.IsPerson("dive"));  // a noun itself, though noun.exc makes it the plural of "diva"
  CHECK(wk.IsPerson("divas"));
  CHECK(wk.IsPerson("men"));      // a noun itself too, but "man" is far more frequent
  CHECK(wk.IsPerson("nursing"));  // through the verb "nurse", whose noun is a person
  CHECK(wk.IsAdverbOnly("ideally"));
  CHECK(wk.IsVerb("wondered"));
  CHECK_FALSE(wk.IsVerb("database"));
  // Only a noun ("is that framework fast?"), or also a verb or adjective ("how
  // long does that take?", "is that hard?"); an unknown word is neither.
  CHECK(wk.IsNounOnly("framework"));
  CHECK(wk.IsNounOnly("frameworks"));
  CHECK(wk.IsNounOnly("salary"));
  CHECK_FALSE(wk.IsNounOnly("take"));
  CHECK_FALSE(wk.IsNounOnly("hard"));
  CHECK_FALSE(wk.IsNounOnly("ideally"));
  CHECK_FALSE(wk.IsNounOnly("kubernetes"));
  CHECK(wk.Count("time") > wk.Count("firefighter"));
  CHECK(Holds(wk.Expansions("vm"), "virtual machine"));
  CHECK(Holds(wk.Expansions("sql"), "structured query language"));
  // FOLDOC's only reading of DSA is not the domain's (data structures and
  // algorithms): the answerer picks readings by its own vocabulary.
  CHECK(Holds(wk.Expansions("dsa"), "directory system agent"));
}
