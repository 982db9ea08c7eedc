#include "adapters/http/request_parser.h"

#include <algorithm>
#include <cstring>

namespace adapters::http {
namespace {

// RFC 9110 5.6.2: tchar.
bool IsTokenChar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != 0;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Digits only, at most 18 of them (no sign, no overflow).
bool ParseDecimal(std::string_view s, size_t* out) {
  if (s.empty() || s.size() > 18) return false;
  size_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  *out = n;
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = Lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Most bytes of one chunk-size line (with its extensions) or trailer line.
constexpr size_t kMaxChunkLine = 4096;
// Most bytes of the trailer section.
constexpr size_t kMaxTrailerBytes = 8192;

}  // namespace

const std::string* RequestHead::Find(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (EqualsNoCase(n, name)) return &v;
  }
  return nullptr;
}

void RequestParser::Fail(int status, const char* code, std::string message) {
  state_ = State::kError;
  error_.status = status;
  error_.code = code;
  error_.message = std::move(message);
}

void RequestParser::Reset() {
  if (state_ == State::kError) return;
  state_ = State::kHead;
  head_buf_.clear();
  scanned_ = 0;
  head_ = RequestHead();
  body_.clear();
  body_limit_ = max_body_;
  chunk_state_ = Chunk::kSize;
  chunk_left_ = chunk_digits_ = chunk_line_bytes_ = trailer_bytes_ = 0;
}

void RequestParser::Shrink() {
  if (head_buf_.capacity() > 4096) std::string().swap(head_buf_);
  if (body_.capacity() > 4096) std::string().swap(body_);
}

void RequestParser::SetBodyLimit(size_t limit) {
  body_limit_ = limit;
  if (state_ != State::kBody && state_ != State::kComplete) return;
  if (!head_.chunked && head_.content_length > limit) {
    Fail(413, "payload_too_large", "");
  } else if (body_.size() > limit) {
    Fail(413, "payload_too_large", "");
  }
}

size_t RequestParser::body_bytes_missing() const {
  if (state_ != State::kBody || head_.chunked) return 0;
  return head_.content_length - body_.size();
}

size_t RequestParser::Feed(std::string_view in) {
  size_t used = 0;
  while (used < in.size() && (state_ == State::kHead || state_ == State::kBody)) {
    std::string_view rest = in.substr(used);
    if (state_ == State::kHead) {
      // Take bytes up to the end of the head (an empty line), one line at a time.
      const char* lf = static_cast<const char*>(std::memchr(rest.data(), '\n', rest.size()));
      size_t take = lf ? static_cast<size_t>(lf - rest.data()) + 1 : rest.size();
      if (head_buf_.size() + take > kMaxHeadBytes) take = kMaxHeadBytes + 1 - head_buf_.size();
      head_buf_.append(rest.data(), take);
      used += take;
      if (head_buf_.back() != '\n') {
        // A line still arriving.
        const size_t line_bytes = head_buf_.size() - scanned_;
        if (scanned_ == 0 && line_bytes > kMaxRequestLineBytes) {
          Fail(414, "uri_too_long", "the request line is longer than 8 KiB");
        } else if (scanned_ > 0 && line_bytes > kMaxHeaderLineBytes) {
          Fail(431, "headers_too_large", "a header line is longer than 8 KiB");
        } else if (head_buf_.size() > kMaxHeadBytes) {
          Fail(431, "headers_too_large", "the request line and headers are larger than 64 KiB");
        }
        continue;
      }
      // A whole line: [scanned_, size).
      std::string_view line(head_buf_.data() + scanned_, head_buf_.size() - scanned_);
      bool empty = line == "\n" || line == "\r\n";
      if (empty && scanned_ == 0) {
        // An empty line before the request line (RFC 9112 2.2: ignored).
        head_buf_.clear();
        continue;
      }
      if (scanned_ == 0 && head_buf_.size() > kMaxRequestLineBytes) {
        Fail(414, "uri_too_long", "the request line is longer than 8 KiB");
        continue;
      }
      if (scanned_ > 0 && head_buf_.size() - scanned_ > kMaxHeaderLineBytes) {
        Fail(431, "headers_too_large", "a header line is longer than 8 KiB");
        continue;
      }
      if (head_buf_.size() > kMaxHeadBytes) {
        Fail(431, "headers_too_large", "the request line and headers are larger than 64 KiB");
        continue;
      }
      scanned_ = head_buf_.size();
      if (empty) ParseHead();
      continue;
    }
    // kBody
    if (head_.chunked) {
      used += FeedChunked(rest);
      continue;
    }
    size_t take = std::min(rest.size(), head_.content_length - body_.size());
    if (body_.empty() && body_.capacity() < head_.content_length) body_.reserve(head_.content_length);
    body_.append(rest.data(), take);
    used += take;
    if (body_.size() == head_.content_length) state_ = State::kComplete;
  }
  return used;
}

void RequestParser::ParseHead() {
  // Split into lines; every line ends with LF (CRLF, or a bare LF: RFC 9112
  // 2.2 lets a recipient accept it). A CR anywhere else is refused.
  std::vector<std::string_view> lines;
  std::string_view all(head_buf_);
  size_t start = 0;
  while (start < all.size()) {
    size_t lf = all.find('\n', start);
    std::string_view line = all.substr(start, lf - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find('\r') != std::string_view::npos) {
      Fail(400, "bad_request", "a bare CR in the request head");
      return;
    }
    lines.push_back(line);
    start = lf + 1;
  }
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.empty()) {
    Fail(400, "bad_request", "an empty request");
    return;
  }

