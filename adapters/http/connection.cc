#include "adapters/http/connection.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include <spdlog/spdlog.h>

#include "adapters/http/guard.h"

namespace adapters::http {
namespace {

using Clock = std::chrono::steady_clock;
using Next = EventLoop::Next;

// Requests answered on one connection in one turn before others get theirs.
constexpr int kRequestsPerTurn = 16;
// The most bytes read from a socket at once.
constexpr size_t kReadChunk = 64 * 1024;

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

// A JSON string of our own messages (no user text reaches them).
std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out + "\"";
}

void SetErrorBody(httplib::Response& res, int status, const std::string& code, const std::string& message) {
  res.status = status;
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_content("{\"error\":{\"code\":" + JsonString(code) + ",\"message\":" + JsonString(message) + "}}",
                  "application/json");
}

}  // namespace

// One connection: what it received and has not framed yet, its parser, what
// it must still send, and where it is in its keep-alive life.
struct Transport::Conn : EventLoop::Session {
  Conn(Transport* t, size_t max_body, size_t requests) : transport(t), parser(max_body), remaining(requests) {}
  ~Conn() override {
    if (transport) transport->pending_.fetch_sub(accounted, std::memory_order_relaxed);
  }
  Transport* transport;
  int fd = -1;
  std::string remote_ip, local_ip;
  int remote_port = 0, local_port = 0;
  RequestParser parser;
  std::string in;   // received, not yet given to the parser (a pipelined request)
  std::string out;  // to send
  size_t out_sent = 0;
  size_t remaining;             // requests it may still make
  bool in_request = false;      // bytes of a request have arrived
  bool head_checked = false;    // the head check passed (body_limit is set)
  bool continue_sent = false;
  bool closing = false;         // send what is queued, then close
  bool eof = false;             // the client closed its side
  size_t body_limit = 0;
  size_t responses = 0;
  Clock::time_point request_start{};
  Clock::time_point deadline{};       // in_request: the request's one deadline
  Clock::time_point idle_deadline{};  // !in_request: closed if nothing comes by then
  size_t accounted = 0;               // bytes counted in transport->pending_
  httplib::Request request;           // head_checked: the request as the head check saw it, without its body
};

Transport::Transport(const Router& router, HeadCheck head_check, TransportOptions options)
    : router_(router), head_check_(std::move(head_check)), options_(options) {
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

Transport::~Transport() {
  Stop();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

bot::Status Transport::Bind(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (int e = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found); e != 0) {
    return bot::Status::Unavailable("cannot resolve " + host + ": " + ::gai_strerror(e));
  }
  std::string why = "no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, options_.listen_backlog) != 0) {
      why = std::strerror(errno);
      ::close(fd);
      continue;
    }
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
    std::string ip;
    AddressOf(bound, &ip, &port_);
    listen_fd_ = fd;
    break;
  }
  ::freeaddrinfo(found);
  if (listen_fd_ < 0) return bot::Status::Unavailable("cannot listen on " + host + ":" + service + " (" + why + ")");
  return bot::Status::Ok();
}

void Transport::Stop() {
  stop_.store(true, std::memory_order_release);
  uint64_t one = 1;
  ssize_t ignored = ::write(stop_fd_, &one, sizeof one);
  (void)ignored;
}

