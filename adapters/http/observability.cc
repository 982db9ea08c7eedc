#include "adapters/http/observability.h"

#include <algorithm>
#include <chrono>
#include <random>

#include <httplib.h>

#include "adapters/http/router.h"
#include "app/logging.h"

namespace adapters::http {
namespace {

using SteadyClock = std::chrono::steady_clock;

const char* const kMethodNames[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"};
const int kStatusCodes[] = {200, 201, 204, 301, 304, 400, 401, 403, 404, 405, 408, 409,
                            411, 412, 413, 414, 415, 417, 422, 429, 431, 500, 502, 503};  // then "other"

size_t MethodIndex(const std::string& method) {
  for (size_t i = 0; i + 1 < sizeof kMethodNames / sizeof kMethodNames[0]; i++) {
    if (method == kMethodNames[i]) return i;
  }
  return 7;
}

size_t StatusIndex(int status) {
  constexpr size_t n = sizeof kStatusCodes / sizeof kStatusCodes[0];
  for (size_t i = 0; i < n; i++) {
    if (status == kStatusCodes[i]) return i;
  }
  return n;
}

// What one request thread knows about the request it is serving: cpp-httplib
// reads, routes, answers and logs a request on one pool thread, so the
// pre-routing handler can leave it here for the post-routing handler and the
// logger of the same request.
struct RequestContext {
  bool started = false;
  SteadyClock::time_point start;
  std::string id;
};
thread_local RequestContext t_request;

}  // namespace

HttpMetrics::HttpMetrics() { SetRoutes({}); }

void HttpMetrics::SetRoutes(const std::vector<std::string>& paths) {
  paths_.clear();
  latency_.clear();
  for (const std::string& p : paths) {
    if (std::find(paths_.begin(), paths_.end(), p) == paths_.end()) paths_.push_back(p);
  }
  paths_.push_back("other");
  size_t n = paths_.size() * kMethods * kStatuses;
  counts_.reset(new std::atomic<uint64_t>[n]);
  for (size_t i = 0; i < n; i++) counts_[i].store(0, std::memory_order_relaxed);
  for (size_t i = 0; i < paths_.size(); i++) {
    latency_.push_back(std::make_unique<metrics::Histogram>(metrics::LatencyBuckets()));
  }
}

void HttpMetrics::Record(const std::string& method, const std::string& route, int status, double seconds) {
  size_t p = std::find(paths_.begin(), paths_.end(), route) - paths_.begin();
  if (p >= paths_.size()) p = paths_.size() - 1;
  counts_[Slot(p, MethodIndex(method), StatusIndex(status))].fetch_add(1, std::memory_order_relaxed);
  latency_[p]->Observe(seconds);
}

void HttpMetrics::Render(std::string* out) const {
  metrics::AppendHeader(out, "careerbot_http_requests_total", "counter",
                        "HTTP requests answered, by route pattern, method and status.");
  constexpr size_t n_codes = sizeof kStatusCodes / sizeof kStatusCodes[0];
  static_assert(n_codes + 1 == kStatuses, "kStatuses counts the status codes and \"other\"");
  for (size_t p = 0; p < paths_.size(); p++) {
    for (size_t m = 0; m < kMethods; m++) {
      for (size_t s = 0; s < kStatuses; s++) {
        uint64_t v = counts_[Slot(p, m, s)].load(std::memory_order_relaxed);
        if (v == 0) continue;
        std::string status = s < n_codes ? std::to_string(kStatusCodes[s]) : "other";
        *out += "careerbot_http_requests_total{route=\"" + metrics::EscapeLabel(paths_[p]) + "\",method=\"" +
                kMethodNames[m] + "\",status=\"" + status + "\"} " + std::to_string(v) + "\n";
      }
    }
  }
  metrics::AppendHeader(out, "careerbot_http_request_duration_seconds", "histogram",
                        "Time from reading a request's headers to writing its response, by route pattern.");
  for (size_t p = 0; p < paths_.size(); p++) {
    if (latency_[p]->count() == 0) continue;
    latency_[p]->Render("careerbot_http_request_duration_seconds", "route=\"" + metrics::EscapeLabel(paths_[p]) + "\"",
                        out);
  }
  metrics::AppendHeader(out, "careerbot_http_requests_in_flight", "gauge",
                        "HTTP requests being served now (this scrape included).");
  *out += "careerbot_http_requests_in_flight " + std::to_string(in_flight_.load(std::memory_order_relaxed)) + "\n";
}

std::string RequestIdFor(const std::string& client_value) {
  bool sane = !client_value.empty() && client_value.size() <= 64;
  for (char c : client_value) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' || c == '-')) sane = false;
  }
  if (sane) return client_value;
  thread_local std::mt19937_64 rng{std::random_device{}() ^
                                   static_cast<uint64_t>(SteadyClock::now().time_since_epoch().count())};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

void InstallObservability(Router& server, HttpMetrics* metrics,
                          std::function<bool(const httplib::Request&, httplib::Response&)> before_routing) {
  std::vector<std::string> paths;
  for (const RouteInfo& r : server.routes()) paths.push_back(r.path);
  metrics->SetRoutes(paths);
  server.set_pre_routing_handler([metrics, before_routing](const httplib::Request& req, httplib::Response& res) {
    t_request.started = true;
    t_request.start = SteadyClock::now();
    t_request.id = RequestIdFor(req.get_header_value("X-Request-Id"));
    metrics->Started();
    return before_routing && before_routing(req, res);
  });
  server.set_post_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    // A request refused before routing (a malformed request line) has no id yet.
    if (t_request.id.empty()) t_request.id = RequestIdFor(req.get_header_value("X-Request-Id"));
    res.set_header("X-Request-Id", t_request.id);
  });
  const Router* router = &server;
  server.set_logger([metrics, router](const httplib::Request& req, const httplib::Response& res) {
    double seconds = 0;
    if (t_request.started) {
      seconds = std::chrono::duration<double>(SteadyClock::now() - t_request.start).count();
      metrics->Finished();
    }
    RequestLogLine line;
    line.method = req.method;
    line.route = router->Label(req.path);
    line.status = res.status;
    line.latency_ms = seconds * 1000;
    line.request_id = t_request.id.empty() ? RequestIdFor("") : t_request.id;
    metrics->Record(req.method, line.route, res.status, seconds);
    LogRequest(line);
    t_request = RequestContext();
  });
}

}  // namespace adapters::http
