// The knowledge that ships with careerbot: the Markdown entry files, the
// synonym list and the test questions under knowledge/, compiled into the
// binary, or read from a folder of the same layout (for curators who edit the
// files and rebuild without recompiling).
#pragma once

#include <string>
#include <vector>

#include "bot/entry.h"
#include "bot/status.h"
#include "knowledge/markdown.h"
#include "knowledge/store.h"

namespace knowledge {

struct KnowledgeFiles {
  std::vector<bot::Entry> entries;
  std::string synonyms;  // synonyms.txt
  std::string tests;     // tests.jsonl
  std::vector<std::string> issues;  // "file:line: message"
  std::string fingerprint;          // changes when any file changes
};

// The knowledge compiled into this binary.
KnowledgeFiles BuiltinKnowledge();
// The same layout read from `dir` (dir/entries/*.md, dir/synonyms.txt,
// dir/tests.jsonl). Fails with kNotFound when dir/entries is missing.
bot::Result<KnowledgeFiles> LoadKnowledgeDir(const std::string& dir);

// Builds `path` from `files` (replacing what it held) and compacts it.
bot::Status BuildKnowledgeBase(const std::string& path, const KnowledgeFiles& files, const std::string& origin);

// Opens the knowledge base at `path`, first building it from the built-in
// knowledge when the file does not exist, or when it was built from an older
// built-in knowledge and never edited since. Sets *built when it built.
bot::Result<std::unique_ptr<Store>> OpenOrBuild(const std::string& path, bool* built);

}  // namespace knowledge
