#include "bot/clock.h"

#include <chrono>
#include <mutex>
#include <random>

namespace bot {
namespace {

class RealClock : public Clock {
 public:
  int64_t NowSeconds() override {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  int64_t SteadyMicros() override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

class RandomIds : public IdGenerator {
 public:
  RandomIds() {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    engine_.seed(seq);
  }
  std::string NewId() override {
    static const char kHex[] = "0123456789abcdef";
    std::string id(32, '0');
    const uint64_t ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                  std::chrono::system_clock::now().time_since_epoch())
                                                  .count());
    // Most significant digit first, so that ids compare as their times do.
    for (int k = 0; k < 12; k++) id[k] = kHex[(ms >> (4 * (11 - k))) & 0xF];
    uint64_t r1, r2;
    {
      std::lock_guard<std::mutex> lock(mu_);
      r1 = engine_();
      r2 = engine_();
    }
    for (int k = 0; k < 16; k++) id[12 + k] = kHex[(r1 >> (4 * k)) & 0xF];
    for (int k = 0; k < 4; k++) id[28 + k] = kHex[(r2 >> (4 * k)) & 0xF];
    return id;
  }

 private:
  std::mutex mu_;
  std::mt19937_64 engine_;
};

}  // namespace

Clock* Clock::Real() {
  static RealClock clock;
  return &clock;
}

IdGenerator* IdGenerator::Random() {
  static RandomIds ids;
  return &ids;
}

}  // namespace bot
