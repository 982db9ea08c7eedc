#include "adapters/http/router.h"

#include <cctype>
#include <cstring>

#include "adapters/http/request_parser.h"

namespace adapters::http {
namespace {

constexpr const char* kRegexSyntax = "\\.^$|?*+()[]{}";

bool EqualsNoCase(const std::string& a, const char* b) {
  if (a.size() != std::strlen(b)) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

}  // namespace

Router& Router::Add(const char* method, const std::string& pattern, Handler handler) {
  Route r;
  r.method = method;
  r.pattern = pattern;
  size_t meta = pattern.find_first_of(kRegexSyntax);
  r.literal = meta == std::string::npos;
  r.prefix = pattern.substr(0, meta == std::string::npos ? pattern.size() : meta);
  // "a?" may match without its last literal character: keep the prefix safe.
  if (meta != std::string::npos && !r.prefix.empty() && std::strchr("?*{", pattern[meta]) != nullptr) {
    r.prefix.pop_back();
  }
  if (!r.literal) r.regex = std::regex(pattern);
  r.handler = std::move(handler);
  routes_.push_back(std::move(r));
  return *this;
}

void Router::RouteRequest(httplib::Request& req, httplib::Response& res) const {
  const std::string& method = req.method == "HEAD" ? std::string("GET") : req.method;
  for (const auto& r : routes_) {
    if (r.method != method) continue;
    if (r.literal) {
      if (req.path != r.pattern) continue;
    } else {
      if (req.path.compare(0, r.prefix.size(), r.prefix) != 0) continue;
      if (!std::regex_match(req.path, req.matches, r.regex)) continue;
    }
    r.handler(req, res);
    if (res.status == -1) res.status = 200;
    return;
  }
  if (res.status == -1) res.status = 404;
}

void Router::Handle(httplib::Request& req, httplib::Response& res) const {
  try {
    if (pre_routing_ && pre_routing_(req, res)) {
      if (res.status == -1) res.status = 200;
    } else {
      RouteRequest(req, res);
    }
  } catch (...) {
    res.status = 500;
    if (exception_) {
      exception_(req, res, std::current_exception());
    } else {
      res.body.clear();
    }
  }
  Finish(req, res);
}

void Router::Finish(const httplib::Request& req, httplib::Response& res) const {
  try {
    if (res.status >= 400 && error_) error_(req, res);
    if (post_routing_) post_routing_(req, res);
    if (logger_) logger_(req, res);
  } catch (...) {
    // The hooks format and log; a failure there must not lose the response.
  }
}

std::string SerializeResponse(const httplib::Response& res, bool head_only, bool close, bool keep_alive) {
  const int status = res.status < 100 || res.status > 999 ? 500 : res.status;
  const bool no_body = (status >= 100 && status < 200) || status == 204 || status == 304;
  std::string out;
  out.reserve(256 + (head_only || no_body ? 0 : res.body.size()));
  out += "HTTP/1.1 ";
  out += std::to_string(status);
  out += ' ';
  out += res.reason.empty() ? ReasonPhrase(status) : res.reason;
  out += "\r\n";
  for (const auto& [name, value] : res.headers) {
    // Framing is ours to write; a handler's CR or LF never splits a header.
    if (EqualsNoCase(name, "Content-Length") || EqualsNoCase(name, "Transfer-Encoding") ||
        EqualsNoCase(name, "Connection")) {
      continue;
    }
    if (name.find_first_of("\r\n:") != std::string::npos || value.find_first_of("\r\n") != std::string::npos) {
      continue;
    }
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (close) {
    out += "Connection: close\r\n";
  } else if (keep_alive) {
    out += "Connection: keep-alive\r\n";
  }
  if (!no_body) {
    out += "Content-Length: ";
    out += std::to_string(res.body.size());
    out += "\r\n";
  }
  out += "\r\n";
  if (!head_only && !no_body) out += res.body;
  return out;
}

}  // namespace adapters::http
