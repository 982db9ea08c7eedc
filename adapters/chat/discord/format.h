// Discord's side of the words: decoding interactions (the `ask` command, the
// feedback buttons) and rendering a bot::Answer as an interaction response:
// escaped Markdown content of at most 2000 characters cut at a sentence, an
// embed with the sources and suggestions within Discord's limits,
// allowed_mentions {"parse": []} so nothing can ping anyone, and 👍/👎
// buttons. Also the `ask` command's registration body. Pure; thread-safe.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "bot/answer.h"

namespace adapters::discord {

// Interaction types (Discord's numbers).
constexpr int kPing = 1;
constexpr int kApplicationCommand = 2;
constexpr int kMessageComponent = 3;
constexpr int kAutocomplete = 4;
// Callback types.
constexpr int kPong = 1;
constexpr int kChannelMessage = 4;
constexpr int kUpdateMessage = 7;
constexpr int kAutocompleteResult = 8;
// Message flags.
constexpr int kEphemeral = 64;

// Discord's limits, in UTF-16 code units.
constexpr size_t kMaxContent = 2000;
constexpr size_t kMaxEmbedTitle = 256;
constexpr size_t kMaxEmbedDescription = 4096;
constexpr size_t kMaxFieldName = 256;
constexpr size_t kMaxFieldValue = 1024;
constexpr size_t kMaxEmbedTotal = 6000;

constexpr char kAskCommand[] = "ask";

// Message components: a button's custom_id and label limits.
constexpr size_t kMaxCustomId = 100;
constexpr size_t kMaxButtonLabel = 80;
// A clarification's option buttons: custom_id "clarify:<entry_id>:<the
// clarification's answer id>" (chat::OptionPayload), or "clarify:<entry_id>"
// when that would exceed kMaxCustomId (and on buttons made before).
constexpr char kClarifyPrefix[] = "clarify:";

// ---- decode ----

struct AskCommand {
  std::string question;
  bool is_private = false;  // the `private` option
  std::string user_id;      // member.user.id in guilds, user.id in DMs
  std::string channel_id;
};
// An APPLICATION_COMMAND interaction named "ask"; false (and *error) when it
// is another command or malformed. An empty question is not an error.
bool DecodeAskCommand(const nlohmann::json& interaction, AskCommand* out, std::string* error);

struct FeedbackClick {
  std::string answer_id;
  bool helpful = false;
};
// The custom_id of a feedback button: "feedback:up:<answer_id>" or "feedback:down:<answer_id>".
std::string FeedbackCustomId(const std::string& answer_id, bool helpful);
// A MESSAGE_COMPONENT interaction from one of our feedback buttons.
bool DecodeFeedbackClick(const nlohmann::json& interaction, FeedbackClick* out);

struct ClarifyClick {
  std::string entry_id;
  std::string clarification_id;  // the clarification's answer id ("" when the button has none)
  std::string question;  // the clicked button's label, from the message it is on ("" when not sent)
  std::string user_id;   // member.user.id in guilds, user.id in DMs
  std::string channel_id;
};
// "clarify:<entry_id>:<clarification_id>", or "clarify:<entry_id>" when that
// would exceed kMaxCustomId (or the id is not well formed); "" when even
// that would.
std::string ClarifyCustomId(const std::string& entry_id, const std::string& clarification_id = "");
// A MESSAGE_COMPONENT interaction from one of a clarification's option
// buttons; false when its custom_id is malformed (chat::ParseOptionPayload).
bool DecodeClarifyClick(const nlohmann::json& interaction, ClarifyClick* out);

// ---- encode ----

// One line of the sources list, at most 512 UTF-16 units: "• [title](url) · article",
// the title and the article cut (at a sentence or word) so that the link is
// never cut; a link over 300 units is left out.
std::string SourceLine(const std::string& title, const std::string& article, const std::string& url);

// {"type": 1}
nlohmann::json PongResponse();
// {"type": 4, "data": AnswerMessage(answer, ephemeral)}
nlohmann::json AnswerResponse(const bot::Answer& answer, bool ephemeral);
// The message: content (escaped, <= 2000, cut at a sentence), an embed with
// the sources and suggestions (within 256/4096/1024/6000), the feedback
// buttons, allowed_mentions {"parse": []}, and flags 64 when ephemeral. A
// clarification: its line as the content and an action row with one button
// per option (the first primary, the others secondary; label its question
// cut to 80, custom_id ClarifyCustomId), no feedback buttons.
nlohmann::json AnswerMessage(const bot::Answer& answer, bool ephemeral);
// The answer to a clarification's option, chosen with its button: a type 7
// (UPDATE_MESSAGE) response that turns the clarification into the answer,
// headed by the question chosen, with the answer's feedback buttons in place
// of the options (which can then not be clicked again). The message keeps
// its visibility (an ephemeral clarification stays ephemeral).
nlohmann::json ChosenAnswerResponse(const bot::Answer& answer, const std::string& chosen_question);
// A type 4 response with `markdown` as its content, sent as it is (escape
// any answer or user text in it with adapters::EscapeMarkdown), mentions off.
nlohmann::json TextResponse(const std::string& markdown, bool ephemeral);
// The body of PUT /applications/{id}/commands: the `ask` command with its
// `question` (string, required) and `private` (boolean) options.
nlohmann::json CommandDefinitions();

}  // namespace adapters::discord
