// Mattermost's side of the words: rendering a bot::Answer as the Markdown
// reply of its Slack-compatible slash command. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include "bot/answer.h"

namespace adapters::mattermost {

// The most characters of a Mattermost post careerbot sends: older servers
// refuse posts over 4,000 (newer ones over 16,383).
constexpr size_t kMaxPostChars = 4000;

// A Mattermost slash-command response: Markdown text with sources as
// [title](url) links and the suggestions, escaped with
// adapters::EscapeMarkdown (mentions defused). A clarification: its line, the
// options as a Markdown numbered list, and how to choose one (`command` as
// typed, e.g. "/ask", then the number).
nlohmann::json CommandResponse(const bot::Answer& answer, bool in_channel, std::string_view command = "/ask");

}  // namespace adapters::mattermost
