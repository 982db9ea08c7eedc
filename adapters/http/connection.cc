#include "adapters/http/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace adapters::http {
namespace {

using Clock = std::chrono::steady_clock;

thread_local Connection* t_connection = nullptr;

// Sets t_connection for the life of a scope.
class CurrentScope {
 public:
  explicit CurrentScope(Connection* c) : previous_(t_connection) { t_connection = c; }
  ~CurrentScope() { t_connection = previous_; }
  CurrentScope(const CurrentScope&) = delete;
  CurrentScope& operator=(const CurrentScope&) = delete;

 private:
  Connection* previous_;
};

// Waits until `sock` is ready for `events`, at most `timeout` (rounded up to
// whole milliseconds, so a wait never ends before it): 1 ready, 0 timed out,
// -1 error.
int Poll(int sock, short events, Clock::duration timeout) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(timeout).count();
  if (ms < 0) ms = 0;
  pollfd p{sock, events, 0};
  for (;;) {
    int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(ms, 1 << 30)));
    if (n < 0 && errno == EINTR) continue;
    return n > 0 ? 1 : n;
  }
}

bool WaitFor(int sock, short events, Clock::duration timeout) { return Poll(sock, events, timeout) > 0; }

void AddressOf(const sockaddr_storage& addr, std::string* ip, int* port) {
  char buf[INET6_ADDRSTRLEN] = "";
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
    *port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
    *port = ntohs(a->sin6_port);
  }
  *ip = buf;
}

// The status code of a response that starts with "HTTP/1.x NNN", else 0.
int StatusOf(const char* data, size_t size) {
  if (size < 12 || std::memcmp(data, "HTTP/1.", 7) != 0 || data[8] != ' ') return 0;
  int status = 0;
  for (size_t i = 9; i < 12; i++) {
    if (data[i] < '0' || data[i] > '9') return 0;
    status = status * 10 + (data[i] - '0');
  }
  return status;
}

// A response after which the request stream may be out of step (a body
// left unread, a malformed head): the connection is closed after it.
bool ClosesConnection(int status) {
  return status == 400 || status == 408 || status == 411 || status == 413 || status == 414 || status == 431;
}

// Writes a complete JSON error response (for a request cpp-httplib gave up
// on without answering).
void WriteCannedError(httplib::Stream& stream, int status) {
  const char* reason = status == 408 ? "Request Timeout" : "URI Too Long";
  const char* body = status == 408
                         ? R"({"error":{"code":"request_timeout","message":"the request did not arrive in time"}})"
                         : R"({"error":{"code":"uri_too_long","message":"the request line is too long"}})";
  std::string response = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                         "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                         std::to_string(std::strlen(body)) + "\r\n\r\n" + body;
  stream.write(response.data(), response.size());
}

}  // namespace

// The stream process_request reads from: bytes come from a socket (polled
// against the request's deadline) or from another stream (fuzzers), through
// a small buffer, and only while the request's budget lasts.
class GuardedStream : public httplib::Stream {
 public:
  GuardedStream(Connection* connection, int sock, Clock::duration read_timeout, Clock::duration write_timeout)
      : connection_(connection), sock_(sock), read_timeout_(read_timeout), write_timeout_(write_timeout) {}
  GuardedStream(Connection* connection, httplib::Stream* inner)
      : connection_(connection), inner_(inner), sock_(inner->socket()) {}

  bool is_readable() const override {
    if (offset_ < size_) return true;
    if (inner_) return inner_->is_readable();
    return WaitFor(sock_, POLLIN, ReadWait());
  }
  bool is_writable() const override {
    if (inner_) return inner_->is_writable();
    return WaitFor(sock_, POLLOUT, write_timeout_);
  }

