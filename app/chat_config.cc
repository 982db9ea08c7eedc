#include "app/chat_config.h"

#include <cstdlib>

#include "adapters/chat/registry.h"
#include "app/secrets.h"

namespace adapters {
namespace {

void ReadEnv(const char* name, std::string* out) {
  const char* v = std::getenv(name);
  if (v && *v) *out = v;
}

}  // namespace

ChatConfig ChatConfigFromEnv(bot::Status* status) {
  ChatConfig c;
  // Secrets: $NAME, or the owner-only file $NAME_FILE (app/secrets.h).
  auto secret = [status](const char* name, std::string* out) {
    bot::Status s = ReadSecret(name, out);
    if (!s.ok() && status && status->ok()) *status = s;
  };
  secret("SLACK_SIGNING_SECRET", &c.slack.signing_secret);
  secret("SLACK_BOT_TOKEN", &c.slack.bot_token);
  ReadEnv("SLACK_API_BASE", &c.slack.api_base);
  secret("DISCORD_PUBLIC_KEY", &c.discord.public_key);
  ReadEnv("DISCORD_APPLICATION_ID", &c.discord.application_id);
  secret("DISCORD_BOT_TOKEN", &c.discord.bot_token);
  ReadEnv("DISCORD_API_BASE", &c.discord.api_base);
  secret("MATTERMOST_TOKEN", &c.mattermost.token);
  // The word that makes `/ask WORD question` answer in the channel for all to see.
  ReadEnv("SLACK_PUBLIC_KEYWORD", &c.slack.public_keyword);
  ReadEnv("MATTERMOST_PUBLIC_KEYWORD", &c.mattermost.public_keyword);
  return c;
}

std::string EnabledAdapters(const ChatConfig& config) {
  std::string out = "http";
  for (const chat::Registration& platform : chat::Registry()) {
    if (platform.configured(config)) out += std::string(", ") + platform.spec().name;
  }
  return out;
}

bool SplitApiBase(const std::string& base, std::string* origin, std::string* prefix, std::string* error) {
  std::string scheme;
  size_t rest = 0;
  if (base.compare(0, 8, "https://") == 0) {
    scheme = "https";
    rest = 8;
  } else if (base.compare(0, 7, "http://") == 0) {
    scheme = "http";
    rest = 7;
  } else {
    *error = "the API base must start with https://";
    return false;
  }
  size_t slash = base.find('/', rest);
  std::string authority = base.substr(rest, slash == std::string::npos ? std::string::npos : slash - rest);
  std::string path = slash == std::string::npos ? "" : base.substr(slash);
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (authority.empty() || authority.find('@') != std::string::npos || path.find_first_of("?#") != std::string::npos) {
    *error = "the API base must look like https://host[:port][/path]";
    return false;
  }
  if (scheme == "http") {
    std::string host = authority;
    if (!host.empty() && host[0] == '[') {
      host = host.substr(0, host.find(']') + 1);
    } else {
      host = host.substr(0, host.find(':'));
    }
    if (host != "127.0.0.1" && host != "localhost" && host != "[::1]") {
      *error = "plain http:// is only allowed on a loopback host (for tests); use https://";
      return false;
    }
  }
  *origin = scheme + "://" + authority;
  *prefix = path;
  return true;
}

}  // namespace adapters
