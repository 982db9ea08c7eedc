// Reading and writing knowledge as text: the entry format, generic Markdown
// articles and plain-text articles.
#include "knowledge/markdown.h"
#include "knowledge/markdown_article.h"

#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "bot/entry.h"
#include "knowledge/curation.h"
#include "../helpers/files.h"

namespace {

const char kEntryFile[] = R"md(# Backend Careers

## US salary for backend developers
id: us-backend-salary
tags: salary, pay, us
article: The Demand for Backend Developers
section: Career Opportunities and Growth Prospects
url: https://example.com/salary?x=1
updated: 2026-11-29
questions:
- How much do backend developers earn in the US?
- What is the average backend developer salary?

The average base salary is about 100,000 dollars a year.
Experienced engineers earn 150,000 or more.

## Another entry
tags: misc
questions:
- Is this another entry?

Body two: with a colon.
)md";

void CheckSameEntry(const bot::Entry& a, const bot::Entry& b) {
  INFO("entry " << a.id);
  CHECK(a.id == b.id);
  CHECK(a.title == b.title);
  CHECK(a.body == b.body);
  CHECK(a.questions == b.questions);
  CHECK(a.tags == b.tags);
  CHECK(a.source.article == b.source.article);
  CHECK(a.source.section == b.source.section);
  CHECK(a.source.url == b.source.url);
  CHECK(a.updated_at == b.updated_at);
}

std::vector<std::string> Sections(const std::vector<bot::Entry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.source.section);
  return out;
}

}  // namespace

TEST_CASE("ParseMarkdown reads the entry format's metadata, questions and body", "[knowledge][markdown]") {
  std::vector<knowledge::ParseIssue> issues;
  auto entries = knowledge::ParseMarkdown(kEntryFile, "Default", &issues);
  CHECK(issues.empty());
  REQUIRE(entries.size() == 2);
  const bot::Entry& e = entries[0];
  CHECK(e.id == "us-backend-salary");
  CHECK(e.title == "US salary for backend developers");
  CHECK(e.tags == std::vector<std::string>{"salary", "pay", "us"});
  CHECK(e.source.article == "The Demand for Backend Developers");
  CHECK(e.source.section == "Career Opportunities and Growth Prospects");
  CHECK(e.source.url == "https://example.com/salary?x=1");
  CHECK(e.updated_at == "2026-11-29");
  CHECK(e.questions == std::vector<std::string>{"How much do backend developers earn in the US?",
                                                "What is the average backend developer salary?"});
  CHECK(e.body ==
        "The average base salary is about 100,000 dollars a year.\nExperienced engineers earn 150,000 or more.");

  const bot::Entry& f = entries[1];
  // No id: a slug of the article ("# Backend Careers") and the title.
  CHECK(f.id == "backend-careers-another-entry");
  CHECK(bot::IsValidSlug(f.id));
  CHECK(f.source.article == "Backend Careers");
  CHECK(f.source.section == "Another entry");
  CHECK(f.questions == std::vector<std::string>{"Is this another entry?"});
  CHECK(f.body == "Body two: with a colon.");
}

TEST_CASE("ParseMarkdown makes missing ids unique", "[knowledge][markdown]") {
  const char text[] =
      "# Guide\n\n"
      "## Conclusion\nFirst.\n\n"
      "## Conclusion\nSecond.\n\n"
      "## Other\nid: guide-conclusion-3\n\nTaken on purpose.\n\n"
      "## Conclusion\nThird.\n";
  auto entries = knowledge::ParseMarkdown(text, "x", nullptr);
  REQUIRE(entries.size() == 4);
  std::set<std::string> ids;
  for (const auto& e : entries) {
    CHECK(bot::IsValidSlug(e.id));
    ids.insert(e.id);
  }
  CHECK(ids.size() == 4);
  CHECK(entries[0].id == "guide-conclusion");
  CHECK(entries[1].id == "guide-conclusion-2");
  CHECK(entries[2].id == "guide-conclusion-3");
  CHECK(entries[3].id != "guide-conclusion-3");
  CHECK(entries[3].id.rfind("guide-conclusion-", 0) == 0);
}