  ssize_t read(char* ptr, size_t size) override {
    Connection& c = *connection_;
    if (size == 0) return 0;
    if (c.in_request_) {
      if (c.budget_ == 0) {
        c.over_budget_ = true;
        return -1;
      }
      size = std::min(size, c.budget_);
    }
    if (offset_ == size_ && !Fill()) return -1;
    if (offset_ == size_) return 0;  // the peer closed
    size_t n = std::min(size, size_ - offset_);
    std::memcpy(ptr, buf_ + offset_, n);
    offset_ += n;
    if (c.in_request_) c.budget_ -= n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    Connection& c = *connection_;
    int status = StatusOf(ptr, size);
    if (status >= 200) {  // a response begins (a 100 Continue does not end the request)
      c.in_request_ = false;
      last_status_ = status;
    }
    if (inner_) return inner_->write(ptr, size);
    size_t sent = 0;
    while (sent < size) {
      if (!WaitFor(sock_, POLLOUT, write_timeout_)) return sent > 0 ? static_cast<ssize_t>(sent) : -1;
      ssize_t n = ::send(sock_, ptr + sent, size - sent, MSG_NOSIGNAL);
      if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (n <= 0) return sent > 0 ? static_cast<ssize_t>(sent) : -1;
      sent += static_cast<size_t>(n);
    }
    return static_cast<ssize_t>(sent);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    if (inner_) return inner_->get_remote_ip_and_port(ip, port);
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    ip.clear();
    port = 0;
    if (::getpeername(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) AddressOf(addr, &ip, &port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    if (inner_) return inner_->get_local_ip_and_port(ip, port);
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    ip.clear();
    port = 0;
    if (::getsockname(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) AddressOf(addr, &ip, &port);
  }
  socket_t socket() const override { return sock_; }

  // True when bytes of a next request are already buffered.
  bool buffered() const { return offset_ < size_; }
  // The status of the last response written (0: none yet).
  int last_status() const { return last_status_; }
  void ResetStatus() { last_status_ = 0; }

 private:
  // How long a read may wait: the read timeout, cut to the request's deadline.
  Clock::duration ReadWait() const {
    if (!connection_->in_request_) return read_timeout_;
    return std::min<Clock::duration>(read_timeout_, connection_->deadline_ - Clock::now());
  }

  // Refills the buffer; false on a timeout or an error (size_ == offset_
  // afterwards with true: the peer closed).
  bool Fill() {
    offset_ = size_ = 0;
    Connection& c = *connection_;
    if (c.in_request_ && Clock::now() >= c.deadline_) {
      c.timed_out_ = true;
      return false;
    }
    if (inner_) {
      ssize_t n = inner_->read(buf_, sizeof buf_);
      if (n < 0) return false;
      size_ = static_cast<size_t>(n);
      return true;
    }
    for (;;) {
      int ready = Poll(sock_, POLLIN, ReadWait());
      if (ready <= 0) {
        // No byte in time, in the middle of a request: it timed out.
        if (ready == 0 && c.in_request_) c.timed_out_ = true;
        return false;
      }
      ssize_t n = ::recv(sock_, buf_, sizeof buf_, 0);
      if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (n < 0) return false;
      size_ = static_cast<size_t>(n);
      return true;
    }
  }

  Connection* connection_;
  httplib::Stream* inner_ = nullptr;
  int sock_ = -1;
  Clock::duration read_timeout_ = std::chrono::seconds(5);
  Clock::duration write_timeout_ = std::chrono::seconds(5);
  char buf_[4096];
  size_t offset_ = 0, size_ = 0;
  int last_status_ = 0;
};

Connection* Connection::Current() { return t_connection; }

void Connection::AllowBody(size_t bytes, std::chrono::seconds seconds) {
  budget_ = bytes;
  reading_body_ = true;
  deadline_ = std::max(deadline_, Clock::now() + seconds);
}

void Connection::StartRequest(Clock::time_point deadline) {
  deadline_ = deadline;
  in_request_ = true;
  budget_ = kMaxHeadBytes;
  over_budget_ = false;
  timed_out_ = false;
  reading_body_ = false;
  close_after_response_ = false;
}

template <typename WaitReadable>
void GuardedServer::ServeConnection(httplib::Stream& stream, Connection& connection, WaitReadable wait_readable) {
  GuardedStream& guarded = static_cast<GuardedStream&>(stream);
  CurrentScope scope(&connection);
  const auto read_timeout = std::chrono::seconds(read_timeout_sec_) + std::chrono::microseconds(read_timeout_usec_);
  for (size_t count = std::max<size_t>(keep_alive_max_count_, 1); count > 0; count--) {
    if (!guarded.buffered() && !wait_readable(keep_alive_timeout_sec_)) break;
    connection.StartRequest(Clock::now() + read_timeout);
    guarded.ResetStatus();
    bool connection_closed = false;
    bool ok = process_request(stream, /*close_connection=*/count == 1, connection_closed, nullptr);
    if (guarded.last_status() == 0 && (connection.over_budget_ || connection.timed_out_)) {
      // Cut short in the request line, where cpp-httplib answers nothing:
      // say why before closing.
      WriteCannedError(stream, connection.timed_out_ ? 408 : 414);
      break;
    }
    if (!ok || connection_closed || connection.close_after_response_ || connection.over_budget_ ||
        connection.timed_out_ || ClosesConnection(guarded.last_status())) {
      break;
    }
  }
}

bool GuardedServer::process_and_close_socket(socket_t sock) {
  Connection connection;
  const auto read_timeout = std::chrono::seconds(read_timeout_sec_) + std::chrono::microseconds(read_timeout_usec_);
  const auto write_timeout =
      std::chrono::seconds(write_timeout_sec_) + std::chrono::microseconds(write_timeout_usec_);
  GuardedStream stream(&connection, sock, read_timeout, write_timeout);
  // Waits for the next request in short steps, so that Stop() is not held up
  // by idle keep-alive connections.
  auto wait_readable = [this, sock](time_t seconds) {
    auto until = Clock::now() + std::chrono::seconds(seconds);
    while (svr_sock_ != INVALID_SOCKET) {
      auto left = until - Clock::now();
      if (left <= Clock::duration::zero()) return false;
      if (WaitFor(sock, POLLIN, std::min<Clock::duration>(left, std::chrono::milliseconds(50)))) return true;
    }
    return false;
  };
  ServeConnection(stream, connection, wait_readable);
  // A lingering close: closing a socket with unread bytes (a refused body)
  // would reset the connection, and the client could lose the answer sent
  // just before. Say we are done, then read and drop what still comes, for
  // a short while.
  ::shutdown(sock, SHUT_WR);
  auto until = Clock::now() + std::chrono::milliseconds(500);
  char sink[4096];
  size_t drained = 0;
  while (drained < 256 * 1024 && WaitFor(sock, POLLIN, until - Clock::now())) {
    ssize_t n = ::recv(sock, sink, sizeof sink, 0);
    if (n <= 0) break;
    drained += static_cast<size_t>(n);
  }
  ::close(sock);
  return true;
}

void GuardedServer::ServeStream(httplib::Stream& inner) {
  Connection connection;
  GuardedStream stream(&connection, &inner);
  ServeConnection(stream, connection, [&stream](time_t) { return stream.is_readable(); });
}

}  // namespace adapters::http
