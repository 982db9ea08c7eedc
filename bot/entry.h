// A knowledge entry: the unit the bot answers from, as curators write it and
// as the store keeps it. Plain value type.
#pragma once

#include <string>
#include <vector>

namespace bot {

struct EntrySource {
  std::string article;  // the source's title, e.g. "The Demand for Backend Developers"
  std::string section;  // the section of that source
  std::string url;      // a link to the source, may be empty
};

struct Entry {
  std::string id;     // stable slug: [a-z0-9-]+
  std::string title;
  std::string body;   // the answer, a short chat message
  std::vector<std::string> questions;  // alternate phrasings it answers
  std::vector<std::string> tags;
  EntrySource source;
  std::string updated_at;  // ISO 8601 date or date-time
};

// Makes a slug from free text: lower-case ASCII letters and digits joined by
// single hyphens, at most 80 characters ("What is REST?" -> "what-is-rest").
std::string Slugify(const std::string& text);
// True when `id` is a non-empty slug as Slugify makes them.
bool IsValidSlug(const std::string& id);

}  // namespace bot
