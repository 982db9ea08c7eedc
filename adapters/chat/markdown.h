// Markdown text helpers shared by the adapters whose platforms render
// Markdown (Discord, Mattermost): escaping answer text so that it shows as
// typed and can never mention anyone, safe link URLs, and length limits
// counted as those platforms count (UTF-16 code units). Pure; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace adapters {

// Backslash-escapes the characters that format text (\ * _ ~ ` | < > [ ] ( ))
// everywhere, and # - + and "1." list markers at the start of a line; puts a
// zero-width space after an '@' that starts a word (@everyone, @here,
// @channel, @user) so it cannot mention. Input is UTF-8; output too.
std::string EscapeMarkdown(std::string_view text);

// The length of UTF-8 `text` in UTF-16 code units (how Discord counts).
size_t Utf16Length(std::string_view text);

// `text` when it fits in `max_units` UTF-16 units; otherwise its longest
// prefix ending at a sentence end (". ", "! ", "? ", or a line break) that
// fits with a trailing "…", else at a space, else at a character boundary.
// Never ends inside a backslash escape.
std::string CutAtSentence(std::string_view text, size_t max_units);

// `url` made safe inside a Markdown link "(...)": spaces, parentheses, <, >
// and control characters percent-encoded. "" unless it starts with http:// or https://.
std::string MarkdownLinkUrl(std::string_view url);

}  // namespace adapters