TEST_CASE("ParseMarkdown reports bad ids and bodiless entries", "[knowledge][markdown]") {
  const char text[] =
      "# T\n"
      "\n"
      "## Bad id\n"
      "id: Not A Slug\n"
      "\n"
      "Body.\n"
      "\n"
      "## Chapter heading without body\n"
      "\n"
      "## Meta without body\n"
      "id: meta-only\n";
  std::vector<knowledge::ParseIssue> issues;
  auto entries = knowledge::ParseMarkdown(text, "x", &issues);
  REQUIRE(issues.size() >= 2);
  bool bad_id = false;
  for (const auto& i : issues) {
    if (i.message.find("Not A Slug") != std::string::npos) {
      bad_id = true;
      CHECK(i.line == 4);
    }
  }
  CHECK(bad_id);
  // A bare heading is a chapter title, not an entry; one with metadata is kept.
  std::set<std::string> titles;
  for (const auto& e : entries) titles.insert(e.title);
  CHECK(titles.count("Chapter heading without body") == 0);
  CHECK(titles.count("Meta without body") == 1);
}

TEST_CASE("ToMarkdown output parses back to the same entries", "[knowledge][markdown]") {
  std::vector<bot::Entry> entries(4);
  entries[0].id = "first-entry";
  entries[0].title = "First entry";
  entries[0].body = "One line.";
  entries[0].questions = {"What is first?", "Why: a colon?"};
  entries[0].tags = {"a", "b c"};
  entries[0].source = {"Some Article", "Some Section", "https://example.com/x?y=1#z"};
  entries[0].updated_at = "2026-01-02";

  entries[1].id = "multi-line";
  entries[1].title = "A body over several paragraphs";
  entries[1].body = "Paragraph one.\nStill one.\n\nParagraph two: with colon.\n\n- a list item\n- another";
  entries[1].questions = {"Caf\xC3\xA9 or tea?"};
  entries[1].source = {"Other Article", "Intro", ""};

  entries[2].id = "no-questions";
  entries[2].title = "No questions, no tags";
  entries[2].body = "Just a body.";
  entries[2].source = {"Other Article", "", ""};

  entries[3].id = "csharp";
  entries[3].title = "Should I learn C#";
  entries[3].body = "C# is used with .NET.";
  entries[3].questions = {"Is C# good for backend?"};
  entries[3].source = {"Languages", "C#", ""};

  // Titles a closing run of '#' would eat ("## ##" is an empty heading):
  // found by the ingest fuzzer, from "## ## ![img](i.png)" in an article.
  for (const char* title : {"##", "#", "Notes ##", "Learn C# #"}) {
    bot::Entry e;
    e.id = std::string("hashes-") + std::to_string(entries.size());
    e.title = title;
    e.body = "Text.";
    e.source = {"Languages", "", ""};
    entries.push_back(e);
  }

  std::string md = knowledge::ToMarkdown(entries, "Round Trip");
  INFO(md);
  std::vector<knowledge::ParseIssue> issues;
  auto parsed = knowledge::ParseMarkdown(md, "ignored", &issues);
  CHECK(issues.empty());
  REQUIRE(parsed.size() == entries.size());
  for (size_t i = 0; i < entries.size(); i++) CheckSameEntry(parsed[i], entries[i]);
  // And writing again gives the same text.
  CHECK(knowledge::ToMarkdown(parsed, "Round Trip") == md);
}

TEST_CASE("the shipped entry files round-trip through ToMarkdown", "[knowledge][markdown]") {
  const char text[] = R"md(# The backend developer role

## What backend development is
id: what-is-backend-development
tags: role, basics, definition
article: The Demand for Backend Developers
section: Introduction
url: 
updated: 2026-11-29
questions:
- What is backend development?
- whats a backend dev

Backend developers build the server side of software.
)md";
  auto entries = knowledge::ParseMarkdown(text, "x", nullptr);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].source.url.empty());
  auto again = knowledge::ParseMarkdown(knowledge::ToMarkdown(entries, "The backend developer role"), "x", nullptr);
  REQUIRE(again.size() == 1);
  CheckSameEntry(again[0], entries[0]);
}

