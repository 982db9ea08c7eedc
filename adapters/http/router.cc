#include "adapters/http/router.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>

#include "adapters/http/request_parser.h"

namespace adapters::http {
namespace {

bool EqualsNoCase(const std::string& a, const char* b) {
  if (a.size() != std::strlen(b)) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

}  // namespace

Router& Router::Add(RouteInfo route, Handler handler) {
  return Add(std::move(route), ParamHandler([h = std::move(handler)](const httplib::Request& req,
                                                                      httplib::Response& res,
                                                                      const PathParams&) { h(req, res); }));
}

Router& Router::Add(RouteInfo info, ParamHandler handler) {
  const std::string& path = info.path;
  if (path.empty() || path[0] != '/') throw std::invalid_argument("route path must start with '/': " + path);
  Route r;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string segment = path.substr(start, end - start);
    bool param = !segment.empty() && segment.front() == '{';
    if (param && (segment.size() < 3 || segment.back() != '}' ||
                  segment.find_first_of("{}", 1) != segment.size() - 1)) {
      throw std::invalid_argument("route path has a malformed {name} segment: " + path);
    }
    if (!param && segment.find_first_of("{}") != std::string::npos) {
      throw std::invalid_argument("route path has a malformed {name} segment: " + path);
    }
    if (param) r.literal = false;
    r.segments.push_back(std::move(segment));
    r.param.push_back(param);
    start = end + 1;
  }
  for (const RouteInfo& other : infos_) {
    if (other.method == info.method && other.path == info.path) {
      throw std::invalid_argument("route registered twice: " + info.method + " " + info.path);
    }
  }
  r.handler = std::move(handler);
  infos_.push_back(std::move(info));
  routes_.push_back(std::move(r));
  return *this;
}

void Router::AddScope(const std::string& prefix, Wrapper wrap) { scopes_.push_back({prefix, std::move(wrap)}); }

bool Router::Matches(size_t i, const std::string& path, PathParams* params) const {
  const RouteInfo& info = infos_[i];
  const Route& r = routes_[i];
  if (r.literal) {
    if (path == info.path) return true;
    return info.trailing_slash && path.size() == info.path.size() + 1 && path.back() == '/' &&
           path.compare(0, info.path.size(), info.path) == 0;
  }
  if (path.empty() || path[0] != '/') return false;
  params->clear();
  size_t start = 1;
  for (size_t s = 0; s < r.segments.size(); s++) {
    if (start > path.size()) return false;
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const size_t length = end - start;
    if (r.param[s]) {
      if (length == 0) return false;
      params->push_back(path.substr(start, length));
    } else if (path.compare(start, length, r.segments[s]) != 0) {
      return false;
    }
    const bool last = s + 1 == r.segments.size();
    if (last) {
      return end == path.size() || (info.trailing_slash && end + 1 == path.size());
    }
    if (end == path.size()) return false;
    start = end + 1;
  }
  return false;
}

std::string Router::Label(const std::string& path) const {
  const std::string p = path.size() > 1 && path.back() == '/' ? path.substr(0, path.size() - 1) : path;
  PathParams params;
  for (size_t i = 0; i < routes_.size(); i++) {
    if (Matches(i, p, &params)) return infos_[i].path;
  }
  return "other";
}

void Router::RouteRequest(const httplib::Request& req, httplib::Response& res) const {
  auto route = [this, &req, &res] {
    const std::string& method = req.method == "HEAD" ? std::string("GET") : req.method;
    PathParams params;
    std::vector<std::string> allowed;
    for (size_t i = 0; i < routes_.size(); i++) {
      if (!Matches(i, req.path, &params)) continue;
      if (infos_[i].method != method) {
        allowed.push_back(infos_[i].method);
        continue;
      }
      routes_[i].handler(req, res, params);
      if (res.status == -1) res.status = 200;
      return;
    }
    if (res.status != -1) return;
    if (allowed.empty()) {
      res.status = 404;
      return;
    }
    std::sort(allowed.begin(), allowed.end());
    allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
    std::string allow;
    for (const std::string& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
    res.set_header("Allow", allow);
    res.status = 405;
  };
  for (const Scope& scope : scopes_) {
    const std::string& p = req.path;
    if (p.compare(0, scope.prefix.size(), scope.prefix) != 0) continue;
    if (p.size() != scope.prefix.size() && p[scope.prefix.size()] != '/') continue;
    scope.wrap(req, res, route);
    return;
  }
  route();
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
