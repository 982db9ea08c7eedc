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
  // A new identifier of 32 lower-case hex characters. The real one
  // (Random()) is time-ordered: 48 bits of Unix milliseconds, then 80 random
  // bits (unguessable, as a conversation id must be). Ids made later sort
  // later, so the question log's index on answer ids grows at its end: with
  // fully random ids every batch of log lines dirtied a page of that index
  // per line (a few hundred KiB of WAL a commit under load), time-ordered
  // they dirty one or two.
  virtual std::string NewId() = 0;
  static IdGenerator* Random();
};

}  // namespace bot
