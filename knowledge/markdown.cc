#include "knowledge/markdown.h"

#include <map>
#include <set>

#include "bot/text.h"

namespace knowledge {
namespace {

using bot::Entry;
using bot::Trim;

// The keys of an entry's metadata block.
const std::set<std::string_view> kMetadataKeys = {"id", "tags", "article", "section",
                                                  "url", "updated", "updated_at", "questions"};

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (end == text.size()) break;
    start = end + 1;
  }
  return lines;
}

// "## Title" -> level 2, "Title"; 0 when not an ATX heading.
int HeadingLevel(std::string_view line, std::string_view* title) {
  size_t level = 0;
  while (level < line.size() && line[level] == '#') level++;
  if (level == 0 || level > 6 || level >= line.size() || line[level] != ' ') return 0;
  std::string_view t = Trim(line.substr(level));
  // A closing run of '#' counts only after a space ("## Learn C#" keeps its '#').
  size_t hashes = 0;
  while (hashes < t.size() && t[t.size() - 1 - hashes] == '#') hashes++;
  if (hashes == t.size()) {
    t = {};
  } else if (hashes > 0 && t[t.size() - 1 - hashes] == ' ') {
    t.remove_suffix(hashes);
  }
  *title = Trim(t);
  return title->empty() ? 0 : static_cast<int>(level);
}

// Which lines are ATX headings, leaving out lines inside fenced code blocks
// (a "# comment" in a shell snippet is not a heading). A fence left open runs
// to the end of the text, as in CommonMark; `unclosed` gets its line (1-based).
std::vector<int> HeadingLevels(const std::vector<std::string_view>& lines, size_t* unclosed) {
  std::vector<int> levels(lines.size(), 0);
  CodeFences fences;
  for (size_t i = 0; i < lines.size(); i++) {
    if (fences.Code(lines[i])) continue;
    std::string_view title;
    levels[i] = HeadingLevel(lines[i], &title);
  }
  *unclosed = fences.open_line();
  return levels;
}

std::vector<std::string> SplitList(std::string_view value) {
  std::vector<std::string> out;
  size_t p = 0;
  while (p <= value.size()) {
    size_t comma = value.find(',', p);
    if (comma == std::string_view::npos) comma = value.size();
    std::string_view item = Trim(value.substr(p, comma - p));
    if (!item.empty()) out.emplace_back(item);
    p = comma + 1;
  }
  return out;
}

// Joins body lines, trimming blank lines at both ends.
std::string JoinBody(const std::vector<std::string_view>& lines, size_t from, size_t to) {
  while (from < to && Trim(lines[from]).empty()) from++;
  while (to > from && Trim(lines[to - 1]).empty()) to--;
  std::string body;
  for (size_t i = from; i < to; i++) {
    if (i > from) body += "\n";
    body += std::string(lines[i]);
  }
  return body;
}

}  // namespace

size_t CodeFences::Run(std::string_view line, char* ch) {
  size_t indent = 0;
  while (indent < line.size() && indent < 4 && line[indent] == ' ') indent++;
  if (indent > 3 || indent >= line.size() || (line[indent] != '`' && line[indent] != '~')) return 0;
  size_t run = 0;
  while (indent + run < line.size() && line[indent + run] == line[indent]) run++;
  if (run < 3) return 0;
  // A backtick fence's info string holds no backtick ("```a`b" is inline code).
  if (line[indent] == '`' && line.find('`', indent + run) != std::string_view::npos) return 0;
  *ch = line[indent];
  return run;
}

bool CodeFences::Code(std::string_view line) {
  lines_++;
  char ch = 0;
  size_t run = Run(line, &ch);
  if (len_ > 0) {
    // Closed by the same character, at least as long, with nothing after it.
    if (run >= len_ && ch == ch_ && Trim(line).size() == run) len_ = 0;
    return true;
  }
  if (run == 0) return false;
  ch_ = ch;
  len_ = run;
  open_line_ = lines_;
  return true;
}

