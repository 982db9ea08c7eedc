// Curating the knowledge base: adding, replacing, patching, deleting and
// reverting one entry at a time, importing and exporting entries (JSONL and
// the repo's Markdown format). Every change is validated here, then written
// by Store::ApplyEntryChanges: atomic, recorded in the history with who made
// it, and answered from at once on every channel.
// Curator is thread-safe (the store serializes writes); the free functions
// are pure.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bot/clock.h"
#include "bot/entry.h"
#include "bot/status.h"
#include "knowledge/entry_json.h"
#include "knowledge/store.h"

namespace knowledge {

// One entry read from an import file, or why it could not be read.
struct ImportItem {
  std::string where;                // "FILE:LINE" (or "FILE")
  std::optional<bot::Entry> entry;  // nullopt: unreadable, see error
  std::string error;
};

struct ImportOptions {
  bool strict = false;   // any rejected line: import nothing
  bool replace = false;  // delete the entries the import does not hold (implies strict)
  bool dry_run = false;  // count what would change, change nothing
};

struct ImportReport {
  size_t added = 0, changed = 0, unchanged = 0, deleted = 0;
  struct Rejected {
    std::string where;
    std::string id;  // when known
    std::string reason;
  };
  std::vector<Rejected> rejected;
  bool applied = false;  // false: nothing changed (strict with rejections, or a dry run)
  std::string version;   // the knowledge base's version afterwards
};

class Curator {
 public:
  explicit Curator(Store* store, bot::Clock* clock = bot::Clock::Real());

  // Adds a new entry: normalized (NormalizeEntry: an id made from the title
  // when it has none) and validated; updated_at is today when empty. Fails
  // with kInvalidArgument ("field: reason"), kAlreadyExists (the id is
  // taken) or kUnavailable.
  bot::Result<HistoryRecord> Add(bot::Entry entry, const std::string& who);
  // Replaces entry `id` with `entry` (whose id must be empty or `id`). When
  // `if_match` is not empty, the current entry's EntryFingerprint must equal
  // it, else kAlreadyExists (someone else changed it meanwhile). updated_at
  // becomes today when the content changed and the caller kept the old date.
  // Fails also with kNotFound.
  bot::Result<HistoryRecord> Replace(const std::string& id, bot::Entry entry, const std::string& who,
                                     const std::string& if_match = "");
  // Changes the fields present in `patch` (EntryFromJson's shape; the id
  // cannot change), on the entry as it is when the change is written.
  bot::Result<HistoryRecord> Patch(const std::string& id, const nlohmann::json& patch, const std::string& who,
                                   const std::string& if_match = "");
  bot::Result<HistoryRecord> Delete(const std::string& id, const std::string& who, const std::string& if_match = "");
  // Adds `question` to entry `id`'s alternate questions; records nothing
  // when the entry already has it (compared case-insensitively).
  bot::Result<HistoryRecord> AddQuestion(const std::string& id, const std::string& question, const std::string& who,
                                         const std::string& action = "add-question");
  // Puts entry `id` back as it was before its last recorded change, or
  // before its recorded change `change_id`; the revert is itself a recorded
  // change (action "revert"), so reverting again redoes. kNotFound when the
  // entry has no (such) recorded change.
  bot::Result<HistoryRecord> Revert(const std::string& id, const std::string& who, int64_t change_id = 0);

  // Imports `items` in one transaction (an error or a kill changes nothing):
  // every readable, valid entry is added or replaces the entry with its id;
  // the others are listed in the report with their reason. See ImportOptions.
  // Fails (changing nothing) only when the store does.
  bot::Result<ImportReport> Import(const std::vector<ImportItem>& items, const ImportOptions& options,
                                   const std::string& who,
                                   const std::function<void(size_t, size_t)>& progress = nullptr);

  // Today's date in UTC, "YYYY-MM-DD", from the clock.
  std::string Today() const;

 private:
  bot::Result<HistoryRecord> One(EntryChange change, const std::string& who);

  Store* store_;
  bot::Clock* clock_;
};

// Reads an import file's text, chosen by the extension of `name`: .jsonl or
// .ndjson (one entry object per line; blank lines skipped), .json (an array
// of entries, or one), .md or .markdown (the repo's entry format, or any
// Markdown article: one entry per heading), .txt or .text (a plain-text
// article, headings detected). Notes that reject nothing (a heading with no
// text under it) go to `warnings`. kInvalidArgument for another extension.
bot::Result<std::vector<ImportItem>> ParseImportText(const std::string& text, const std::string& name,
                                                     std::vector<std::string>* warnings = nullptr);

// One entry per line, compact JSON (EntryToJson), in the order given.
std::string ExportJsonl(const std::vector<bot::Entry>& entries);
// The repo's Markdown entry format in one document titled `title`; parses
// back (ParseMarkdown) to the same entries.
std::string ExportMarkdown(const std::vector<bot::Entry>& entries, const std::string& title);
// Writes the layout `careerbot kb build --from DIR` reads: DIR/entries/NN-
// <article>.md (one file per source article) and DIR/synonyms.txt. An
// existing DIR/entries/*.md is only replaced with `overwrite` (it would
// otherwise duplicate entries); DIR/tests.jsonl is left alone. Returns the
// files written.
bot::Result<std::vector<std::string>> ExportMarkdownDir(const std::vector<bot::Entry>& entries,
                                                        const std::string& synonyms, const std::string& dir,
                                                        bool overwrite);

}  // namespace knowledge
