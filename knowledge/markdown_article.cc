#include "knowledge/markdown_article.h"

#include <md4c.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bot/text.h"

namespace knowledge {
namespace {

using bot::Entry;
using bot::Trim;

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// "&amp;", "&#233;", "&#xE9;": the common named entities and every numeric
// one; an unknown name is kept as written.
void AppendEntity(std::string_view e, std::string* out) {
  if (e.size() >= 4 && e[1] == '#') {
    const bool hex = e[2] == 'x' || e[2] == 'X';
    uint32_t cp = 0;
    bool ok = true;
    for (size_t i = hex ? 3 : 2; i + 1 < e.size(); i++) {
      char c = e[i];
      int d = c >= '0' && c <= '9' ? c - '0'
              : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
              : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                            : -1;
      if (d < 0 || cp > 0x10FFFF) {
        ok = false;
        break;
      }
      cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(d);
    }
    if (ok) {
      AppendUtf8(cp, out);
      return;
    }
  }
  static const struct {
    const char* name;
    uint32_t cp;
  } kNamed[] = {{"&amp;", '&'},      {"&lt;", '<'},       {"&gt;", '>'},       {"&quot;", '"'},
                {"&apos;", '\''},    {"&nbsp;", ' '},     {"&ndash;", 0x2013}, {"&mdash;", 0x2014},
                {"&hellip;", 0x2026}, {"&rsquo;", 0x2019}, {"&lsquo;", 0x2018}, {"&rdquo;", 0x201D},
                {"&ldquo;", 0x201C}, {"&copy;", 0xA9},    {"&euro;", 0x20AC}, {"&times;", 0xD7}};
  for (const auto& n : kNamed) {
    if (e == n.name) {
      AppendUtf8(n.cp, out);
      return;
    }
  }
  out->append(e);
}

// md4c's callbacks write sections of plain Markdown-ish text.
class Renderer {
 public:
  struct Section {
    std::string title;
    std::string body;
  };

  std::vector<Section> sections{Section{}};  // [0]: text before the first heading
  std::string first_h1;                      // a level-1 heading before any text
  size_t h1_count = 0;

  int EnterBlock(MD_BLOCKTYPE type, void* detail) {
    switch (type) {
      case MD_BLOCK_H:
        heading_level_ = static_cast<const MD_BLOCK_H_DETAIL*>(detail)->level;
        heading_.clear();
        in_heading_ = true;
        break;
      case MD_BLOCK_UL:
        lists_.push_back({false, 0});
        break;
      case MD_BLOCK_OL:
        lists_.push_back({true, static_cast<const MD_BLOCK_OL_DETAIL*>(detail)->start});
        break;
      case MD_BLOCK_LI: {
        NewLine();
        body() += std::string(2 * (lists_.empty() ? 0 : lists_.size() - 1), ' ');
        if (!lists_.empty() && lists_.back().ordered) {
          body() += std::to_string(lists_.back().next++) + ". ";
        } else {
          body() += "- ";
        }
        item_fresh_ = true;
        break;
      }
      case MD_BLOCK_P:
      case MD_BLOCK_TABLE:
        if (lists_.empty()) {
          BlankLine();
        } else if (!item_fresh_) {
          NewLine();
          body() += std::string(2 * lists_.size(), ' ');
        }
        item_fresh_ = false;
        break;
      case MD_BLOCK_CODE: {
        if (lists_.empty()) BlankLine(); else NewLine();
        const auto* code = static_cast<const MD_BLOCK_CODE_DETAIL*>(detail);
        body() += "```" + std::string(code->lang.text ? std::string_view(code->lang.text, code->lang.size) : "") + "\n";
        in_code_ = true;
        item_fresh_ = false;
        break;
      }
      case MD_BLOCK_HTML:
        skip_++;
        break;
      case MD_BLOCK_TR:
        NewLine();
        cell_ = 0;
        break;
      case MD_BLOCK_TH:
      case MD_BLOCK_TD:
        if (cell_++ > 0) body() += " | ";
        break;
      default:  // DOC, QUOTE, HR, THEAD, TBODY
        break;
    }
    return 0;
  }