void AssignEntryIds(std::vector<Entry>* entries) {
  std::set<std::string> used;
  for (auto& e : *entries) {
    if (!e.id.empty()) used.insert(e.id);
  }
  for (auto& e : *entries) {
    if (!e.id.empty()) continue;
    std::string base = bot::Slugify(e.source.article + " " + (e.source.section.empty() ? e.title : e.source.section));
    if (base.empty()) base = "entry";
    std::string id = base;
    for (int n = 2; used.count(id); n++) id = base + "-" + std::to_string(n);
    used.insert(id);
    e.id = id;
  }
}


std::vector<Entry> ParseMarkdown(std::string_view text, const std::string& default_article,
                                 std::vector<ParseIssue>* issues, std::vector<size_t>* entry_lines) {
  if (entry_lines) entry_lines->clear();
  std::vector<std::string_view> lines = Lines(text);
  size_t unclosed_fence = 0;
  const std::vector<int> levels = HeadingLevels(lines, &unclosed_fence);
  if (unclosed_fence > 0 && issues) {
    issues->push_back({unclosed_fence, "a code fence opened here is never closed: the rest of the file is its code"});
  }
  std::string article = default_article;
  size_t i = 0;
  while (i < lines.size() && Trim(lines[i]).empty()) i++;
  std::string_view title;
  if (i < lines.size() && levels[i] == 1) {
    HeadingLevel(lines[i], &title);
    article = std::string(title);
    i++;
  }
  std::vector<Entry> entries;
  // Text before the first section heading.
  size_t intro_start = i;
  while (i < lines.size() && levels[i] == 0) i++;
  std::string intro = JoinBody(lines, intro_start, i);
  if (!intro.empty() && !(intro.rfind("<!--", 0) == 0 && intro.find("-->") == intro.size() - 3)) {
    Entry e;
    e.title = article;
    e.body = intro;
    e.source = {article, "Introduction", ""};
    entries.push_back(std::move(e));
    if (entry_lines) entry_lines->push_back(intro_start + 1);
  }
  while (i < lines.size()) {
    HeadingLevel(lines[i], &title);
    Entry e;
    e.title = std::string(title);
    e.source.article = article;
    e.source.section = e.title;
    size_t heading_line = i + 1;
    i++;
    // Metadata block: "key: value" lines right after the heading.
    bool in_questions = false;
    bool any_meta = false;
    while (i < lines.size()) {
      std::string_view line = Trim(lines[i]);
      if (line.empty()) break;
      if (in_questions && line.size() >= 2 && line[0] == '-' && line[1] == ' ') {
        std::string_view q = Trim(line.substr(2));
        if (!q.empty()) e.questions.emplace_back(q);
        i++;
        continue;
      }
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) break;
      std::string_view key = Trim(line.substr(0, colon));
      std::string_view value = Trim(line.substr(colon + 1));
      if (!kMetadataKeys.count(key)) break;
      any_meta = true;
      in_questions = false;
      if (key == "id") {
        e.id = std::string(value);
        if (!e.id.empty() && !bot::IsValidSlug(e.id) && issues) {
          issues->push_back({i + 1, "id '" + e.id + "' is not a slug (a-z, 0-9 and single hyphens)"});
        }
      } else if (key == "tags") {
        e.tags = SplitList(value);
      } else if (key == "article") {
        e.source.article = std::string(value);
      } else if (key == "section") {
        e.source.section = std::string(value);
      } else if (key == "url") {
        e.source.url = std::string(value);
      } else if (key == "updated" || key == "updated_at") {
        e.updated_at = std::string(value);
      } else if (key == "questions") {
        in_questions = true;
        if (!value.empty()) e.questions.emplace_back(value);
      }
      i++;
    }
    size_t body_start = i;
    while (i < lines.size() && levels[i] == 0) i++;
    e.body = JoinBody(lines, body_start, i);
    if (e.body.empty()) {
      if (issues) issues->push_back({heading_line, "entry '" + e.title + "' has no body"});
      if (!any_meta) continue;  // a bare heading, e.g. a chapter title
    }
    entries.push_back(std::move(e));
    if (entry_lines) entry_lines->push_back(heading_line);
  }
  AssignEntryIds(&entries);
  return entries;
}

