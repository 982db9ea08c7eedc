#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "bot/stemmer.h"
#include "bot/text.h"

TEST_CASE("the Porter stemmer matches the published examples", "[bot]") {
  CHECK(bot::PorterStem("caresses") == "caress");
  CHECK(bot::PorterStem("ponies") == "poni");
  CHECK(bot::PorterStem("relational") == "relat");
  CHECK(bot::PorterStem("generalizations") == "gener");
  CHECK(bot::PorterStem("developer") == "develop");
  CHECK(bot::PorterStem("development") == "develop");
  CHECK(bot::PorterStem("engineering") == "engin");
  CHECK(bot::PorterStem("hopping") == "hop");
  CHECK(bot::PorterStem("salaries") == "salari");
}

namespace {

using Tokens = std::vector<std::string>;

// True when `s` is well-formed UTF-8 without C0 controls other than tab and
// newline: exactly what SanitizeUtf8 leaves unchanged.
bool IsCleanUtf8(const std::string& s) { return bot::SanitizeUtf8(s) == s; }

// Index terms must never carry FTS5 syntax or white space into a query.
bool IsSafeTerm(const std::string& t) {
  if (t.empty()) return false;
  for (unsigned char c : t) {
    if (c < 0x80 && !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return IsCleanUtf8(t);
}

std::vector<std::string> SplitOnSpaces(const std::string& s) {
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

std::vector<std::string> TermStrings(const bot::Normalizer& n, std::string_view text) {
  std::vector<std::string> out;
  for (const auto& t : n.Terms(text)) out.push_back(t.term);
  return out;
}

const char kSynonyms[] =
    "# test synonyms\n"
    "remote, remotely, work from home, wfh\n"
    "salary, salaries, pay, earn, earnings, compensation\n"
    "united states, usa, us, u.s.\n"
    "database, databases, db\n"
    "only-one-item\n";

}  // namespace

TEST_CASE("Tokenize lower-cases words and splits on spaces", "[bot][text]") {
  CHECK(bot::Tokenize("Hello World") == Tokens{"hello", "world"});
  CHECK(bot::Tokenize("  BACKEND   Developer\tjobs\n") == Tokens{"backend", "developer", "jobs"});
  CHECK(bot::Tokenize("").empty());
  CHECK(bot::Tokenize("   \t\n ").empty());
}

TEST_CASE("Tokenize keeps technology names and numbers whole", "[bot][text]") {
  SECTION("dots inside a word join") {
    CHECK(bot::Tokenize("node.js") == Tokens{"nodejs"});
    CHECK(bot::Tokenize("I use Node.js daily") == Tokens{"i", "use", "nodejs", "daily"});
    CHECK(bot::Tokenize("ASP.NET") == Tokens{"aspnet"});
  }
  SECTION("a sentence-ending dot does not join") {
    CHECK(bot::Tokenize("I like Go. Python too") == Tokens{"i", "like", "go", "python", "too"});
    CHECK(bot::Tokenize("the end.") == Tokens{"the", "end"});
  }
  SECTION("e.g. and i.e. are one word each, with or without their last dot") {
    CHECK(bot::Tokenize("projects e.g Askfm") == Tokens{"projects", "eg", "askfm"});
    CHECK(bot::Tokenize("projects, e.g. Askfm") == Tokens{"projects", "eg", "askfm"});
    CHECK(bot::Tokenize("I.E. this") == Tokens{"ie", "this"});
    CHECK(bot::Tokenize("E.g") == Tokens{"eg"});
    CHECK(bot::Tokenize("the U.S. pay") == Tokens{"the", "u", "s", "pay"});  // other letters stay apart
  }
  SECTION("commas inside numbers join") {
    CHECK(bot::Tokenize("100,000") == Tokens{"100000"});
    CHECK(bot::Tokenize("$1,250,000 a year") == Tokens{"1250000", "a", "year"});
    CHECK(bot::Tokenize("apples,pears") == Tokens{"apples", "pears"});
    CHECK(bot::Tokenize("1, 2") == Tokens{"1", "2"});
  }
  SECTION("C++ and C#") {
    CHECK(bot::Tokenize("C++") == Tokens{"cplusplus"});
    CHECK(bot::Tokenize("c++") == Tokens{"cplusplus"});
    CHECK(bot::Tokenize("C#") == Tokens{"csharp"});
    CHECK(bot::Tokenize("Java, C++ or C#?") == Tokens{"java", "cplusplus", "or", "csharp"});
    CHECK(bot::Tokenize("C++/C#") == Tokens{"cplusplus", "csharp"});
  }
  SECTION("apostrophes inside a word join") {
    CHECK(bot::Tokenize("what's") == Tokens{"whats"});
    CHECK(bot::Tokenize("What\xE2\x80\x99s up") == Tokens{"whats", "up"});  // U+2019
    CHECK(bot::Tokenize("don't") == Tokens{"dont"});
    CHECK(bot::Tokenize("'quoted'") == Tokens{"quoted"});
  }
}

TEST_CASE("Tokenize separates words at emoji, symbols and punctuation", "[bot][text]") {
  CHECK(bot::Tokenize("python\xF0\x9F\x98\x80java") == Tokens{"python", "java"});  // U+1F600
  CHECK(bot::Tokenize("\xF0\x9F\x9A\x80 rocket") == Tokens{"rocket"});
  CHECK(bot::Tokenize("hi!how") == Tokens{"hi", "how"});
  CHECK(bot::Tokenize("back-end") == Tokens{"back", "end"});
  CHECK(bot::Tokenize("a/b;c:d(e)f") == Tokens{"a", "b", "c", "d", "e", "f"});
  CHECK(bot::Tokenize("x\xE2\x86\x92y") == Tokens{"x", "y"});  // U+2192 arrow
  CHECK(bot::Tokenize("5\xC3\x97" "3") == Tokens{"5", "3"});    // U+00D7 multiplication sign
}

TEST_CASE("Tokenize keeps non-ASCII letters and folds Latin-1 capitals", "[bot][text]") {
  CHECK(bot::Tokenize("Caf\xC3\xA9") == Tokens{"caf\xC3\xA9"});
  CHECK(bot::Tokenize("\xC3\x89" "COLE") == Tokens{"\xC3\xA9" "cole"});
  CHECK(bot::Tokenize("\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82") ==
        Tokens{"\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82"});  // Cyrillic
}

TEST_CASE("Tokenize caps very long tokens without splitting a character", "[bot][text]") {
  std::string word(200, 'a');
  auto tokens = bot::Tokenize(word);
  REQUIRE(tokens.size() == 1);
  CHECK(tokens[0].size() <= 64);
  CHECK(tokens[0].size() >= 60);
  std::string accented;
  for (int i = 0; i < 100; i++) accented += "\xC3\xA9";
  tokens = bot::Tokenize(accented);
  REQUIRE(tokens.size() == 1);
  CHECK(tokens[0].size() <= 64);
  CHECK(IsCleanUtf8(tokens[0]));
}

TEST_CASE("Tokenize never crashes on invalid UTF-8 and only returns valid UTF-8", "[bot][text]") {
  const std::vector<std::string> inputs = {
      std::string("\xFF\xFE"),
      std::string("abc\xC3"),                // truncated two-byte sequence
      std::string("\xE2\x82"),               // truncated three-byte sequence
      std::string("\xF0\x9F\x98"),           // truncated four-byte sequence
      std::string("ab\x80\x80" "cd"),       // stray continuation bytes
      std::string("\xC0\xAF" "x"),          // overlong '/'
      std::string("\xED\xA0\x80" "y"),      // UTF-16 surrogate
      std::string("\xF4\x90\x80\x80" "z"),  // past U+10FFFF
      std::string("c\xFF+\xFF+"),
      std::string("node.\xFF" "js"),
      std::string("100,\xC3"),
  };
  for (const auto& in : inputs) {
    INFO("input bytes: " << in.size());
    auto tokens = bot::Tokenize(in);
    for (const auto& t : tokens) {
      CHECK(!t.empty());
      CHECK(IsCleanUtf8(t));
    }
  }
  CHECK(bot::Tokenize("ab\x80\x80" "cd") == Tokens{"ab", "cd"});
  CHECK(bot::Tokenize("\xC0\xAF" "x") == Tokens{"x"});
}

TEST_CASE("SanitizeUtf8 replaces invalid bytes with U+FFFD and controls with spaces", "[bot][text]") {
  const std::string kReplacement = "\xEF\xBF\xBD";
  SECTION("valid text is unchanged") {
    std::string valid = "caf\xC3\xA9 \xF0\x9F\x98\x80 \xE2\x82\xAC 100\ttab\nline";
    CHECK(bot::SanitizeUtf8(valid) == valid);
  }
  SECTION("invalid bytes") {
    CHECK(bot::SanitizeUtf8("a\xFF" "b") == "a" + kReplacement + "b");
    CHECK(bot::SanitizeUtf8("abc\xC3") == "abc" + kReplacement);
    CHECK(bot::SanitizeUtf8("\x80") == kReplacement);
    std::string overlong = bot::SanitizeUtf8("\xC0\xAF");
    CHECK(overlong.find('/') == std::string::npos);
    CHECK(overlong.find(kReplacement) != std::string::npos);
    std::string surrogate = bot::SanitizeUtf8("\xED\xA0\x80");
    CHECK(surrogate.find(kReplacement) != std::string::npos);
    CHECK(surrogate.find("\xED\xA0\x80") == std::string::npos);
  }
  SECTION("NUL and control characters become spaces") {
    CHECK(bot::SanitizeUtf8(std::string("a\0b", 3)) == "a b");
    CHECK(bot::SanitizeUtf8("a\x01\x1b" "b") == "a  b");
    CHECK(bot::SanitizeUtf8("a\x7f" "b") == "a b");
    CHECK(bot::SanitizeUtf8("a\tb\nc") == "a\tb\nc");
  }
  SECTION("every byte value gives clean output") {
    std::string all;
    for (int b = 0; b < 256; b++) all.push_back(static_cast<char>(b));
    std::string out = bot::SanitizeUtf8(all);
    CHECK(IsCleanUtf8(out));
    CHECK(out.find('\0') == std::string::npos);
    // Sanitizing is idempotent.
    CHECK(bot::SanitizeUtf8(out) == out);
  }
}

TEST_CASE("TruncateUtf8 never splits a multi-byte sequence", "[bot][text]") {
  // 1-, 2-, 3- and 4-byte characters.
  const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80" "b\xC3\xA9\xF0\x9F\x98\x80";
  REQUIRE(IsCleanUtf8(text));
  for (size_t max = 0; max <= text.size() + 2; max++) {
    INFO("max_bytes = " << max);
    std::string_view cut = bot::TruncateUtf8(text, max);
    CHECK(cut.size() <= max);
    CHECK(text.compare(0, cut.size(), cut) == 0);
    CHECK(IsCleanUtf8(std::string(cut)));
    // It cuts only what it must: the next character would not have fitted.
    if (cut.size() < text.size()) {
      size_t next = cut.size() + 1;
      while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) next++;
      CHECK(next > max);
    }
  }
  CHECK(bot::TruncateUtf8("short", 100) == "short");
  CHECK(bot::TruncateUtf8("\xC3\xA9", 1).empty());
  CHECK(bot::TruncateUtf8("", 0).empty());
}

TEST_CASE("SynonymTable parses groups and skips malformed lines", "[bot][text]") {
  std::vector<std::string> warnings;
  bot::SynonymTable table = bot::SynonymTable::Parse(kSynonyms, &warnings);
  CHECK(table.group_count() == 4);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("line 6") != std::string::npos);
  CHECK(table.source_text() == kSynonyms);
  // Single long words are keyed by stem and map to the group's canonical term.
  auto it = table.single_stems().find("earn");
  REQUIRE(it != table.single_stems().end());
  CHECK(it->second == "salari");
  // No trailing newline, CRLF line ends and empty text parse too.
  CHECK(bot::SynonymTable::Parse("a1, b1\r\nlonger, words").group_count() == 2);
  CHECK(bot::SynonymTable::Parse("").group_count() == 0);
}

TEST_CASE("Normalizer maps synonyms and phrases to their group's canonical term", "[bot][text]") {
  bot::Normalizer n(bot::SynonymTable::Parse(kSynonyms));
  SECTION("a phrase becomes the canonical term") {
    auto terms = n.Terms("Can I work from home?");
    REQUIRE(terms.size() == 1);
    CHECK(terms[0].term == "remot");
    CHECK(terms[0].surface == "work from home");
    CHECK(TermStrings(n, "remote jobs") == TermStrings(n, "work from home jobs"));
    CHECK(TermStrings(n, "remote jobs") == std::vector<std::string>{"remot", "job"});
    CHECK(TermStrings(n, "wfh jobs") == TermStrings(n, "remotely jobs"));
  }
  SECTION("a comparative or superlative is indexed as its positive form") {
    CHECK(TermStrings(n, "which is faster") == TermStrings(n, "which is fast"));
    CHECK(TermStrings(n, "the fastest language") == TermStrings(n, "a fast language"));
    CHECK(TermStrings(n, "is it easier") == TermStrings(n, "is it easy"));
  }
  SECTION("single words map, by stem or exactly for short words") {
    CHECK(TermStrings(n, "salary") == std::vector<std::string>{"salari"});
    CHECK(TermStrings(n, "earnings") == std::vector<std::string>{"salari"});
    CHECK(TermStrings(n, "pay") == std::vector<std::string>{"salari"});
    CHECK(TermStrings(n, "compensation") == std::vector<std::string>{"salari"});
    CHECK(TermStrings(n, "db") == std::vector<std::string>{"databas"});
    REQUIRE(TermStrings(n, "united states").size() == 1);
    CHECK(TermStrings(n, "USA") == TermStrings(n, "united states"));
    CHECK(TermStrings(n, "the U.S. market") == TermStrings(n, "united states market"));
  }
  SECTION("stop words are dropped and the rest stemmed") {
    CHECK(TermStrings(n, "What is the best programming language?") ==
          std::vector<std::string>{"best", "program", "languag"});
    CHECK(TermStrings(n, "the a an of to is").empty());
    // A request's own verb names no topic ("can you give an example?").
    CHECK(TermStrings(n, "can you give me an example") == std::vector<std::string>{"exampl"});
    auto terms = n.Terms("What is the best language?");
    REQUIRE(terms.size() == 2);
    CHECK(terms[0].weak);
    CHECK_FALSE(terms[1].weak);
  }
  SECTION("expanded phrases keep their own words findable") {
    CHECK(n.IndexText("work from home") == "remot work home");
    CHECK(n.IndexText("salary") == "salari");
  }
  SECTION("a question and an entry meet on identical terms") {
    CHECK(TermStrings(n, "How much do backend developers earn?") ==
          TermStrings(n, "backend developer salaries"));
  }
  SECTION("after 'how much', 'make' without an object of its own asks about pay") {
    const auto pay = TermStrings(n, "How much do backend developers earn?");
    CHECK(TermStrings(n, "How much do backend developers make?") == pay);
    CHECK(TermStrings(n, "how much does a backend developer make") == TermStrings(n, "backend developer earns"));
    CHECK(TermStrings(n, "how much do backend developers make a year") ==
          TermStrings(n, "how much do backend developers earn a year"));
    CHECK(TermStrings(n, "How much do backend developers make in Germany?") ==
          TermStrings(n, "How much do backend developers earn in Germany?"));
    // With an object it is the ordinary verb; without "how much" too.
    auto has_pay = [&](const std::string& text) {
      auto terms = TermStrings(n, text);
      return std::find(terms.begin(), terms.end(), "salari") != terms.end();
    };
    CHECK_FALSE(has_pay("how much does it cost to make an app"));
    CHECK_FALSE(has_pay("how much effort does it take to make the backend fast"));
    CHECK_FALSE(has_pay("how do backend developers make APIs"));
    CHECK_FALSE(has_pay("backend developers make"));
  }
}

TEST_CASE("SplitSentences splits on sentence ends and newlines", "[bot][text]") {
  using S = std::vector<std::string>;
  CHECK(bot::SplitSentences("Hello world. How are you? Fine!") == S{"Hello world.", "How are you?", "Fine!"});
  CHECK(bot::SplitSentences("First line\nSecond line") == S{"First line", "Second line"});
  CHECK(bot::SplitSentences("  padded.   Next one.  ") == S{"padded.", "Next one."});
  CHECK(bot::SplitSentences("It costs 100.5 dollars. Cheap.") == S{"It costs 100.5 dollars.", "Cheap."});
  CHECK(bot::SplitSentences("Use e.g. Python. Or Go.") == S{"Use e.g. Python.", "Or Go."});
  CHECK(bot::SplitSentences("The U.S. market is big. Next.") == S{"The U.S. market is big.", "Next."});
  CHECK(bot::SplitSentences("No end") == S{"No end"});
  CHECK(bot::SplitSentences("").empty());
  CHECK(bot::SplitSentences(" \n\n ").empty());
}

TEST_CASE("hostile inputs give safe terms or nothing and never crash", "[bot][text]") {
  bot::Normalizer n(bot::SynonymTable::Parse(kSynonyms));
  std::string all_bytes;
  for (int b = 0; b < 256; b++) all_bytes.push_back(static_cast<char>(b));
  std::string ten_kb;
  while (ten_kb.size() < 10 * 1024) ten_kb += "backend developer salary \"NEAR(\" * AND -x col: ";
  std::string huge(200 * 1024, 'x');
  for (size_t i = 0; i < huge.size(); i += 7) huge[i] = ' ';
  const std::vector<std::string> inputs = {
      "\"",
      "\"\"\"",
      "*",
      "python*",
      "NEAR(",
      "NEAR(a b, 3)",
      "-",
      "-python",
      "AND",
      "OR NOT AND",
      "title:salary",
      "col:",
      "^start",
      "{a b}",
      "'; DROP TABLE entries; --",
      "\" OR 1=1 --",
      std::string("nul\0byte", 8),
      std::string(1, '\0'),
      all_bytes,
      ten_kb,
      huge,
      std::string(5000, '\xFF'),
      std::string(5000, '.'),
  };
  for (const auto& in : inputs) {
    INFO("input of " << in.size() << " bytes: " << in.substr(0, 40));
    auto terms = n.Terms(in);
    for (const auto& t : terms) CHECK(IsSafeTerm(t.term));
    std::string index = n.IndexText(in);
    for (const auto& t : SplitOnSpaces(index)) CHECK(IsSafeTerm(t));
    for (const auto& tok : bot::Tokenize(in)) CHECK(IsCleanUtf8(tok));
    (void)bot::SplitSentences(in);
  }
  CHECK(TermStrings(n, "AND").empty());
  CHECK(TermStrings(n, "\"*-").empty());
  CHECK(TermStrings(n, "NEAR(") == std::vector<std::string>{"near"});
  CHECK(TermStrings(n, "-python*") == std::vector<std::string>{"python"});
  CHECK(TermStrings(n, "title:salary") == std::vector<std::string>{"titl", "salari"});
  // Text past kMaxTextBytes is ignored, not an error.
  CHECK(n.Terms(huge).size() == n.Terms(huge.substr(0, bot::Normalizer::kMaxTextBytes)).size());
}

TEST_CASE("AskForm reads what kind of answer a question asks for", "[bot][text]") {
  using bot::AskForm;
  const uint32_t how_many = AskForm("How many developers have a degree?");
  CHECK(how_many != 0);
  CHECK(AskForm("how many devs are self-taught") == how_many);
  CHECK(AskForm("So, how many bootcamps are there?") == how_many);
  // Each kind its own.
  const uint32_t how_much = AskForm("How much do backend developers earn?");
  const uint32_t how_long = AskForm("How long does it take to learn SQL?");
  const uint32_t how = AskForm("How do I become a backend developer?");
  const uint32_t why = AskForm("Why is the backend called the brain?");
  const uint32_t yes_no = AskForm("Do I need a degree?");
  for (uint32_t f : {how_much, how_long, how, why, yes_no}) CHECK(f != 0);
  const std::vector<uint32_t> kinds = {how_many, how_much, how_long, how, why, yes_no,
                                       AskForm("Who invented REST?"), AskForm("Where do developers earn most?"),
                                       AskForm("When should I learn Docker?"), AskForm("Which database is best?"),
                                       AskForm("What is an API?")};
  for (size_t i = 0; i < kinds.size(); i++) {
    for (size_t j = i + 1; j < kinds.size(); j++) {
      INFO(i << " " << j);
      CHECK(kinds[i] != kinds[j]);
    }
  }
  // "how hard", "how difficult" and "how easy" are one kind.
  CHECK(AskForm("How hard is backend development?") == AskForm("how difficult is it to learn Go"));
  CHECK(AskForm("How easy is Python?") == AskForm("How hard is Python?"));
  // Advice and yes/no questions ask alike for a verdict; openers are skipped.
  CHECK(AskForm("Should I learn SQL first?") == yes_no);
  CHECK(AskForm("ok, is Java still used?") == yes_no);
  CHECK(AskForm("Hey, can you please tell me how much DSA I need") == how_much);
  // An auxiliary counts only where the question opens; a question word
  // deeper than eight words is not read.
  CHECK(AskForm("I am a student and I like databases") == 0);
  CHECK(AskForm("one two three four five six seven eight how many") == 0);
  CHECK(AskForm("") == 0);
  CHECK(AskForm("?!") == 0);
  CHECK(AskForm("how") == how);
}
