#include "adapters/chat/slack/verify.h"

#include "adapters/chat/pipeline.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>

namespace adapters::slack {

std::string Sign(std::string_view signing_secret, std::string_view timestamp, std::string_view body) {
  std::string base;
  base.reserve(4 + timestamp.size() + body.size());
  base.append("v0:").append(timestamp).append(":").append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha256(), signing_secret.data(), static_cast<int>(signing_secret.size()),
            reinterpret_cast<const unsigned char*>(base.data()), base.size(), mac, &mac_len)) {
    return "";
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out = "v0=";
  for (unsigned int i = 0; i < mac_len; i++) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}

bot::Status VerifySignature(std::string_view signing_secret, std::string_view timestamp, std::string_view body,
                            std::string_view signature, int64_t now) {
  if (signing_secret.empty()) return bot::Status::InvalidArgument("no signing secret configured");
  if (timestamp.empty()) return bot::Status::InvalidArgument("missing X-Slack-Request-Timestamp");
  if (signature.empty()) return bot::Status::InvalidArgument("missing X-Slack-Signature");
  // Unix seconds: 1 to 12 ASCII digits, nothing else.
  if (timestamp.size() > 12) return bot::Status::InvalidArgument("malformed X-Slack-Request-Timestamp");
  int64_t ts = 0;
  for (char c : timestamp) {
    if (c < '0' || c > '9') return bot::Status::InvalidArgument("malformed X-Slack-Request-Timestamp");
    ts = ts * 10 + (c - '0');
  }
  int64_t skew = now > ts ? now - ts : ts - now;
  if (skew > kMaxClockSkewSeconds) {
    return bot::Status::InvalidArgument("X-Slack-Request-Timestamp is " + std::to_string(now - ts) +
                                        " s from now (more than 300 s): stale, or the clock is off");
  }
  // "v0=" and 64 lower-case hex characters.
  if (signature.size() != 67 || signature.compare(0, 3, "v0=") != 0) {
    return bot::Status::InvalidArgument("malformed X-Slack-Signature (expected v0=<64 hex>)");
  }
  std::string expected = Sign(signing_secret, timestamp, body);
  if (expected.empty()) return bot::Status::InvalidArgument("cannot compute the signature");
  if (!chat::ConstantTimeEquals(expected, signature)) return bot::Status::InvalidArgument("signature mismatch");
  return bot::Status::Ok();
}

}  // namespace adapters::slack
