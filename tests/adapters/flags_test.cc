// The one command-line parser (adapters/cli/flags.h, on CLI11): what every
// careerbot command's flags go through.
#include "adapters/cli/flags.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace {

using adapters::cli::Args;
using adapters::cli::FlagSpec;

const std::vector<FlagSpec> kSpecs = {{"db", true, "file"},
                                      {"question", true, "repeatable"},
                                      {"json", false, "switch"},
                                      adapters::cli::kHelpFlag};

// Parses `words` as `careerbot kb add WORDS...`.
bool ParseWords(std::vector<std::string> words, Args* args) {
  words.insert(words.begin(), {"careerbot", "kb", "add"});
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  return adapters::cli::Parse(static_cast<int>(argv.size()), argv.data(), 3, kSpecs, "kb add", args);
}

}  // namespace

TEST_CASE("the parser reads values both ways, keeps repeats in order and takes positionals", "[cli][flags]") {
  Args a;
  REQUIRE(ParseWords({"--db=x.db", "first", "--question", "A", "--json", "--question=B", "second"}, &a));
  CHECK(a.Get("db") == "x.db");
  CHECK(a.All("question") == std::vector<std::string>{"A", "B"});
  CHECK(a.Get("question") == "B");
  CHECK(a.Has("json"));
  CHECK_FALSE(a.Has("help"));
  CHECK(a.positional == std::vector<std::string>{"first", "second"});
  CHECK(a.Given() == adapters::Flags{{"db", "x.db"}, {"question", "B"}, {"json", "1"}});
  Args dash;
  REQUIRE(ParseWords({"--question", "-dash", "--db", "--json"}, &dash));
  CHECK(dash.Get("question") == "-dash");
  CHECK(dash.Get("db") == "--json");
  CHECK_FALSE(dash.Has("json"));
}

TEST_CASE("a double dash ends the flags and -h means help", "[cli][flags]") {
  Args a;
  REQUIRE(ParseWords({"--json", "--", "-x", "--db", "y"}, &a));
  CHECK(a.Has("json"));
  CHECK_FALSE(a.Has("db"));
  CHECK(a.positional == std::vector<std::string>{"-x", "--db", "y"});
  Args h;
  REQUIRE(ParseWords({"-h"}, &h));
  CHECK(h.Has("help"));
  Args empty;
  REQUIRE(ParseWords({"--db="}, &empty));
  CHECK(empty.Has("db"));
  CHECK(empty.Get("db", "default") == "");
}

TEST_CASE("an unknown flag or a flag without its value is refused", "[cli][flags]") {
  for (const std::vector<std::string>& words : std::vector<std::vector<std::string>>{
           {"--frobnicate"}, {"--frobnicate=1", "x"}, {"--db"}, {"x", "--question"}, {"-x"}, {"--DB", "y"}}) {
    Args a;
    INFO(words[0]);
    CHECK_FALSE(ParseWords(words, &a));
  }
}
