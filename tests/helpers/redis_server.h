// A redis-server of the test's own (Debian's; scripts/install-deps.sh --test)
// on a free loopback port, without persistence: stopped when it goes out of
// scope; it can be paused (SIGSTOP: accepts, answers nothing), killed and
// started again on the same port.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "adapters/redis/redis_client.h"

extern char** environ;

namespace testing_helpers {

// A free loopback port: bind to 0, read it, let it go.
inline int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

inline bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

class RedisServer {
 public:
  RedisServer() : port_(FreeLoopbackPort()) { Start(); }
  ~RedisServer() { Kill(SIGTERM); }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  void Start() {
    std::vector<std::string> args = {"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                     "--save", "", "--appendonly", "no", "--loglevel", "warning", "--logfile", "/dev/null"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    REQUIRE(::posix_spawnp(&pid_, "redis-server", nullptr, nullptr, argv.data(), environ) == 0);
    adapters::redis::RedisOptions o;
    o.port = port_;
    o.retry_after = std::chrono::milliseconds(0);
    adapters::redis::RedisClient probe(o);
    REQUIRE(WaitUntil([&] { return probe.Command({"PING"}).ok(); }, std::chrono::seconds(10)));
  }
  // SIGKILL by default: gone at once, its data with it (no persistence).
  void Kill(int sig = SIGKILL) {
    if (pid_ > 0) {
      ::kill(pid_, SIGCONT);
      ::kill(pid_, sig);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }
  void Pause() { ::kill(pid_, SIGSTOP); }
  void Resume() { ::kill(pid_, SIGCONT); }

 private:
  int port_;
  pid_t pid_ = -1;
};

}  // namespace testing_helpers
