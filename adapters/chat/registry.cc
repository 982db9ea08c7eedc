#include "adapters/chat/registry.h"

#include "adapters/chat/discord/discord.h"
#include "adapters/chat/mattermost/mattermost.h"
#include "adapters/chat/slack/slack.h"

namespace adapters::chat {
namespace {

// A platform whose constructor takes (Service&, its config).
template <typename P, typename Config, Config ChatConfig::*field>
Registration Register() {
  return Registration{&P::Spec,
                      [](const PlatformContext& c) -> std::unique_ptr<Platform> {
                        return std::make_unique<P>(c.service, c.config.*field);
                      },
                      [](const ChatConfig& config) { return (config.*field).enabled(); }};
}

}  // namespace

const std::vector<Registration>& Registry() {
  static const std::vector<Registration> registry = {
      Register<slack::SlackPlatform, SlackConfig, &ChatConfig::slack>(),
      Register<discord::DiscordPlatform, DiscordConfig, &ChatConfig::discord>(),
      Register<mattermost::MattermostPlatform, MattermostConfig, &ChatConfig::mattermost>(),
  };
  return registry;
}

std::vector<std::unique_ptr<Platform>> MakePlatforms(const PlatformContext& context) {
  std::vector<std::unique_ptr<Platform>> out;
  for (const Registration& r : Registry()) {
    out.push_back(r.make(context));
    if (context.shared != nullptr) out.back()->UseSharedState(context.shared);
  }
  return out;
}

std::vector<std::string> PlatformNames() {
  std::vector<std::string> out;
  for (const Registration& r : Registry()) out.emplace_back(r.spec().name);
  return out;
}

size_t WebhookBodyLimit(const std::string& path) {
  for (const Registration& r : Registry()) {
    const PlatformSpec& spec = r.spec();
    const std::string prefix = "/" + std::string(spec.name) + "/";
    if (path.rfind(prefix, 0) != 0) continue;
    for (const Route& route : spec.routes) {
      if (path == route.path) return route.body_limit;
    }
    return kDefaultWebhookBodyBytes;
  }
  return 0;
}

}  // namespace adapters::chat
