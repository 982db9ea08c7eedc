// The server's routes and the steps every request passes through, on
// cpp-httplib's public request and response types (httplib::Request,
// httplib::Response): the connection layer (connection.h) frames and reads a
// request, then Handle() runs
//   pre-routing (access-log start, request id, the guard's CORS and rate
//   limit; it may answer the request itself) → the scope its path is under,
//   if any (a step its routes share, e.g. the admin token) → the route whose
//   method and path match → else 405 with Allow (the path has routes for
//   other methods) or 404 → the error handler for an error status with no
//   body → post-routing → the logger.
// Each route is registered once, with its method, path and a one-line
// summary (RouteInfo); routes() is the route list everything else reads (the
// metrics' route labels, the test that docs/openapi.json describes every
// route). Paths are literal segments and "{name}" segments, as in OpenAPI: a
// "{name}" matches one non-empty segment; nothing is a regular expression.
// HEAD is routed as GET (the response is sent without its body).
// Register every route before serving; Handle() is then thread-safe.
#pragma once

#include <exception>
#include <functional>
#include <string>
#include <vector>

#include <httplib.h>

namespace adapters::http {

// One route, as registered and listed.
struct RouteInfo {
  std::string method;   // GET, POST, PUT, PATCH, DELETE (HEAD is served by GET)
  std::string path;     // "/v1/admin/entries/{id}": "{name}" stands for one non-empty path segment
  std::string adapter;  // api, ops, web, admin, or a chat platform's name
  std::string summary;  // one line: the operation's summary in docs/openapi.json
  bool trailing_slash = false;  // also answers path + "/" ("/admin/")
};

// The "{name}" segments of the route that matched, in order.
using PathParams = std::vector<std::string>;

class Router {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  using ParamHandler = std::function<void(const httplib::Request&, httplib::Response&, const PathParams&)>;
  // Returns true when it answered the request (routing is skipped).
  using PreRoutingHandler = std::function<bool(const httplib::Request&, httplib::Response&)>;
  using Logger = std::function<void(const httplib::Request&, const httplib::Response&)>;
  using ExceptionHandler = std::function<void(const httplib::Request&, httplib::Response&, std::exception_ptr)>;
  // A scope's step: answers the request itself, or calls `route()` (the
  // route, 405 or 404), and may add to the response after it.
  using Wrapper = std::function<void(const httplib::Request&, httplib::Response&, const std::function<void()>& route)>;

  // Registers `handler` for `route`. A malformed path (not starting with
  // "/", an empty or unclosed "{name}") or a route registered twice (the
  // same method and path) throws std::invalid_argument: a programming error
  // found at start-up.
  Router& Add(RouteInfo route, Handler handler);
  Router& Add(RouteInfo route, ParamHandler handler);
  // Every request whose path is `prefix` or under `prefix` + "/", whatever
  // its method and whether or not a route matches, passes through `wrap`.
  void AddScope(const std::string& prefix, Wrapper wrap);

  // The registered routes, in registration order.
  const std::vector<RouteInfo>& routes() const { return infos_; }
  // The path pattern of the first route `path` matches, whatever the method
  // ("/x/" counts as "/x"), or "other" when none does (the access log's and
  // the metrics' route label: never the raw path).
  std::string Label(const std::string& path) const;

  void set_pre_routing_handler(PreRoutingHandler h) { pre_routing_ = std::move(h); }
  void set_post_routing_handler(Handler h) { post_routing_ = std::move(h); }
  void set_logger(Logger l) { logger_ = std::move(l); }
  // For a response with status >= 400 and no body (no route: 404; no route
  // for the method: 405 with Allow).
  void set_error_handler(Handler h) { error_ = std::move(h); }
  // For an exception escaping a handler (the status is then 500).
  void set_exception_handler(ExceptionHandler h) { exception_ = std::move(h); }

  // Routes `req` (complete: headers, body, params) and fills `res`.
  void Handle(httplib::Request& req, httplib::Response& res) const;
  // For a request the connection layer answered before routing (a body
  // refused by its head): the error handler, post-routing and the logger.
  void Finish(const httplib::Request& req, httplib::Response& res) const;

 private:
  struct Route {
    std::vector<std::string> segments;  // of the path, without the leading "/"
    std::vector<bool> param;            // segments[i] is a "{name}"
    bool literal = true;                // no "{name}": compared as a string
    ParamHandler handler;
  };
  struct Scope {
    std::string prefix;
    Wrapper wrap;
  };
  bool Matches(size_t i, const std::string& path, PathParams* params) const;
  void RouteRequest(const httplib::Request& req, httplib::Response& res) const;

  std::vector<RouteInfo> infos_;
  std::vector<Route> routes_;  // routes_[i] is infos_[i]
  std::vector<Scope> scopes_;
  PreRoutingHandler pre_routing_;
  Handler post_routing_;
  Logger logger_;
  Handler error_;
  ExceptionHandler exception_;
};

// The response to send for `res`: status line, headers (with Content-Length,
// and "Connection: close" when `close`), then the body unless `head_only`
// (a HEAD request) or the status has none (1xx, 204, 304). `keep_alive`:
// say "Connection: keep-alive" (an HTTP/1.0 client's persistent connection).
std::string SerializeResponse(const httplib::Response& res, bool head_only, bool close, bool keep_alive = false);

}  // namespace adapters::http
