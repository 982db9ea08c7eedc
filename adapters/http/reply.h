// Writing a JSON reply: the one place that turns a JSON value into a
// response body (every adapter's errors and answers go through it). Invalid
// UTF-8 is replaced rather than thrown on (an error message may quote the
// request), and the body is marked nosniff so that no browser reads it as
// anything but JSON. Pure functions of the response; thread-safe.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace httplib {
struct Response;
}  // namespace httplib
namespace adapters {
class RateLimiter;
}  // namespace adapters

namespace adapters::http {

// Sets the status and `body` as application/json.
void SendJson(httplib::Response& res, int status, const nlohmann::json& body);
// {"error": {"code", "message"}} with `status`.
void SendError(httplib::Response& res, int status, const std::string& code, const std::string& message);
// The rate-limit step of every limited route: takes one request from
// `key`'s bucket; when there is none left, answers 429 rate_limited with
// Retry-After and returns true. Null or off: never limited.
bool RefuseIfLimited(RateLimiter* limiter, const std::string& key, httplib::Response& res);

}  // namespace adapters::http
