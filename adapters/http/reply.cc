#include "adapters/http/reply.h"

#include <httplib.h>

#include "app/json_codec.h"
#include "app/rate_limit.h"

namespace adapters::http {

void SendJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

void SendError(httplib::Response& res, int status, const std::string& code, const std::string& message) {
  SendJson(res, status, ErrorJson(code, message));
}

bool RefuseIfLimited(RateLimiter* limiter, const std::string& key, httplib::Response& res) {
  if (limiter == nullptr || !limiter->enabled()) return false;
  RateLimiter::Decision d = limiter->Take(key);
  if (d.allowed) return false;
  res.set_header("Retry-After", std::to_string(d.retry_after_s));
  SendError(res, 429, "rate_limited", RateLimitedMessage(limiter->per_minute(), d.retry_after_s));
  return true;
}

}  // namespace adapters::http
