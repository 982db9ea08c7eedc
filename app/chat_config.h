// Configuration of the chat platforms (adapters/chat/: Slack, Discord,
// Mattermost): plain values read once from the environment at start-up and
// handed to the HTTP server. The one part of a platform outside its folder
// until configuration is built in one place (issue 17): its struct here and
// its variables read by BuildConfig (app/config.h). A platform whose secret is empty is "not configured": its
// endpoints answer 503 saying which variable to set. Value types; the secrets
// in here must never be logged or echoed.
#pragma once

#include <string>

#include "bot/status.h"

namespace adapters {

struct SlackConfig {
  std::string signing_secret;                      // SLACK_SIGNING_SECRET: verifies requests from Slack
  std::string bot_token;                           // SLACK_BOT_TOKEN (xoxb-...): chat.postMessage
  std::string api_base = "https://slack.com/api";  // SLACK_API_BASE
  // `/ask public how do I ...` answers in the channel instead of ephemerally.
  std::string public_keyword = "public";
  // Events are answered by a small worker; more than this many waiting are dropped.
  size_t max_queued = 256;
  bool enabled() const { return !signing_secret.empty(); }
};

struct DiscordConfig {
  std::string public_key;                                // DISCORD_PUBLIC_KEY: 64 hex characters
  std::string application_id;                            // DISCORD_APPLICATION_ID: for `careerbot discord register`
  std::string bot_token;                                 // DISCORD_BOT_TOKEN: for `careerbot discord register`
  std::string api_base = "https://discord.com/api/v10";  // DISCORD_API_BASE
  bool enabled() const { return !public_key.empty(); }
};

struct MattermostConfig {
  std::string token;  // MATTERMOST_TOKEN: the slash command's token
  std::string public_keyword = "public";
  bool enabled() const { return !token.empty(); }
};

struct ChatConfig {
  SlackConfig slack;
  DiscordConfig discord;
  MattermostConfig mattermost;
};

// "http, slack, discord": the adapters a server with `config` turns on (the
// registered platforms whose secret is set, adapters/chat/registry.h).
std::string EnabledAdapters(const ChatConfig& config);

// Splits an API base such as "https://slack.com/api" into its origin
// ("https://slack.com") and path prefix ("/api", no trailing slash). Only
// https is accepted, and http:// on a loopback host (127.0.0.1, localhost,
// [::1]) for tests. Returns false (and says why in *error) otherwise.
bool SplitApiBase(const std::string& base, std::string* origin, std::string* prefix, std::string* error);

}  // namespace adapters
