// What the HTTP server tells its operators about each request: an access log
// line (app/logging.h), an X-Request-Id (the client's, when it sent a
// sane one, else a new random one; echoed on every response), and the
// request counters and latency histograms of GET /metrics. Requests are
// labelled with their route's pattern (router.h Router::Label()), never the raw
// path, so the label set stays small and no identifier or token leaks.
// HttpMetrics is lock-free and thread-safe; InstallObservability is called
// once, before the server runs.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/metrics.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace adapters::http {

class Router;

class HttpMetrics {
 public:
  HttpMetrics();
  // The route labels counted apart (Router::routes()' paths; any other
  // label counts as "other"). Call once, before the first Record().
  void SetRoutes(const std::vector<std::string>& paths);
  // One finished request; `route` is its route label (Router::Label()).
  void Record(const std::string& method, const std::string& route, int status, double seconds);
  void Started() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void Finished() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }
  // careerbot_http_requests_total, careerbot_http_request_duration_seconds,
  // careerbot_http_requests_in_flight.
  void Render(std::string* out) const;

 private:
  static constexpr size_t kMethods = 8;    // GET HEAD POST PUT PATCH DELETE OPTIONS other
  static constexpr size_t kStatuses = 25;  // the codes careerbot answers with, and "other"
  size_t Slot(size_t path, size_t method, size_t status) const {
    return (path * kMethods + method) * kStatuses + status;
  }
  std::vector<std::string> paths_;  // distinct route patterns, then "other"
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::vector<std::unique_ptr<metrics::Histogram>> latency_;  // by path
  std::atomic<int64_t> in_flight_{0};
};

// A sane client request id (1-64 of [A-Za-z0-9._:-]) is kept; anything else
// is replaced by a new random one (16 hex digits).
std::string RequestIdFor(const std::string& client_value);

// Installs the pre-routing handler (start time, request id; then
// `before_routing`, which answers a request itself by returning true), the
// post-routing handler (X-Request-Id on every response) and the logger (the
// access line and `metrics`, labelled with router.Label()). Call once every
// route is registered; `metrics` must outlive the server.
void InstallObservability(Router& router, HttpMetrics* metrics,
                          std::function<bool(const httplib::Request&, httplib::Response&)> before_routing);

}  // namespace adapters::http
