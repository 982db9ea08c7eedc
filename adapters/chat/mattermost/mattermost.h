// The Mattermost platform: POST /mattermost/commands, Mattermost's
// Slack-compatible slash command, answered with Markdown in the HTTP
// response. Authenticated by comparing MATTERMOST_TOKEN, in constant time,
// with `Authorization: Token ...` or the `token` form field. Thread-safe.
#pragma once

#include "adapters/chat/platform.h"
#include "app/chat_config.h"

namespace adapters::mattermost {

class MattermostPlatform : public chat::ConfiguredPlatform<MattermostPlatform, MattermostConfig> {
 public:
  using ConfiguredPlatform::ConfiguredPlatform;
  static const chat::PlatformSpec& Spec();

  bot::Status Verify(const httplib::Request& req) override;
  chat::Turn Decode(const chat::Route& route, const httplib::Request& req) override;
  chat::Reply Render(const chat::Turn& turn, const bot::Result<bot::Answer>& answer) override;

  // POST /mattermost/commands, through the pipeline (for tests and fuzzers).
  void HandleCommands(const httplib::Request& req, httplib::Response& res);
};

}  // namespace adapters::mattermost