  int LeaveBlock(MD_BLOCKTYPE type) {
    switch (type) {
      case MD_BLOCK_H: {
        in_heading_ = false;
        std::string title(Trim(heading_));
        if (heading_level_ == 1) h1_count++;
        if (heading_level_ == 1 && first_h1.empty() && sections.size() == 1 && Trim(sections[0].body).empty()) {
          first_h1 = title;  // names the article, when it is the only one
          pending_h1_ = true;
        } else if (!title.empty()) {
          sections.push_back(Section{title, ""});
        }
        break;
      }
      case MD_BLOCK_UL:
      case MD_BLOCK_OL:
        if (!lists_.empty()) lists_.pop_back();
        if (lists_.empty()) NewLine();
        break;
      case MD_BLOCK_P:
        NewLine();
        break;
      case MD_BLOCK_CODE:
        NewLine();
        body() += "```\n";
        in_code_ = false;
        break;
      case MD_BLOCK_HTML:
        skip_--;
        break;
      default:
        break;
    }
    return 0;
  }

  int EnterSpan(MD_SPANTYPE type, void* detail) {
    if (type == MD_SPAN_IMG) {
      skip_++;  // its alt text says what a picture shows, which the answer cannot
    } else if (type == MD_SPAN_A) {
      const auto* a = static_cast<const MD_SPAN_A_DETAIL*>(detail);
      std::string href(a->href.text ? std::string_view(a->href.text, a->href.size) : "");
      // Only absolute web links are kept: a relative or anchor link means nothing in a chat.
      const bool keep = href.rfind("http://", 0) == 0 || href.rfind("https://", 0) == 0;
      links_.push_back(keep ? href : "");
      if (keep && !in_heading_ && skip_ == 0) body() += "[";
    } else if (type == MD_SPAN_CODE && skip_ == 0) {
      Out() += "`";
    }
    return 0;
  }

  int LeaveSpan(MD_SPANTYPE type) {
    if (type == MD_SPAN_IMG) {
      skip_--;
    } else if (type == MD_SPAN_A) {
      std::string href = links_.empty() ? "" : links_.back();
      if (!links_.empty()) links_.pop_back();
      if (!href.empty() && !in_heading_ && skip_ == 0) body() += "](" + href + ")";
    } else if (type == MD_SPAN_CODE && skip_ == 0) {
      Out() += "`";
    }
    return 0;
  }

  int Text(MD_TEXTTYPE type, std::string_view text) {
    if (skip_ > 0 || type == MD_TEXT_HTML) return 0;
    std::string& out = Out();
    switch (type) {
      case MD_TEXT_NULLCHAR:
        AppendUtf8(0xFFFD, &out);
        break;
      case MD_TEXT_BR:
        if (in_heading_) {
          out += ' ';
        } else {
          NewLine();
          out += std::string(2 * lists_.size(), ' ');
        }
        break;
      case MD_TEXT_SOFTBR:
        out += ' ';
        break;
      case MD_TEXT_ENTITY:
        AppendEntity(text, &out);
        break;
      default:  // NORMAL, CODE, LATEXMATH
        out.append(text);
        break;
    }
    return 0;
  }

  // A lone level-1 heading named the article; with several, each is a section.
  void Finish() {
    if (pending_h1_ && h1_count > 1) {
      sections.insert(sections.begin() + 1, Section{first_h1, ""});
      // Its text went to the introduction (sections[0]) until the next heading.
      sections[1].body.swap(sections[0].body);
      first_h1.clear();
    }
  }

 private:
  struct List {
    bool ordered;
    unsigned next;
  };

  std::string& body() { return sections.back().body; }
  std::string& Out() { return in_heading_ ? heading_ : body(); }
  void NewLine() {
    if (!body().empty() && body().back() != '\n') body() += '\n';
  }
  void BlankLine() {
    NewLine();
    const std::string& b = body();
    if (!b.empty() && !(b.size() >= 2 && b[b.size() - 2] == '\n')) body() += '\n';
  }

