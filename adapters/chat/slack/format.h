// Slack's side of the words: decoding what Slack sends (form bodies, mention
// tokens, its &lt; &gt; &amp; escaping) and rendering a bot::Answer as mrkdwn
// and Block Kit (chat.postMessage bodies, slash-command responses, the
// feedback-button update). The slash command's form, keyword and help are
// shared with Mattermost (adapters/chat/slash_command.h). Pure functions;
// thread-safe.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "adapters/chat/slash_command.h"
#include "bot/answer.h"

namespace adapters::slack {

// Action ids of the feedback buttons; their value is the answer_id.
constexpr char kFeedbackUpAction[] = "feedback_up";
constexpr char kFeedbackDownAction[] = "feedback_down";
constexpr char kFeedbackBlockId[] = "careerbot_feedback";
// A clarification's option buttons: action ids "clarify_1" to "clarify_3",
// value "<entry id>:<the clarification's answer id>" (chat::OptionPayload;
// buttons made before it carry the entry id alone), text the option's
// question (at most 75 characters).
// The block id says where the clarification was posted, and so which
// conversation a click continues: a thread or DM (an event), or a /ask
// response (the command's channel and user).
constexpr char kClarifyActionPrefix[] = "clarify_";
constexpr char kClarifyBlockId[] = "careerbot_clarify";
constexpr char kClarifyCommandBlockId[] = "careerbot_clarify_cmd";
constexpr size_t kMaxButtonText = 75;
// Slack's limit on a button's value.
constexpr size_t kMaxButtonValue = 2000;

// ---- decode ----

// The slash command's form (adapters/chat/slash_command.h).
using chat::ParseForm;
using chat::TakeKeyword;
using chat::CommandText;
using chat::HelpText;

// Removes every <@BOT_USER_ID> and <@BOT_USER_ID|label> token (only the first
// user mention when bot_user_id is empty), trims, then unescapes &lt; &gt; and
// &amp; (in that order). Other tokens (<#C..|name>, <!here>, links) stay.
std::string StripMention(std::string_view text, std::string_view bot_user_id);
// &lt; -> <, &gt; -> >, then &amp; -> &.
std::string UnescapeSlack(std::string_view text);

// A click on one of a clarification's option buttons (one element of a
// block_actions payload's actions[]).
struct ClarifyAction {
  std::string entry_id;          // from the button's value
  std::string clarification_id;  // from the button's value: the clarification's answer id ("" when none)
  std::string question;          // the button's text (the option's question, maybe cut)
  bool from_command = false;  // the clarification answered /ask (kClarifyCommandBlockId)
};
// False for any other action, or a clarify action whose value is malformed
// (chat::ParseOptionPayload: no entry id, one over 128 bytes, a malformed
// clarification id).
bool DecodeClarifyAction(const nlohmann::json& action, ClarifyAction* out);

// ---- encode (Slack mrkdwn and Block Kit) ----

// Escapes exactly &, < and > (as &amp; &lt; &gt;), as Slack asks.
std::string EscapeMrkdwn(std::string_view text);
// "<url|label>" with the label escaped, or the escaped label when the url is
// not http(s).
std::string Link(std::string_view url, std::string_view label);

// The answer as blocks: a section with the text, a context block with the
// sources, the suggestions, and 👍/👎 buttons whose value is the answer_id.
// A clarification: a section with its line, an actions block (block id
// `clarify_block_id`) with one button per option, and a context line on
// choosing by number; no feedback buttons.
nlohmann::json AnswerBlocks(const bot::Answer& answer, const char* clarify_block_id = kClarifyBlockId);
// The plain-text fallback (notifications, screen readers): the escaped text.
std::string AnswerFallbackText(const bot::Answer& answer);
// A chat.postMessage body replying in `thread_ts`.
nlohmann::json PostMessageBody(const std::string& channel, const std::string& thread_ts, const bot::Answer& answer);
// A chat.postMessage body with only `text` (already mrkdwn).
nlohmann::json PostTextBody(const std::string& channel, const std::string& thread_ts, const std::string& text);
// A slash-command response: ephemeral, or in_channel.
nlohmann::json CommandResponse(const bot::Answer& answer, bool in_channel);
// The body POSTed to a block_actions response_url after feedback: the
// original message (when the payload carries it) with the buttons replaced by
// a thanks ("replace_original": true); without it (an ephemeral answer), the
// thanks as a new ephemeral message, the answer left as it is.
nlohmann::json FeedbackUpdate(const nlohmann::json& original_message, bool helpful);
// The body POSTed to a block_actions response_url after an option of a
// clarification was chosen: the original message with its option buttons
// replaced by "You chose: <question>" ("replace_original": true), so they
// cannot be clicked again; null when the payload carries no message.
nlohmann::json ClarifyChosenUpdate(const nlohmann::json& original_message, const std::string& question);

}  // namespace adapters::slack
