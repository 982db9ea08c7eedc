// The content version of a knowledge base (meta "version", "kb-" and 16 hex
// digits): a fingerprint of what it answers from, computed in this one place
// for both ways content changes. A rebuild hashes the synonym list and every
// entry in id order (the same input gives the same version); a curated change
// hashes the version it changes and each change it makes. Every channel
// reloads its search snapshot when the version changes. Pure; no SQL.
#pragma once

#include <cstdint>
#include <string>

#include "bot/entry.h"

namespace knowledge {

// What an entry's content hashes as: its stored fields joined by \x1f.
std::string EntryRecord(const bot::Entry& e);

class ContentVersion {
 public:
  // A rebuild from `synonyms_text`: then AddEntry for each entry, in id order.
  static ContentVersion ForBuild(const std::string& synonyms_text) { return ContentVersion(synonyms_text); }
  // Curated changes to the content of `previous_version`: then AddChange for
  // each change that altered an entry, in order.
  static ContentVersion ForChanges(const std::string& previous_version) { return ContentVersion(previous_version); }

  void AddEntry(const bot::Entry& e);
  // `after` is nullptr for a deletion.
  void AddChange(const std::string& action, const std::string& entry_id, const bot::Entry* after);
  std::string Version() const;

 private:
  explicit ContentVersion(const std::string& seed);
  void Mix(const std::string& data);
  uint64_t hash_;
};

}  // namespace knowledge
