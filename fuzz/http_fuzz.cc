// The whole HTTP server without a socket: any bytes as what a client sends on
// one connection (one or more requests, keep-alive, chunked bodies, ...),
// served by adapters::http::HttpServer with every route on: the JSON API, the
// chat page, Slack, Discord and Mattermost with fixed secrets, the admin API
// with a fixed token ("Authorization: Bearer fuzz-admin-token"), metrics and
// OpenAPI. No response may be a 500 (an exception escaped a handler).
//
// Inputs starting with 'S' are read as a sequence of well-formed requests
// instead (method, path, framing and a body made from the fuzz bytes, each
// body carrying a request of its own, "GET /smuggled..."): the server must
// answer exactly one response per request, in order (fewer only after a
// response that closes the connection), and never one for bytes that were a
// body.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include <httplib.h>

#include "adapters/http/server.h"
#include "app/service.h"
#include "fuzz_support.h"
#include <vector>

namespace {

adapters::http::HttpServer* Server() {
  static adapters::http::HttpServer* server = [] {
    fuzz::QuietLogs();
    auto* service = new adapters::Service(fuzz::ShippedStore(), {}, fuzz::Clock(), fuzz::Ids());
    // No question log: each line is a commit with an fsync, which would cut
    // the fuzzer to a few runs a second. (Feedback then finds no answer: 404.)
    service->set_logging(false);
    adapters::http::HttpOptions options;
    options.rate_limit_per_minute = 0;  // the fuzzer asks far more often than any user
    options.read_timeout_s = 1;
    options.chat.slack.signing_secret = "8f742231b10e8888abcd99yyyzzz85a5";
    options.chat.slack.bot_token = "xoxb-fuzz";
    options.chat.slack.api_base = "http://127.0.0.1:9/api";  // refused at once
    options.chat.mattermost.token = "fuzz-mattermost-token-0123456789";
    // RFC 8032's first test key: a valid Ed25519 public key.
    options.chat.discord.public_key = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    options.admin.token = "fuzz-admin-token";
    options.cors_origins = {"https://example.com"};
    options.trust_forwarded_for = true;
    auto* s = new adapters::http::HttpServer(*service, options);
    s->Configure();
    return s;
  }();
  return server;
}

struct Sent {
  std::string method;
  std::string bytes;
};

// Well-formed requests from the fuzz bytes.
std::vector<Sent> MakeRequests(std::string_view in) {
  static const char* const kMethods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
  static const char* const kPaths[] = {"/healthz", "/v1/ask", "/v1/feedback", "/metrics", "/nowhere",
                                       "/slack/events", "/discord/interactions", "/v1/admin/gaps", "/", "/openapi.json"};
  std::vector<Sent> out;
  size_t i = 0;
  auto byte = [&]() -> uint8_t { return i < in.size() ? static_cast<uint8_t>(in[i++]) : 0; };
  while (i < in.size() && out.size() < 16) {
    Sent r;
    r.method = kMethods[byte() % 7];
    std::string path = kPaths[byte() % 10];
    const int framing = byte() % 3;  // 0: none, 1: Content-Length, 2: chunked
    size_t len = std::min<size_t>(byte(), in.size() - i);
    std::string body = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n" + std::string(in.substr(i, len));
    i += len;
    r.bytes = r.method + " " + path + " HTTP/1.1\r\nHost: fuzz\r\n";
    if (byte() & 1) r.bytes += "Content-Type: application/json\r\n";
    if (framing == 1) {
      r.bytes += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    } else if (framing == 2) {
      r.bytes += "Transfer-Encoding: chunked\r\n\r\n";
      size_t at = 0, step = 1 + byte() % 64;
      while (at < body.size()) {
        size_t n = std::min(step, body.size() - at);
        char size[16];
        std::snprintf(size, sizeof size, "%zx\r\n", n);
        r.bytes += size + body.substr(at, n) + "\r\n";
        at += n;
      }
      r.bytes += "0\r\n\r\n";
    } else {
      r.bytes += "\r\n";
    }
    out.push_back(std::move(r));
  }
  return out;
}

// Splits `out` into responses (each framed by its Content-Length; a HEAD's
// has no body); false when it is not a sequence of whole responses.
bool SplitResponses(const std::string& out, const std::vector<Sent>& sent, std::vector<std::string>* responses) {
  size_t at = 0;
  while (at < out.size()) {
    if (out.compare(at, 9, "HTTP/1.1 ") != 0) return false;
    size_t end = out.find("\r\n\r\n", at);
    if (end == std::string::npos) return false;
    std::string head = out.substr(at, end + 4 - at);
    size_t length = 0;
    size_t cl = head.find("\r\nContent-Length: ");
    if (cl != std::string::npos) length = std::strtoul(head.c_str() + cl + 18, nullptr, 10);
    const bool head_only = responses->size() < sent.size() && sent[responses->size()].method == "HEAD";
    size_t next = end + 4 + (head_only ? 0 : length);
    if (next > out.size()) return false;
    responses->push_back(out.substr(at, next - at));
    at = next;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256 * 1024) return 0;
  std::string_view in = fuzz::AsView(data, size);
  if (!in.empty() && in[0] == 'S') {
    std::vector<Sent> sent = MakeRequests(in.substr(1));
    std::string wire;
    for (const Sent& r : sent) wire += r.bytes;
    const std::string out = Server()->ServeBytes(wire);
    std::vector<std::string> responses;
    if (!SplitResponses(out, sent, &responses)) {
      std::fprintf(stderr, "%.*s\n", static_cast<int>(std::min<size_t>(out.size(), 2000)), out.data());
      fuzz::Check(false, "the server's output is whole responses");
    }
    bool closed = false;
    for (const std::string& r : responses) {
      fuzz::Check(!closed, "nothing is answered after a response that closes the connection");
      fuzz::Check(r.find("smuggled") == std::string::npos, "no response answers bytes that were a body");
      fuzz::Check(r.find("\"code\":\"internal\"") == std::string::npos, "no 500");
      if (r.find("\r\nConnection: close\r\n") != std::string::npos) closed = true;
    }
    if (!closed) fuzz::Check(responses.size() == sent.size(), "one response per complete request");
    return 0;
  }
  const std::string out = Server()->ServeBytes(in);
  fuzz::Check(out.empty() || out.rfind("HTTP/1.1 ", 0) == 0, "the server answers in HTTP/1.1");
  if (out.find("\"code\":\"internal\"") != std::string::npos) {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(std::min<size_t>(out.size(), 2000)), out.data());
    fuzz::Check(false, "no request makes the server fail with 500 internal");
  }
  return 0;
}
