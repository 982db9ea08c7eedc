// HTTP/1.1 request framing (RFC 9112), incrementally, over the bytes a
// connection has received: where a request's head ends, how long its body is
// and where the next request begins. It is the one framing rule of the server:
// every method is framed the same way, so the body of a GET is read (and
// ignored), never parsed as a request of its own (the smuggling hole of
// cpp-httplib 0.11, which reads a body only for POST, PUT, PATCH and DELETE).
//
// Strict where a lenient reading could disagree with a proxy in front:
// a request line of three parts; header lines "name: value" with a token
// name and no whitespace before the colon; no obsolete line folding; no NUL
// or other control byte but tab in a value; exactly one Host in HTTP/1.1;
// Content-Length digits only (repeats must agree); Transfer-Encoding only
// "chunked", never with Content-Length, never in HTTP/1.0. Anything else is
// refused (400, 414 or 431) and the connection is closed after the answer:
// once framing is in doubt, nothing more on it can be trusted.
//
// A pure state machine (no I/O, no clock), so tests and fuzzers drive it
// byte by byte. Not thread-safe; one parser per connection.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace adapters::http {

// The request line and headers together may not be longer than this (431).
constexpr size_t kMaxHeadBytes = 64 * 1024;
// The request line alone may not be longer than this (414), nor one header
// line (431); cpp-httplib's limits, which clients of careerbot know.
constexpr size_t kMaxRequestLineBytes = 8 * 1024;
constexpr size_t kMaxHeaderLineBytes = 8 * 1024;

// A request's line and headers, as received (names keep their case).
struct RequestHead {
  std::string method;
  std::string target;        // as sent: origin-form ("/path?query"), "*", or absolute-form
  int minor_version = 1;     // HTTP/1.<minor_version>
  std::vector<std::pair<std::string, std::string>> headers;
  bool chunked = false;      // Transfer-Encoding: chunked
  size_t content_length = 0; // with !chunked: the body's length
  bool expect_continue = false;  // Expect: 100-continue
  bool keep_alive = true;    // the client's Connection header and version allow another request

  // The first value of header `name` (any case), or nullptr.
  const std::string* Find(std::string_view name) const;
  // Whether a body follows the head (chunked, or a Content-Length above 0).
  bool has_body() const { return chunked || content_length > 0; }
};

// A framing error: the status to answer and why.
struct FramingError {
  int status = 400;    // 400, 413, 414, 431, 501
  std::string code;    // "bad_request", "uri_too_long", ...
  std::string message;
};

class RequestParser {
 public:
  enum class State {
    kHead,      // waiting for the rest of the request line and headers
    kBody,      // the head is parsed (head() is valid); the body is arriving
    kComplete,  // a whole request: head() and body() are valid
    kError,     // error() says why; nothing more can be read from this connection
  };

  // `max_body`: the largest body (decoded) any request may have before the
  // caller has set the request's own limit (SetBodyLimit).
  explicit RequestParser(size_t max_body) : max_body_(max_body), body_limit_(max_body) {}

  // Consumes bytes from `in` (what the connection received and has not yet
  // given to this parser), up to the end of the current request at most;
  // returns how many it consumed. Call again with the rest after Reset().
  size_t Feed(std::string_view in);

  State state() const { return state_; }
  const RequestHead& head() const { return head_; }
  const std::string& body() const { return body_; }
  // Moves the body out (kComplete; before Reset()).
  std::string TakeBody() { return std::move(body_); }
  const FramingError& error() const { return error_; }
  // Bytes this parser holds (the head's bytes and the body).
  size_t held() const { return head_buf_.capacity() + body_.capacity(); }
  // While kBody: the body's limit for this request, once its route is known
  // (a Content-Length past it is an error at once; a chunked body, as soon
  // as it grows past it).
  void SetBodyLimit(size_t limit);
  // How many more body bytes are expected on the wire (Content-Length), or
  // 0 when unknown (chunked) or complete.
  size_t body_bytes_missing() const;
  // Ready for the next request (a kError parser stays in error).
  void Reset();
  // Gives back memory grown for a large request (after Reset()).
  void Shrink();
  // Frees what it holds, in any state (a refused request's buffers).
  void Release() {
    std::string().swap(head_buf_);
    std::string().swap(body_);
  }

 private:
  void Fail(int status, const char* code, std::string message);
  // The head is in head_buf_ (ending with its empty line): parse it.
  void ParseHead();
  size_t FeedChunked(std::string_view in);

  size_t max_body_;
  size_t body_limit_;
  State state_ = State::kHead;
  std::string head_buf_;  // the head's bytes so far
  size_t scanned_ = 0;    // head_buf_[0, scanned_) holds no end of head
  RequestHead head_;
  std::string body_;
  FramingError error_;
  // Chunked decoding.
  enum class Chunk { kSize, kExtension, kSizeLf, kData, kDataCr, kDataLf, kTrailer, kTrailerLf, kTrailerLine };
  Chunk chunk_state_ = Chunk::kSize;
  size_t chunk_left_ = 0;
  size_t chunk_digits_ = 0;
  size_t chunk_line_bytes_ = 0;  // size line or trailer line so far (bounded)
  size_t trailer_bytes_ = 0;
};

// Percent-decoding of a path (no '+' rule) or a query component ('+' is a
// space). Invalid escapes are kept as they are.
std::string DecodePercent(std::string_view text, bool plus_is_space);
// "a=1&b=x+y" into (name, value) pairs, each decoded.
std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query);
// The reason phrase of a status code ("Not Found"); "Unknown" for others.
const char* ReasonPhrase(int status);

}  // namespace adapters::http
