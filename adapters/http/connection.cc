#include "adapters/http/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

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

// Whether a whole request has arrived, judged from the bytes read so far.
struct Framing {
  enum State {
    kPartial,   // more must come: wait for it without a worker
    kComplete,  // the head and its Content-Length body are all there
    kServe,     // cannot tell (chunked, Expect: 100-continue, a large body, an
                // overlong or odd head): serve now, reads wait on the worker
  };
  State state = kPartial;
  bool head_complete = false;
  size_t content_length = 0;
};

bool EqualsNoCase(const char* a, size_t n, const char* lower) {
  if (std::strlen(lower) != n) return false;
  for (size_t i = 0; i < n; i++) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

Framing Classify(const char* data, size_t size, const std::function<size_t(const std::string&)>& body_limit) {
  Framing f;
  const char* end = static_cast<const char*>(memmem(data, size, "\r\n\r\n", 4));
  if (end == nullptr || static_cast<size_t>(end - data) + 4 > kMaxHeadBytes) {
    // Too long (the budget answers 414 or 431), or bare-LF line ends: let
    // cpp-httplib judge it now.
    if (size >= kMaxHeadBytes || memmem(data, std::min(size, kMaxHeadBytes), "\n\n", 2) != nullptr) {
      f.state = Framing::kServe;
    }
    return f;
  }
  f.head_complete = true;
  const size_t head = static_cast<size_t>(end - data) + 4;
  const char* line_end = static_cast<const char*>(std::memchr(data, '\n', head));
  // The request target's path, for its body limit.
  std::string path;
  if (const char* sp = static_cast<const char*>(std::memchr(data, ' ', static_cast<size_t>(line_end - data)))) {
    const char* p = sp + 1;
    while (p < line_end && *p != ' ' && *p != '?' && *p != '\r') path.push_back(*p++);
  }
  bool have_length = false;
  for (const char* line = line_end + 1; line < end + 2;) {
    const char* next = static_cast<const char*>(std::memchr(line, '\n', static_cast<size_t>(end + 2 - line)));
    if (next == nullptr) break;
    const char* colon = static_cast<const char*>(std::memchr(line, ':', static_cast<size_t>(next - line)));
    if (colon != nullptr) {
      size_t name_size = static_cast<size_t>(colon - line);
      const char* v = colon + 1;
      const char* v_end = next;
      while (v < v_end && (*v == ' ' || *v == '\t')) v++;
      while (v_end > v && (v_end[-1] == '\r' || v_end[-1] == ' ' || v_end[-1] == '\t')) v_end--;
      if (EqualsNoCase(line, name_size, "transfer-encoding") || EqualsNoCase(line, name_size, "expect")) {
        f.state = Framing::kServe;
        return f;
      }
      if (EqualsNoCase(line, name_size, "content-length")) {
        if (have_length || v == v_end || v_end - v > 12) {
          f.state = Framing::kServe;  // repeated, empty or huge: cpp-httplib and the guard answer it
          return f;
        }
        size_t n = 0;
        for (const char* d = v; d < v_end; d++) {
          if (*d < '0' || *d > '9') {
            f.state = Framing::kServe;
            return f;
          }
          n = n * 10 + static_cast<size_t>(*d - '0');
        }
        have_length = true;
        f.content_length = n;
      }
    }
    line = next + 1;
  }
  if (f.content_length > 0 && (!body_limit || f.content_length > body_limit(path))) {
    f.state = Framing::kServe;  // refused before its body is read (413), or an admin import
    return f;
  }
  f.state = size - head >= f.content_length ? Framing::kComplete : Framing::kPartial;
  return f;
}

}  // namespace

