#include "app/logging.h"

#include <time.h>

#include <atomic>
#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>
#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace adapters {
namespace {

std::atomic<LogFormat> g_format{LogFormat::kText};
constexpr char kAccessLogger[] = "access";

// {"ts":"2026-11-29T10:00:00.123Z","level":"info","msg":"..."}; access lines
// carry their fields instead of "msg" (their payload is already JSON fields).
class JsonFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    using namespace std::chrono;
    auto since = msg.time.time_since_epoch();
    time_t secs = static_cast<time_t>(duration_cast<seconds>(since).count());
    int millis = static_cast<int>(duration_cast<milliseconds>(since).count() % 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char ts[96];
    std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
    std::string line =
        std::string("{\"ts\":\"") + ts + "\",\"level\":\"" +
        std::string(spdlog::level::to_string_view(msg.level).data(), spdlog::level::to_string_view(msg.level).size()) +
        "\"";
    std::string payload(msg.payload.data(), msg.payload.size());
    std::string name(msg.logger_name.data(), msg.logger_name.size());
    if (name == kAccessLogger) {
      line += ",\"logger\":\"access\"," + payload + "}\n";
    } else {
      line += ",\"msg\":" + JsonQuote(payload) + "}\n";
    }
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

}  // namespace

bool ParseLogFormat(const std::string& text, LogFormat* out) {
  if (text == "text") {
    *out = LogFormat::kText;
    return true;
  }
  if (text == "json") {
    *out = LogFormat::kJson;
    return true;
  }
  return false;
}

namespace {

// The text format's message with control characters written as \xNN: a
// request path or a question may hold terminal escapes, NUL or backspace
// (log injection). The JSON format escapes them already.
class EscapingFormatter : public spdlog::formatter {
 public:
  explicit EscapingFormatter(std::unique_ptr<spdlog::formatter> inner) : inner_(std::move(inner)) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string_view payload(msg.payload.data(), msg.payload.size());
    bool clean = true;
    for (unsigned char c : payload) {
      if (c < 0x20 || c == 0x7f) clean = false;
    }
    if (clean) return inner_->format(msg, dest);
    std::string escaped;
    escaped.reserve(payload.size() + 16);
    for (unsigned char c : payload) {
      if (c < 0x20 || c == 0x7f) {
        char buf[5];
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        escaped += buf;
      } else {
        escaped += static_cast<char>(c);
      }
    }
    spdlog::details::log_msg copy = msg;
    copy.payload = spdlog::string_view_t(escaped.data(), escaped.size());
    inner_->format(copy, dest);
    msg.color_range_start = copy.color_range_start;
    msg.color_range_end = copy.color_range_end;
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<EscapingFormatter>(inner_->clone());
  }

 private:
  std::unique_ptr<spdlog::formatter> inner_;
};

}  // namespace

std::unique_ptr<spdlog::formatter> TextLogFormatter() {
  return std::make_unique<EscapingFormatter>(
      std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v"));
}

void ConfigureLogging(spdlog::level::level_enum level, LogFormat format) {
  g_format = format;
  spdlog::sink_ptr sink;
  if (format == LogFormat::kJson) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    sink->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    // Colours only when stderr is a terminal.
    sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    sink->set_formatter(TextLogFormatter());
  }
  auto main = std::make_shared<spdlog::logger>("careerbot", sink);
  auto access = std::make_shared<spdlog::logger>(kAccessLogger, sink);
  main->set_level(level);
  access->set_level(level);
  spdlog::drop(kAccessLogger);
  spdlog::register_logger(access);
  spdlog::set_default_logger(main);
}

void LogRequest(const RequestLogLine& l) {
  auto logger = spdlog::get(kAccessLogger);
  if (!logger || !logger->should_log(spdlog::level::info)) return;
  char latency[32];
  std::snprintf(latency, sizeof latency, "%.3f", l.latency_ms);
  if (g_format == LogFormat::kJson) {
    logger->info("\"method\":{},\"route\":{},\"status\":{},\"latency_ms\":{},\"request_id\":{}", JsonQuote(l.method),
                 JsonQuote(l.route), l.status, latency, JsonQuote(l.request_id));
  } else {
    logger->info("{} {} {} {}ms id={}", l.method, l.route, l.status, latency, l.request_id);
  }
}

std::string JsonQuote(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace adapters
