#include "adapters/chat/discord/format.h"

#include "adapters/chat/common.h"

#include "adapters/chat/clarify.h"
#include "adapters/chat/markdown.h"
#include "bot/text.h"

namespace adapters::discord {

using nlohmann::json;
using chat::kThumbsDown;
using chat::kThumbsUp;
using chat::StringField;

namespace {

constexpr char kBullet[] = "\xE2\x80\xA2 ";
constexpr char kFeedbackPrefix[] = "feedback:";

const json& ObjectField(const json& object, const char* name) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(name);
  return it != object.end() && it->is_object() ? *it : kNull;
}

int IntField(const json& object, const char* name) {
  if (!object.is_object()) return -1;
  auto it = object.find(name);
  return it != object.end() && it->is_number_integer() ? it->get<int>() : -1;
}

std::string Safe(const std::string& text) { return bot::SanitizeUtf8(text); }

json NoMentions() { return {{"parse", json::array()}}; }

}  // namespace

bool DecodeAskCommand(const json& interaction, AskCommand* out, std::string* error) {
  if (IntField(interaction, "type") != kApplicationCommand) {
    *error = "not an application command";
    return false;
  }
  const json& data = ObjectField(interaction, "data");
  if (StringField(data, "name") != kAskCommand) {
    *error = "unknown command '" + StringField(data, "name") + "'";
    return false;
  }
  AskCommand cmd;
  auto options = data.find("options");
  if (options != data.end() && options->is_array()) {
    for (const auto& o : *options) {
      if (!o.is_object()) continue;
      std::string name = StringField(o, "name");
      auto value = o.find("value");
      if (value == o.end()) continue;
      if (name == "question" && value->is_string()) cmd.question = value->get<std::string>();
      if (name == "private" && value->is_boolean()) cmd.is_private = value->get<bool>();
    }
  }
  cmd.user_id = StringField(ObjectField(ObjectField(interaction, "member"), "user"), "id");
  if (cmd.user_id.empty()) cmd.user_id = StringField(ObjectField(interaction, "user"), "id");
  cmd.channel_id = StringField(interaction, "channel_id");
  *out = std::move(cmd);
  return true;
}

std::string FeedbackCustomId(const std::string& answer_id, bool helpful) {
  return std::string(kFeedbackPrefix) + (helpful ? "up:" : "down:") + answer_id;
}

bool DecodeFeedbackClick(const json& interaction, FeedbackClick* out) {
  if (IntField(interaction, "type") != kMessageComponent) return false;
  std::string id = StringField(ObjectField(interaction, "data"), "custom_id");
  std::string prefix = kFeedbackPrefix;
  if (id.compare(0, prefix.size(), prefix) != 0) return false;
  std::string rest = id.substr(prefix.size());
  FeedbackClick click;
  if (rest.compare(0, 3, "up:") == 0) {
    click.helpful = true;
    click.answer_id = rest.substr(3);
  } else if (rest.compare(0, 5, "down:") == 0) {
    click.answer_id = rest.substr(5);
  } else {
    return false;
  }
  if (click.answer_id.empty()) return false;
  *out = std::move(click);
  return true;
}

std::string ClarifyCustomId(const std::string& entry_id, const std::string& clarification_id) {
  const size_t prefix = std::string_view(kClarifyPrefix).size();
  std::string payload = OptionPayload(entry_id, clarification_id, kMaxCustomId - prefix);
  return payload.empty() ? "" : kClarifyPrefix + payload;
}

bool DecodeClarifyClick(const json& interaction, ClarifyClick* out) {
  if (IntField(interaction, "type") != kMessageComponent) return false;
  const std::string id = StringField(ObjectField(interaction, "data"), "custom_id");
  const std::string prefix = kClarifyPrefix;
  if (id.size() <= prefix.size() || id.size() > kMaxCustomId || id.compare(0, prefix.size(), prefix) != 0) {
    return false;
  }
  ClarifyClick click;
  if (!ParseOptionPayload(std::string_view(id).substr(prefix.size()), &click.entry_id, &click.clarification_id)) {
    return false;
  }
  // Discord sends the message the button is on: its label is the option's question.
  const json& message = ObjectField(interaction, "message");
  auto rows = message.is_object() ? message.find("components") : message.end();
  if (message.is_object() && rows != message.end() && rows->is_array()) {
    for (const auto& row : *rows) {
      if (!row.is_object() || !row.contains("components") || !row["components"].is_array()) continue;
      for (const auto& c : row["components"]) {
        if (StringField(c, "custom_id") == id) click.question = Safe(StringField(c, "label"));
      }
    }
  }
  click.user_id = StringField(ObjectField(ObjectField(interaction, "member"), "user"), "id");
  if (click.user_id.empty()) click.user_id = StringField(ObjectField(interaction, "user"), "id");
  click.channel_id = StringField(interaction, "channel_id");
  if (click.channel_id.empty()) click.channel_id = StringField(ObjectField(interaction, "channel"), "id");
  *out = std::move(click);
  return true;
}

json PongResponse() { return {{"type", kPong}}; }

json AnswerResponse(const bot::Answer& answer, bool ephemeral) {
  return {{"type", kChannelMessage}, {"data", AnswerMessage(answer, ephemeral)}};
}