// The stream process_request reads from: bytes come from a socket (polled
// against the request's deadline) or from another stream (fuzzers), through
// a small buffer, and only while the request's budget lasts.
class GuardedStream : public httplib::Stream {
 public:
  GuardedStream(Connection* connection, int sock, Clock::duration read_timeout, Clock::duration write_timeout)
      : connection_(connection), sock_(sock), read_timeout_(read_timeout), write_timeout_(write_timeout),
        buf_(kInitialBuffer) {}
  GuardedStream(Connection* connection, httplib::Stream* inner)
      : connection_(connection), inner_(inner), sock_(inner->socket()), buf_(kInitialBuffer) {}

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
    std::memcpy(ptr, buf_.data() + offset_, n);
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
    if (status >= 200 && pending_.empty()) {
      // The status line and headers: held back and sent with the body in
      // one packet (TCP_NODELAY would send them apart); Flush() sends them
      // alone when no body follows.
      pending_.assign(ptr, size);
      return static_cast<ssize_t>(size);
    }
    iovec parts[2] = {{pending_.data(), pending_.size()}, {const_cast<char*>(ptr), size}};
    bool ok = pending_.empty() ? Send(parts + 1, 1) : Send(parts, 2);
    pending_.clear();
    return ok ? static_cast<ssize_t>(size) : -1;
  }

  // Sends what write() held back; false when the socket failed.
  bool Flush() {
    if (pending_.empty()) return true;
    iovec part = {pending_.data(), pending_.size()};
    bool ok = Send(&part, 1);
    pending_.clear();
    return ok;
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
  const char* data() const { return buf_.data() + offset_; }
  size_t size() const { return size_ - offset_; }

  enum class Pull { kAgain, kFull, kEof, kError };
  // Reads what has arrived on the socket, without waiting, after what is
  // buffered (the buffer grows up to `cap` bytes): kAgain when nothing more
  // is there now, kFull at `cap`, kEof when the peer closed.
  Pull ReadAvailable(size_t cap) {
    if (offset_ == size_) {
      offset_ = size_ = 0;
    } else if (offset_ > 0) {
      std::memmove(buf_.data(), buf_.data() + offset_, size_ - offset_);
      size_ -= offset_;
      offset_ = 0;
    }
    for (;;) {
      if (size_ == buf_.size()) {
        if (buf_.size() >= cap) return Pull::kFull;
        buf_.resize(std::min(cap, buf_.size() * 2));
      }
      const size_t room = buf_.size() - size_;
      ssize_t n = ::recv(sock_, buf_.data() + size_, room, MSG_DONTWAIT);
      if (n > 0) {
        size_ += static_cast<size_t>(n);
        // A short read took all there was: no second call to hear EAGAIN
        // (what comes later wakes the connection again).
        if (static_cast<size_t>(n) < room) return Pull::kAgain;
        continue;
      }
      if (n == 0) return Pull::kEof;
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK ? Pull::kAgain : Pull::kError;
    }
  }
  // Gives back a buffer grown for a large request once it is empty.
  void Shrink() {
    if (offset_ == size_ && buf_.size() > kInitialBuffer) {
      offset_ = size_ = 0;
      std::vector<char>(kInitialBuffer).swap(buf_);
    }
  }
  // The status of the last response written (0: none yet).
  int last_status() const { return last_status_; }
  void ResetStatus() { last_status_ = 0; }

 private:
  // Sends all of `parts`, waiting at most the write timeout whenever the
  // socket is full.
  bool Send(iovec* parts, int count) {
    msghdr msg{};
    msg.msg_iov = parts;
    msg.msg_iovlen = static_cast<size_t>(count);
    for (;;) {
      while (msg.msg_iovlen > 0 && msg.msg_iov->iov_len == 0) {
        msg.msg_iov++;
        msg.msg_iovlen--;
      }
      if (msg.msg_iovlen == 0) return true;
      ssize_t n = ::sendmsg(sock_, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!WaitFor(sock_, POLLOUT, write_timeout_)) return false;
        continue;
      }
      if (n <= 0) return false;
      for (auto left = static_cast<size_t>(n); left > 0;) {
        size_t step = std::min(left, msg.msg_iov->iov_len);
        msg.msg_iov->iov_base = static_cast<char*>(msg.msg_iov->iov_base) + step;
        msg.msg_iov->iov_len -= step;
        left -= step;
        if (msg.msg_iov->iov_len == 0 && left > 0) {
          msg.msg_iov++;
          msg.msg_iovlen--;
        }
      }
    }
  }

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
      ssize_t n = inner_->read(buf_.data(), buf_.size());
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
      ssize_t n = ::recv(sock_, buf_.data(), buf_.size(), 0);
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
  static constexpr size_t kInitialBuffer = 4096;
  std::vector<char> buf_;
  size_t offset_ = 0, size_ = 0;
  std::string pending_;  // a response's head, not sent yet
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
    if (!guarded.Flush()) ok = false;
    if (guarded.last_status() == 0 && (connection.over_budget_ || connection.timed_out_)) {
      // Cut short in the request line, where cpp-httplib answers nothing:
      // say why before closing.
      WriteCannedError(stream, connection.timed_out_ ? 408 : 414);
      guarded.Flush();
      break;
    }
    if (!ok || connection_closed || connection.close_after_response_ || connection.over_budget_ ||
        connection.timed_out_ || ClosesConnection(guarded.last_status())) {
      break;
    }
  }
}

