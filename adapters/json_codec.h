// JSON shapes shared by the HTTP API and the CLI (`ask --json` prints exactly
// what POST /v1/ask returns). Pure functions; thread-safe.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "bot/answer.h"
#include "bot/entry.h"
#include "bot/status.h"

namespace adapters {

nlohmann::json AnswerToJson(const bot::Answer& answer);
nlohmann::json EntryToJson(const bot::Entry& entry);
// {"error": {"code": code, "message": message}}
nlohmann::json ErrorJson(const std::string& code, const std::string& message);

}  // namespace adapters
