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
    std::lock_guard<std::mutex> lock(mu_);
    for (int i = 0; i < 32; i += 16) {
      uint64_t v = engine_();
      for (int k = 0; k < 16; k++) id[i + k] = kHex[(v >> (4 * k)) & 0xF];
    }
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
