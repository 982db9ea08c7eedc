// Planning curated changes to entries, without SQL: given the entry stored
// now and the change asked for, what the change writes (insert, update,
// delete or nothing) and the history record it leaves (before and after);
// after all the changes, the content version they lead to; or why a change
// cannot be made (then nothing is written). entry_table.cc applies each
// planned change in one transaction as it goes, PlanEntryChanges plans a
// whole batch on entries held in memory (a dry run, the tests). Pure and
// deterministic: the same input gives the same plan (an EntryChange's
// `edit` is called once).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bot/entry.h"
#include "bot/status.h"
#include "knowledge/content_version.h"

namespace knowledge {

// One change to one entry, applied by Store::ApplyEntryChanges.
struct EntryChange {
  enum class Op {
    kAdd,      // insert `entry`; kAlreadyExists when its id is taken
    kReplace,  // replace entry `id` with `entry` (same id); kNotFound when missing
    kPut,      // insert `entry`, or replace the entry with its id
    kDelete,   // delete entry `id`; kNotFound when missing
    kEdit,     // `edit` rewrites a copy of entry `id` (not its id); kNotFound when missing
  };
  Op op = Op::kPut;
  std::string id;  // kReplace, kDelete, kEdit; the others use entry.id
  bot::Entry entry;
  std::function<bot::Status(bot::Entry*)> edit;
  // When set, the entry's current EntryFingerprint ("" when it does not
  // exist) must equal it, else the change fails with kAlreadyExists: someone
  // changed the entry since the caller read it.
  std::optional<std::string> expect;
  std::string action;  // recorded in the history: add, edit, delete, import, revert, ...
};

// One recorded change to one entry.
struct HistoryRecord {
  int64_t id = 0;  // 0: the change left the entry as it was, and was not recorded
  int64_t at = 0;  // Unix seconds
  std::string who;
  std::string action;
  std::string entry_id;
  std::optional<bot::Entry> before;  // nullopt: the entry did not exist
  std::optional<bot::Entry> after;   // nullopt: the entry was deleted
  std::string version;               // the knowledge base's version after the change
};

// What one change writes.
struct PlannedWrite {
  enum class Kind {
    kNone,    // the entry stays as it was: no write, no history row
    kInsert,  // a new entry: record.after
    kUpdate,  // the entry record.entry_id becomes record.after
    kDelete,  // the entry record.entry_id goes
  };
  Kind kind = Kind::kNone;
  HistoryRecord record;  // id 0 until the history row is written; version set unless kNone
};

struct EntryPlan {
  std::vector<PlannedWrite> writes;  // one per change, in order
  std::string version;               // the content version after the changes; "" when nothing changes
  bool changed() const { return !version.empty(); }
};

// The id of the entry `change` is about.
const std::string& ChangedId(const EntryChange& change);

// The store's own format needs these of an entry (an id that is a slug, a
// title and a body, one-line questions, one-line tags without commas);
// kInvalidArgument naming the field otherwise. The curation layer checks far more.
bot::Status CheckStorable(const bot::Entry& e);

// Plans changes one at a time, in order; each sees the entries as the changes
// planned before it left them (the caller passes the entry it finds).
class ChangePlanner {
 public:
  // `previous_version`: the content version before the changes.
  ChangePlanner(std::string who, int64_t at, const std::string& previous_version);
  // Plans `change`, given `current`, the entry with its ChangedId as the
  // changes planned before left it (nullopt: none). The planned write stays
  // valid until the next call. Fails as PlanEntryChanges does; the planner
  // is not to be used after a failure.
  bot::Result<const PlannedWrite*> Plan(const EntryChange& change, const std::optional<bot::Entry>& current);
  // The plan of every change planned so far, with the version they lead to.
  EntryPlan Finish();

 private:
  std::string who_;
  int64_t at_;
  ContentVersion version_;
  bool changed_ = false;
  EntryPlan plan_;
};

// Plans `changes`, in order (a change sees the entries as the changes before
// it left them). `current` maps every ChangedId of `changes` to the entry
// stored now (nullopt, or no key: there is none). `previous_version` is the
// content version now. Fails, planning nothing, with the error of the first
// change that cannot be made: kInvalidArgument, kNotFound or kAlreadyExists
// (see Store::ApplyEntryChanges).
bot::Result<EntryPlan> PlanEntryChanges(const std::map<std::string, std::optional<bot::Entry>>& current,
                                        const std::vector<EntryChange>& changes, const std::string& who, int64_t at,
                                        const std::string& previous_version);

}  // namespace knowledge
