// A connection without a socket: an httplib::Stream that reads a fixed input
// and collects what is written, for serving raw bytes through
// HttpServer::ServeStream (the HTTP fuzzer and the connection tests).
#pragma once

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include <httplib.h>

namespace testing_helpers {

class BufferStream : public httplib::Stream {
 public:
  explicit BufferStream(std::string in) : in_(std::move(in)) {}
  bool is_readable() const override { return pos_ < in_.size(); }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    size_t n = std::min(size, in_.size() - pos_);
    std::memcpy(ptr, in_.data() + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    out_.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 40000;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 8080;
  }
  socket_t socket() const override { return INVALID_SOCKET; }
  // What the server wrote.
  const std::string& out() const { return out_; }

 private:
  std::string in_;
  size_t pos_ = 0;
  std::string out_;
};

}  // namespace testing_helpers
