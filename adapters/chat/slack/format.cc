#include "adapters/chat/slack/format.h"

#include <cctype>

#include "adapters/chat/slash_command.h"
#include "adapters/chat/common.h"
#include "adapters/chat/clarify.h"
#include "adapters/chat/markdown.h"
#include "bot/text.h"

namespace adapters::slack {

using nlohmann::json;
using chat::kThumbsDown;
using chat::kThumbsUp;
using chat::StringField;

namespace {

constexpr char kEllipsis[] = "\xE2\x80\xA6";

// Slack caps a section's or context element's text at 3000 characters; bytes
// are a safe upper bound.
constexpr size_t kMaxTextBytes = 2900;

// Escapes `text` for mrkdwn, cut (on a character boundary, with an ellipsis)
// so the result stays within max_bytes.
std::string EscapeLimited(std::string_view text, size_t max_bytes) {
  std::string escaped = EscapeMrkdwn(text);
  if (escaped.size() <= max_bytes) return escaped;
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    std::string piece = EscapeMrkdwn(text.substr(i, len));
    if (out.size() + piece.size() + 3 > max_bytes) break;
    out += piece;
    i += len;
  }
  return out + kEllipsis;
}

json MrkdwnSection(const std::string& text) {
  return {{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", text}}}};
}

std::string SafeText(const std::string& text) { return bot::SanitizeUtf8(text); }

}  // namespace

std::string UnescapeSlack(std::string_view text) {
  auto replace_all = [](std::string s, std::string_view from, std::string_view to) {
    size_t pos = 0;
    while ((pos = s.find(from, pos)) != std::string::npos) {
      s.replace(pos, from.size(), to);
      pos += to.size();
    }
    return s;
  };
  std::string s(text);
  s = replace_all(std::move(s), "&lt;", "<");
  s = replace_all(std::move(s), "&gt;", ">");
  return replace_all(std::move(s), "&amp;", "&");
}

std::string StripMention(std::string_view text, std::string_view bot_user_id) {
  std::string out;
  size_t pos = 0;
  bool stripped_one = false;
  while (pos < text.size()) {
    size_t open = text.find("<@", pos);
    if (open == std::string_view::npos) break;
    size_t close = text.find('>', open);
    if (close == std::string_view::npos) break;
    std::string_view token = text.substr(open + 2, close - open - 2);  // "U123" or "U123|name"
    std::string_view id = token.substr(0, token.find('|'));
    bool ours = bot_user_id.empty() ? !stripped_one : id == bot_user_id;
    out.append(text.substr(pos, open - pos));
    if (ours) {
      stripped_one = true;
      out += ' ';
    } else {
      out.append(text.substr(open, close - open + 1));
    }
    pos = close + 1;
  }
  if (pos < text.size()) out.append(text.substr(pos));
  // Collapse the doubled spaces a removed mention leaves behind.
  std::string collapsed;
  for (char c : out) {
    if (c == ' ' && !collapsed.empty() && collapsed.back() == ' ') continue;
    collapsed += c;
  }
  return UnescapeSlack(bot::Trim(collapsed));
}

bool DecodeClarifyAction(const json& action, ClarifyAction* out) {
  if (!action.is_object()) return false;
  const std::string id = StringField(action, "action_id");
  const std::string prefix = kClarifyActionPrefix;
  if (id.size() <= prefix.size() || id.size() > prefix.size() + 2 || id.compare(0, prefix.size(), prefix) != 0) {
    return false;
  }
  for (size_t i = prefix.size(); i < id.size(); i++) {
    if (id[i] < '0' || id[i] > '9') return false;
  }
  ClarifyAction click;
  if (!ParseOptionPayload(StringField(action, "value"), &click.entry_id, &click.clarification_id)) return false;
  auto text = action.find("text");
  if (text != action.end() && text->is_object()) click.question = bot::SanitizeUtf8(StringField(*text, "text"));
  click.from_command = StringField(action, "block_id") == kClarifyCommandBlockId;
  *out = std::move(click);
  return true;
}

std::string EscapeMrkdwn(std::string_view text) { return chat::EscapeAngleBrackets(text); }

std::string Link(std::string_view url, std::string_view label) {
  std::string safe_label = EscapeMrkdwn(label);
  if (url.compare(0, 8, "https://") != 0 && url.compare(0, 7, "http://") != 0) return safe_label;
  std::string safe_url;
  static const char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7F || c == '<' || c == '>' || c == '|') {
      safe_url += '%';
      safe_url += kHex[c >> 4];
      safe_url += kHex[c & 15];
    } else if (c == '&') {
      safe_url += "&amp;";
    } else {
      safe_url += static_cast<char>(c);
    }
  }
  // The label ends at the first '>', which EscapeMrkdwn has already removed.
  return "<" + safe_url + "|" + safe_label + ">";
}

