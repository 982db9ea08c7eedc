// The entries, their FTS5 rows and the history of curated changes, in SQL:
// reading entries, rebuilding the whole knowledge base, applying a planned
// change (entry_plan.h) with its history rows, and reading the history.
// Every FTS5 row is built from IndexFieldsFor (index_fields.h) and every
// content version from ContentVersion (content_version.h).
// Functions run on the connection given; the caller holds the writer's mutex
// for the writes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bot/entry.h"
#include "bot/status.h"
#include "knowledge/db.h"
#include "knowledge/entry_plan.h"

namespace knowledge {

// The entry columns, in the order ReadEntryAt reads them.
extern const char kEntryColumns[];
// An entry from the nine entry columns starting at `first_col`.
bot::Entry ReadEntryAt(Stmt& s, int first_col);

bot::Result<std::vector<bot::Entry>> ReadAllEntries(sqlite3* db);
// kNotFound when there is no entry `id`.
bot::Result<bot::Entry> ReadOneEntry(sqlite3* db, const std::string& id);

// Store::ReplaceAll on the writer connection: validates, then replaces every
// entry, the index and the metadata in one transaction.
bot::Status RebuildEntries(Conn* writer, std::vector<bot::Entry> entries, const std::string& synonyms_text,
                           const std::string& origin);

// Store::ApplyEntryChanges on the writer connection, in one transaction:
// each change is planned (ChangePlanner) on the entry as the changes before
// it left it and written at once; then the metadata and history rows.
bot::Result<std::vector<HistoryRecord>> ApplyEntryChanges(Conn* writer, const std::vector<EntryChange>& changes,
                                                          const std::string& who, int64_t at,
                                                          const std::function<void(size_t, size_t)>& progress);

bot::Result<std::vector<HistoryRecord>> ReadHistory(sqlite3* db, const std::string& entry_id, size_t limit);
// kNotFound when there is no recorded change `id`.
bot::Result<HistoryRecord> ReadHistoryRecord(sqlite3* db, int64_t id);

}  // namespace knowledge