void Transport::Run() {
  if (listen_fd_ < 0) return;
  EventLoop::Options loop_options;
  loop_options.workers = std::max<size_t>(options_.workers, 1);
  loop_options.max_connections = options_.max_connections;
  loop_ = std::make_unique<EventLoop>(static_cast<EventLoop::Handler&>(*this), loop_options, &stats_);
  running_.store(true, std::memory_order_release);
  pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  while (!stop_.load(std::memory_order_acquire)) {
    int n = ::poll(fds, 2, 1000);
    if (n < 0 && errno != EINTR) {
      spdlog::error("HTTP: poll on the listening socket failed: {}", std::strerror(errno));
      break;
    }
    if (stop_.load(std::memory_order_acquire)) break;
    // Memory given back once a burst of incomplete requests is gone.
    if (pending_peak_.load(std::memory_order_relaxed) > 8 * 1024 * 1024 &&
        pending_.load(std::memory_order_relaxed) < 1024 * 1024) {
      pending_peak_.store(0, std::memory_order_relaxed);
      ::malloc_trim(0);
    }
    if (n <= 0 || !(fds[0].revents & POLLIN)) continue;
    for (;;) {
      sockaddr_storage peer{};
      socklen_t len = sizeof peer;
      int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE) {
          spdlog::warn("HTTP: out of file descriptors; accepting again shortly");
          ::poll(nullptr, 0, 10);
        }
        break;  // EAGAIN: all accepted
      }
      // Without TCP_NODELAY, Nagle's algorithm and delayed ACKs hold small
      // keep-alive responses back (~300 requests/s measured, ~20,000 with it).
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto c = std::make_unique<Conn>(this, options_.max_body, std::max<size_t>(options_.keep_alive_max, 1));
      c->fd = fd;
      AddressOf(peer, &c->remote_ip, &c->remote_port);
      sockaddr_storage local{};
      len = sizeof local;
      if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0) {
        AddressOf(local, &c->local_ip, &c->local_port);
      }
      c->idle_deadline = Clock::now() + options_.keep_alive;
      const auto deadline = c->idle_deadline;
      loop_->Adopt(fd, std::move(c), deadline);
    }
  }
  ::close(listen_fd_);
  listen_fd_ = -1;
  loop_->Shutdown();  // drains: requests in flight are answered
  loop_.reset();
  running_.store(false, std::memory_order_release);
}

void Transport::BeginRequest(Conn& c, Clock::time_point now) {
  c.in_request = true;
  c.request_start = now;
  c.deadline = now + options_.read_timeout;
  c.head_checked = false;
  c.continue_sent = false;
  c.body_limit = options_.max_body;
}