// A connection in the event loop: its guard state, its stream (with the
// bytes read but not yet served) and where it is in its keep-alive life.
struct GuardedServer::Session : EventLoop::Session {
  Session(int sock, Clock::duration read_timeout, Clock::duration write_timeout, size_t requests)
      : stream(&connection, sock, read_timeout, write_timeout), remaining(requests) {}
  Connection connection;
  GuardedStream stream;
  size_t remaining;            // requests it may still make (keep_alive_max_count)
  bool in_request = false;     // bytes of a request have arrived
  bool eof = false;            // the client closed its side
  Clock::time_point idle_deadline;  // !in_request: closed if nothing comes by then
  Clock::time_point head_deadline;  // in_request: its head must be in by then
  Clock::time_point body_deadline;  // in_request, head in: its body must be in by then ({}: not yet set)
};

// cpp-httplib's accept loop hands each socket to a TaskQueue. This one runs
// the task (process_and_close_socket: adopt the socket) inline on the accept
// thread, and owns the event loop: created when listening starts,
// shut down (drained) when it ends, i.e. after stop() closed the listening
// socket.
class GuardedServer::LoopQueue : public httplib::TaskQueue {
 public:
  explicit LoopQueue(GuardedServer* server) : server_(server) {
    EventLoop::Options options;
    options.workers = std::max<size_t>(server->workers_, 1);
    options.max_connections = server->max_connections_;
    // A timed-out partial request gets its 408 once its socket is writable:
    // as long as a write may wait, and a second more.
    options.handover_grace = std::chrono::seconds(server->write_timeout_sec_ + 1);
    EventLoop::Handler& handler = *server;
    loop_ = std::make_unique<EventLoop>(handler, options, &server->stats_);
    server_->loop_ = loop_.get();
  }
  ~LoopQueue() override { shutdown(); }

  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override {
    if (!loop_) return;
    loop_->Shutdown();
    server_->loop_ = nullptr;
    loop_.reset();
  }

 private:
  GuardedServer* server_;
  std::unique_ptr<EventLoop> loop_;
};

GuardedServer::GuardedServer() {
  new_task_queue = [this] { return new LoopQueue(this); };
}

GuardedServer::~GuardedServer() = default;

bool GuardedServer::process_and_close_socket(socket_t sock) {
  const auto read_timeout = std::chrono::seconds(read_timeout_sec_) + std::chrono::microseconds(read_timeout_usec_);
  const auto write_timeout =
      std::chrono::seconds(write_timeout_sec_) + std::chrono::microseconds(write_timeout_usec_);
  if (loop_ == nullptr) {  // not listening through LoopQueue (never, unless new_task_queue was replaced)
    ::close(sock);
    return false;
  }
  auto session =
      std::make_unique<Session>(sock, read_timeout, write_timeout, std::max<size_t>(keep_alive_max_count_, 1));
  session->idle_deadline = Clock::now() + std::chrono::seconds(keep_alive_timeout_sec_);
  Clock::time_point deadline = session->idle_deadline;
  loop_->Adopt(sock, std::move(session), deadline);
  return true;
}

