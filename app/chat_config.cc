#include "app/chat_config.h"

#include "adapters/chat/registry.h"

namespace adapters {
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
