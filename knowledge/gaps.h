// The curators' to-do list: what the bot could not answer well, read from the
// question log. Declined questions, answers below a confidence and answers
// marked not helpful are grouped by wording (the same index terms, or terms
// that overlap a lot), most asked first, each with the entry the question
// most likely meant, so that a curator can accept it as a new alternate
// question of that entry in one step. Nothing changes without a curator.
// Functions are thread-safe when the store and answerer are.
//
// This file also owns the gap_resolution table's SQL (the gaps a curator
// dealt with); Store::ResolveGaps and Store::GapResolutions call it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bot/answerer.h"
#include "bot/status.h"
#include "knowledge/curation.h"
#include "knowledge/store.h"

namespace knowledge {

struct GapOptions {
  int64_t since = 0;             // only questions asked at or after this (Unix seconds)
  double low_confidence = 0.65;  // answers below this confidence are weak (the decline threshold is 0.54)
  double merge_overlap = 0.6;    // wordings whose terms overlap this much (Jaccard) are one gap
  size_t limit = 50;             // gaps returned, most asked first
  double min_likely = 0.1;       // a likely entry below this confidence is no guess at all
};

struct Gap {
  std::string id;    // 12 hex digits, stable while the gap's main wording is asked
  size_t count = 0;  // questions in the gap
  size_t declined = 0, low_confidence = 0, unhelpful = 0;  // why (a question may count twice)
  // Questions that got a clarification (kind "clarify", counted in
  // declined too), and the option people chose most (from the resolved
  // clarifications, kind "clarified", which are not counted as questions):
  // the curator's signal to add the wording to that entry.
  size_t clarified = 0, chosen_count = 0;
  std::string chosen_entry_id;
  std::string example;                                     // the wording asked most (the latest on a tie)
  std::vector<std::string> examples;                       // its distinct wordings, most asked first (at most 5)
  std::string terms;                                       // the main wording's index terms
  std::vector<std::string> keys;                           // every wording key in the gap (see GapKey)
  std::vector<std::string> channels;
  int64_t first_asked = 0, last_asked = 0;
  std::string answered_by;  // the entry that gave the weak or unhelpful answers, if any
  // The entry most likely meant: the answerer's winner with no threshold, or
  // its runner-up when the winner is the entry whose answers were marked not
  // helpful. Empty when no entry comes close at all.
  std::string likely_entry_id;
  std::string likely_entry_title;
  double likely_confidence = 0;
};

// The wording key a logged question groups by: its distinct index terms,
// sorted and space-separated; "q:" and the lower-cased question when it has
// no index terms.
std::string GapKey(const std::string& normalized, const std::string& question);

// The gaps in the log since options.since, minus those a curator resolved
// (Store::ResolveGaps) after their questions were asked. `likely` (an
// Answerer with threshold 0 whose answers are not logged) names the entry
// most likely meant; nullptr leaves it empty. Fails with kUnavailable when
// the store cannot be read.
bot::Result<std::vector<Gap>> FindGaps(Store* store, bot::Answerer* likely, const GapOptions& options);

struct AcceptedGap {
  Gap gap;
  std::string entry_id;
  std::string question;
  HistoryRecord change;  // id 0 when the entry already had the question
};

// Accepts gap `gap_id` (its id, or its 1-based position in FindGaps's list):
// adds `question` (empty: the gap's example) as an alternate question of
// entry `entry_id` (empty: the likely entry), recorded as action
// "accept-gap", and resolves the gap. kNotFound for an unknown gap or entry,
// kInvalidArgument when no entry is given and none is likely.
bot::Result<AcceptedGap> AcceptGap(Store* store, Curator* curator, bot::Answerer* likely, const GapOptions& options,
                                   const std::string& gap_id, const std::string& entry_id, const std::string& question,
                                   const std::string& who, int64_t now);

// Resolves gap `gap_id` without changing the knowledge (spam, out of scope).
bot::Result<Gap> DismissGap(Store* store, const GapOptions& options, const std::string& gap_id, const std::string& who,
                            int64_t now);

// ---- The gap_resolution table (the caller holds the writer's mutex for writes) ----

// Records `keys` as resolved at `at`, `how` ("accepted", "dismissed"), with
// the entry and curator, in one transaction on the writer connection.
bot::Status WriteGapResolutions(Conn* writer, const std::vector<std::string>& keys, int64_t at, const std::string& how,
                                const std::string& entry_id, const std::string& who);
// Key -> when it was resolved.
bot::Result<std::map<std::string, int64_t>> ReadGapResolutions(sqlite3* db);

}  // namespace knowledge
