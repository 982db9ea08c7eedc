// Time and identifiers come in through these interfaces so tests can fix them.
// The real implementations are thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace bot {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since the Unix epoch (UTC).
  virtual int64_t NowSeconds() = 0;
  // A steady clock in microseconds, for durations only.
  virtual int64_t SteadyMicros() = 0;
  static Clock* Real();
};

class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  // A new identifier: 16 random bytes as 32 lower-case hex characters.
  virtual std::string NewId() = 0;
  static IdGenerator* Random();
};

}  // namespace bot
