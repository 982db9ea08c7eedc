// Entries as curators exchange them: the JSON shape of the admin API, the
// JSONL export and the change history,
//   {"id", "title", "body", "questions": [string], "tags": [string],
//    "source": {"article", "section", "url"}, "updated_at"}
// and the checks every curated entry passes before it is stored. Pure
// functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bot/entry.h"
#include "bot/status.h"

namespace knowledge {

// A problem with one field of an entry. `field` names it as the JSON does:
// "title", "questions[2]", "source.url".
struct FieldProblem {
  std::string field;
  std::string message;
  std::string ToString() const { return field.empty() ? message : field + ": " + message; }
};

// Limits a curated entry keeps to (a chat answer is short; see kb lint for
// the softer "long answer" warning).
constexpr size_t kMaxTitleBytes = 200;
constexpr size_t kMaxBodyBytes = 20000;
constexpr size_t kMaxQuestionBytes = 300;
constexpr size_t kMaxQuestions = 100;
constexpr size_t kMaxTagBytes = 60;
constexpr size_t kMaxTags = 50;
constexpr size_t kMaxSourceBytes = 500;

nlohmann::json EntryToJson(const bot::Entry& e);
// The entry as one line of compact JSON (a JSONL line, a history column).
std::string EntryToJsonLine(const bot::Entry& e);

// Reads the fields present in `j` into *entry and leaves the absent ones as
// they are, so a PATCH starts from the current entry and a POST from an empty
// one; null reads as empty. Returns false with *problem set (and *entry
// partly changed) when `j` is not an object, a field has the wrong type
// (strings; questions and tags arrays of strings; source an object of
// strings) or is not one of the shape's fields.
bool EntryFromJson(const nlohmann::json& j, bot::Entry* entry, FieldProblem* problem);

// Tidies what a curator typed, without changing what it says: trims every
// field, turns CRLF into LF in the body, drops empty and repeated questions
// and tags, and gives an entry with no id one made from its title.
void NormalizeEntry(bot::Entry* e);

// Every problem of a (normalized) entry, empty when it can be stored: id a
// slug, title and body present, one-line fields without control characters,
// no Markdown heading line in the body (it would split the entry in the
// Markdown files), no comma in a tag, a source url without spaces (kb lint
// checks that it is http or https), an updated_at that is an ISO 8601 date or
// date-time, and the size limits above.
std::vector<FieldProblem> ValidateEntry(const bot::Entry& e);

// True when every field is equal.
bool SameEntry(const bot::Entry& a, const bot::Entry& b);

// A short fingerprint of the entry's content (an HTTP ETag, an edit's
// "unchanged since" check). Equal entries have equal fingerprints.
std::string EntryFingerprint(const bot::Entry& e);

// "title: must not be empty" -> {"title", "must not be empty"}: curation calls
// fail with kInvalidArgument messages that start with the field at fault.
FieldProblem ProblemOf(const bot::Status& status);

}  // namespace knowledge
