// Logging for `careerbot serve`: spdlog's default logger writing to stderr,
// one line per event, as text or as one JSON object per line
// (CAREERBOT_LOG_FORMAT=json), plus one access line per HTTP request
// (LogRequest). What is logged never holds a secret: no header values, no
// request bodies, no query strings; routes are logged as their pattern.
// ConfigureLogging is called once at start-up, before any other thread logs;
// LogRequest may be called from any thread.
#pragma once

#include <memory>
#include <string>

#include <spdlog/common.h>
#include <spdlog/formatter.h>

namespace adapters {

enum class LogFormat { kText, kJson };

// "text" or "json"; false for anything else.
bool ParseLogFormat(const std::string& text, LogFormat* out);

// Replaces spdlog's default logger with one writing to stderr in `format`
// at `level`, and makes the "access" logger LogRequest uses.
void ConfigureLogging(spdlog::level::level_enum level, LogFormat format);
// The text format's formatter: control characters in a message (a path's
// terminal escapes, NUL, backspace) are written as \xNN.
std::unique_ptr<spdlog::formatter> TextLogFormatter();

// One handled HTTP request, as the access log records it.
struct RequestLogLine {
  std::string method;
  std::string route;  // the route's pattern ("/v1/admin/entries/{id}"), never the raw path
  int status = 0;
  double latency_ms = 0;
  std::string request_id;
};

// Logs `line` on the "access" logger (at info), as text
// `POST /v1/ask 200 0.412ms id=...` or as JSON fields.
void LogRequest(const RequestLogLine& line);

// `text` as a JSON string literal, quotes included (invalid UTF-8 bytes
// become U+FFFD).
std::string JsonQuote(const std::string& text);

}  // namespace adapters