  // ---- request-line = method SP request-target SP HTTP-version ----
  std::string_view rl = lines[0];
  size_t sp1 = rl.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : rl.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos || rl.find(' ', sp2 + 1) != std::string_view::npos) {
    Fail(400, "bad_request", "the request line must be: METHOD TARGET HTTP/1.1");
    return;
  }
  std::string_view method = rl.substr(0, sp1);
  std::string_view target = rl.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = rl.substr(sp2 + 1);
  if (!IsToken(method)) {
    Fail(400, "bad_request", "the method is not a token");
    return;
  }
  if (target.empty()) {
    Fail(400, "bad_request", "the request target is empty");
    return;
  }
  for (unsigned char c : target) {
    if (c <= 0x20 || c >= 0x7f) {
      Fail(400, "bad_request", "the request target holds a byte that must be percent-encoded");
      return;
    }
  }
  if (version.size() != 8 || version.substr(0, 7) != "HTTP/1." || (version[7] != '0' && version[7] != '1')) {
    // (A 4xx, as every bad input gets, rather than 505.)
    Fail(400, "bad_request", "only HTTP/1.1 and HTTP/1.0 are served");
    return;
  }
  head_.method.assign(method);
  head_.target.assign(target);
  head_.minor_version = version[7] - '0';

  // ---- header fields ----
  int hosts = 0;
  int transfer_encodings = 0;
  bool have_length = false;
  bool close = false, keep_alive_token = false;
  std::string_view te_value;
  for (size_t i = 1; i < lines.size(); i++) {
    std::string_view line = lines[i];
    if (line.front() == ' ' || line.front() == '\t') {
      Fail(400, "bad_request", "obsolete line folding in a header");
      return;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      Fail(400, "bad_request", "a header line without a colon");
      return;
    }
    std::string_view name = line.substr(0, colon);
    if (!IsToken(name)) {
      Fail(400, "bad_request", "a header name that is not a token (or whitespace before its colon)");
      return;
    }
    std::string_view value = TrimOws(line.substr(colon + 1));
    for (unsigned char c : value) {
      if ((c < 0x20 && c != '\t') || c == 0x7f) {
        Fail(400, "bad_request", "a control character in a header value");
        return;
      }
    }
    if (EqualsNoCase(name, "host")) {
      hosts++;
    } else if (EqualsNoCase(name, "content-length")) {
      // "Content-Length: 5, 5" and repeated headers must all agree.
      size_t pos = 0;
      while (pos <= value.size()) {
        size_t comma = value.find(',', pos);
        if (comma == std::string_view::npos) comma = value.size();
        size_t n = 0;
        if (!ParseDecimal(TrimOws(value.substr(pos, comma - pos)), &n)) {
          Fail(400, "bad_request", "Content-Length must be a number of bytes");
          return;
        }
        if (have_length && n != head_.content_length) {
          Fail(400, "bad_request", "conflicting Content-Length headers");
          return;
        }
        have_length = true;
        head_.content_length = n;
        pos = comma + 1;
      }
    } else if (EqualsNoCase(name, "transfer-encoding")) {
      transfer_encodings++;
      te_value = value;
    } else if (EqualsNoCase(name, "expect")) {
      if (!EqualsNoCase(value, "100-continue")) {
        Fail(417, "expectation_failed", "only Expect: 100-continue is understood");
        return;
      }
      head_.expect_continue = head_.minor_version >= 1;
    } else if (EqualsNoCase(name, "connection")) {
      size_t pos = 0;
      while (pos <= value.size()) {
        size_t comma = value.find(',', pos);
        if (comma == std::string_view::npos) comma = value.size();
        std::string_view token = TrimOws(value.substr(pos, comma - pos));
        if (EqualsNoCase(token, "close")) close = true;
        if (EqualsNoCase(token, "keep-alive")) keep_alive_token = true;
        pos = comma + 1;
      }
    }
    head_.headers.emplace_back(std::string(name), std::string(value));
  }
  if (head_.minor_version >= 1 && hosts != 1) {
    Fail(400, "bad_request", hosts == 0 ? "an HTTP/1.1 request needs a Host header" : "more than one Host header");
    return;
  }
  if (hosts > 1) {
    Fail(400, "bad_request", "more than one Host header");
    return;
  }
  if (transfer_encodings > 0) {
    if (transfer_encodings != 1 || !EqualsNoCase(te_value, "chunked")) {
      Fail(400, "bad_request", "only Transfer-Encoding: chunked is understood");
      return;
    }
    if (have_length) {
      // Which one frames the body? A proxy and we might disagree: refuse.
      Fail(400, "bad_request", "send Content-Length or Transfer-Encoding, not both");
      return;
    }
    if (head_.minor_version == 0) {
      Fail(400, "bad_request", "Transfer-Encoding in an HTTP/1.0 request");
      return;
    }
    head_.chunked = true;
  }
  head_.keep_alive = head_.minor_version >= 1 ? !close : (keep_alive_token && !close);
  if (!head_.chunked && head_.content_length > max_body_) {
    Fail(413, "payload_too_large", "");
    return;
  }
  state_ = head_.has_body() ? State::kBody : State::kComplete;
  if (state_ == State::kBody && head_.content_length > body_limit_) Fail(413, "payload_too_large", "");
}

