// Reading and writing knowledge as text: the repo's Markdown entry files, any
// Markdown article, and plain-text articles whose headings are bare lines.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bot/entry.h"

namespace knowledge {

// A problem found while reading, with the 1-based line it is on.
struct ParseIssue {
  size_t line = 0;
  std::string message;
};

// Parses Markdown: a leading "# Title" names the collection (the default
// article of its entries); every other heading starts an entry. An entry's
// heading may be followed by a metadata block ("id:", "tags:", "article:",
// "section:", "url:", "updated:", "questions:" with "- " items) and a blank
// line; the rest up to the next heading is its body. Articles without
// metadata become one entry per section (text before the first section is
// its "Introduction"). Missing ids are made from the title and made unique.
// Lines inside fenced code blocks (``` or ~~~) are body text, never headings;
// a fence left open is reported in `issues`.
// `default_article` names the article when there is no "# Title".
// `entry_lines`, when given, receives each returned entry's 1-based heading
// line (the first line of the text for an introduction).
std::vector<bot::Entry> ParseMarkdown(std::string_view text, const std::string& default_article,
                                      std::vector<ParseIssue>* issues, std::vector<size_t>* entry_lines = nullptr);

// True when some heading (outside code fences) is followed at once by an
// entry metadata line ("id:", "tags:", "questions:", ...): the repo's entry
// format, read by ParseMarkdown. Other Markdown is an article, read by
// ParseMarkdownArticle (markdown_article.h).
bool IsEntryFormat(std::string_view text);

// Gives entries without an id one made from their article and section (so
// sections of different articles, "Conclusion", do not collide), unique
// among `entries`.
void AssignEntryIds(std::vector<bot::Entry>* entries);

// Follows fenced code blocks (CommonMark: up to three spaces, then three or
// more backticks or tildes; closed by the same character, at least as many,
// alone on its line) through a text, line by line.
class CodeFences {
 public:
  // True when `line`, the text's next line, opens, is inside or closes a fence.
  bool Code(std::string_view line);
  // The 1-based line of the fence still open after the lines so far, or 0.
  size_t open_line() const { return len_ > 0 ? open_line_ : 0; }

 private:
  static size_t Run(std::string_view line, char* ch);
  char ch_ = 0;
  size_t len_ = 0;  // the open fence's length; 0: none open
  size_t open_line_ = 0;
  size_t lines_ = 0;
};

// Parses a plain-text article: a heading is a short line with no closing
// punctuation whose longer words are capitalized, not a list item.
std::vector<bot::Entry> ParsePlainText(std::string_view text, const std::string& article);

// True when `line` reads as a plain-text heading (exposed for tests).
bool LooksLikeHeading(std::string_view line);

// Writes entries in the repo's Markdown entry format under "# title"; the
// output parses back to the same entries.
std::string ToMarkdown(const std::vector<bot::Entry>& entries, const std::string& title);

// "the-demand-for-backend-developers.txt" -> "The demand for backend developers".
std::string TitleFromFileName(const std::string& path);

}  // namespace knowledge