TEST_CASE("a Markdown article without metadata becomes one entry per heading", "[knowledge][markdown]") {
  const char text[] =
      "# Learning Backend\n"
      "\n"
      "Backend work is fun. This is the introduction.\n"
      "\n"
      "## Pick a language\n"
      "Python or Go are good choices.\n"
      "Note: Java is fine too.\n"
      "\n"
      "## Learn databases\n"
      "SQL first.\n"
      "\n"
      "### Indexes\n"
      "They make queries fast.\n";
  std::vector<knowledge::ParseIssue> issues;
  auto entries = knowledge::ParseMarkdown(text, "Default", &issues);
  CHECK(issues.empty());
  REQUIRE(entries.size() == 4);
  CHECK(Sections(entries) == std::vector<std::string>{"Introduction", "Pick a language", "Learn databases", "Indexes"});
  CHECK(entries[0].title == "Learning Backend");
  CHECK(entries[0].body == "Backend work is fun. This is the introduction.");
  CHECK(entries[1].title == "Pick a language");
  CHECK(entries[1].body == "Python or Go are good choices.\nNote: Java is fine too.");
  CHECK(entries[3].body == "They make queries fast.");
  std::set<std::string> ids;
  for (const auto& e : entries) {
    CHECK(e.source.article == "Learning Backend");
    CHECK(e.questions.empty());
    CHECK(bot::IsValidSlug(e.id));
    ids.insert(e.id);
  }
  CHECK(ids.size() == entries.size());
  CHECK(entries[1].id == "learning-backend-pick-a-language");

  SECTION("without a title the default article is used") {
    auto plain = knowledge::ParseMarkdown("## Only section\nText here.\n", "Default Article", nullptr);
    REQUIRE(plain.size() == 1);
    CHECK(plain[0].source.article == "Default Article");
    CHECK(plain[0].id == "default-article-only-section");
  }
  SECTION("CRLF line ends") {
    auto crlf = knowledge::ParseMarkdown("# A\r\n\r\n## B\r\nid: b\r\n\r\nBody.\r\n", "x", nullptr);
    REQUIRE(crlf.size() == 1);
    CHECK(crlf[0].id == "b");
    CHECK(crlf[0].body == "Body.");
  }
  SECTION("empty text gives no entries") {
    CHECK(knowledge::ParseMarkdown("", "x", nullptr).empty());
    CHECK(knowledge::ParseMarkdown("\n\n   \n", "x", nullptr).empty());
  }
}

TEST_CASE("LooksLikeHeading tells headings from sentences and list items", "[knowledge][markdown]") {
  CHECK(knowledge::LooksLikeHeading("Conclusion"));
  CHECK(knowledge::LooksLikeHeading("The Importance of Backend Development"));
  CHECK(knowledge::LooksLikeHeading("Skills and Expertise for Backend Developers"));
  CHECK_FALSE(knowledge::LooksLikeHeading(""));
  CHECK_FALSE(knowledge::LooksLikeHeading("\xE2\x80\x93 Software Engineer"));  // "– Software Engineer"
  CHECK_FALSE(knowledge::LooksLikeHeading("- Backend Engineer"));
  CHECK_FALSE(knowledge::LooksLikeHeading("\xE2\x80\x93 DevOps Engineer."));
  CHECK_FALSE(knowledge::LooksLikeHeading("Full Stack Developer (handles both backend and frontend)"));
  CHECK_FALSE(knowledge::LooksLikeHeading("1) The tech industry is booming."));
  CHECK_FALSE(knowledge::LooksLikeHeading("There are several key reasons why the need keeps growing:"));
  CHECK_FALSE(knowledge::LooksLikeHeading("the lower case start of a line"));
  CHECK_FALSE(knowledge::LooksLikeHeading("Backend developers write code that runs on servers instead of phones"));
}

TEST_CASE("ParsePlainText finds the sections of the source article", "[knowledge][markdown]") {
  std::string text;
  const std::string path = testing_helpers::SourceArticlePath();
  INFO("article: " << path);
  REQUIRE(testing_helpers::ReadWholeFile(path, &text));
  const std::string article = knowledge::TitleFromFileName(path);
  CHECK(article == "The demand for backend developers");
  auto entries = knowledge::ParsePlainText(text, article);
  CHECK(Sections(entries) == std::vector<std::string>{"Introduction",
                                                      "The Importance of Backend Development",
                                                      "Factors Driving the Demand for Backend Developers",
                                                      "Skills and Expertise for Backend Developers",
                                                      "Career Opportunities and Growth Prospects",
                                                      "Conclusion"});
  std::set<std::string> ids;
  for (const auto& e : entries) {
    INFO("section " << e.source.section);
    CHECK(e.source.article == article);
    CHECK_FALSE(e.body.empty());
    CHECK(bot::IsValidSlug(e.id));
    ids.insert(e.id);
    // List items stay in the body of their section.
    CHECK(e.source.section.find("Engineer") == std::string::npos);
  }
  CHECK(ids.size() == entries.size());
  REQUIRE(entries.size() == 6);
  CHECK(entries[0].title == article);
  CHECK(entries[5].title == "Conclusion");
  CHECK(entries[5].id == "the-demand-for-backend-developers-conclusion");
  const std::string& careers = entries[4].body;
  CHECK(careers.find("\xE2\x80\x93 Software Engineer") != std::string::npos);
  CHECK(careers.find("\xE2\x80\x93 DevOps Engineer.") != std::string::npos);
  CHECK(entries[0].body.rfind("Nowadays", 0) == 0);
  // Headings are not repeated in the bodies.
  CHECK(entries[1].body.find("The Importance of Backend Development") == std::string::npos);
}

