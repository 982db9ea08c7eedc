// The server's routes and the steps every request passes through, on
// cpp-httplib's public request and response types (httplib::Request,
// httplib::Response): the connection layer (connection.h) frames and reads a
// request, then Handle() runs
//   pre-routing (access-log start, request id, the guard's CORS and rate
//   limit; it may answer the request itself) → the first route whose method
//   and path pattern match (registration order; a pattern is a literal path
//   or a std::regex matched against the whole path, as cpp-httplib does) →
//   the error handler for an error status with no body → post-routing → the
//   logger.
// HEAD is routed as GET (the response is sent without its body).
// Register every route before serving; Handle() is then thread-safe.
#pragma once

#include <exception>
#include <functional>
#include <regex>
#include <string>
#include <vector>

#include <httplib.h>

namespace adapters::http {

class Router {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  // Returns true when it answered the request (routing is skipped).
  using PreRoutingHandler = std::function<bool(const httplib::Request&, httplib::Response&)>;
  using Logger = std::function<void(const httplib::Request&, const httplib::Response&)>;
  using ExceptionHandler = std::function<void(const httplib::Request&, httplib::Response&, std::exception_ptr)>;

  Router& Get(const std::string& pattern, Handler handler) { return Add("GET", pattern, std::move(handler)); }
  Router& Post(const std::string& pattern, Handler handler) { return Add("POST", pattern, std::move(handler)); }
  Router& Put(const std::string& pattern, Handler handler) { return Add("PUT", pattern, std::move(handler)); }
  Router& Patch(const std::string& pattern, Handler handler) { return Add("PATCH", pattern, std::move(handler)); }
  Router& Delete(const std::string& pattern, Handler handler) { return Add("DELETE", pattern, std::move(handler)); }
  Router& Options(const std::string& pattern, Handler handler) { return Add("OPTIONS", pattern, std::move(handler)); }

  void set_pre_routing_handler(PreRoutingHandler h) { pre_routing_ = std::move(h); }
  void set_post_routing_handler(Handler h) { post_routing_ = std::move(h); }
  void set_logger(Logger l) { logger_ = std::move(l); }
  // For a response with status >= 400 and no body (no route: 404).
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
    std::string method;
    std::string pattern;
    bool literal = false;  // the pattern has no regex syntax: compared as a string
    std::string prefix;    // what every path it matches starts with (a cheap pre-check)
    std::regex regex;
    Handler handler;
  };
  Router& Add(const char* method, const std::string& pattern, Handler handler);
  void RouteRequest(httplib::Request& req, httplib::Response& res) const;

  std::vector<Route> routes_;
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