EventLoop::Next GuardedServer::Serve(EventLoop::Session& base, bool draining) {
  using Next = EventLoop::Next;
  // Requests served in one turn before others get theirs: a client that
  // keeps pipelining is parked again (its socket still readable) after this.
  constexpr int kRequestsPerTurn = 16;
  // The most bytes read ahead: the longest head and the largest body that is
  // awaited without a worker (a webhook's 128 KiB).
  const size_t cap = kMaxHeadBytes + 256 * 1024;
  Session& s = static_cast<Session&>(base);
  GuardedStream& stream = s.stream;
  Connection& connection = s.connection;
  CurrentScope scope(&connection);
  const auto read_timeout = std::chrono::seconds(read_timeout_sec_) + std::chrono::microseconds(read_timeout_usec_);
  const auto keep_alive = std::chrono::seconds(keep_alive_timeout_sec_);
  // Bytes of a request have come: its head has read_timeout from now.
  auto begin_request = [&](Clock::time_point now) {
    if (s.in_request || !stream.buffered()) return;
    s.in_request = true;
    s.head_deadline = now + read_timeout;
    s.body_deadline = Clock::time_point{};
  };
  for (int served = 0;; served++) {
    Framing framing;
    if (stream.buffered()) framing = Classify(stream.data(), stream.size(), awaited_body_limit_);
    if (served > 0 && !stream.buffered() && !draining) {
      // Answered, and nothing more read: parked at once (a next request
      // already in the socket wakes it again right away).
      stream.Shrink();
      return Next{Next::kIdle, s.idle_deadline};
    }
    if (framing.state == Framing::kPartial && !s.eof) {
      if (served >= kRequestsPerTurn && !draining) {
        // Parked with what it has; what waits in the socket wakes it again.
        if (!stream.buffered()) return Next{Next::kIdle, s.idle_deadline};
        begin_request(Clock::now());
        return Next{Next::kReading, s.body_deadline != Clock::time_point{} ? s.body_deadline : s.head_deadline};
      }
      // Read what has arrived, without waiting.
      GuardedStream::Pull pull = stream.ReadAvailable(cap);
      if (pull == GuardedStream::Pull::kError) return Next{Next::kClose, {}};
      if (pull == GuardedStream::Pull::kEof) s.eof = true;
      if (stream.buffered()) framing = Classify(stream.data(), stream.size(), awaited_body_limit_);
      if (pull == GuardedStream::Pull::kFull && framing.state == Framing::kPartial) framing.state = Framing::kServe;
    }
    const auto now = Clock::now();
    if (!stream.buffered()) {
      stream.Shrink();
      // Nothing of a next request: closed by the client, draining, or idle.
      if (s.eof || draining || now >= s.idle_deadline) return Next{Next::kClose, {}};
      return Next{Next::kIdle, s.idle_deadline};
    }
    begin_request(now);
    if (framing.state == Framing::kPartial && !s.eof) {
      Clock::time_point until = s.head_deadline;
      if (framing.head_complete) {
        if (s.body_deadline == Clock::time_point{}) {
          // The time RequestGuard allows a body of this size (guard.cc:
          // the read timeout and a second per 32 KiB), from now.
          s.body_deadline = std::max(s.head_deadline, now + read_timeout + std::chrono::seconds(
                                                                         framing.content_length / (32 * 1024)));
        }
        until = s.body_deadline;
      }
      if (now < until) return Next{Next::kReading, until};
      // Out of time: served with what came, its reads time out (408).
    }
    // Serve one request. Complete: from the buffer. Otherwise its reads wait
    // on this worker, within its deadlines, as a thread per connection did.
    connection.StartRequest(s.head_deadline);
    stream.ResetStatus();
    bool connection_closed = false;
    const bool last = s.remaining <= 1 || draining;
    bool ok = process_request(stream, /*close_connection=*/last, connection_closed, nullptr);
    if (!stream.Flush()) ok = false;
    s.remaining--;
    s.in_request = false;
    if (stream.last_status() == 0 && (connection.over_budget_ || connection.timed_out_)) {
      // Cut short in the request line, where cpp-httplib answers nothing:
      // say why before closing.
      WriteCannedError(stream, connection.timed_out_ ? 408 : 414);
      stream.Flush();
      return Next{Next::kLinger, {}};
    }
    if (!ok || last || connection_closed || connection.close_after_response_ || connection.over_budget_ ||
        connection.timed_out_ || ClosesConnection(stream.last_status())) {
      // Nothing more is read: a client that closed first is closed at once.
      return Next{s.eof && !stream.buffered() ? Next::kClose : Next::kLinger, {}};
    }
    s.idle_deadline = Clock::now() + keep_alive;
  }
}

void GuardedServer::ServeStream(httplib::Stream& inner) {
  Connection connection;
  GuardedStream stream(&connection, &inner);
  ServeConnection(stream, connection, [&stream](time_t) { return stream.is_readable(); });
}

}  // namespace adapters::http
