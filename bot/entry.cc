#include "bot/entry.h"

namespace bot {

std::string Slugify(const std::string& text) {
  std::string slug;
  bool pending_hyphen = false;
  for (char raw : text) {
    char c = raw >= 'A' && raw <= 'Z' ? static_cast<char>(raw + 32) : raw;
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum) {
      if (c == '\'') continue;  // "what's" -> "whats"
      pending_hyphen = !slug.empty();
      continue;
    }
    if (pending_hyphen) slug.push_back('-');
    pending_hyphen = false;
    slug.push_back(c);
    if (slug.size() >= 80) break;
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug;
}

bool IsValidSlug(const std::string& id) {
  if (id.empty() || id.size() > 80 || id.front() == '-' || id.back() == '-') return false;
  for (size_t i = 0; i < id.size(); i++) {
    char c = id[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && id[i - 1] != '-');
    if (!ok) return false;
  }
  return true;
}

}  // namespace bot