TEST_CASE("ParsePlainText treats text without headings as one introduction", "[knowledge][markdown]") {
  auto entries = knowledge::ParsePlainText("just some text.\nand more text.\n", "Notes");
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].source.section == "Introduction");
  CHECK(entries[0].title == "Notes");
  // A heading-like last line with nothing after it is not a heading.
  auto tail = knowledge::ParsePlainText("Some text here.\nFinal Words\n", "Notes");
  REQUIRE(tail.size() == 1);
  CHECK(tail[0].body.find("Final Words") != std::string::npos);
  CHECK(knowledge::ParsePlainText("", "Notes").empty());
}

TEST_CASE("TitleFromFileName turns a file name into a title", "[knowledge][markdown]") {
  CHECK(knowledge::TitleFromFileName("the-demand-for-backend-developers.txt") == "The demand for backend developers");
  CHECK(knowledge::TitleFromFileName("/a/b/career_facts.md") == "Career facts");
  CHECK(knowledge::TitleFromFileName("noext") == "Noext");
}

TEST_CASE("a heading-like line inside a fenced code block stays in the entry's body", "[knowledge][markdown]") {
  const std::string text =
      "# Ops\n\n"
      "## Install Redis\n"
      "id: install-redis\n"
      "questions:\n"
      "- How do I install Redis?\n"
      "\n"
      "Run this:\n"
      "\n"
      "```sh\n"
      "# install the server\n"
      "apt-get install redis-server\n"
      "## not a heading either\n"
      "```\n"
      "\n"
      "Then start it.\n"
      "\n"
      "~~~~\n"
      "# tilde fences too; a shorter ~~~ does not close them\n"
      "~~~\n"
      "# still code\n"
      "~~~~\n"
      "\n"
      "## Next entry\n"
      "id: next-entry\n"
      "\n"
      "Body.\n";
  std::vector<knowledge::ParseIssue> issues;
  auto entries = knowledge::ParseMarkdown(text, "x", &issues);
  CHECK(issues.empty());
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].id == "install-redis");
  CHECK(entries[0].body.find("# install the server\napt-get install redis-server\n## not a heading either") !=
        std::string::npos);
  CHECK(entries[0].body.find("Then start it.") != std::string::npos);
  CHECK(entries[0].body.find("# still code") != std::string::npos);
  CHECK(entries[1].id == "next-entry");
  CHECK(entries[1].body == "Body.");

  SECTION("the entry round-trips through ToMarkdown") {
    auto again = knowledge::ParseMarkdown(knowledge::ToMarkdown(entries, "Ops"), "x", nullptr);
    REQUIRE(again.size() == 2);
    CheckSameEntry(again[0], entries[0]);
  }
  SECTION("inline backticks and indented-by-four lines do not open a fence") {
    auto plain = knowledge::ParseMarkdown("## A\nid: a\n\nuse ```x``` here\n    ```\n## B\nid: b\n\nb.\n", "x", nullptr);
    REQUIRE(plain.size() == 2);
    CHECK(plain[1].id == "b");
  }
  SECTION("a fence never closed is reported, and swallows the rest as code") {
    std::vector<knowledge::ParseIssue> open_issues;
    auto open = knowledge::ParseMarkdown("## A\nid: a\n\n```\n# code\n\n## B\nid: b\n\nb.\n", "x", &open_issues);
    REQUIRE(open.size() == 1);
    REQUIRE(open_issues.size() == 1);
    CHECK(open_issues[0].line == 4);
    CHECK(open_issues[0].message.find("never closed") != std::string::npos);
  }
}

TEST_CASE("IsEntryFormat tells the repo's entry files from other Markdown", "[knowledge][markdown]") {
  CHECK(knowledge::IsEntryFormat(kEntryFile));
  CHECK(knowledge::IsEntryFormat("## A\nquestions:\n- q?\n\nBody.\n"));
  CHECK_FALSE(knowledge::IsEntryFormat("# Title\n\n## Section\nSome text: with a colon.\n"));
  CHECK_FALSE(knowledge::IsEntryFormat("## Section\n\nid: after a blank line is text\n"));
  CHECK_FALSE(knowledge::IsEntryFormat("```\n## A\nid: a\n```\n"));  // inside code
  CHECK_FALSE(knowledge::IsEntryFormat(""));
}

// Arbitrary Markdown articles, read with md4c (knowledge/markdown_article.h).

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
