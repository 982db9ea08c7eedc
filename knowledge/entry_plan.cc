// Planning curated changes to entries (see entry_plan.h).
#include "knowledge/entry_plan.h"

#include "bot/text.h"
#include "knowledge/entry_json.h"

namespace knowledge {

using bot::Entry;
using bot::Result;
using bot::Status;
using Op = EntryChange::Op;

const std::string& ChangedId(const EntryChange& c) {
  return (c.op == Op::kAdd || c.op == Op::kPut) ? c.entry.id : c.id;
}

Status CheckStorable(const Entry& e) {
  if (!bot::IsValidSlug(e.id)) return Status::InvalidArgument("id: '" + e.id + "' is not a slug");
  if (bot::Trim(e.title).empty()) return Status::InvalidArgument("title: must not be empty");
  if (bot::Trim(e.body).empty()) return Status::InvalidArgument("body: must not be empty");
  for (size_t i = 0; i < e.questions.size(); i++) {
    if (e.questions[i].empty() || e.questions[i].find('\n') != std::string::npos) {
      return Status::InvalidArgument("questions[" + std::to_string(i) + "]: must be one non-empty line");
    }
  }
  for (size_t i = 0; i < e.tags.size(); i++) {
    if (e.tags[i].empty() || e.tags[i].find_first_of(",\n") != std::string::npos) {
      return Status::InvalidArgument("tags[" + std::to_string(i) + "]: must be one non-empty line without commas");
    }
  }
  return Status::Ok();
}

namespace {

// The entry `c` leaves, given the entry `before` it finds (nullopt: none).
Result<std::optional<Entry>> After(const EntryChange& c, const std::string& id, const std::optional<Entry>& before) {
  if (c.expect && *c.expect != (before ? EntryFingerprint(*before) : std::string())) {
    return Status::AlreadyExists("entry '" + id +
                                 "' was changed by someone else since it was read; reload it and try again");
  }
  if (!before && (c.op == Op::kReplace || c.op == Op::kDelete || c.op == Op::kEdit)) {
    return Status::NotFound("no entry with id '" + id + "'");
  }
  std::optional<Entry> after;
  switch (c.op) {
    case Op::kAdd:
      if (before) return Status::AlreadyExists("id: an entry with id '" + id + "' already exists");
      after = c.entry;
      break;
    case Op::kReplace:
      if (c.entry.id != id) {
        return Status::InvalidArgument("id: '" + c.entry.id + "' is not the id of the entry replaced ('" + id + "')");
      }
      after = c.entry;
      break;
    case Op::kPut:
      after = c.entry;
      break;
    case Op::kDelete:
      break;
    case Op::kEdit: {
      Entry e = *before;
      if (c.edit) RETURN_IF_ERROR(c.edit(&e));
      if (e.id != id) return Status::InvalidArgument("id: an edit cannot change an entry's id");
      after = std::move(e);
      break;
    }
  }
  if (after) RETURN_IF_ERROR(CheckStorable(*after));
  return after;
}

}  // namespace

ChangePlanner::ChangePlanner(std::string who, int64_t at, const std::string& previous_version)
    : who_(std::move(who)), at_(at), version_(ContentVersion::ForChanges(previous_version)) {}

Result<const PlannedWrite*> ChangePlanner::Plan(const EntryChange& c, const std::optional<Entry>& current) {
  PlannedWrite w;
  HistoryRecord& r = w.record;
  r.at = at_;
  r.who = who_;
  r.action = c.action;
  r.entry_id = ChangedId(c);
  r.before = current;
  ASSIGN_OR_RETURN(r.after, After(c, r.entry_id, r.before));
  bool same = r.before && r.after && SameEntry(*r.before, *r.after);
  if (!same && (r.before || r.after)) {
    w.kind = !r.after ? PlannedWrite::Kind::kDelete
                      : (r.before ? PlannedWrite::Kind::kUpdate : PlannedWrite::Kind::kInsert);
    version_.AddChange(c.action, r.entry_id, r.after ? &*r.after : nullptr);
    changed_ = true;
  }
  plan_.writes.push_back(std::move(w));
  return &plan_.writes.back();
}

EntryPlan ChangePlanner::Finish() {
  EntryPlan plan = std::move(plan_);
  plan_ = EntryPlan();
  if (changed_) {
    plan.version = version_.Version();
    for (auto& w : plan.writes) {
      if (w.kind != PlannedWrite::Kind::kNone) w.record.version = plan.version;
    }
  }
  return plan;
}

Result<EntryPlan> PlanEntryChanges(const std::map<std::string, std::optional<Entry>>& current,
                                   const std::vector<EntryChange>& changes, const std::string& who, int64_t at,
                                   const std::string& previous_version) {
  // The entries as the changes planned so far leave them.
  std::map<std::string, std::optional<Entry>> state;
  auto now = [&](const std::string& id) -> const std::optional<Entry>& {
    auto it = state.find(id);
    if (it != state.end()) return it->second;
    auto found = current.find(id);
    return state.emplace(id, found == current.end() ? std::nullopt : found->second).first->second;
  };
  ChangePlanner planner(who, at, previous_version);
  for (const EntryChange& c : changes) {
    const std::string& id = ChangedId(c);
    ASSIGN_OR_RETURN(const PlannedWrite* w, planner.Plan(c, now(id)));
    if (w->kind != PlannedWrite::Kind::kNone) state[id] = w->record.after;
  }
  return planner.Finish();
}

}  // namespace knowledge