  std::vector<List> lists_;
  std::vector<std::string> links_;
  std::string heading_;
  unsigned heading_level_ = 0;
  bool in_heading_ = false;
  bool in_code_ = false;
  bool item_fresh_ = false;
  bool pending_h1_ = false;
  int skip_ = 0;
  size_t cell_ = 0;
};

// Tidies a section's text: no blank lines at either end, at most one blank
// line in a row outside code, no trailing spaces.
std::string Tidy(const std::string& text) {
  std::string out;
  size_t blank_run = 0;
  bool in_code = false;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    if (line.rfind("```", 0) == 0) in_code = !in_code;
    if (line.empty() && !in_code) {
      blank_run++;
    } else {
      if (!out.empty() && blank_run > 0) out += "\n";
      if (!out.empty()) out += "\n";
      out.append(line);
      blank_run = 0;
    }
    if (end == text.size()) break;
    start = end + 1;
  }
  return out;
}

// A leading YAML front matter block ("---" ... "---"): removed, its "title:"
// returned.
std::string_view StripFrontMatter(std::string_view text, std::string* title) {
  if (text.rfind("---\n", 0) != 0 && text.rfind("---\r\n", 0) != 0) return text;
  size_t p = text.find('\n') + 1;
  while (p < text.size()) {
    size_t end = text.find('\n', p);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = Trim(text.substr(p, end - p));
    if (line == "---" || line == "...") return end == text.size() ? std::string_view() : text.substr(end + 1);
    if (line.rfind("title:", 0) == 0) {
      std::string_view t = Trim(line.substr(6));
      if (t.size() >= 2 && (t.front() == '"' || t.front() == '\'') && t.back() == t.front()) t = t.substr(1, t.size() - 2);
      *title = std::string(t);
    }
    p = end + 1;
  }
  title->clear();  // never closed: not front matter
  return text;
}

}  // namespace

std::vector<Entry> ParseMarkdownArticle(std::string_view text, const std::string& default_article,
                                        std::vector<ParseIssue>* issues) {
  std::string front_title;
  text = StripFrontMatter(text, &front_title);
  Renderer r;
  MD_PARSER parser{};
  parser.abi_version = 0;
  parser.flags = MD_DIALECT_GITHUB & ~MD_FLAG_PERMISSIVEAUTOLINKS;
  parser.enter_block = [](MD_BLOCKTYPE t, void* d, void* u) { return static_cast<Renderer*>(u)->EnterBlock(t, d); };
  parser.leave_block = [](MD_BLOCKTYPE t, void*, void* u) { return static_cast<Renderer*>(u)->LeaveBlock(t); };
  parser.enter_span = [](MD_SPANTYPE t, void* d, void* u) { return static_cast<Renderer*>(u)->EnterSpan(t, d); };
  parser.leave_span = [](MD_SPANTYPE t, void*, void* u) { return static_cast<Renderer*>(u)->LeaveSpan(t); };
  parser.text = [](MD_TEXTTYPE t, const MD_CHAR* s, MD_SIZE n, void* u) {
    return static_cast<Renderer*>(u)->Text(t, std::string_view(s, n));
  };
  std::vector<Entry> entries;
  if (md_parse(text.data(), static_cast<MD_SIZE>(text.size()), &parser, &r) != 0) {
    if (issues) issues->push_back({0, "the Markdown parser failed (out of memory)"});
    return entries;
  }
  r.Finish();
  const std::string article = !front_title.empty() ? front_title : !r.first_h1.empty() ? r.first_h1 : default_article;
  for (size_t i = 0; i < r.sections.size(); i++) {
    Entry e;
    e.body = Tidy(r.sections[i].body);
    e.title = i == 0 ? article : r.sections[i].title;
    e.source = {article, i == 0 ? "Introduction" : r.sections[i].title, ""};
    if (e.body.empty()) {
      if (i > 0 && issues) issues->push_back({0, "section '" + e.title + "' has no text"});
      continue;
    }
    entries.push_back(std::move(e));
  }
  AssignEntryIds(&entries);
  return entries;
}

}  // namespace knowledge
