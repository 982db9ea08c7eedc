// The content version's hash (see content_version.h).
#include "knowledge/content_version.h"

#include <cstdio>

#include "knowledge/index_fields.h"

namespace knowledge {

namespace {
constexpr uint64_t kFnvOffset = 14695981039346656037ULL;
}  // namespace

std::string EntryRecord(const bot::Entry& e) {
  return JoinWith({e.id, e.title, e.body, JoinWith(e.questions, "\n"), JoinWith(e.tags, ","), e.source.article,
                   e.source.section, e.source.url, e.updated_at},
                  "\x1f");
}

ContentVersion::ContentVersion(const std::string& seed) : hash_(kFnvOffset) { Mix(seed); }

// FNV-1a, 64 bits: a content fingerprint for the version, not security.
void ContentVersion::Mix(const std::string& data) {
  for (unsigned char c : data) {
    hash_ ^= c;
    hash_ *= 1099511628211ULL;
  }
}

void ContentVersion::AddEntry(const bot::Entry& e) { Mix(EntryRecord(e) + "\x1e"); }

void ContentVersion::AddChange(const std::string& action, const std::string& entry_id, const bot::Entry* after) {
  Mix(action + "\x1f" + entry_id + "\x1f" + (after ? EntryRecord(*after) : "-") + "\x1e");
}

std::string ContentVersion::Version() const {
  char buf[20];
  std::snprintf(buf, sizeof buf, "kb-%016llx", static_cast<unsigned long long>(hash_));
  return buf;
}

}  // namespace knowledge
