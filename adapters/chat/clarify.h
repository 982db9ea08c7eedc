// What every channel's rendering of a clarification (bot::Answer kind
// "clarify") shares: the line it starts with. The answer's text is that line
// followed by the options numbered ("\n1. ...") and how to choose by number,
// for channels that show text only; channels with buttons show the line and
// one button per option (bot::Answer::options) instead. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "bot/answer.h"
#include "bot/text.h"

namespace adapters {

// The clarification's own line ("I'm not sure which you mean. Did you mean
// one of these?"): its text before the numbered options, else its first line.
inline std::string ClarifyPrompt(const bot::Answer& answer) {
  const std::string& text = answer.text;
  size_t end = text.find("\n1. ");
  if (end == std::string::npos) end = text.find('\n');
  std::string line(bot::Trim(text.substr(0, end)));
  return line.empty() ? std::string("Did you mean one of these?") : line;
}

// True when `answer` is a clarification with options to choose from.
inline bool IsClarification(const bot::Answer& answer) {
  return answer.kind == "clarify" && !answer.options.empty();
}

// What an option's button carries (a Slack button's value, a Discord
// custom_id after "clarify:"): "<entry id>:<clarification's answer id>", so
// that a click is logged as that clarification resolved even after the
// conversation expired (no server state needed; the question log checks the
// claim). Just "<entry id>" when the answer id is not well formed or the
// whole would exceed `max_bytes` (Discord's 100); "" when even that does.
inline std::string OptionPayload(const std::string& entry_id, const std::string& clarification_id, size_t max_bytes) {
  if (entry_id.empty() || entry_id.size() > max_bytes) return "";
  std::string both = entry_id + ":" + clarification_id;
  return bot::IsWellFormedAnswerId(clarification_id) && both.size() <= max_bytes ? both : entry_id;
}

// An option payload back: the entry id (1 to 128 bytes, no ':') and the
// clarification id (empty when the payload has none: a button made before
// they carried it). False when malformed: an empty or oversize entry id, an
// empty or malformed clarification id after the ':', or a second ':'.
inline bool ParseOptionPayload(std::string_view payload, std::string* entry_id, std::string* clarification_id) {
  const size_t colon = payload.find(':');
  std::string entry(payload.substr(0, colon));
  std::string id = colon == std::string_view::npos ? "" : std::string(payload.substr(colon + 1));
  if (entry.empty() || entry.size() > 128) return false;
  if (colon != std::string_view::npos && !bot::IsWellFormedAnswerId(id)) return false;
  *entry_id = std::move(entry);
  *clarification_id = std::move(id);
  return true;
}

}  // namespace adapters
