// Writing a JSON reply: the one place that turns a JSON value into a
// response body (every adapter's errors and answers go through it), and the
// one place that turns a bot::Status into an HTTP status and error code. Invalid
// UTF-8 is replaced rather than thrown on (an error message may quote the
// request), and the body is marked nosniff so that no browser reads it as
// anything but JSON. Pure functions of the response; thread-safe.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "bot/status.h"

namespace httplib {
struct Response;
}  // namespace httplib
namespace adapters {
class RateLimiter;
}  // namespace adapters

namespace adapters::http {

// Sets the status and `body` as application/json.
void SendJson(httplib::Response& res, int status, const nlohmann::json& body);
// {"error": {"code", "message"}} with `status`, and "field" (the request
// field at fault) when not empty.
void SendError(httplib::Response& res, int status, const std::string& code, const std::string& message,
               const std::string& field = "");

// How a failed call answers over HTTP. The defaults are the JSON API's
// (400 invalid_argument, 404 not_found, 409 already_exists, 503
// unavailable, 500 internal: the code is Status::CodeName); an API that
// names some failures its own way says so here, never in a switch of its own.
struct StatusStyle {
  int invalid_status = 400;                    // kInvalidArgument
  std::string invalid_code = "invalid_argument";
  std::string invalid_field;                   // the field at fault, when known
  std::string exists_code = "already_exists";  // kAlreadyExists: 409
  std::string exists_field;
  // The change was asked with If-Match: kAlreadyExists means the entry
  // changed since, 412 precondition_failed.
  bool conditional = false;
};
struct HttpError {
  int status = 500;
  std::string code;
  std::string field;  // empty: none
};
// The HTTP status, error code and field for `code` (kOk: 200 "ok").
HttpError HttpErrorFor(bot::Status::Code code, const StatusStyle& style = {});
// Answers `s` (not ok) as HttpErrorFor says, with its message.
void SendStatus(httplib::Response& res, const bot::Status& s, const StatusStyle& style = {});
// The rate-limit step of every limited route: takes one request from
// `key`'s bucket; when there is none left, answers 429 rate_limited with
// Retry-After and returns true. Null or off: never limited.
bool RefuseIfLimited(RateLimiter* limiter, const std::string& key, httplib::Response& res);

}  // namespace adapters::http
