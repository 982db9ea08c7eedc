// What every channel's rendering of a clarification (bot::Answer kind
// "clarify") shares: the line it starts with. The answer's text is that line
// followed by the options numbered ("\n1. ...") and how to choose by number,
// for channels that show text only; channels with buttons show the line and
// one button per option (bot::Answer::options) instead. Pure; thread-safe.
#pragma once

#include <string>

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

}  // namespace adapters
