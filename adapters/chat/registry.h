// The one list of chat platforms. The HTTP server builds and routes them
// from it; the route list, the guard's webhook paths and body limits, the
// answer metrics' channels and `careerbot --help` read it. Adding a platform
// is a folder below adapters/chat/ implementing Platform (platform.h) and
// one line in registry.cc. Immutable; thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "adapters/chat/platform.h"
#include "app/chat_config.h"

namespace adapters::redis {
class SharedState;
}  // namespace adapters::redis

namespace adapters::chat {

// What a platform is built with.
struct PlatformContext {
  Service& service;
  const ChatConfig& config;
  // The state replicas share (Redis); null: this process's own.
  redis::SharedState* shared = nullptr;
};

struct Registration {
  const PlatformSpec& (*spec)();
  std::unique_ptr<Platform> (*make)(const PlatformContext& context);
  // Whether `config` turns the platform on (its secret is set).
  bool (*configured)(const ChatConfig& config);
};

// Every platform, in the order their routes are listed.
const std::vector<Registration>& Registry();

// Builds every registered platform (configured or not: an unconfigured one
// answers 503 saying what to set).
std::vector<std::unique_ptr<Platform>> MakePlatforms(const PlatformContext& context);

// The platforms' names, in registry order ("slack", "discord", ...).
std::vector<std::string> PlatformNames();

// The body limit of a chat platform's webhook path: its route's limit, or
// kDefaultWebhookBodyBytes for any other path under "/<name>/"; 0 when
// `path` belongs to no platform.
size_t WebhookBodyLimit(const std::string& path);

}  // namespace adapters::chat
