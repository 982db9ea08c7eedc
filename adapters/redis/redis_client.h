// A small Redis client over hiredis (Debian's libhiredis 0.14) for the state
// that replicas share (adapters/redis/shared_state.h). Every call is bounded:
// connecting and each command have short timeouts, so a slow, hung or absent
// Redis costs a request at most the command timeout, and while Redis is
// down the client fails at once (no connect attempt) until `retry_after` has
// passed. Never throws.
//
// Thread-safety: thread-safe. A fixed pool of connections, each used by one
// caller at a time (a caller picks a free one, or waits for its turn on one).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bot/status.h"

struct redisContext;

namespace adapters::redis {

// One reply, copied out of hiredis's.
struct Reply {
  enum Type { kNil, kString, kStatus, kInteger, kArray, kError };
  Type type = kNil;
  std::string str;       // kString, kStatus, kError
  long long integer = 0;  // kInteger
  std::vector<Reply> elements;  // kArray
};

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;  // empty: no AUTH
  int db = 0;
  std::chrono::milliseconds connect_timeout{200};
  std::chrono::milliseconds command_timeout{100};
  std::chrono::milliseconds retry_after{1000};  // after a failure, fail at once for this long
  size_t connections = 4;
};

// redis://[[user]:password@]host[:port][/db]; kInvalidArgument says what is
// wrong. The password is never part of a message.
bot::Status ParseRedisUrl(const std::string& url, RedisOptions* out);

class RedisClient {
 public:
  explicit RedisClient(RedisOptions options);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Runs one command (argument vector, binary-safe). kUnavailable when Redis
  // cannot be reached or did not answer in time; a Redis error reply is a
  // Reply of type kError.
  bot::Result<Reply> Command(const std::vector<std::string>& argv);

  // False after a failed call, until a call succeeds again.
  bool up() const { return up_.load(std::memory_order_relaxed); }
  uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }
  const RedisOptions& options() const { return options_; }
  // "host:port/db", for logs (never the password).
  std::string Describe() const;

 private:
  struct Conn {
    std::mutex mu;
    redisContext* ctx = nullptr;  // guarded by mu; null: not connected
  };
  // Connects `c` (its mutex held); false when it could not.
  bool Connect(Conn& c);
  void Failed(Conn& c, const std::string& why);

  RedisOptions options_;
  std::vector<std::unique_ptr<Conn>> pool_;
  std::atomic<size_t> next_{0};
  std::atomic<bool> up_{true};
  std::atomic<uint64_t> failures_{0};
  std::atomic<int64_t> retry_at_us_{0};  // steady clock: no attempt before this
  std::atomic<bool> down_logged_{false};
};

}  // namespace adapters::redis
