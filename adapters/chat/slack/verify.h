// Slack request signing (v0): HMAC-SHA256 of "v0:{timestamp}:{raw body}" with
// the app's signing secret, sent as X-Slack-Signature "v0=<64 lower-case hex>"
// with X-Slack-Request-Timestamp. Pure functions; thread-safe. Check the
// signature over the exact bytes received, before any parsing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bot/status.h"

namespace adapters::slack {

// Requests whose timestamp is further than this from now, either way, are refused.
constexpr int64_t kMaxClockSkewSeconds = 300;

// "v0=" + hex HMAC-SHA256(secret, "v0:" + timestamp + ":" + body). The
// secret is used as its bytes (it is not hex-decoded).
std::string Sign(std::string_view signing_secret, std::string_view timestamp, std::string_view body);

// Verifies a request: `timestamp` and `signature` are the raw header values
// (empty when missing), `now` the current Unix time in seconds. Every failure
// (no secret configured, a missing or malformed header, a timestamp outside
// the window, a wrong signature) is kInvalidArgument with a reason fit for a
// log line; the reason never contains the secret.
bot::Status VerifySignature(std::string_view signing_secret, std::string_view timestamp, std::string_view body,
                            std::string_view signature, int64_t now);

}  // namespace adapters::slack
