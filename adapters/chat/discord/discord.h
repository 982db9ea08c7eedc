// The Discord platform: POST /discord/interactions, Discord's HTTP
// interactions endpoint. Every request's Ed25519 signature is checked over
// the raw body first (the pipeline, adapters/chat/pipeline.h); any failure
// is a 401 with no other effect. PING gets
// PONG; the `ask` command is answered inline (type 4); the feedback buttons
// record feedback and answer with an ephemeral thanks; a clarification's
// option buttons answer that entry by updating the clarification (type 7).
// RegisterDiscordCommand() is what `careerbot discord register` runs.
// Thread-safe: the handler may run on many server threads at once. The
// adapter must outlive the httplib::Server it registered on.
#pragma once

#include <memory>
#include <string>

#include "adapters/chat/platform.h"
#include "app/chat_config.h"
#include "app/service.h"
#include "bot/status.h"

namespace adapters::discord {

class DiscordPlatform : public chat::ConfiguredPlatform<DiscordPlatform, DiscordConfig> {
 public:
  DiscordPlatform(Service& service, DiscordConfig config);
  static const chat::PlatformSpec& Spec();

  bot::Status Verify(const httplib::Request& req) override;
  chat::Turn Decode(const chat::Route& route, const httplib::Request& req) override;
  chat::Reply Render(const chat::Turn& turn, const bot::Result<bot::Answer>& answer) override;
  chat::Reply Acknowledge(const chat::Turn& turn, const bot::Status& recorded) override;

  // POST /discord/interactions, through the pipeline (for tests and fuzzers).
  void HandleInteraction(const httplib::Request& req, httplib::Response& res);
};

// Registers (overwrites) the application's commands with the `ask` command:
// PUT {api_base}/applications/{application_id}/commands, or
// .../guilds/{guild_id}/commands when guild_id is set, with
// "Authorization: Bot {bot_token}". Sets *http_status and *response_body to
// what Discord answered. Fails with kInvalidArgument when the configuration
// lacks the application id, the bot token or a usable API base, and with
// kUnavailable when Discord cannot be reached or answers non-2xx.
bot::Status RegisterDiscordCommand(const DiscordConfig& config, const std::string& guild_id, int* http_status,
                                   std::string* response_body);

}  // namespace adapters::discord
