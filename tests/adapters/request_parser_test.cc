// The request framing of the HTTP server (adapters/http/request_parser.h),
// driven without a socket, whole and byte by byte: every method's body is
// framed the same way, strictness where a proxy could read a request
// differently, limits, chunked decoding, and pipelined requests.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "adapters/http/request_parser.h"

namespace {

using adapters::http::RequestParser;
using State = RequestParser::State;

constexpr size_t kMax = 8 * 1024 * 1024;

// Feeds `wire` whole (or one byte at a time) and collects complete requests
// (method, target, body) until an error or the end.
struct Parsed {
  std::vector<std::string> requests;  // "METHOD target body"
  int error = 0;                      // the error status, if any
  std::string rest;                   // bytes not consumed when it stopped
};

Parsed ParseAll(const std::string& wire, bool bytewise) {
  RequestParser p(kMax);
  Parsed out;
  size_t at = 0;
  while (at < wire.size()) {
    size_t n = bytewise ? 1 : wire.size() - at;
    size_t used = p.Feed(std::string_view(wire).substr(at, n));
    at += used;
    if (p.state() == State::kError) {
      out.error = p.error().status;
      break;
    }
    if (p.state() == State::kComplete) {
      out.requests.push_back(p.head().method + " " + p.head().target + " " + p.body());
      p.Reset();
      continue;
    }
    if (used == 0 && !bytewise) break;
  }
  out.rest = wire.substr(at);
  return out;
}

void CheckBoth(const std::string& wire, const std::vector<std::string>& requests, int error = 0) {
  for (bool bytewise : {false, true}) {
    INFO((bytewise ? "byte by byte" : "whole"));
    Parsed p = ParseAll(wire, bytewise);
    CHECK(p.requests == requests);
    CHECK(p.error == error);
  }
}

}  // namespace

TEST_CASE("every method's Content-Length body is read as its body, never as a request", "[http][parser]") {
  const std::string smuggled = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  for (const char* method : {"GET", "HEAD", "OPTIONS", "DELETE", "POST", "PUT", "PATCH", "TRACE", "FOO"}) {
    INFO(method);
    std::string wire = std::string(method) + " /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                       std::to_string(smuggled.size()) + "\r\n\r\n" + smuggled;
    CheckBoth(wire, {std::string(method) + " /healthz " + smuggled});
  }
}

TEST_CASE("every method's chunked body is decoded as its body", "[http][parser]") {
  for (const char* method : {"GET", "HEAD", "OPTIONS", "DELETE", "POST"}) {
    INFO(method);
    std::string wire = std::string(method) +
                       " /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "5\r\nGET /\r\n1b;ext=1\r\nmetrics HTTP/1.1\r\nHost: x\r\n\r\n0\r\nTrailer: t\r\n\r\n"
                       "GET /next HTTP/1.1\r\nHost: x\r\n\r\n";
    CheckBoth(wire, {std::string(method) + " /x GET /metrics HTTP/1.1\r\nHost: x\r\n", "GET /next "});
  }
}

TEST_CASE("pipelined requests are framed one by one", "[http][parser]") {
  CheckBoth("GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
            "\r\nGET /c HTTP/1.0\r\n\r\n",
            {"GET /a ", "POST /b abc", "GET /c "});
}

