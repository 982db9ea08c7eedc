// The Slack-compatible slash command (`/ask ...`), which Slack and
// Mattermost both send as an application/x-www-form-urlencoded POST with
// team_id, channel_id, user_id, command and text, and answer from the HTTP
// response ({"response_type", "text"}): decoding the form and the command
// into a Turn, the help text and the failure reply. Pure; thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "adapters/chat/platform.h"

namespace adapters::chat {

// An application/x-www-form-urlencoded body as name -> value ('+' is a space,
// %XX a byte; a malformed escape is kept as it is). The first of repeated names wins.
std::map<std::string, std::string> ParseForm(std::string_view body);
// The value of `name`, "" when absent.
std::string FormField(const std::map<std::string, std::string>& form, const char* name);

// If `text` starts with `keyword` as a whole word (case-insensitive), removes
// it and the spaces after it and returns true: "/ask public what is..." .
bool TakeKeyword(std::string* text, std::string_view keyword);

// Escapes exactly &, < and > (as &amp; &lt; &gt;), as Slack asks (and
// Mattermost shows them).
std::string EscapeAngleBrackets(std::string_view text);

// An ephemeral slash-command response with only `text`.
nlohmann::json CommandText(const std::string& text);
// How to use the command (`command` as typed, e.g. "/ask").
std::string HelpText(std::string_view command, std::string_view public_keyword);

// The command in `form` as a turn: counted against "team:user"; a blank
// question is answered with the help; else a kAsk in the conversation
// "team:channel:user", its context {"in_channel": the public keyword was
// given, "command": the command as typed}.
Turn DecodeSlashCommand(const std::map<std::string, std::string>& form, std::string_view public_keyword);
// The reply when the question could not be answered.
Reply SlashCommandFailure();

}  // namespace adapters::chat
