// JSON shapes shared by the HTTP API and the CLI (`ask --json` prints exactly
// what POST /v1/ask returns). Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "bot/answer.h"
#include "bot/entry.h"
#include "bot/status.h"
#include "knowledge/gaps.h"

namespace adapters {

nlohmann::json AnswerToJson(const bot::Answer& answer);
nlohmann::json EntryToJson(const bot::Entry& entry);
// {"error": {"code": code, "message": message}}
nlohmann::json ErrorJson(const std::string& code, const std::string& message);

// False when the JSON text `text` nests arrays and objects deeper than
// `max_depth` (brackets inside strings do not count). Checked before parsing
// untrusted bodies: the parser itself does not limit depth, and printing a
// value nested thousands deep recurses as deep.
bool JsonNestingWithin(std::string_view text, size_t max_depth);

// `seconds` since the epoch as UTC ISO 8601: "2026-11-29T09:03:16Z".
// `seconds` since the epoch as UTC, in strftime's `format` (at most 63 bytes out).
std::string FormatUtc(int64_t seconds, const char* format);
std::string IsoTime(int64_t seconds);
// A gap of the question log (knowledge/gaps.h) as `kb gaps --json` and
// GET /v1/admin/gaps show it; `position` is its 1-based place in the list.
nlohmann::json GapToJson(const knowledge::Gap& gap, size_t position);

}  // namespace adapters
