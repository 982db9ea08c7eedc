#include "adapters/chat/discord/discord.h"

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "adapters/chat/discord/format.h"
#include "adapters/chat/common.h"
#include "adapters/chat/discord/verify.h"
#include "adapters/chat/pipeline.h"
#include "app/json_codec.h"
#include "adapters/chat/markdown.h"
#include "bot/text.h"

namespace adapters::discord {

using nlohmann::json;

namespace {

bool AllDigits(const std::string& s) {
  if (s.empty() || s.size() > 32) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// member.user.id in a guild, user.id in a direct message, else "".
std::string InteractionUserId(const json& interaction) {
  auto field = [](const json& j, const char* name) -> const json* {
    if (!j.is_object()) return nullptr;
    auto it = j.find(name);
    return it == j.end() ? nullptr : &*it;
  };
  const json* member = field(interaction, "member");
  const json* user = member ? field(*member, "user") : field(interaction, "user");
  const json* id = user ? field(*user, "id") : nullptr;
  return id && id->is_string() ? id->get<std::string>() : "";
}

constexpr char kHelp[] =
    "Ask me about backend-developer careers, for example `/ask question: How much do backend developers earn?` "
    "(set `private` to True so only you see the answer).";

constexpr char kSorryMinute[] = "Sorry, I cannot answer right now. Please try again in a minute.";

}  // namespace

const chat::PlatformSpec& DiscordPlatform::Spec() {
  static const chat::PlatformSpec spec = {
      "discord", "Discord", "DISCORD_PUBLIC_KEY", "invalid request signature",
      {{"POST", "/discord/interactions", chat::kDefaultWebhookBodyBytes,
        "Discord interactions: PING, the /ask command, feedback buttons"}},
      {{"DISCORD_PUBLIC_KEY", "verifies /discord/interactions (default: unset, Discord off: 503)", true},
       {"DISCORD_APPLICATION_ID", "for `careerbot discord register` (default: unset)", false},
       {"DISCORD_BOT_TOKEN", "for `careerbot discord register` (default: unset)", true},
       {"DISCORD_API_BASE", "(default https://discord.com/api/v10)", false}},
  };
  return spec;
}

DiscordPlatform::DiscordPlatform(Service& service, DiscordConfig config)
    : ConfiguredPlatform(service, std::move(config)) {
  if (config_.enabled() && !IsValidPublicKey(config_.public_key)) {
    spdlog::error(
        "discord: DISCORD_PUBLIC_KEY is not a 64-hex-character Ed25519 public key (the application's "
        "Public Key, not the bot token); every interaction will be refused");
  }
}

void DiscordPlatform::HandleInteraction(const httplib::Request& req, httplib::Response& res) {
  chat::Serve(*this, Spec().routes[0], req, res);
}

bot::Status DiscordPlatform::Verify(const httplib::Request& req) {
  return VerifySignature(config_.public_key, req.get_header_value("X-Signature-Ed25519"),
                         req.get_header_value("X-Signature-Timestamp"), req.body);
}

chat::Turn DiscordPlatform::Decode(const chat::Route&, const httplib::Request& req) {
  using chat::Turn;
  // Interactions nest a few levels (options of subcommands); deeper is not Discord's.
  json interaction = JsonNestingWithin(req.body, 64) ? json::parse(req.body, nullptr, /*allow_exceptions=*/false)
                                                     : json(json::value_t::discarded);
  if (interaction.is_discarded() || !interaction.is_object()) {
    return Turn::Send(400, ErrorJson("invalid_json", "the body is not a JSON object"));
  }
  auto type_it = interaction.find("type");
  int type = type_it != interaction.end() && type_it->is_number_integer() ? type_it->get<int>() : -1;
  // Discord's PINGs are not a user's; everything else counts against its user.
  if (type == kPing) return Turn::Send(200, PongResponse());
  Turn turn;
  turn.Limit(InteractionUserId(interaction));
  switch (type) {
    case kApplicationCommand: {
      AskCommand cmd;
      std::string error;
      if (!DecodeAskCommand(interaction, &cmd, &error)) {
        spdlog::warn("discord: {}", error);
        turn.reply = {200, TextResponse("I only know the `/ask` command.", true)};
      } else if (bot::IsBlank(cmd.question)) {
        turn.reply = {200, TextResponse(kHelp, true)};
      } else {
        turn.act = Turn::Act::kAsk;
        turn.what = "the ask command";
        turn.question.text = cmd.question;
        turn.conversation = cmd.channel_id + ":" + cmd.user_id;
        turn.context = {{"private", cmd.is_private}};
      }
      return turn;
    }
    case kMessageComponent: {
      ClarifyClick choice;
      FeedbackClick click;
      if (DecodeClarifyClick(interaction, &choice)) {
        // An option of a clarification: asks that entry in the conversation
        // that got the clarification (channel and user), through the same
        // Service::Ask as a typed choice.
        turn.act = Turn::Act::kAsk;
        turn.what = "clarification choice " + choice.entry_id;
        turn.question.text = bot::IsBlank(choice.question) ? choice.entry_id : choice.question;
        turn.question.entry_id = choice.entry_id;
        turn.question.clarification_id = choice.clarification_id;
        turn.conversation = choice.channel_id + ":" + choice.user_id;
        turn.context = {{"chosen", choice.question}};
      } else if (DecodeFeedbackClick(interaction, &click)) {
        turn.act = Turn::Act::kFeedback;
        turn.answer_id = click.answer_id;
        turn.helpful = click.helpful;
      } else {
        turn.reply = {400, ErrorJson("invalid_request", "unknown component")};
      }
      return turn;
    }
    case kAutocomplete:
      turn.reply = {200, {{"type", kAutocompleteResult}, {"data", {{"choices", json::array()}}}}};
      return turn;
    default:
      turn.reply = {400, ErrorJson("invalid_request", "unsupported interaction type")};
      return turn;
  }
}

chat::Reply DiscordPlatform::Render(const chat::Turn& turn, const bot::Result<bot::Answer>& answer) {
  const bool chosen = turn.context.contains("chosen");
  if (!answer.ok()) {
    const bool gone = chosen && answer.status().code() == bot::Status::Code::kNotFound;
    return {200, TextResponse(gone ? chat::kOptionGone : kSorryMinute, true)};
  }
  // A chosen option: UPDATE_MESSAGE, the clarification becomes the answer,
  // so its buttons cannot be clicked again and the channel gets no extra message.
  if (chosen) return {200, ChosenAnswerResponse(*answer, turn.context.value("chosen", std::string()))};
  return {200, AnswerResponse(*answer, turn.context.value("private", false))};
}

chat::Reply DiscordPlatform::Acknowledge(const chat::Turn& turn, const bot::Status& recorded) {
  if (!recorded.ok()) return {200, TextResponse("Sorry, I could not record that: the answer is unknown.", true)};
  return {200, TextResponse(chat::FeedbackThanks(turn.helpful), true)};
}

bot::Status RegisterDiscordCommand(const DiscordConfig& config, const std::string& guild_id, int* http_status,
                                   std::string* response_body) {
  *http_status = 0;
  response_body->clear();
  if (config.application_id.empty()) return bot::Status::InvalidArgument("set DISCORD_APPLICATION_ID");
  if (config.bot_token.empty()) return bot::Status::InvalidArgument("set DISCORD_BOT_TOKEN");
  if (!AllDigits(config.application_id)) {
    return bot::Status::InvalidArgument("DISCORD_APPLICATION_ID must be the application's numeric id");
  }
  if (!guild_id.empty() && !AllDigits(guild_id)) {
    return bot::Status::InvalidArgument("the guild id must be numeric");
  }
  std::string origin, prefix, error;
  if (!SplitApiBase(config.api_base, &origin, &prefix, &error)) {
    return bot::Status::InvalidArgument("DISCORD_API_BASE: " + error);
  }
  std::string path =
      prefix + "/applications/" + config.application_id + (guild_id.empty() ? "" : "/guilds/" + guild_id) + "/commands";
  httplib::Client client(origin);
  client.set_connection_timeout(10);
  client.set_read_timeout(20);
  client.set_write_timeout(10);
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
  client.enable_server_certificate_verification(true);
#endif
  httplib::Headers headers = {{"Authorization", "Bot " + config.bot_token},
                              {"User-Agent", "DiscordBot (https://github.com/careerbot/careerbot, 0.1.0)"}};
  auto res = client.Put(path, headers, CommandDefinitions().dump(), "application/json");
  if (!res) return bot::Status::Unavailable("cannot reach " + origin + ": " + httplib::to_string(res.error()));
  *http_status = res->status;
  *response_body = res->body;
  if (res->status < 200 || res->status >= 300) {
    return bot::Status::Unavailable("Discord answered HTTP " + std::to_string(res->status));
  }
  return bot::Status::Ok();
}

}  // namespace adapters::discord
