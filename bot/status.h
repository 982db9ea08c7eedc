// Status and Result<T>: how fallible calls in careerbot report failure, without
// exceptions and without any transport's status codes (adapters map codes to
// HTTP, exit codes or chat replies). Value types; safe to copy between threads.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace bot {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,  // the caller's input is wrong; retrying will not help
    kNotFound,
    kAlreadyExists,
    kUnavailable,  // a dependency (the store, a file) cannot be used right now
    kInternal,
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) { return Status(Code::kInvalidArgument, std::move(msg)); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status AlreadyExists(std::string msg) { return Status(Code::kAlreadyExists, std::move(msg)); }
  static Status Unavailable(std::string msg) { return Status(Code::kUnavailable, std::move(msg)); }
  static Status Internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid_argument: <message>", for logs and CLI errors.
  std::string ToString() const;
  static const char* CodeName(Code code);

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or the Status that explains why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

namespace status_internal {
inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}
}  // namespace status_internal

}  // namespace bot

// Returns the Status of `expr` (a Status or a Result<T>) from the enclosing
// function (which returns a Status or a Result<U>) when it is not ok.
#define RETURN_IF_ERROR(expr)                                                  \
  do {                                                                         \
    const auto& careerbot_status_ = (expr);                                    \
    if (!careerbot_status_.ok()) return ::bot::status_internal::StatusOf(careerbot_status_); \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, F());` evaluates F() (a Result<T>) once: when it
// fails, returns its Status from the enclosing function; else moves its value
// into the declaration or lvalue `lhs`.
#define CAREERBOT_STATUS_CONCAT_(a, b) a##b
#define CAREERBOT_STATUS_CONCAT(a, b) CAREERBOT_STATUS_CONCAT_(a, b)
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(CAREERBOT_STATUS_CONCAT(careerbot_result_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(result, lhs, expr) \
  auto result = (expr);                           \
  if (!result.ok()) return result.status();       \
  lhs = std::move(*result)
