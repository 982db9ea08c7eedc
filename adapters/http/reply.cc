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

void SendError(httplib::Response& res, int status, const std::string& code, const std::string& message,
               const std::string& field) {
  nlohmann::json body = ErrorJson(code, message);
  if (!field.empty()) body["error"]["field"] = field;
  SendJson(res, status, body);
}

HttpError HttpErrorFor(bot::Status::Code code, const StatusStyle& style) {
  using Code = bot::Status::Code;
  switch (code) {
    case Code::kOk: return {200, bot::Status::CodeName(code), ""};
    case Code::kInvalidArgument: return {style.invalid_status, style.invalid_code, style.invalid_field};
    case Code::kNotFound: return {404, bot::Status::CodeName(code), ""};
    case Code::kAlreadyExists:
      if (style.conditional) return {412, "precondition_failed", ""};
      return {409, style.exists_code, style.exists_field};
    case Code::kUnavailable: return {503, bot::Status::CodeName(code), ""};
    case Code::kInternal: break;
  }
  return {500, bot::Status::CodeName(Code::kInternal), ""};
}

void SendStatus(httplib::Response& res, const bot::Status& s, const StatusStyle& style) {
  HttpError e = HttpErrorFor(s.code(), style);
  SendError(res, e.status, e.code, s.message(), e.field);
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
