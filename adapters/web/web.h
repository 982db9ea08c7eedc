// The web chat page: index.html, app.css and app.js, compiled into the binary
// (cmake/embed.cc, symbol kWebFiles) and served from memory at GET /,
// /app.css and /app.js with a Content-Security-Policy that forbids inline
// script. Nothing is ever read from disk, so no request path can reach a file.
// The page talks to the JSON API (POST /v1/ask, POST /v1/feedback).
// Stateless and thread-safe.
#pragma once

#include <string>

namespace adapters::http {
class Router;
}  // namespace adapters::http

namespace adapters::web {

// The headers every page response carries.
constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// One page file: its URL path, its media type and its bytes.
struct Page {
  const char* url_path;
  const char* content_type;
  std::string body;
};

// The page served at `url_path` ("/", "/app.css", "/app.js"), or nullptr for
// any other path.
const Page* FindPage(const std::string& url_path);

// Adds GET / (index.html), GET /app.css and GET /app.js to `server`. Register
// them before any catch-all route, which would otherwise shadow them.
void RegisterWebRoutes(http::Router& server);

}  // namespace adapters::web
