#include "adapters/http/guard.h"

#include <cctype>
#include <cstdlib>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "adapters/admin/admin.h"
#include "adapters/http/connection.h"
#include "adapters/json_codec.h"
#include "bot/text.h"

namespace adapters::http {
namespace {

using nlohmann::json;

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool IsAdminApiPath(const std::string& path) { return path == "/v1/admin" || StartsWith(path, "/v1/admin/"); }

bool IsWebhookPath(const std::string& path) {
  return StartsWith(path, "/slack/") || StartsWith(path, "/discord/") || StartsWith(path, "/mattermost/");
}

// The JSON API paths a browser page elsewhere may call when its origin is allowed.
const char* CorsMethods(const std::string& path) {
  if (path == "/v1/ask" || path == "/v1/feedback") return "POST";
  if (path == "/healthz") return "GET";
  return nullptr;
}

// Answers an error as the rest of the server does; `close`: the body is
// left unread, so the connection cannot carry another request.
bool Refuse(const httplib::Request& req, httplib::Response& res, int status, const std::string& code,
            const std::string& message, bool close) {
  res.status = status;
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_content(ErrorJson(code, message).dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
  if (close) {
    res.set_header("Connection", "close");
    if (Connection* c = Connection::Current()) c->CloseAfterResponse();
  }
  (void)req;
  return true;
}

// Digits only, no sign, no overflow.
bool ParseLength(const std::string& text, unsigned long long* out) {
  if (text.empty() || text.size() > 18) return false;
  unsigned long long n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<unsigned long long>(c - '0');
  }
  *out = n;
  return true;
}

bool IsLoopback(const std::string& ip) {
  return StartsWith(ip, "127.") || ip == "::1" || StartsWith(ip, "::ffff:127.");
}

}  // namespace

size_t BodyLimitFor(const std::string& path, bool admin_authorized) {
  if (IsWebhookPath(path)) return kMaxWebhookBodyBytes;
  if (IsAdminApiPath(path) && admin_authorized) return kMaxAdminImportBodyBytes;
  return kMaxApiBodyBytes;
}

std::string SizeText(size_t bytes) {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0) return std::to_string(bytes / (1024 * 1024)) + " MiB";
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
  return std::to_string(bytes) + " bytes";
}

std::string ClientAddress(const httplib::Request& req, bool trust_forwarded_for) {
  if (trust_forwarded_for && IsLoopback(req.remote_addr)) {
    std::string xff = req.get_header_value("X-Forwarded-For");
    size_t comma = xff.rfind(',');
    std::string last(bot::Trim(comma == std::string::npos ? xff : xff.substr(comma + 1)));
    bool sane = !last.empty() && last.size() <= 64;
    for (char c : last) {
      if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == '.' || c == ':')) sane = false;
    }
    if (sane) return last;
  }
  return req.remote_addr;
}

RequestGuard::RequestGuard(GuardOptions options) : options_(std::move(options)) {}

bool RequestGuard::CorsAllowed(const std::string& origin) const {
  for (const std::string& o : options_.cors_origins) {
    if (o == origin) return true;
  }
  return false;
}

int RequestGuard::ExpectContinue(const httplib::Request& req, httplib::Response& res) const {
  bool body_coming = false;
  return CheckMethodAndBody(req, res, &body_coming) ? res.status : 100;
}

bool RequestGuard::BeforeRouting(const httplib::Request& req, httplib::Response& res) const {
  bool body_coming = false;
  if (CheckMethodAndBody(req, res, &body_coming)) return true;
  const std::string& m = req.method;

  // ---- CORS: closed unless the origin is allowed ----
  std::string origin = req.get_header_value("Origin");
  const char* cors_methods = CorsMethods(req.path);
  if (!origin.empty() && cors_methods && CorsAllowed(origin)) {
    res.set_header("Access-Control-Allow-Origin", origin);
    res.set_header("Vary", "Origin");
    if (m == "OPTIONS") {
      res.set_header("Access-Control-Allow-Methods", cors_methods);
      res.set_header("Access-Control-Allow-Headers", "Content-Type");
      res.set_header("Access-Control-Max-Age", "600");
      res.status = 204;
      if (body_coming) {
        res.set_header("Connection", "close");
        if (Connection* c = Connection::Current()) c->CloseAfterResponse();
      }
      return true;
    }
  }

  // ---- per-client rate limit of the JSON API (the webhooks limit per platform user) ----
  if (m == "POST" && (req.path == "/v1/ask" || req.path == "/v1/feedback") && options_.limiter &&
      options_.limiter->enabled()) {
    RateLimiter::Decision d = options_.limiter->Take("ip:" + ClientAddress(req, options_.trust_forwarded_for));
    if (!d.allowed) {
      res.set_header("Retry-After", std::to_string(d.retry_after_s));
      return Refuse(req, res, 429, "rate_limited", RateLimitedMessage(options_.limiter->per_minute(), d.retry_after_s),
                    body_coming);
    }
  }
  return false;
}

