// The Discord adapter: POST /discord/interactions, Discord's HTTP
// interactions endpoint. Every request's Ed25519 signature is checked over
// the raw body first; any failure is a 401 with no other effect. PING gets
// PONG; the `ask` command is answered inline (type 4); the feedback buttons
// record feedback and answer with an ephemeral thanks; a clarification's
// option buttons answer that entry by updating the clarification (type 7).
// RegisterDiscordCommand() is what `careerbot discord register` runs.
// Thread-safe: the handler may run on many server threads at once. The
// adapter must outlive the httplib::Server it registered on.
#pragma once

#include <memory>
#include <string>

#include "adapters/chat_config.h"
#include "adapters/rate_limit.h"
#include "adapters/service.h"
#include "bot/status.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib
namespace adapters::http {
class Router;
}  // namespace adapters::http

namespace adapters::discord {

class DiscordAdapter {
 public:
  DiscordAdapter(Service& service, DiscordConfig config);

  // Adds POST /discord/interactions; 503 not_configured without DISCORD_PUBLIC_KEY.
  void RegisterRoutes(http::Router& server);
  void HandleInteraction(const httplib::Request& req, httplib::Response& res);
  // Limits each Discord user (once the request is verified): past the
  // limit, 429 with Retry-After. Null or off: no limit. Set before serving.
  void set_rate_limiter(std::shared_ptr<RateLimiter> limiter) { limiter_ = std::move(limiter); }

 private:
  Service& service_;
  DiscordConfig config_;
  std::shared_ptr<RateLimiter> limiter_;
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
