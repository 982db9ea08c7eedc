// Slack and Discord (and Mattermost) webhooks: request verification and
// parsing, through the adapters' real handlers with fixed secrets and keys.
// An input is readable text:
//   line 1   the endpoint: slack-events, slack-commands, slack-interactions,
//            discord or mattermost
//   lines    headers, "Name: value", up to an empty line
//   rest     the body
// When the input carries no signature header the target signs the body
// itself (Slack: HMAC-SHA256 with the fixed signing secret, at the fixed
// clock's time unless X-Slack-Request-Timestamp is given; Discord: Ed25519
// with the fixed key), so the fuzzer reaches the parsers behind the check;
// with one, the check itself is fuzzed. The text helpers the adapters use
// are fuzzed on the body too.
#include <openssl/evp.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <httplib.h>

#include "app/chat_config.h"
#include "adapters/chat/discord/discord.h"
#include "adapters/chat/discord/verify.h"
#include "adapters/chat/markdown.h"
#include "app/service.h"
#include "adapters/chat/mattermost/mattermost.h"
#include "adapters/chat/slack/format.h"
#include "adapters/chat/slack/slack.h"
#include "adapters/chat/slack/verify.h"
#include "bot/text.h"
#include "fuzz_support.h"

namespace {

const char kSlackSecret[] = "8f742231b10e8888abcd99yyyzzz85a5";  // Slack's documented example secret
const char kMattermostToken[] = "fuzz-mattermost-token-0123456789";
const unsigned char kDiscordSeed[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                        17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

std::string Hex(const unsigned char* p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; i++) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

EVP_PKEY* DiscordKey() {
  static EVP_PKEY* key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, kDiscordSeed, sizeof kDiscordSeed);
  return key;
}

std::string DiscordPublicKeyHex() {
  unsigned char pub[32];
  size_t len = sizeof pub;
  fuzz::Check(EVP_PKEY_get_raw_public_key(DiscordKey(), pub, &len) == 1 && len == 32, "Ed25519 public key");
  return Hex(pub, len);
}

std::string DiscordSign(const std::string& message) {
  unsigned char sig[64];
  size_t len = sizeof sig;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, DiscordKey()) == 1 &&
            EVP_DigestSign(ctx, sig, &len, reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  fuzz::Check(ok && len == 64, "Ed25519 signing");
  return Hex(sig, len);
}

struct Adapters {
  adapters::Service service{fuzz::ShippedStore(), {}, fuzz::Clock(), fuzz::Ids()};
  std::unique_ptr<adapters::slack::SlackPlatform> slack;
  std::unique_ptr<adapters::mattermost::MattermostPlatform> mattermost;
  std::unique_ptr<adapters::discord::DiscordPlatform> discord;
  std::string discord_public_key = DiscordPublicKeyHex();

