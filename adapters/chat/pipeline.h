// The pipeline every chat platform's webhook goes through, once for all of
// them: not configured (503) → the platform's unsigned answers (Slack's
// ssl_check) → verify (401) → decode → rate limit per platform user (429) →
// ask, record feedback or reply → render. The platform (platform.h) supplies
// each step's platform-specific part; the replies, the 503, the 401 and the
// 429 are written here. Thread-safe as the platform is.
#pragma once

#include <string_view>

#include "adapters/chat/platform.h"

namespace adapters::http {
class Router;
}  // namespace adapters::http

namespace adapters::chat {

// Serves one request to one of `platform`'s routes.
void Serve(Platform& platform, const Route& route, const httplib::Request& req, httplib::Response& res);

// Adds every route of `platform` to `router`, each served by Serve.
void RegisterRoutes(http::Router& router, Platform& platform);

// Compares two secrets in constant time for equal lengths (CRYPTO_memcmp),
// for a platform's Verify.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace adapters::chat