json AnswerBlocks(const bot::Answer& answer, const char* clarify_block_id) {
  json blocks = json::array();
  if (IsClarification(answer)) {
    // The line, then one button per option: a click asks that entry.
    blocks.push_back(MrkdwnSection(EscapeLimited(SafeText(ClarifyPrompt(answer)), kMaxTextBytes)));
    json buttons = json::array();
    for (const auto& o : answer.options) {
      if (buttons.size() == 5) break;  // Slack allows 25 elements; careerbot offers at most 3
      const std::string value = OptionPayload(o.entry_id, answer.answer_id, kMaxButtonValue);
      if (value.empty()) continue;
      std::string label = CutAtSentence(SafeText(o.question), kMaxButtonText);
      if (bot::IsBlank(label)) label = o.entry_id.substr(0, kMaxButtonText);
      buttons.push_back({{"type", "button"},
                         {"action_id", kClarifyActionPrefix + std::to_string(buttons.size() + 1)},
                         {"text", {{"type", "plain_text"}, {"text", label}, {"emoji", false}}},
                         {"value", value}});
    }
    if (!buttons.empty()) blocks.push_back({{"type", "actions"}, {"block_id", clarify_block_id}, {"elements", buttons}});
    const bool command = std::string_view(clarify_block_id) == kClarifyCommandBlockId;
    blocks.push_back({{"type", "context"},
                      {"elements",
                       {{{"type", "mrkdwn"},
                         {"text", command ? "Or type `/ask` and the option's number." : "Or reply with its number."}}}}});
    return blocks;
  }
  blocks.push_back(MrkdwnSection(EscapeLimited(SafeText(answer.text), kMaxTextBytes)));
  if (!answer.sources.empty()) {
    json elements = json::array();
    for (const auto& s : answer.sources) {
      if (elements.size() == 10) break;  // a context block holds at most 10 elements
      std::string title = SafeText(s.title.empty() ? s.article : s.title);
      std::string line = "Source: " + Link(SafeText(s.url), bot::TruncateUtf8(title, 300));
      if (!s.article.empty() && s.article != s.title) {
        line += " (" + EscapeMrkdwn(bot::TruncateUtf8(SafeText(s.article), 300)) + ")";
      }
      elements.push_back({{"type", "mrkdwn"}, {"text", line}});
    }
    blocks.push_back({{"type", "context"}, {"elements", elements}});
  }
  if (!answer.suggestions.empty()) {
    std::string text = "*You could also ask:*";
    for (const auto& s : answer.suggestions) {
      text += "\n\xE2\x80\xA2 " + EscapeMrkdwn(bot::TruncateUtf8(SafeText(s), 500));
    }
    blocks.push_back(MrkdwnSection(text));
  }
  if (!answer.answer_id.empty() && answer.kind != "smalltalk") {
    auto button = [&](const char* action, const char* emoji) {
      return json{{"type", "button"},
                  {"action_id", action},
                  {"text", {{"type", "plain_text"}, {"text", emoji}, {"emoji", true}}},
                  {"value", answer.answer_id}};
    };
    blocks.push_back({{"type", "actions"},
                      {"block_id", kFeedbackBlockId},
                      {"elements", {button(kFeedbackUpAction, kThumbsUp), button(kFeedbackDownAction, kThumbsDown)}}});
  }
  return blocks;
}