  Adapters() {
    // No question log: each line is a commit with an fsync (see http_fuzz.cc).
    service.set_logging(false);
    adapters::SlackConfig slack_config;
    slack_config.signing_secret = kSlackSecret;
    // Events are answered through chat.postMessage: to the discard port on
    // loopback, refused at once, so answering is fuzzed without a network.
    slack_config.bot_token = "xoxb-fuzz";
    slack_config.api_base = "http://127.0.0.1:9/api";
    slack = std::make_unique<adapters::slack::SlackPlatform>(service, slack_config, fuzz::Clock());
    adapters::MattermostConfig mm;
    mm.token = kMattermostToken;
    mattermost = std::make_unique<adapters::mattermost::MattermostPlatform>(service, mm);
    adapters::DiscordConfig dc;
    dc.public_key = discord_public_key;
    discord = std::make_unique<adapters::discord::DiscordPlatform>(service, dc);
  }
};

void FuzzTextHelpers(const std::string& body) {
  std::string text = bot::RepairUtf8(body);
  auto form = adapters::slack::ParseForm(body);
  for (const auto& [k, v] : form) (void)k, (void)v;
  std::string stripped = adapters::slack::StripMention(text, "U0LAN0Z89");
  fuzz::Check(bot::IsValidUtf8(stripped), "StripMention keeps valid UTF-8");
  adapters::slack::UnescapeSlack(text);
  std::string keyword = text;
  adapters::slack::TakeKeyword(&keyword, "public");
  std::string mrkdwn = adapters::slack::EscapeMrkdwn(text);
  fuzz::Check(mrkdwn.find('<') == std::string::npos && mrkdwn.find('>') == std::string::npos,
              "EscapeMrkdwn leaves no < or >");
  adapters::slack::Link(text, text);
  std::string md = adapters::EscapeMarkdown(text);
  fuzz::Check(bot::IsValidUtf8(md), "EscapeMarkdown keeps valid UTF-8");
  const size_t limit = text.size() % 97 + 1;
  std::string cut = adapters::CutAtSentence(md, limit);
  fuzz::Check(adapters::Utf16Length(cut) <= limit, "CutAtSentence fits the limit");
  fuzz::Check(bot::IsValidUtf8(cut), "CutAtSentence keeps valid UTF-8");
  std::string url = adapters::MarkdownLinkUrl(text);
  fuzz::Check(url.find_first_of(" ()<>\n") == std::string::npos, "MarkdownLinkUrl leaves nothing that ends a link");
  std::string raw;
  adapters::discord::DecodeHex(body, body.size() / 2, &raw);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Adapters* a = [] {
    fuzz::QuietLogs();
    return new Adapters();
  }();
  const std::string input(fuzz::AsView(data, size));
  size_t eol = input.find('\n');
  const std::string endpoint = input.substr(0, eol);
  httplib::Request req;
  req.method = "POST";
  req.remote_addr = "127.0.0.1";
  size_t pos = eol == std::string::npos ? input.size() : eol + 1;
  while (pos < input.size()) {
    size_t end = input.find('\n', pos);
    if (end == std::string::npos) end = input.size();
    std::string line = input.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    size_t v = line.find_first_not_of(' ', colon + 1);
    req.headers.emplace(line.substr(0, colon), v == std::string::npos ? "" : line.substr(v));
  }
  req.body = pos < input.size() ? input.substr(pos) : "";
  FuzzTextHelpers(req.body);

  httplib::Response res;
  if (endpoint.rfind("slack-", 0) == 0) {
    if (!req.has_header("X-Slack-Signature")) {
      if (!req.has_header("X-Slack-Request-Timestamp")) {
        req.headers.emplace("X-Slack-Request-Timestamp", std::to_string(fuzz::kNow));
      }
      std::string ts = req.get_header_value("X-Slack-Request-Timestamp");
      req.headers.emplace("X-Slack-Signature", adapters::slack::Sign(kSlackSecret, ts, req.body));
    }
    if (endpoint == "slack-events") {
      req.path = "/slack/events";
      a->slack->HandleEvents(req, res);
      a->slack->WaitIdle(std::chrono::milliseconds(10000));  // answered before the next input
    } else if (endpoint == "slack-commands") {
      req.path = "/slack/commands";
      a->slack->HandleCommands(req, res);
    } else {
      req.path = "/slack/interactions";
      a->slack->HandleInteractions(req, res);
      a->slack->WaitIdle(std::chrono::milliseconds(10000));
    }
  } else if (endpoint == "mattermost") {
    req.path = "/mattermost/commands";
    a->mattermost->HandleCommands(req, res);
  } else {
    req.path = "/discord/interactions";
    if (!req.has_header("X-Signature-Ed25519")) {
      if (!req.has_header("X-Signature-Timestamp")) req.headers.emplace("X-Signature-Timestamp", "1700000000");
      std::string ts = req.get_header_value("X-Signature-Timestamp");
      req.headers.emplace("X-Signature-Ed25519", DiscordSign(ts + req.body));
    }
    a->discord->HandleInteraction(req, res);
  }
  // -1: not set by the handler, which cpp-httplib sends as 200.
  fuzz::Check(res.status == -1 || (res.status >= 200 && res.status < 600), "a response status");
  if (res.status == 200 && !res.body.empty()) {
    auto parsed = nlohmann::json::parse(res.body, nullptr, false);
    fuzz::Check(!parsed.is_discarded(), "a 200 answer is JSON");
  }
  return 0;
}
