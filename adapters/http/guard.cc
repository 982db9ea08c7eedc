#include "adapters/http/guard.h"

#include <cctype>
#include <cstdlib>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "adapters/admin/admin.h"
#include "adapters/chat/registry.h"
#include "adapters/http/reply.h"
#include "app/json_codec.h"
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

// The JSON API paths a browser page elsewhere may call when its origin is allowed.
const char* CorsMethods(const std::string& path) {
  if (path == "/v1/ask" || path == "/v1/feedback") return "POST";
  if (path == "/healthz") return "GET";
  return nullptr;
}

// Answers an error as the rest of the server does.
bool Refuse(httplib::Response& res, int status, const std::string& code, const std::string& message) {
  SendError(res, status, code, message);
  return true;
}

// The (validated) Content-Length: digits, possibly repeated as "5, 5".
unsigned long long ContentLength(const std::string& text) {
  unsigned long long n = 0;
  for (char c : text) {
    if (c == ',') break;
    if (c >= '0' && c <= '9') n = n * 10 + static_cast<unsigned long long>(c - '0');
  }
  return n;
}

bool IsLoopback(const std::string& ip) {
  return StartsWith(ip, "127.") || ip == "::1" || StartsWith(ip, "::ffff:127.");
}

}  // namespace

size_t BodyLimitFor(const std::string& path, bool admin_authorized) {
  // A chat platform's route says its own limit (adapters/chat/registry.h).
  if (size_t webhook = chat::WebhookBodyLimit(path)) return webhook;
  if (IsAdminApiPath(path) && admin_authorized) return kMaxAdminImportBodyBytes;
  return kMaxApiBodyBytes;
}

std::string SizeText(size_t bytes) {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0) return std::to_string(bytes / (1024 * 1024)) + " MiB";
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
  return std::to_string(bytes) + " bytes";
}

std::string ClientAddress(const httplib::Request& req, bool trust_forwarded_for) {
  if (!trust_forwarded_for || !IsLoopback(req.remote_addr)) return req.remote_addr;
  // Every X-Forwarded-For line, in order, as one list: the proxy appends its
  // own entry last (a client can send lines of its own before it). From the
  // right, the first address that is not a trusted (loopback) proxy is the
  // client the proxy saw.
  std::vector<std::string> addresses;
  for (size_t i = 0, n = req.get_header_value_count("X-Forwarded-For"); i < n; i++) {
    std::string line = req.get_header_value("X-Forwarded-For", i);
    size_t start = 0;
    while (start <= line.size()) {
      size_t comma = line.find(',', start);
      if (comma == std::string::npos) comma = line.size();
      addresses.emplace_back(bot::Trim(line.substr(start, comma - start)));
      start = comma + 1;
    }
  }
  for (auto it = addresses.rbegin(); it != addresses.rend(); ++it) {
    const std::string& a = *it;
    bool sane = !a.empty() && a.size() <= 64;
    for (char c : a) {
      if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == '.' || c == ':')) sane = false;
    }
    if (!sane) return req.remote_addr;  // a mangled list: the proxy itself is the client we know
    if (!IsLoopback(a)) return a;
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

bool RequestGuard::BeforeRouting(const httplib::Request& req, httplib::Response& res) const {
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
      return true;
    }
  }

  // ---- per-client rate limit of the JSON API (the webhooks limit per platform user) ----
  if (m == "POST" && (req.path == "/v1/ask" || req.path == "/v1/feedback")) {
    return RefuseIfLimited(options_.limiter.get(), "ip:" + ClientAddress(req, options_.trust_forwarded_for), res);
  }
  return false;
}

bool RequestGuard::CheckHead(const httplib::Request& req, httplib::Response& res, size_t* body_limit) const {
  const std::string& m = req.method;
  // Nothing here answers CONNECT, TRACE, PRI or other methods.
  if (m != "GET" && m != "HEAD" && m != "POST" && m != "PUT" && m != "PATCH" && m != "DELETE" && m != "OPTIONS") {
    res.set_header("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
    return Refuse(res, 405, "method_not_allowed", m + " is not allowed");
  }
  // The framing (Content-Length, chunked, Host) was checked by the parser.
  const bool chunked = req.has_header("Transfer-Encoding");
  unsigned long long length = 0;
  if (req.has_header("Content-Length")) length = ContentLength(req.get_header_value("Content-Length"));
  const bool body_coming = chunked || length > 0;
  if (body_coming && Lower(req.get_header_value("Content-Type")).find("multipart/") != std::string::npos) {
    // No route takes multipart bodies.
    return Refuse(res, 415, "unsupported_media_type", "multipart bodies are not accepted here");
  }
  std::string encoding = Lower(std::string(bot::Trim(req.get_header_value("Content-Encoding"))));
  if (body_coming && !encoding.empty() && encoding != "identity") {
    // Compressed bodies are not inflated (no bomb to defuse).
    return Refuse(res, 415, "unsupported_content_encoding", "send the body uncompressed");
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
    spdlog::warn("admin: refused {} {}: {} token", m, req.path, req.has_header("Authorization") ? "wrong" : "no");
    res.set_header("WWW-Authenticate", "Bearer realm=\"careerbot admin\"");
    return Refuse(res, 401, "unauthorized", "this needs the admin token: send Authorization: Bearer <token>");
  }
  if (length > limit) {
    return Refuse(res, 413, "payload_too_large", "the body is larger than " + SizeText(limit));
  }
  *body_limit = limit;
  return false;
}

}  // namespace adapters::http
