// The curators' admin API (/v1/admin/...) and page (/admin) over cpp-httplib.
// Off unless a token is configured: then none of its paths exists (the
// server's JSON 404). Every API request needs "Authorization: Bearer <token>",
// compared in constant time; a missing or wrong token gets 401 and changes
// nothing. The token is never logged or echoed. Handlers are thin: decode,
// call knowledge::Curator, FindGaps or the import/export functions on the
// Service's store, encode; a change is answered from at once by /v1/ask.
// AdminApi is thread-safe and must outlive the server's handlers.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "bot/status.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib
namespace adapters::http {
class Router;
}  // namespace adapters::http

namespace adapters {
class Service;
}

namespace adapters::admin {

struct AdminOptions {
  std::string token;            // empty: the admin API and page are off (404)
  std::string label = "admin";  // who made a change, as the history records it
  bool enabled() const { return !token.empty(); }
};

// Admin requests may carry bodies this large (imports); every other path
// keeps the server's 16 KiB limit.
constexpr size_t kMaxAdminBodyBytes = 8 * 1024 * 1024;

// True when `authorization` is "Bearer " followed by exactly `token`. Takes
// the same time whatever the tokens hold: both are hashed (SHA-256) and the
// digests compared with CRYPTO_memcmp, so neither a byte nor the length of
// the token leaks. An empty token matches nothing.
bool BearerMatches(const std::string& authorization, const std::string& token);

class AdminApi;

// Adds the admin API and page to `server` when options.enabled(); register
// before any catch-all route. The body limits (kMaxAdminBodyBytes only for a
// caller with the token, 16 KiB otherwise) are the server's, checked before
// routing (adapters/http/guard.h).
// Returns the object the handlers use (hold it as long as the server runs),
// or nullptr when off.
std::shared_ptr<AdminApi> RegisterAdminRoutes(http::Router& server, Service& service,
                                              const AdminOptions& options);

}  // namespace adapters::admin