std::string AnswerFallbackText(const bot::Answer& answer) {
  return EscapeLimited(SafeText(answer.text), kMaxTextBytes);
}

json PostMessageBody(const std::string& channel, const std::string& thread_ts, const bot::Answer& answer) {
  json body = {{"channel", channel},
               {"text", AnswerFallbackText(answer)},
               {"blocks", AnswerBlocks(answer)},
               {"unfurl_links", false},
               {"unfurl_media", false}};
  if (!thread_ts.empty()) body["thread_ts"] = thread_ts;
  return body;
}

json PostTextBody(const std::string& channel, const std::string& thread_ts, const std::string& text) {
  json body = {{"channel", channel}, {"text", text}};
  if (!thread_ts.empty()) body["thread_ts"] = thread_ts;
  return body;
}

json CommandResponse(const bot::Answer& answer, bool in_channel) {
  return {{"response_type", in_channel ? "in_channel" : "ephemeral"},
          {"text", AnswerFallbackText(answer)},
          {"blocks", AnswerBlocks(answer, kClarifyCommandBlockId)}};
}

json FeedbackUpdate(const json& original_message, bool helpful) {
  std::string thanks =
      chat::FeedbackThanks(helpful);
  // Without the message to rebuild (an ephemeral /ask answer: Slack does not
  // send it back), replacing would leave only the thanks where the answer
  // was: the thanks comes as a message of its own instead.
  const json own = {{"replace_original", false}, {"response_type", "ephemeral"}, {"text", thanks}};
  if (!original_message.is_object()) return own;
  auto blocks = original_message.find("blocks");
  if (blocks == original_message.end() || !blocks->is_array()) return own;
  json out = {{"replace_original", true}, {"text", thanks}};
  json kept = json::array();
  for (const auto& b : *blocks) {
    if (b.is_object() && (StringField(b, "block_id") == kFeedbackBlockId || StringField(b, "type") == "actions")) {
      continue;
    }
    kept.push_back(b);
  }
  kept.push_back({{"type", "context"}, {"elements", {{{"type", "mrkdwn"}, {"text", thanks}}}}});
  out["blocks"] = kept;
  auto text = original_message.find("text");
  if (text != original_message.end() && text->is_string() && !text->get<std::string>().empty()) out["text"] = *text;
  return out;
}

json ClarifyChosenUpdate(const json& original_message, const std::string& question) {
  if (!original_message.is_object()) return json();
  auto blocks = original_message.find("blocks");
  if (blocks == original_message.end() || !blocks->is_array()) return json();
  const std::string chosen = "You chose: *" + EscapeLimited(SafeText(question), 500) + "*";
  json kept = json::array();
  for (const auto& b : *blocks) {
    if (!b.is_object()) continue;
    const std::string id = StringField(b, "block_id");
    // The option buttons and the line on choosing by number go; the question stays.
    if (id == kClarifyBlockId || id == kClarifyCommandBlockId || StringField(b, "type") == "actions" ||
        StringField(b, "type") == "context") {
      continue;
    }
    kept.push_back(b);
  }
  kept.push_back({{"type", "context"}, {"elements", {{{"type", "mrkdwn"}, {"text", chosen}}}}});
  json out = {{"replace_original", true}, {"blocks", kept}, {"text", chosen}};
  auto text = original_message.find("text");
  if (text != original_message.end() && text->is_string() && !text->get<std::string>().empty()) out["text"] = *text;
  return out;
}

}  // namespace adapters::slack
