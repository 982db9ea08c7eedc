#include "adapters/chat/mattermost/mattermost.h"

#include <httplib.h>

#include "adapters/chat/mattermost/format.h"
#include "adapters/chat/pipeline.h"
#include "adapters/chat/slash_command.h"
#include "bot/text.h"

namespace adapters::mattermost {

const chat::PlatformSpec& MattermostPlatform::Spec() {
  static const chat::PlatformSpec spec = {
      "mattermost", "Mattermost", "MATTERMOST_TOKEN", "invalid token",
      {{"POST", "/mattermost/commands", chat::kDefaultWebhookBodyBytes, "Mattermost slash command /ask"}},
      {{"MATTERMOST_TOKEN", "the slash command's token (default: unset, Mattermost off: 503)", true},
       {"MATTERMOST_PUBLIC_KEYWORD", "(default public)", false}},
  };
  return spec;
}

bot::Status MattermostPlatform::Verify(const httplib::Request& req) {
  // No signature: the token is in a header or the body.
  std::string token;
  std::string auth = req.get_header_value("Authorization");
  if (auth.compare(0, 6, "Token ") == 0) {
    token = std::string(bot::Trim(auth.substr(6)));
  } else {
    token = chat::FormField(chat::ParseForm(req.body), "token");
  }
  if (token.empty() || !chat::ConstantTimeEquals(token, config_.token)) {
    return bot::Status::InvalidArgument("wrong or missing token");
  }
  return bot::Status::Ok();
}

chat::Turn MattermostPlatform::Decode(const chat::Route&, const httplib::Request& req) {
  return chat::DecodeSlashCommand(chat::ParseForm(req.body), config_.public_keyword);
}

chat::Reply MattermostPlatform::Render(const chat::Turn& turn, const bot::Result<bot::Answer>& answer) {
  if (!answer.ok()) return chat::SlashCommandFailure();
  return chat::Reply{200, CommandResponse(*answer, turn.context.value("in_channel", false),
                                          turn.context.value("command", std::string()))};
}

void MattermostPlatform::HandleCommands(const httplib::Request& req, httplib::Response& res) {
  chat::Serve(*this, Spec().routes[0], req, res);
}

}  // namespace adapters::mattermost