TEST_CASE("framing that a proxy could read differently is refused", "[http][parser]") {
  struct Case {
    const char* name;
    std::string wire;
    int status;
  };
  const std::vector<Case> cases = {
      {"Content-Length and Transfer-Encoding", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"two different Content-Lengths", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400},
      {"a Content-Length list that disagrees", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\n", 400},
      {"a signed Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc", 400},
      {"a hex Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x3\r\n\r\nabc", 400},
      {"a Transfer-Encoding other than chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 400},
      {"two Transfer-Encoding lines", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"chunked in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"whitespace before a header's colon", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\n", 400},
      {"a header line without a colon", "GET / HTTP/1.1\r\nHost: x\r\nX-Broken\r\n\r\n", 400},
      {"obsolete line folding", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n", 400},
      {"a NUL in a header value", std::string("GET / HTTP/1.1\r\nHost: x\r\nX-A: a") + '\0' + "b\r\n\r\n", 400},
      {"a bare CR", "GET / HTTP/1.1\r\nHost: x\rX-A: 1\r\n\r\n", 400},
      {"no Host in HTTP/1.1", "GET / HTTP/1.1\r\nX-A: 1\r\n\r\n", 400},
      {"two Host headers", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"two Host headers in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"a request line of four parts", "GET / x HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"a space in the target", "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"HTTP/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 400},
      {"an unknown expectation", "POST / HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\na", 417},
      {"a chunk size in letters", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
      {"a chunk size of 16 hex digits", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", 400},
      {"chunk data without its CRLF", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n", 400},
      {"a chunk line ending in a bare LF", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\na\r\n0\r\n\r\n", 400},
      {"a request line over 8 KiB", "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", 414},
      {"a header line over 8 KiB", "GET / HTTP/1.1\r\nHost: x\r\nX-A: " + std::string(9000, 'a') + "\r\n\r\n", 431},
      {"a Content-Length over the largest body", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 8388609\r\n\r\n", 413},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    CheckBoth(c.wire, {}, c.status);
  }
  SECTION("headers of 64 KiB in all are too large") {
    std::string wire = "GET / HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 100; i++) wire += "X-H" + std::to_string(i) + ": " + std::string(1000, 'v') + "\r\n";
    CheckBoth(wire + "\r\n", {}, 431);
  }
}

TEST_CASE("what RFC 9112 lets a server accept is accepted", "[http][parser]") {
  SECTION("bare LF line ends in the head, and an empty line before the request") {
    CheckBoth("\r\nGET /a HTTP/1.1\nHost: x\n\n", {"GET /a "});
  }
  SECTION("HTTP/1.0 without Host, and a repeated equal Content-Length") {
    CheckBoth("POST /a HTTP/1.0\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", {"POST /a ok"});
  }
  SECTION("tab and obs-text in a value, and a case-insensitive Transfer-Encoding") {
    CheckBoth("POST /a HTTP/1.1\r\nHost: x\r\nX-A: a\tb \xc3\xa9\r\nTransfer-Encoding: Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
              {"POST /a ok"});
  }
}

TEST_CASE("the head says what the connection layer needs", "[http][parser]") {
  RequestParser p(kMax);
  std::string wire = "POST /v1/ask HTTP/1.1\r\nhost: x\r\nExpect: 100-continue\r\nConnection: close\r\nContent-Length: 10\r\n\r\n";
  CHECK(p.Feed(wire) == wire.size());
  REQUIRE(p.state() == State::kBody);
  CHECK(p.head().expect_continue);
  CHECK_FALSE(p.head().keep_alive);
  CHECK(p.head().content_length == 10);
  CHECK(p.body_bytes_missing() == 10);
  REQUIRE(p.head().Find("HOST"));
  CHECK(*p.head().Find("HOST") == "x");
  SECTION("a route's limit below the Content-Length refuses it before the body comes") {
    p.SetBodyLimit(5);
    REQUIRE(p.state() == State::kError);
    CHECK(p.error().status == 413);
  }
  SECTION("the body completes it") {
    p.SetBodyLimit(10);
    CHECK(p.Feed("0123456789GET") == 10);
    CHECK(p.state() == State::kComplete);
    CHECK(p.body() == "0123456789");
  }
  SECTION("HTTP/1.0 keeps the connection only when asked to") {
    RequestParser q(kMax);
    q.Feed("GET / HTTP/1.0\r\n\r\n");
    CHECK_FALSE(q.head().keep_alive);
    RequestParser r(kMax);
    r.Feed("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    CHECK(r.head().keep_alive);
  }
}

TEST_CASE("a chunked body past the route's limit is refused as it grows", "[http][parser]") {
  RequestParser p(kMax);
  p.Feed("POST /v1/ask HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
  REQUIRE(p.state() == State::kBody);
  p.SetBodyLimit(16);
  p.Feed("10\r\n0123456789abcdef\r\n");
  CHECK(p.state() == State::kBody);
  p.Feed("1\r\n");
  REQUIRE(p.state() == State::kError);
  CHECK(p.error().status == 413);
}

TEST_CASE("percent-decoding and query strings", "[http][parser]") {
  CHECK(adapters::http::DecodePercent("/a%20b+c%zz%4", false) == "/a b+c%zz%4");
  CHECK(adapters::http::DecodePercent("a+b%2B", true) == "a b+");
  auto q = adapters::http::ParseQuery("a=1&b=x+y&&c&d=%3D");
  REQUIRE(q.size() == 4);
  CHECK(q[1].second == "x y");
  CHECK(q[2].first == "c");
  CHECK(q[3].second == "=");
}
