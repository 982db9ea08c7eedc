// The whole HTTP server without a socket: any bytes as what a client sends on
// one connection (one or more requests, keep-alive, chunked bodies, ...),
// served by adapters::http::HttpServer with every route on: the JSON API, the
// chat page, Slack, Discord and Mattermost with fixed secrets, the admin API
// with a fixed token ("Authorization: Bearer fuzz-admin-token"), metrics and
// OpenAPI. No response may be a 500 (an exception escaped a handler).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include <httplib.h>

#include "adapters/http/server.h"
#include "adapters/service.h"
#include "fuzz_support.h"
#include "tests/helpers/buffer_stream.h"

namespace {

using testing_helpers::BufferStream;

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256 * 1024) return 0;
  BufferStream stream{std::string(fuzz::AsView(data, size))};
  Server()->ServeStream(stream);
  const std::string& out = stream.out();
  fuzz::Check(out.empty() || out.rfind("HTTP/1.1 ", 0) == 0, "the server answers in HTTP/1.1");
  if (out.find("\"code\":\"internal\"") != std::string::npos) {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(std::min<size_t>(out.size(), 2000)), out.data());
    fuzz::Check(false, "no request makes the server fail with 500 internal");
  }
  return 0;
}