httplib::Request Transport::MakeRequest(const Conn& c) const {
  const RequestHead& head = c.parser.head();
  httplib::Request req;
  req.method = head.method;
  req.target = head.target;
  req.version = head.minor_version == 0 ? "HTTP/1.0" : "HTTP/1.1";
  std::string_view target = head.target;
  // absolute-form ("http://host/path"): the path is what follows the authority.
  if (target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0) {
    size_t slash = target.find('/', target.find("://") + 3);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  size_t q = target.find('?');
  req.path = DecodePercent(target.substr(0, q), false);
  if (q != std::string_view::npos) {
    for (auto& [k, v] : ParseQuery(target.substr(q + 1))) req.params.emplace(std::move(k), std::move(v));
  }
  for (const auto& [name, value] : head.headers) req.headers.emplace(name, value);
  req.remote_addr = c.remote_ip;
  req.remote_port = c.remote_port;
  req.local_addr = c.local_ip;
  req.local_port = c.local_port;
  return req;
}

void Transport::AnswerAndClose(Conn& c, const httplib::Request& req, httplib::Response& res) {
  router_.Finish(req, res);
  c.out += SerializeResponse(res, req.method == "HEAD", true);
  c.closing = true;
  c.in_request = false;
  c.responses++;
  // Nothing more is read from it (what follows cannot be framed): what it
  // holds can go now.
  std::string().swap(c.in);
  c.parser.Release();
}

void Transport::Refuse(Conn& c, int status, const std::string& code, const std::string& message) {
  httplib::Request req;
  if (c.parser.state() != RequestParser::State::kHead &&
      !(c.parser.state() == RequestParser::State::kError && c.parser.head().method.empty())) {
    req = MakeRequest(c);
  }
  httplib::Response res;
  SetErrorBody(res, status, code, message);
  res.set_header("Connection", "close");
  AnswerAndClose(c, req, res);
}

bool Transport::CheckHead(Conn& c) {
  c.head_checked = true;
  c.request = MakeRequest(c);  // Dispatch() completes it with the body
  httplib::Response res;
  size_t limit = options_.max_body;
  if (head_check_ && head_check_(c.request, res, &limit)) {
    if (res.status == -1) res.status = 200;
    AnswerAndClose(c, c.request, res);  // its body is left unread
    return true;
  }
  c.body_limit = std::min(limit, options_.max_body);
  c.parser.SetBodyLimit(c.body_limit);
  const RequestHead& head = c.parser.head();
  // The request's one deadline: its head's, and a second per 32 KiB its body may have.
  const size_t wire = head.chunked ? c.body_limit : head.content_length;
  c.deadline = c.request_start + options_.read_timeout + std::chrono::seconds(wire / (32 * 1024));
  return false;
}

void Transport::Dispatch(Conn& c, bool draining) {
  httplib::Request req = std::move(c.request);  // built once, by CheckHead()
  c.request = httplib::Request();
  req.body = c.parser.TakeBody();
  const RequestHead& head = c.parser.head();
  const std::string* type = head.Find("Content-Type");
  if (type && type->rfind("application/x-www-form-urlencoded", 0) == 0) {
    // Form fields (Slack and Mattermost), up to the route's body limit.
    for (auto& [k, v] : ParseQuery(req.body)) req.params.emplace(std::move(k), std::move(v));
  }
  httplib::Response res;
  router_.Handle(req, res);
  c.remaining = c.remaining > 0 ? c.remaining - 1 : 0;
  bool close = !head.keep_alive || c.remaining == 0 || draining;
  for (size_t i = 0, n = res.get_header_value_count("Connection"); i < n; i++) {
    std::string v = res.get_header_value("Connection", i);
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (v == "close") close = true;
  }
  // HTTP/1.0 keeps a connection only when told so.
  c.out += SerializeResponse(res, req.method == "HEAD", close, !close && head.minor_version == 0);
  c.responses++;
  c.in_request = false;
  c.parser.Reset();
  c.parser.Shrink();
  if (close) c.closing = true;
  c.idle_deadline = Clock::now() + options_.keep_alive;
}

void Transport::Advance(Conn& c, bool draining) {
  using State = RequestParser::State;
  while (!c.closing) {
    if (!c.in.empty() && (c.parser.state() == State::kHead || c.parser.state() == State::kBody)) {
      if (!c.in_request) BeginRequest(c, Clock::now());
      size_t used = c.parser.Feed(c.in);
      c.in.erase(0, used);
    }
    switch (c.parser.state()) {
      case State::kError: {
        const FramingError& e = c.parser.error();
        std::string message = e.message;
        if (e.status == 413) message = "the body is larger than " + SizeText(c.body_limit);
        Refuse(c, e.status, e.code, message);
        return;
      }
      case State::kHead:
        return;  // more bytes needed
      case State::kBody:
        if (!c.head_checked) {
          if (CheckHead(c)) return;
          continue;  // the limit may have refused it, or buffered bytes wait
        }
        if (c.parser.head().expect_continue && !c.continue_sent) {
          c.continue_sent = true;
          if (c.in.empty()) {
            c.out += "HTTP/1.1 100 Continue\r\n\r\n";
            return;
          }
        }
        if (!c.in.empty()) continue;
        return;  // more bytes needed
      case State::kComplete:
        if (!c.head_checked && CheckHead(c)) return;
        if (c.parser.state() != State::kComplete) continue;  // refused by its limit
        Dispatch(c, draining);
        return;
    }
  }
}

void Transport::Account(Conn& c) {
  size_t held = c.in_request || !c.in.empty() ? c.in.capacity() + c.parser.held() : 0;
  if (held == c.accounted) return;
  if (held > c.accounted) {
    size_t now = pending_.fetch_add(held - c.accounted, std::memory_order_relaxed) + held - c.accounted;
    size_t peak = pending_peak_.load(std::memory_order_relaxed);
    while (now > peak && !pending_peak_.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
    }
  } else {
    pending_.fetch_sub(c.accounted - held, std::memory_order_relaxed);
  }
  c.accounted = held;
}

EventLoop::Next Transport::Serve(EventLoop::Session& session, bool draining) {
  Conn& c = static_cast<Conn&>(session);
  struct AccountOnExit {
    Transport* t;
    Conn& c;
    ~AccountOnExit() { t->Account(c); }
  } account{this, c};
  int served = 0;
  for (;;) {
    // 1. Send what is queued, without waiting.
    while (c.out_sent < c.out.size()) {
      ssize_t n = ::send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        c.out_sent += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        // The client is not reading: the loop finishes it when it does.
        return Next{Next::kWriting, Clock::now() + options_.write_timeout};
      }
      return Next{Next::kClose, {}};
    }
    if (!c.out.empty()) {
      c.out_sent = 0;
      if (c.out.capacity() > 64 * 1024) {
        std::string().swap(c.out);
      } else {
        c.out.clear();
      }
    }
    if (c.closing) return Next{c.eof ? Next::kClose : Next::kLinger, {}};
    if (served >= kRequestsPerTurn) {
      // Others get a turn; writable wakes it again at once.
      return Next{Next::kWriting, Clock::now() + options_.write_timeout};
    }
    // 2. Answer what is buffered.
    const size_t before = c.responses;
    Advance(c, draining);
    if (c.responses > before) {
      served++;
      continue;
    }
    if (!c.out.empty() || c.closing) continue;
    // 3. More bytes are needed.
    const auto now = Clock::now();
    if (c.in_request && now >= c.deadline) {
      Refuse(c, 408, "request_timeout", "the request did not arrive in time");
      continue;
    }
    if (c.eof || (draining && !c.in_request)) return Next{Next::kClose, {}};
    if (served > 0 && !c.in_request && c.in.empty()) {
      // Answered, and nothing more buffered: parked at once, behind the
      // connections already waiting. Reading on here would keep serving this
      // connection while others' requests wait in the ready list: at 64
      // connections that doubled the p99 of /v1/ask (docs/http-transport.md).
      // A next request already in the socket wakes it again right away.
      if (c.in.capacity() > 4096) std::string().swap(c.in);
      return Next{Next::kIdle, c.idle_deadline};
    }
    if (pending_.load(std::memory_order_relaxed) >= options_.pending_budget) {
      budget_refusals_.fetch_add(1, std::memory_order_relaxed);
      Refuse(c, 503, "unavailable", "the server is busy reading other requests; try again");
      continue;
    }
    thread_local std::string scratch(kReadChunk, '\0');
    ssize_t n = ::recv(c.fd, scratch.data(), kReadChunk, MSG_DONTWAIT);
    if (n > 0) {
      c.in.append(scratch.data(), static_cast<size_t>(n));
      if (!c.in_request) BeginRequest(c, now);
      Account(c);
      continue;
    }
    if (n == 0) {
      c.eof = true;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return Next{Next::kClose, {}};
    if (c.in.capacity() > 4096 && c.in.empty()) std::string().swap(c.in);
    if (c.in_request) return Next{Next::kReading, c.deadline};
    if (now >= c.idle_deadline) return Next{Next::kClose, {}};
    return Next{Next::kIdle, c.idle_deadline};
  }
}

EventLoop::Next Transport::Expire(EventLoop::Session& session) {
  Conn& c = static_cast<Conn&>(session);
  // A request past its deadline: 408, through the router's error and logger
  // steps like a worker's 408 (access log, metrics), sent without waiting (a
  // client that does not read it loses it), then a lingering close.
  Refuse(c, 408, "request_timeout", "the request did not arrive in time");
  ssize_t ignored = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  (void)ignored;
  c.out.clear();
  Account(c);
  return Next{Next::kLinger, {}};
}

std::string Transport::ServeBytes(std::string_view input) {
  Conn c(nullptr, options_.max_body, std::max<size_t>(options_.keep_alive_max, 1));
  c.remote_ip = c.local_ip = "127.0.0.1";
  c.remote_port = 40000;
  c.local_port = 8080;
  c.in.assign(input.data(), input.size());
  for (;;) {
    const size_t before = c.responses;
    const size_t out_before = c.out.size();
    Advance(c, false);
    if (c.closing || (c.responses == before && c.out.size() == out_before)) break;
  }
  return c.out;
}

}  // namespace adapters::http
