// Counters and histograms for GET /metrics, written in the Prometheus text
// exposition format 0.0.4. Recording is lock-free (relaxed atomic adds: a few
// nanoseconds, no contention between request threads); rendering reads the
// atomics one by one, so a scrape that races with requests may see a count
// and a sum one observation apart, which Prometheus tolerates.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace adapters::metrics {

// A histogram over fixed bucket upper bounds (seconds, ascending).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double seconds);
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  // Appends the _bucket, _sum and _count series of `name`; `labels` is
  // either empty or `key="value",...` without braces.
  void Render(const std::string& name, const std::string& labels, std::string* out) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1 (+Inf), not cumulative
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_ns_{0};
};

// Bucket bounds for request and answer latencies: 50 µs to 10 s.
std::vector<double> LatencyBuckets();

// `value` escaped for a label value (backslash, double quote, newline).
std::string EscapeLabel(const std::string& value);

// "# HELP name help\n# TYPE name type\n".
void AppendHeader(std::string* out, const char* name, const char* type, const char* help);

// A number as Prometheus writes it (integers without a fraction).
std::string FormatValue(double v);

}  // namespace adapters::metrics