size_t RequestParser::FeedChunked(std::string_view in) {
  size_t i = 0;
  auto bad = [this](const char* why) { Fail(400, "bad_request", std::string("malformed chunked body: ") + why); };
  while (i < in.size() && state_ == State::kBody) {
    const char c = in[i];
    switch (chunk_state_) {
      case Chunk::kSize: {
        int h = HexValue(c);
        if (h >= 0) {
          if (++chunk_digits_ > 15) return bad("chunk size too long"), i;
          chunk_left_ = chunk_left_ * 16 + static_cast<size_t>(h);
          i++;
          break;
        }
        if (chunk_digits_ == 0) return bad("no chunk size"), i;
        if (c == ';' || c == ' ' || c == '\t') {
          chunk_state_ = Chunk::kExtension;
        } else if (c == '\r') {
          chunk_state_ = Chunk::kSizeLf;
          i++;
        } else {
          return bad("a chunk size must be hex digits"), i;
        }
        break;
      }
      case Chunk::kExtension:
        // Extensions are ignored, but bounded; no control bytes but tab.
        if (c == '\r') {
          chunk_state_ = Chunk::kSizeLf;
        } else if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) {
          return bad("a control character in a chunk extension"), i;
        } else if (++chunk_line_bytes_ > kMaxChunkLine) {
          return bad("chunk extension too long"), i;
        }
        i++;
        break;
      case Chunk::kSizeLf:
        if (c != '\n') return bad("a chunk size line must end with CRLF"), i;
        i++;
        chunk_line_bytes_ = 0;
        if (chunk_left_ == 0) {
          chunk_state_ = Chunk::kTrailer;
        } else {
          if (body_.size() + chunk_left_ > body_limit_) {
            Fail(413, "payload_too_large", "");
            return i;
          }
          chunk_state_ = Chunk::kData;
        }
        break;
      case Chunk::kData: {
        size_t take = std::min(chunk_left_, in.size() - i);
        body_.append(in.data() + i, take);
        i += take;
        chunk_left_ -= take;
        if (chunk_left_ == 0) chunk_state_ = Chunk::kDataCr;
        break;
      }
      case Chunk::kDataCr:
        if (c != '\r') return bad("chunk data must end with CRLF"), i;
        chunk_state_ = Chunk::kDataLf;
        i++;
        break;
      case Chunk::kDataLf:
        if (c != '\n') return bad("chunk data must end with CRLF"), i;
        chunk_state_ = Chunk::kSize;
        chunk_digits_ = 0;
        i++;
        break;
      case Chunk::kTrailer:
        // At the start of a trailer line: CRLF ends the body.
        if (c == '\r') {
          chunk_state_ = Chunk::kTrailerLf;
          i++;
          break;
        }
        chunk_state_ = Chunk::kTrailerLine;
        break;
      case Chunk::kTrailerLf:
        if (c != '\n') return bad("the trailer section must end with CRLF"), i;
        i++;
        state_ = State::kComplete;
        break;
      case Chunk::kTrailerLine:
        // A trailer field: ignored (never merged into the headers), bounded.
        if (++trailer_bytes_ > kMaxTrailerBytes) {
          Fail(431, "headers_too_large", "the trailer section is larger than 8 KiB");
          return i;
        }
        if (c == '\n') {
          chunk_state_ = Chunk::kTrailer;
        } else if ((static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\r') || c == 0x7f) {
          return bad("a control character in a trailer"), i;
        }
        i++;
        break;
    }
  }
  return i;
}

std::string DecodePercent(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); i++) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      int hi = HexValue(text[i + 1]), lo = HexValue(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (pos < query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view pair = query.substr(pos, amp - pos);
    pos = amp + 1;
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      out.emplace_back(DecodePercent(pair, true), std::string());
    } else {
      out.emplace_back(DecodePercent(pair.substr(0, eq), true), DecodePercent(pair.substr(eq + 1), true));
    }
  }
  return out;
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Entity";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
  }
  return "Unknown";
}

}  // namespace adapters::http
