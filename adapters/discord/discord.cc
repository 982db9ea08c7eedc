#include "adapters/http/router.h"
#include "adapters/discord/discord.h"

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "adapters/discord/format.h"
#include "adapters/discord/verify.h"
#include "adapters/json_codec.h"
#include "adapters/markdown.h"
#include "bot/text.h"

namespace adapters::discord {

using nlohmann::json;

namespace {

void SendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

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

}  // namespace

DiscordAdapter::DiscordAdapter(Service& service, DiscordConfig config) : service_(service), config_(std::move(config)) {
  if (config_.enabled() && !IsValidPublicKey(config_.public_key)) {
    spdlog::error(
        "discord: DISCORD_PUBLIC_KEY is not a 64-hex-character Ed25519 public key (the application's "
        "Public Key, not the bot token); every interaction will be refused");
  }
}

void DiscordAdapter::RegisterRoutes(http::Router& server) {
  server.Post("/discord/interactions",
              [this](const httplib::Request& req, httplib::Response& res) { HandleInteraction(req, res); });
}

void DiscordAdapter::HandleInteraction(const httplib::Request& req, httplib::Response& res) {
  if (!config_.enabled()) {
    SendJson(res, 503,
             ErrorJson("not_configured", "set DISCORD_PUBLIC_KEY to turn on the Discord adapter (see docs/platforms.md)"));
    return;
  }
  bot::Status s = VerifySignature(config_.public_key, req.get_header_value("X-Signature-Ed25519"),
                                  req.get_header_value("X-Signature-Timestamp"), req.body);
  if (!s.ok()) {
    spdlog::info("discord: refused {} {} from {}: {}", req.method, req.path, req.remote_addr, s.message());
    SendJson(res, 401, ErrorJson("unauthorized", "invalid request signature"));
    return;
  }
  // Interactions nest a few levels (options of subcommands); deeper is not Discord's.
  json interaction = JsonNestingWithin(req.body, 64) ? json::parse(req.body, nullptr, /*allow_exceptions=*/false)
                                                     : json(json::value_t::discarded);
  if (interaction.is_discarded() || !interaction.is_object()) {
    SendJson(res, 400, ErrorJson("invalid_json", "the body is not a JSON object"));
    return;
  }
  auto type_it = interaction.find("type");
  int type = type_it != interaction.end() && type_it->is_number_integer() ? type_it->get<int>() : -1;
  // Discord's PINGs are not a user's; everything else counts against its user.
  if (type != kPing && limiter_ && limiter_->enabled()) {
    RateLimiter::Decision d = limiter_->Take("discord:" + InteractionUserId(interaction));
    if (!d.allowed) {
      res.set_header("Retry-After", std::to_string(d.retry_after_s));
      SendJson(res, 429, ErrorJson("rate_limited", RateLimitedMessage(limiter_->per_minute(), d.retry_after_s)));
      return;
    }
  }
  switch (type) {
    case kPing:
      SendJson(res, 200, PongResponse());
      return;
    case kApplicationCommand: {
      AskCommand cmd;
      std::string error;
      if (!DecodeAskCommand(interaction, &cmd, &error)) {
        spdlog::warn("discord: {}", error);
        SendJson(res, 200, TextResponse("I only know the `/ask` command.", true));
        return;
      }
      if (bot::IsBlank(cmd.question)) {
        SendJson(res, 200, TextResponse(kHelp, true));
        return;
      }
      bot::Question q;
      q.text = cmd.question;
      q.channel = "discord";
      q.conversation_id = "discord:" + cmd.channel_id + ":" + cmd.user_id;
      auto answer = service_.Ask(q);
      if (!answer.ok()) {
        spdlog::error("discord: answering: {}", answer.status().ToString());
        SendJson(res, 200, TextResponse("Sorry, I cannot answer right now. Please try again in a minute.", true));
        return;
      }
      SendJson(res, 200, AnswerResponse(*answer, cmd.is_private));
      return;
    }
    case kMessageComponent: {
      ClarifyClick choice;
      if (DecodeClarifyClick(interaction, &choice)) {
        // An option of a clarification: asks that entry in the conversation
        // that got the clarification (channel and user), through the same
        // Service::Ask as a typed choice.
        bot::Question q;
        q.text = bot::IsBlank(choice.question) ? choice.entry_id : choice.question;
        q.entry_id = choice.entry_id;
        q.channel = "discord";
        q.conversation_id = "discord:" + choice.channel_id + ":" + choice.user_id;
        auto answer = service_.Ask(q);
        if (!answer.ok()) {
          spdlog::warn("discord: clarification choice {}: {}", choice.entry_id, answer.status().ToString());
          SendJson(res, 200,
                   TextResponse(answer.status().code() == bot::Status::Code::kNotFound
                                    ? "Sorry, that option is no longer available. Please ask your question again."
                                    : "Sorry, I cannot answer right now. Please try again in a minute.",
                                true));
          return;
        }
        // UPDATE_MESSAGE: the clarification becomes the answer, so its
        // buttons cannot be clicked again and the channel gets no extra message.
        SendJson(res, 200, ChosenAnswerResponse(*answer, choice.question));
        return;
      }
      FeedbackClick click;
      if (!DecodeFeedbackClick(interaction, &click)) {
        SendJson(res, 400, ErrorJson("invalid_request", "unknown component"));
        return;
      }
      bot::Status f = service_.Feedback(click.answer_id, click.helpful, "");
      if (!f.ok()) {
        spdlog::warn("discord: feedback on {}: {}", click.answer_id, f.ToString());
        SendJson(res, 200, TextResponse("Sorry, I could not record that: the answer is unknown.", true));
        return;
      }
      SendJson(res, 200,
               TextResponse(click.helpful ? "Thanks for the feedback! Glad it helped."
                                          : "Thanks for the feedback: this answer will be looked at.",
                            true));
      return;
    }
    case kAutocomplete:
      SendJson(res, 200, {{"type", kAutocompleteResult}, {"data", {{"choices", json::array()}}}});
      return;
    default:
      SendJson(res, 400, ErrorJson("invalid_request", "unsupported interaction type"));
  }
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
