// Importing an arbitrary Markdown article (a README, a blog post, a wiki
// page) as entries, with a kept CommonMark parser (Debian's libmd4c) rather
// than a reader of our own: fenced and indented code, HTML blocks, setext
// headings, tables, links and entities are read as CommonMark reads them.
// The repo's own entry format (headings followed by "id:", "questions:" ...)
// keeps its reader in markdown.h; IsEntryFormat() there tells the two apart.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bot/entry.h"
#include "knowledge/markdown.h"

namespace knowledge {

// One entry per section. A document's only level-1 heading (or a YAML front
// matter "title:") names the article, otherwise `default_article` does; every
// other heading starts a section, and text before the first one is the
// "Introduction". Bodies keep paragraphs, list items ("- ", "1. "), fenced
// code and table rows ("a | b"), links as [text](url); images, raw HTML and
// emphasis marks are dropped and entities decoded. Ids are made from the
// article and section. `entry_lines` gets no line numbers (md4c reports
// none) and is left empty; `issues` gets sections without text.
std::vector<bot::Entry> ParseMarkdownArticle(std::string_view text, const std::string& default_article,
                                             std::vector<ParseIssue>* issues);

}  // namespace knowledge
