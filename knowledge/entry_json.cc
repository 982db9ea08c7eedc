#include "knowledge/entry_json.h"

#include <cstdio>
#include <set>

#include "bot/text.h"
#include "knowledge/markdown.h"

namespace knowledge {
namespace {

using nlohmann::json;

std::string Trimmed(const std::string& s) { return std::string(bot::Trim(s)); }

// Reads a string (or null, as "") into *out.
bool ReadString(const json& v, const std::string& field, std::string* out, FieldProblem* problem) {
  if (v.is_null()) {
    out->clear();
    return true;
  }
  if (!v.is_string()) {
    *problem = {field, "must be a string"};
    return false;
  }
  *out = v.get<std::string>();
  return true;
}

bool ReadStrings(const json& v, const std::string& field, std::vector<std::string>* out, FieldProblem* problem) {
  if (v.is_null()) {
    out->clear();
    return true;
  }
  if (!v.is_array()) {
    *problem = {field, "must be an array of strings"};
    return false;
  }
  std::vector<std::string> items;
  for (size_t i = 0; i < v.size(); i++) {
    if (!v[i].is_string()) {
      *problem = {field + "[" + std::to_string(i) + "]", "must be a string"};
      return false;
    }
    items.push_back(v[i].get<std::string>());
  }
  *out = std::move(items);
  return true;
}

bool HasControl(const std::string& s, bool allow_newlines) {
  for (unsigned char c : s) {
    if (c == '\t') continue;
    if (allow_newlines && c == '\n') continue;
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// A line Markdown reads as an ATX heading: up to three spaces, one to six
// '#', then a space or the end of the line.
bool IsHeadingLine(const std::string& line) {
  size_t i = 0;
  while (i < line.size() && i < 3 && line[i] == ' ') i++;
  size_t hashes = 0;
  while (i + hashes < line.size() && line[i + hashes] == '#') hashes++;
  if (hashes == 0 || hashes > 6) return false;
  size_t after = i + hashes;
  return after == line.size() || line[after] == ' ' || line[after] == '\t';
}

bool IsDigits(const std::string& s, size_t from, size_t n) {
  if (from + n > s.size()) return false;
  for (size_t i = from; i < from + n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

// YYYY-MM-DD, optionally followed by T or a space and a time with an
// optional zone: what the Markdown files ("updated: 2026-11-29") and ISO
// 8601 timestamps hold.
bool IsIsoDate(const std::string& s) {
  if (s.size() < 10 || !IsDigits(s, 0, 4) || s[4] != '-' || !IsDigits(s, 5, 2) || s[7] != '-' || !IsDigits(s, 8, 2)) {
    return false;
  }
  int month = std::stoi(s.substr(5, 2)), day = std::stoi(s.substr(8, 2));
  if (month < 1 || month > 12 || day < 1 || day > 31) return false;
  if (s.size() == 10) return true;
  if (s[10] != 'T' && s[10] != ' ') return false;
  for (size_t i = 11; i < s.size(); i++) {
    char c = s[i];
    bool ok = (c >= '0' && c <= '9') || c == ':' || c == '.' || c == 'Z' || c == '+' || c == '-';
    if (!ok) return false;
  }
  return s.size() >= 16 && IsDigits(s, 11, 2) && s[13] == ':' && IsDigits(s, 14, 2);
}

void CheckLine(const std::string& value, const std::string& field, size_t max_bytes, bool required,
               std::vector<FieldProblem>* out) {
  if (required && value.empty()) {
    out->push_back({field, "must not be empty"});
    return;
  }
  if (!bot::IsValidUtf8(value)) {
    out->push_back({field, "is not valid UTF-8"});
  } else if (value.find('\n') != std::string::npos || value.find('\r') != std::string::npos) {
    out->push_back({field, "must be one line"});
  } else if (HasControl(value, false)) {
    out->push_back({field, "holds control characters"});
  }
  if (value.size() > max_bytes) {
    out->push_back({field, "is longer than " + std::to_string(max_bytes) + " bytes"});
  }
}

}  // namespace

json EntryToJson(const bot::Entry& e) {
  return {{"id", e.id},
          {"title", e.title},
          {"body", e.body},
          {"questions", e.questions},
          {"tags", e.tags},
          {"source", {{"article", e.source.article}, {"section", e.source.section}, {"url", e.source.url}}},
          {"updated_at", e.updated_at}};
}

std::string EntryToJsonLine(const bot::Entry& e) {
  // In the shape's own order (id first), which reads and diffs better than
  // sorted keys.
  nlohmann::ordered_json j = {
      {"id", e.id},
      {"title", e.title},
      {"body", e.body},
      {"questions", e.questions},
      {"tags", e.tags},
      {"source", {{"article", e.source.article}, {"section", e.source.section}, {"url", e.source.url}}},
      {"updated_at", e.updated_at}};
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

bool EntryFromJson(const json& j, bot::Entry* entry, FieldProblem* problem) {
  if (!j.is_object()) {
    *problem = {"", "an entry must be a JSON object"};
    return false;
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    bool ok = true;
    if (key == "id") {
      ok = ReadString(v, key, &entry->id, problem);
    } else if (key == "title") {
      ok = ReadString(v, key, &entry->title, problem);
    } else if (key == "body") {
      ok = ReadString(v, key, &entry->body, problem);
    } else if (key == "questions") {
      ok = ReadStrings(v, key, &entry->questions, problem);
    } else if (key == "tags") {
      ok = ReadStrings(v, key, &entry->tags, problem);
    } else if (key == "updated_at") {
      ok = ReadString(v, key, &entry->updated_at, problem);
    } else if (key == "source") {
      if (v.is_null()) {
        entry->source = {};
      } else if (!v.is_object()) {
        *problem = {"source", "must be an object {\"article\", \"section\", \"url\"}"};
        ok = false;
      } else {
        for (auto s = v.begin(); ok && s != v.end(); ++s) {
          std::string field = "source." + s.key();
          if (s.key() == "article") {
            ok = ReadString(s.value(), field, &entry->source.article, problem);
          } else if (s.key() == "section") {
            ok = ReadString(s.value(), field, &entry->source.section, problem);
          } else if (s.key() == "url") {
            ok = ReadString(s.value(), field, &entry->source.url, problem);
          } else {
            *problem = {field, "is not a field of source (article, section, url)"};
            ok = false;
          }
        }
      }
    } else {
      *problem = {key, "is not a field of an entry (id, title, body, questions, tags, source, updated_at)"};
      ok = false;
    }
    if (!ok) return false;
  }
  return true;
}

void NormalizeEntry(bot::Entry* e) {
  e->id = Trimmed(e->id);
  e->title = Trimmed(e->title);
  std::string body;
  body.reserve(e->body.size());
  for (size_t i = 0; i < e->body.size(); i++) {
    if (e->body[i] == '\r' && i + 1 < e->body.size() && e->body[i + 1] == '\n') continue;
    body += e->body[i];
  }
  e->body = Trimmed(body);
  auto tidy = [](std::vector<std::string>* items) {
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (auto& item : *items) {
      std::string t = Trimmed(item);
      if (t.empty() || !seen.insert(t).second) continue;
      out.push_back(std::move(t));
    }
    *items = std::move(out);
  };
  tidy(&e->questions);
  tidy(&e->tags);
  e->source.article = Trimmed(e->source.article);
  e->source.section = Trimmed(e->source.section);
  e->source.url = Trimmed(e->source.url);
  e->updated_at = Trimmed(e->updated_at);
  if (e->id.empty()) e->id = bot::Slugify(e->title);
}

std::vector<FieldProblem> ValidateEntry(const bot::Entry& e) {
  std::vector<FieldProblem> out;
  if (e.id.empty()) {
    // With no title either, the title's problem says it all.
    if (!bot::Trim(e.title).empty()) out.push_back({"id", "is missing (and the title makes no slug)"});
  } else if (!bot::IsValidSlug(e.id)) {
    out.push_back({"id", "'" + e.id +
                             "' is not a slug: lower-case letters a-z, digits and single hyphens, at most "
                             "80 characters"});
  }
  CheckLine(e.title, "title", kMaxTitleBytes, true, &out);
  if (e.title.size() >= 2 && e.title.back() == '#') {
    size_t p = e.title.find_last_not_of('#');
    if (p != std::string::npos && e.title[p] == ' ') {
      out.push_back({"title", "must not end in ' #' (Markdown drops a closing '#' run from a heading)"});
    }
  }
  if (e.body.empty()) {
    out.push_back({"body", "must not be empty"});
  } else {
    if (!bot::IsValidUtf8(e.body)) out.push_back({"body", "is not valid UTF-8"});
    if (HasControl(e.body, true)) out.push_back({"body", "holds control characters"});
    if (e.body.size() > kMaxBodyBytes) {
      out.push_back({"body", "is longer than " + std::to_string(kMaxBodyBytes) + " bytes"});
    }
    size_t start = 0, line_no = 1;
    CodeFences fences;  // a "# comment" in fenced code is code, not a heading
    while (start <= e.body.size()) {
      size_t end = e.body.find('\n', start);
      if (end == std::string::npos) end = e.body.size();
      const std::string line = e.body.substr(start, end - start);
      if (!fences.Code(line) && IsHeadingLine(line)) {
        out.push_back({"body", "line " + std::to_string(line_no) +
                                   " is a Markdown heading; an entry's body cannot hold headings (each heading "
                                   "starts an entry)"});
        break;
      }
      if (end == e.body.size()) break;
      start = end + 1;
      line_no++;
    }
    if (fences.open_line() > 0) {
      out.push_back({"body", "line " + std::to_string(fences.open_line()) +
                                 " opens a code fence (``` or ~~~) that is never closed"});
    }
  }
  if (e.questions.size() > kMaxQuestions) {
    out.push_back({"questions", "has more than " + std::to_string(kMaxQuestions) + " questions"});
  }
  for (size_t i = 0; i < e.questions.size(); i++) {
    CheckLine(e.questions[i], "questions[" + std::to_string(i) + "]", kMaxQuestionBytes, true, &out);
  }
  if (e.tags.size() > kMaxTags) out.push_back({"tags", "has more than " + std::to_string(kMaxTags) + " tags"});
  for (size_t i = 0; i < e.tags.size(); i++) {
    std::string field = "tags[" + std::to_string(i) + "]";
    CheckLine(e.tags[i], field, kMaxTagBytes, true, &out);
    if (e.tags[i].find(',') != std::string::npos) out.push_back({field, "must not contain a comma"});
  }
  CheckLine(e.source.article, "source.article", kMaxSourceBytes, false, &out);
  CheckLine(e.source.section, "source.section", kMaxSourceBytes, false, &out);
  CheckLine(e.source.url, "source.url", kMaxSourceBytes, false, &out);
  // Whether the link goes anywhere useful (http or https) is kb lint's call;
  // every channel shows only http(s) links anyway.
  if (e.source.url.find(' ') != std::string::npos) out.push_back({"source.url", "must not contain spaces"});
  if (!e.updated_at.empty() && !IsIsoDate(e.updated_at)) {
    out.push_back({"updated_at", "must be an ISO 8601 date (2026-11-29) or date-time"});
  }
  return out;
}

bool SameEntry(const bot::Entry& a, const bot::Entry& b) {
  return a.id == b.id && a.title == b.title && a.body == b.body && a.questions == b.questions && a.tags == b.tags &&
         a.source.article == b.source.article && a.source.section == b.source.section && a.source.url == b.source.url &&
         a.updated_at == b.updated_at;
}

std::string EntryFingerprint(const bot::Entry& e) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : EntryToJsonLine(e)) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

FieldProblem ProblemOf(const bot::Status& status) {
  const std::string& m = status.message();
  size_t colon = m.find(": ");
  if (colon != std::string::npos && colon > 0) {
    std::string field = m.substr(0, colon);
    bool looks_like_field = true;
    for (char c : field) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '[' || c == ']';
      if (!ok) looks_like_field = false;
    }
    if (looks_like_field) return {field, m.substr(colon + 2)};
  }
  return {"", m};
}

}  // namespace knowledge
