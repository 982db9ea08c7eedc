// Arbitrary Markdown articles imported with md4c (knowledge/markdown_article.h).
#include "knowledge/markdown_article.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "bot/text.h"
#include "knowledge/curation.h"

namespace {

std::vector<std::string> Sections(const std::vector<bot::Entry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.source.section);
  return out;
}

}  // namespace

TEST_CASE("an article becomes one entry per section as CommonMark reads it", "[knowledge][markdown][article]") {
  const char text[] =
      "# Learning Backend\n"
      "\n"
      "Backend work is *fun*. This is the **introduction**.\n"
      "\n"
      "Pick a language\n"
      "---------------\n"
      "Python or Go\n"
      "are good choices, see [the roadmap](https://roadmap.sh/backend) and [below](#databases).\n"
      "![a diagram](diagram.png)\n"
      "\n"
      "<div class=\"note\">raw HTML is dropped</div>\n"
      "\n"
      "## Learn databases\n"
      "\n"
      "1. SQL first\n"
      "2. then `EXPLAIN`\n"
      "   - indexes\n"
      "\n"
      "```sql\n"
      "# not a heading: a comment line in code\n"
      "SELECT 1;\n"
      "```\n"
      "\n"
      "| Database | Kind |\n"
      "| --- | --- |\n"
      "| PostgreSQL | relational |\n"
      "\n"
      "Tom &amp; Jerry &#233;t&#xE9; &unknown;\n"
      "\n"
      "### Empty section\n"
      "\n"
      "## Careers\n"
      "Pay varies.\n";
  std::vector<knowledge::ParseIssue> issues;
  auto entries = knowledge::ParseMarkdownArticle(text, "Default", &issues);
  REQUIRE(entries.size() == 4);
  CHECK(Sections(entries) == std::vector<std::string>{"Introduction", "Pick a language", "Learn databases", "Careers"});
  for (const auto& e : entries) {
    CHECK(e.source.article == "Learning Backend");
    CHECK(bot::IsValidSlug(e.id));
  }
  CHECK(entries[0].title == "Learning Backend");
  CHECK(entries[0].body == "Backend work is fun. This is the introduction.");
  // A setext heading; soft line breaks joined; absolute links kept, anchors,
  // images and raw HTML dropped.
  CHECK(entries[1].body ==
        "Python or Go are good choices, see [the roadmap](https://roadmap.sh/backend) and below.");
  const std::string& db = entries[2].body;
  CHECK(db.find("1. SQL first\n2. then `EXPLAIN`\n  - indexes") != std::string::npos);
  CHECK(db.find("```sql\n# not a heading: a comment line in code\nSELECT 1;\n```") != std::string::npos);
  CHECK(db.find("Database | Kind\nPostgreSQL | relational") != std::string::npos);
  CHECK(db.find("Tom & Jerry \xC3\xA9t\xC3\xA9 &unknown;") != std::string::npos);
  CHECK(entries[3].body == "Pay varies.");
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].message.find("Empty section") != std::string::npos);
}

TEST_CASE("an article's name comes from its front matter or its only level-1 heading", "[knowledge][markdown][article]") {
  auto front = knowledge::ParseMarkdownArticle("---\ntitle: \"Front Title\"\ndate: 2024\n---\n\nIntro.\n\n## S\nText.\n",
                                               "Default", nullptr);
  REQUIRE(front.size() == 2);
  CHECK(front[0].source.article == "Front Title");
  CHECK(front[0].body == "Intro.");

  // Several level-1 headings: each is a section of the default article.
  auto several = knowledge::ParseMarkdownArticle("# One\nFirst.\n\n# Two\nSecond.\n", "Default", nullptr);
  REQUIRE(several.size() == 2);
  CHECK(Sections(several) == std::vector<std::string>{"One", "Two"});
  CHECK(several[0].source.article == "Default");
  CHECK(several[0].body == "First.");

  CHECK(knowledge::ParseMarkdownArticle("", "x", nullptr).empty());
  CHECK(knowledge::ParseMarkdownArticle("---\nnot closed\n", "x", nullptr).size() == 1);
}

TEST_CASE("import reads entry files with the entry reader and other Markdown as articles", "[knowledge][markdown][article]") {
  std::vector<std::string> warnings;
  auto article = knowledge::ParseImportText("Intro text.\n\nSection\n=======\n\n- a\n- b\n", "guide.md", &warnings);
  REQUIRE(article.ok());
  REQUIRE(article.value().size() == 2);
  CHECK(article.value()[1].entry->source.section == "Section");
  CHECK(article.value()[1].entry->body == "- a\n- b");
  CHECK(article.value()[1].where == "guide.md (Section)");

  auto entry_file = knowledge::ParseImportText("## A\nid: a-entry\n\n```\n# kept\n```\n", "entries.md", &warnings);
  REQUIRE(entry_file.ok());
  REQUIRE(entry_file.value().size() == 1);
  CHECK(entry_file.value()[0].entry->id == "a-entry");
  CHECK(entry_file.value()[0].entry->body == "```\n# kept\n```");
}
