// The web chat page: index.html, app.css and app.js, compiled into the binary
// (cmake/embed.cc, symbol kWebFiles) and served from memory at GET /,
// /app.css and /app.js with a Content-Security-Policy that forbids inline
// script. Nothing is ever read from disk, so no request path can reach a file.
// The page talks to the JSON API (POST /v1/ask, POST /v1/feedback).
// Stateless and thread-safe.
#pragma once

#include <string>

namespace httplib {
struct Response;
}  // namespace httplib
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
  const char* summary;  // for the route list
};

// The page served at `url_path` ("/", "/app.css", "/app.js"), or nullptr for
// any other path.
const Page* FindPage(const std::string& url_path);

// Answers `page` with the page headers (CSP, nosniff, no referrer, no-cache).
void SendPage(httplib::Response& res, const Page& page);

// Adds GET / (index.html), GET /app.css and GET /app.js to `server`.
void RegisterWebRoutes(http::Router& server);

}  // namespace adapters::web
