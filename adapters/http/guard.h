// The checks every request passes before routing, once its request line and
// headers are read and before any body is: the method, the body's framing
// and size for its route (read only within that size and time; see
// connection.h), the per-client rate limit of the JSON API, and CORS (closed
// unless origins are allowed). One place for these limits, whether or not
// the admin API or a chat platform is on. Immutable after construction;
// thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "adapters/admin/admin.h"
#include "app/rate_limit.h"
#include "bot/status.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace adapters::http {

// Body limits by route: the JSON API (and any path not listed) 16 KiB, the
// chat platforms' webhooks what their routes say (adapters/chat/registry.h:
// 128 KiB, Slack sends whole messages back with a button click), the admin
// API 8 MiB for a caller with the admin token (an import), else 16 KiB.
constexpr size_t kMaxApiBodyBytes = 16 * 1024;
constexpr size_t kMaxAdminImportBodyBytes = admin::kMaxAdminBodyBytes;

struct GuardOptions {
  std::string admin_token;                  // empty: the admin API is off
  std::shared_ptr<RateLimiter> limiter;     // per client on POST /v1/ask and /v1/feedback; null: none
  std::vector<std::string> cors_origins;    // origins allowed to call the JSON API from a browser
  bool trust_forwarded_for = false;         // behind a local reverse proxy: the client is X-Forwarded-For's last
};

// The body limit of `path`; `admin_authorized`: the request carries the admin token.
size_t BodyLimitFor(const std::string& path, bool admin_authorized);
// "16 KiB", "128 KiB", "8 MiB".
std::string SizeText(size_t bytes);

// The client a request counts against: its peer address, or with
// `trust_forwarded_for` and a loopback peer, the right-most address of all
// X-Forwarded-For lines that is not loopback (what the local proxy saw; a
// client's own lines come before the proxy's).
std::string ClientAddress(const httplib::Request& req, bool trust_forwarded_for);

class RequestGuard {
 public:
  explicit RequestGuard(GuardOptions options);

  // Once a request's head has arrived, before its body is read: the method,
  // multipart and compressed bodies, the admin token for a large admin body,
  // and the body's size for its route. Sets `*body_limit`, or answers (405,
  // 401, 413, 415) and returns true; the body is then never read and the
  // connection is closed after the answer (connection.h).
  bool CheckHead(const httplib::Request& req, httplib::Response& res, size_t* body_limit) const;
  // Before routing a complete request: CORS (a preflight's 204) and the
  // JSON API's per-client rate limit (429). True when it answered.
  bool BeforeRouting(const httplib::Request& req, httplib::Response& res) const;

  const GuardOptions& options() const { return options_; }

 private:
  bool CorsAllowed(const std::string& origin) const;
  GuardOptions options_;
};

}  // namespace adapters::http