bool IsEntryFormat(std::string_view text) {
  std::vector<std::string_view> lines = Lines(text);
  size_t unclosed = 0;
  const std::vector<int> levels = HeadingLevels(lines, &unclosed);
  for (size_t i = 0; i + 1 < lines.size(); i++) {
    if (levels[i] == 0) continue;
    std::string_view next = Trim(lines[i + 1]);
    size_t colon = next.find(':');
    if (colon == std::string_view::npos) continue;
    if (kMetadataKeys.count(Trim(next.substr(0, colon)))) return true;
  }
  return false;
}

bool LooksLikeHeading(std::string_view raw) {
  std::string_view line = Trim(raw);
  if (line.empty() || line.size() > 80) return false;
  char last = line.back();
  if (last == '.' || last == ',' || last == ';' || last == ':' || last == '!' || last == '?' || last == ')') {
    return false;
  }
  char first = line[0];
  if (!(first >= 'A' && first <= 'Z')) return false;  // list markers, digits, quotes, dashes
  size_t words = 0, long_words = 0, capitalized = 0;
  size_t p = 0;
  while (p < line.size()) {
    while (p < line.size() && line[p] == ' ') p++;
    size_t start = p;
    while (p < line.size() && line[p] != ' ') p++;
    if (p == start) break;
    words++;
    std::string_view w = line.substr(start, p - start);
    if (w.size() >= 4) {
      long_words++;
      if (w[0] >= 'A' && w[0] <= 'Z') capitalized++;
    }
  }
  if (words > 12) return false;
  if (long_words == 0) return true;
  return capitalized * 10 >= long_words * 6;
}

std::vector<Entry> ParsePlainText(std::string_view text, const std::string& article) {
  std::vector<std::string_view> lines = Lines(text);
  std::vector<Entry> entries;
  std::string section = "Introduction";
  std::vector<std::string_view> body;
  auto flush = [&] {
    std::string b = JoinBody(body, 0, body.size());
    if (!b.empty()) {
      Entry e;
      e.title = section == "Introduction" ? article : section;
      e.body = std::move(b);
      e.source = {article, section, ""};
      entries.push_back(std::move(e));
    }
    body.clear();
  };
  for (size_t i = 0; i < lines.size(); i++) {
    // A heading has text after it and is not the first line of a paragraph
    // that simply lacks its full stop.
    bool next_has_text = false;
    for (size_t k = i + 1; k < lines.size(); k++) {
      if (!Trim(lines[k]).empty()) {
        next_has_text = true;
        break;
      }
    }
    if (next_has_text && LooksLikeHeading(lines[i])) {
      flush();
      section = std::string(Trim(lines[i]));
      continue;
    }
    body.push_back(lines[i]);
  }
  flush();
  AssignEntryIds(&entries);
  return entries;
}

std::string ToMarkdown(const std::vector<Entry>& entries, const std::string& title) {
  std::string out = "# " + title + "\n";
  for (const Entry& e : entries) {
    // A title ending in '#' gets a closing run, which the reader strips:
    // without it "##" would read as an empty heading and "Notes ##" as "Notes".
    const bool ends_with_hash = !e.title.empty() && e.title.back() == '#';
    out += "\n## " + e.title + (ends_with_hash ? " ##" : "") + "\n";
    out += "id: " + e.id + "\n";
    std::string tags;
    for (const auto& t : e.tags) tags += (tags.empty() ? "" : ", ") + t;
    out += "tags: " + tags + "\n";
    out += "article: " + e.source.article + "\n";
    out += "section: " + e.source.section + "\n";
    out += "url: " + e.source.url + "\n";
    out += "updated: " + e.updated_at + "\n";
    out += "questions:\n";
    for (const auto& q : e.questions) out += "- " + q + "\n";
    out += "\n" + e.body + "\n";
  }
  return out;
}

std::string TitleFromFileName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  size_t dot = name.find_last_of('.');
  if (dot != std::string::npos && dot > 0) name = name.substr(0, dot);
  for (char& c : name) {
    if (c == '-' || c == '_') c = ' ';
  }
  if (!name.empty() && name[0] >= 'a' && name[0] <= 'z') name[0] = static_cast<char>(name[0] - 32);
  return name;
}

}  // namespace knowledge
