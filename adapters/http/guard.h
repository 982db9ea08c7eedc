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
#include "adapters/rate_limit.h"
#include "bot/status.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace adapters::http {

// Body limits by route: the JSON API (and any path not listed) 16 KiB, the
// chat platforms' webhooks 128 KiB (Slack sends whole messages back with a
// button click), the admin API 8 MiB for a caller with the admin token (an
// import), else 16 KiB.
constexpr size_t kMaxApiBodyBytes = 16 * 1024;
constexpr size_t kMaxWebhookBodyBytes = 128 * 1024;
constexpr size_t kMaxAdminImportBodyBytes = admin::kMaxAdminBodyBytes;
// A chunked body's framing (chunk sizes, line ends) counts toward the limit,
// with this much slack.
constexpr size_t kChunkFramingSlack = 4 * 1024;

struct GuardOptions {
  std::string admin_token;                  // empty: the admin API is off
  std::shared_ptr<RateLimiter> limiter;     // per client on POST /v1/ask and /v1/feedback; null: none
  std::vector<std::string> cors_origins;    // origins allowed to call the JSON API from a browser
  bool trust_forwarded_for = false;         // behind a local reverse proxy: the client is X-Forwarded-For's last
  int read_timeout_s = 5;                   // a body has this long, plus a second per 32 KiB
};

// The body limit of `path`; `admin_authorized`: the request carries the admin token.
size_t BodyLimitFor(const std::string& path, bool admin_authorized);
// "16 KiB", "128 KiB", "8 MiB".
std::string SizeText(size_t bytes);

// The client a request counts against: its peer address, or with
// `trust_forwarded_for` and a loopback peer, the last address of
// X-Forwarded-For (what the local proxy saw).
std::string ClientAddress(const httplib::Request& req, bool trust_forwarded_for);

class RequestGuard {
 public:
  explicit RequestGuard(GuardOptions options);

  // True when it answered the request itself (405, 400, 401, 411, 413, 415,
  // 429, or a CORS preflight's 204); the body is then never read and the
  // connection is closed after the answer when one was coming.
  bool BeforeRouting(const httplib::Request& req, httplib::Response& res) const;
  // For "Expect: 100-continue": the method, framing and size checks of
  // BeforeRouting, so that a body that would be refused is not asked for.
  // Returns 100 to go on, or the status it answered with.
  int ExpectContinue(const httplib::Request& req, httplib::Response& res) const;

  const GuardOptions& options() const { return options_; }

 private:
  bool CorsAllowed(const std::string& origin) const;
  // The method and the body's framing and size: true when it answered.
  bool CheckMethodAndBody(const httplib::Request& req, httplib::Response& res, bool* body_coming) const;
  GuardOptions options_;
};

// CAREERBOT_CORS_ORIGINS: a comma-separated list of origins
// ("https://example.com", "http://localhost:3000"); empty or unset: none.
// kInvalidArgument for an entry that is not scheme://host[:port] ("*" is
// refused: name the origins).
bot::Status CorsOriginsFromEnv(std::vector<std::string>* out);
// CAREERBOT_TRUST_PROXY=1: see GuardOptions::trust_forwarded_for.
bool TrustProxyFromEnv();

}  // namespace adapters::http