std::string SourceLine(const std::string& title_text, const std::string& article, const std::string& source_url) {
  constexpr size_t kMaxLine = 512;
  std::string url = MarkdownLinkUrl(Safe(source_url));
  // A link that long would crowd out its title: the title alone then.
  if (Utf16Length(url) > 300) url.clear();
  const size_t link_units = url.empty() ? 0 : Utf16Length(url) + 4;  // "[", "](", ")"
  // The title is cut to leave the link whole: a cut inside "[title](url"
  // would leave a broken link.
  std::string title = CutAtSentence(EscapeMarkdown(Safe(title_text.empty() ? article : title_text)),
                                    kMaxLine - Utf16Length(kBullet) - link_units);
  std::string line = kBullet + (url.empty() ? title : "[" + title + "](" + url + ")");
  if (!article.empty() && article != title_text) {
    const std::string sep = " \xC2\xB7 ";
    const size_t used = Utf16Length(line) + Utf16Length(sep);
    if (used + 8 < kMaxLine) line += sep + CutAtSentence(EscapeMarkdown(Safe(article)), kMaxLine - used);
  }
  return line;
}

json AnswerMessage(const bot::Answer& answer, bool ephemeral) {
  if (IsClarification(answer)) {
    json data = {{"content", CutAtSentence(EscapeMarkdown(Safe(ClarifyPrompt(answer))), kMaxContent)},
                 {"allowed_mentions", NoMentions()}};
    json buttons = json::array();
    for (const auto& o : answer.options) {
      if (buttons.size() == 5) break;  // an action row holds at most 5 buttons
      std::string custom_id = ClarifyCustomId(o.entry_id, answer.answer_id);
      if (custom_id.empty()) continue;
      // Labels are plain text (no Markdown), at most 80 characters.
      std::string label = CutAtSentence(Safe(o.question), kMaxButtonLabel);
      if (bot::IsBlank(label)) label = CutAtSentence(o.entry_id, kMaxButtonLabel);
      buttons.push_back({{"type", 2}, {"style", buttons.empty() ? 1 : 2}, {"label", label}, {"custom_id", custom_id}});
    }
    if (!buttons.empty()) data["components"] = json::array({{{"type", 1}, {"components", buttons}}});
    if (ephemeral) data["flags"] = kEphemeral;
    return data;
  }
  std::string content = CutAtSentence(EscapeMarkdown(Safe(answer.text)), kMaxContent);
  json data = {{"content", content}, {"allowed_mentions", NoMentions()}};

  // The embed: sources in the description, suggestions in a field. Each part
  // is bounded on its own, and together they stay far below 6000.
  json embed = json::object();
  size_t total = 0;
  if (!answer.sources.empty()) {
    std::string description;
    for (const auto& s : answer.sources) {
      std::string line = SourceLine(s.title, s.article, s.url);
      std::string next = description.empty() ? line : description + "\n" + line;
      if (Utf16Length(next) > kMaxEmbedDescription) break;
      description = std::move(next);
    }
    embed["title"] = answer.sources.size() == 1 ? "Source" : "Sources";
    embed["description"] = description;
    total += Utf16Length(embed["title"].get<std::string>()) + Utf16Length(description);
  }
  if (!answer.suggestions.empty()) {
    std::string value;
    for (const auto& s : answer.suggestions) {
      std::string line = kBullet + EscapeMarkdown(Safe(s));
      std::string next = value.empty() ? line : value + "\n" + line;
      if (Utf16Length(next) > kMaxFieldValue) break;
      value = std::move(next);
    }
    if (!value.empty()) {
      std::string name = "You could also ask";
      if (total + Utf16Length(name) + Utf16Length(value) <= kMaxEmbedTotal) {
        embed["fields"] = json::array({{{"name", name}, {"value", value}, {"inline", false}}});
        total += Utf16Length(name) + Utf16Length(value);
      }
    }
  }
  if (!embed.empty()) data["embeds"] = json::array({embed});

  if (!answer.answer_id.empty() && answer.kind != "smalltalk") {
    auto button = [&](bool helpful) {
      return json{{"type", 2},
                  {"style", 2},
                  {"emoji", {{"name", helpful ? kThumbsUp : kThumbsDown}}},
                  {"custom_id", FeedbackCustomId(answer.answer_id, helpful)}};
    };
    data["components"] = json::array({{{"type", 1}, {"components", {button(true), button(false)}}}});
  }
  if (ephemeral) data["flags"] = kEphemeral;
  return data;
}

json ChosenAnswerResponse(const bot::Answer& answer, const std::string& chosen_question) {
  json data = AnswerMessage(answer, false);
  if (!bot::IsBlank(chosen_question)) {
    // The choice stays readable above its answer: "**question**".
    std::string head = "**" + CutAtSentence(EscapeMarkdown(Safe(chosen_question)), 300) + "**\n";
    data["content"] = CutAtSentence(head + EscapeMarkdown(Safe(answer.text)), kMaxContent);
  }
  // An update keeps the message's flags; without components the options
  // would stay, so an answer without feedback buttons clears them.
  if (!data.contains("components")) data["components"] = json::array();
  return {{"type", kUpdateMessage}, {"data", data}};
}

json TextResponse(const std::string& markdown, bool ephemeral) {
  json data = {{"content", CutAtSentence(markdown, kMaxContent)}, {"allowed_mentions", NoMentions()}};
  if (ephemeral) data["flags"] = kEphemeral;
  return {{"type", kChannelMessage}, {"data", data}};
}

json CommandDefinitions() {
  return json::array(
      {{{"name", kAskCommand},
        {"type", 1},
        {"description", "Ask careerbot about backend-developer careers"},
        {"options",
         {{{"name", "question"},
           {"description", "Your question"},
           {"type", 3},
           {"required", true},
           {"max_length", 1000}},
          {{"name", "private"}, {"description", "Only you see the answer"}, {"type", 5}, {"required", false}}}}}});
}

}  // namespace adapters::discord
