#include "adapters/chat/mattermost/format.h"

#include <cctype>
#include <string>

#include "adapters/chat/clarify.h"
#include "adapters/chat/markdown.h"
#include "bot/text.h"

namespace adapters::mattermost {

using nlohmann::json;

namespace {

std::string SafeText(const std::string& text) { return bot::SanitizeUtf8(text); }

}  // namespace

json CommandResponse(const bot::Answer& answer, bool in_channel, std::string_view command) {
  if (IsClarification(answer)) {
    // A real Markdown list: the line, the options numbered, how to choose.
    std::string text = EscapeMarkdown(bot::TruncateUtf8(SafeText(ClarifyPrompt(answer)), 500)) + "\n";
    for (size_t i = 0; i < answer.options.size(); i++) {
      text += "\n" + std::to_string(i + 1) + ". " +
              EscapeMarkdown(bot::TruncateUtf8(SafeText(answer.options[i].question), 300));
    }
    // The command as typed, inside a code span: only the characters a
    // command name has (no backtick can end the span).
    std::string cmd;
    for (char c : bot::TruncateUtf8(command, 32)) {
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '-' || c == '_') cmd += c;
    }
    if (cmd.empty()) cmd = "/ask";
    text += "\n\nTo choose, reply with ";
    for (size_t i = 0; i < answer.options.size(); i++) {
      if (i > 0) text += i + 1 == answer.options.size() ? " or " : ", ";
      text += "`" + cmd + " " + std::to_string(i + 1) + "`";
    }
    text += ".";
    return {{"response_type", in_channel ? "in_channel" : "ephemeral"}, {"text", text}};
  }
  // Mattermost refuses posts over 16,383 characters, and older servers over
  // 4,000: the whole reply stays within 4,000. The answer is cut at a
  // sentence when it must be, pointing to its source for the rest; each
  // source and suggestion is bounded, and dropped when there is no room.
  constexpr size_t kMaxPost = kMaxPostChars;
  std::string sources;
  std::string more_url;
  if (!answer.sources.empty()) {
    bool first = true;
    for (const auto& s : answer.sources) {
      std::string title = EscapeMarkdown(bot::TruncateUtf8(SafeText(s.title.empty() ? s.article : s.title), 200));
      std::string url = MarkdownLinkUrl(SafeText(s.url));
      if (url.size() > 500) url.clear();
      if (more_url.empty()) more_url = url;
      std::string part = (first ? "Source: " : ", ") + (url.empty() ? title : "[" + title + "](" + url + ")");
      if (Utf16Length(sources) + Utf16Length(part) > 1200) break;
      sources += part;
      first = false;
    }
  }
  std::string suggestions;
  if (!answer.suggestions.empty()) {
    suggestions = "\n\nYou could also ask:";
    for (const auto& s : answer.suggestions) suggestions += "\n* " + EscapeMarkdown(bot::TruncateUtf8(SafeText(s), 200));
  }
  const size_t tail = (sources.empty() ? 0 : Utf16Length(sources) + 2) + Utf16Length(suggestions);
  std::string text = EscapeMarkdown(SafeText(answer.text));
  const std::string more = more_url.empty() ? "" : " [Read the rest](" + more_url + ")";
  if (Utf16Length(text) + tail > kMaxPost) {
    text = CutAtSentence(text, kMaxPost - tail - Utf16Length(more)) + more;
  }
  if (!sources.empty()) text += "\n\n" + sources;
  text += suggestions;
  return {{"response_type", in_channel ? "in_channel" : "ephemeral"}, {"text", text}};
}

}  // namespace adapters::mattermost