bool RequestGuard::CheckMethodAndBody(const httplib::Request& req, httplib::Response& res, bool* body_coming) const {
  const std::string& m = req.method;
  // cpp-httplib parses CONNECT, TRACE and PRI too; nothing here answers them.
  if (m != "GET" && m != "HEAD" && m != "POST" && m != "PUT" && m != "PATCH" && m != "DELETE" && m != "OPTIONS") {
    res.set_header("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
    return Refuse(req, res, 405, "method_not_allowed", m + " is not allowed", true);
  }

  // ---- the body's framing ----
  bool chunked = false;
  bool has_length = req.has_header("Content-Length");
  if (req.has_header("Transfer-Encoding")) {
    std::string te = Lower(std::string(bot::Trim(req.get_header_value("Transfer-Encoding"))));
    if (te != "chunked" || req.get_header_value_count("Transfer-Encoding") != 1) {
      return Refuse(req, res, 400, "bad_request", "only Transfer-Encoding: chunked is understood", true);
    }
    if (has_length) {
      // Which one frames the body? A proxy and we might disagree: refuse.
      return Refuse(req, res, 400, "bad_request", "send Content-Length or Transfer-Encoding, not both", true);
    }
    chunked = true;
  }
  unsigned long long length = 0;
  if (has_length) {
    std::string first = req.get_header_value("Content-Length");
    for (size_t i = 1; i < req.get_header_value_count("Content-Length"); i++) {
      if (req.get_header_value("Content-Length", i) != first) {
        return Refuse(req, res, 400, "bad_request", "conflicting Content-Length headers", true);
      }
    }
    if (!ParseLength(first, &length)) {
      return Refuse(req, res, 400, "bad_request", "Content-Length must be a number of bytes", true);
    }
  } else if (!chunked) {
    // A request without either has no body (RFC 9112, 6.3); cpp-httplib
    // would wait for the connection to close instead.
    const_cast<httplib::Request&>(req).set_header("Content-Length", "0");
  }
  if (Lower(req.get_header_value("Content-Type")).find("multipart/") != std::string::npos) {
    // No route takes multipart bodies; cpp-httplib would parse them first.
    return Refuse(req, res, 415, "unsupported_media_type", "multipart bodies are not accepted here", true);
  }
  std::string encoding = Lower(std::string(bot::Trim(req.get_header_value("Content-Encoding"))));
  if (!encoding.empty() && encoding != "identity") {
    // cpp-httplib would inflate gzip and brotli bodies without a limit.
    return Refuse(req, res, 415, "unsupported_content_encoding", "send the body uncompressed", true);
  }

  // ---- the body's size for its route ----
  const bool admin_on = !options_.admin_token.empty();
  const bool admin_path = IsAdminApiPath(req.path);
  const bool admin_authorized =
      admin_on && admin_path && admin::BearerMatches(req.get_header_value("Authorization"), options_.admin_token);
  const size_t limit = BodyLimitFor(req.path, admin_authorized);
  if (admin_on && admin_path && !admin_authorized && (chunked || length > kMaxApiBodyBytes)) {
    // A large admin body is only read for the token's holder: a 401 now, as
    // the admin API would answer once it had read it.
    spdlog::warn("admin: refused {} {}: {} token", req.method, req.path,
                 req.has_header("Authorization") ? "wrong" : "no");
    res.set_header("WWW-Authenticate", "Bearer realm=\"careerbot admin\"");
    return Refuse(req, res, 401, "unauthorized", "this needs the admin token: send Authorization: Bearer <token>",
                  true);
  }
  if (length > limit) {
    return Refuse(req, res, 413, "payload_too_large", "the body is larger than " + SizeText(limit), true);
  }
  const size_t wire = chunked ? limit + kChunkFramingSlack : static_cast<size_t>(length);
  *body_coming = chunked || length > 0;
  if (Connection* c = Connection::Current()) {
    c->AllowBody(wire, std::chrono::seconds(options_.read_timeout_s + static_cast<int>(wire / (32 * 1024))));
  }
  return false;
}

bot::Status CorsOriginsFromEnv(std::vector<std::string>* out) {
  out->clear();
  const char* v = std::getenv("CAREERBOT_CORS_ORIGINS");
  if (!v || !*v) return bot::Status::Ok();
  std::string text = v;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string origin(bot::Trim(text.substr(start, comma - start)));
    start = comma + 1;
    if (origin.empty()) continue;
    while (!origin.empty() && origin.back() == '/') origin.pop_back();
    size_t scheme = origin.find("://");
    bool ok = (StartsWith(origin, "https://") || StartsWith(origin, "http://")) && scheme != std::string::npos &&
              origin.size() > scheme + 3 && origin.find_first_of("/?#@* \t", scheme + 3) == std::string::npos;
    if (!ok) {
      return bot::Status::InvalidArgument("CAREERBOT_CORS_ORIGINS: '" + origin +
                                          "' is not an origin like https://example.com (name each one; * is not "
                                          "accepted)");
    }
    out->push_back(origin);
  }
  return bot::Status::Ok();
}

bool TrustProxyFromEnv() {
  const char* v = std::getenv("CAREERBOT_TRUST_PROXY");
  return v && (std::string(v) == "1" || Lower(v) == "true" || Lower(v) == "yes");
}

}  // namespace adapters::http
