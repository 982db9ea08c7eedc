// Small talk: greetings, thanks, goodbyes, "who are you", "help", and asking
// for the source of the previous answer ("source?", "where does that come
// from?"; the answerer replies with that answer's source). A message
// is small talk only when every word of it is (after fillers such as "there"
// or "bot"); "hi, what languages should I learn?" is a real question.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace bot {

enum class SmallTalkIntent { kGreeting, kThanks, kGoodbye, kIdentity, kHelp, kSource };

std::optional<SmallTalkIntent> DetectSmallTalk(std::string_view text);
// The reply; for kSource, the one without a previous answer to name.
std::string SmallTalkReply(SmallTalkIntent intent);
const char* SmallTalkName(SmallTalkIntent intent);

// What the bot can talk about, one sentence; used in replies and declines.
extern const char kTopicsSentence[];

}  // namespace bot
