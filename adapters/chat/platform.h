// adapters/chat/: the chat platforms. This folder owns what every platform
// shares: the Platform interface (this file), the pipeline that serves a
// platform's webhook (pipeline.h: not configured → verify → rate limit →
// ask → render), the Slack-compatible slash command (slash_command.h) and
// the one registration list (registry.h). Each platform is a folder below
// (slack/, discord/, mattermost/) that implements Platform and includes
// only this folder, adapters/ (service, chat_config, rate_limit, markdown,
// json_codec, clarify) and bot/; never another platform's folder.
//
// A platform, in the manner of Hubot's Adapter and Errbot's Backend: the
// core (bot/, Service) never names a platform; a platform says who it is,
// whether it is configured, which routes it serves, how a request is
// verified, what a verified request asks (a Turn: the question and its
// conversation key, a feedback click, or a reply of its own), and how an
// answer, a clarification, a failure and a feedback acknowledgement are
// rendered for it. The pipeline does the rest, once for every platform.
//
// Thread-safety: the pipeline calls a platform from many server threads at
// once; its methods must be thread-safe. A platform must outlive the server
// whose routes it serves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/rate_limit.h"
#include "app/service.h"
#include "bot/answer.h"
#include "bot/status.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace adapters::redis {
class SharedState;
}  // namespace adapters::redis

namespace adapters::chat {

// A webhook's body limit unless its route says otherwise: 128 KiB (Slack
// sends whole messages back with a button click).
constexpr size_t kDefaultWebhookBodyBytes = 128 * 1024;

// One route of a platform, as the route list, the guard's body limits and
// the OpenAPI check see it.
struct Route {
  const char* method;       // "POST"
  const char* path;         // "/slack/events": under "/<platform name>/"
  size_t body_limit;        // bytes; larger bodies are refused (413) before they are read
  const char* description;  // one line, for the route list
};

// A variable a platform reads (its configuration: app/chat_config.h),
// for `careerbot --help`, and whether it is a secret (app/secrets.h:
// $NAME or the owner-only file $NAME_FILE, never logged).
struct Variable {
  const char* name;
  const char* help;
  bool secret;
};

// What a platform is, without an instance: the registry (registry.h) lists
// these, so the route list, the guard, the metrics and --help know every
// platform before (and whether or not) one is built.
struct PlatformSpec {
  const char* name;               // "slack": the question's channel, the metrics label, the path prefix
  const char* title;              // "Slack": for people
  const char* enabling_variable;  // the secret that turns it on; unset, its routes answer 503 not_configured
  const char* refusal;            // the 401's message when verification fails ("invalid request signature")
  std::vector<Route> routes;
  std::vector<Variable> variables;
};

// A reply sent as it is: a JSON body, or none (status only) when null.
struct Reply {
  int status = 200;
  nlohmann::json body;  // null: no body
};

// What one verified request asks of the pipeline, as the platform decoded it.
struct Turn {
  enum class Act {
    kReply,     // send `reply` (a PONG, a help text, a 400, an acknowledged event)
    kAsk,       // ask `question` in `conversation`; Platform::Render makes the reply
    kFeedback,  // record `answer_id`/`helpful`; Platform::Acknowledge makes the reply
  };
  Act act = Act::kReply;
  Reply reply;
  // The rate limit: when `limited`, the request counts against
  // "<name>:<user>" (a platform user, e.g. "T1:U1") before it is acted on.
  bool limited = false;
  std::string user;
  // kAsk: the question (text, entry_id for a chosen option) and its
  // conversation key without the platform's name ("T1:C1:1700.1"): the
  // pipeline sets question.channel = name and conversation_id =
  // "<name>:<conversation>".
  bot::Question question;
  std::string conversation;
  // kAsk answered later by the platform itself (Platform::Defer), the
  // request acknowledged now with an empty 200 (Slack's 3-second rule).
  bool later = false;
  // kFeedback.
  std::string answer_id;
  bool helpful = false;
  // The platform's own: what it needs to render this turn (where to post,
  // ephemeral or not, the command typed...). The pipeline never reads it.
  nlohmann::json context;
  // For log lines: "event Ev1", "slash command".
  std::string what;

  // Counts this request against `platform_user`'s rate limit.
  void Limit(std::string platform_user) {
    limited = true;
    user = std::move(platform_user);
  }
  // Sends `body` (null: none) with `status`, and nothing else happens.
  static Turn Send(int status, nlohmann::json body = nullptr) {
    Turn t;
    t.reply = Reply{status, std::move(body)};
    return t;
  }
};

class Platform {
 public:
  explicit Platform(Service& service) : service_(service) {}
  virtual ~Platform() = default;
  Platform(const Platform&) = delete;
  Platform& operator=(const Platform&) = delete;

  virtual const PlatformSpec& spec() const = 0;
  const char* name() const { return spec().name; }
  // Configured: its secret is set. When not, every route answers 503.
  virtual bool enabled() const = 0;

  // Before verification: a request the platform answers unsigned (Slack's
  // ssl_check). True when *reply is to be sent as it is.
  virtual bool AnswerUnverified(const Route& route, const httplib::Request& req, Reply* reply) {
    (void)route, (void)req, (void)reply;
    return false;
  }
  // The signature or token over the raw request; kInvalidArgument with a
  // reason for the log (never the secret) when it does not hold.
  virtual bot::Status Verify(const httplib::Request& req) = 0;
  // What a verified request to `route` asks. Malformed input is a Turn::Send
  // with a 4xx JSON error.
  virtual Turn Decode(const Route& route, const httplib::Request& req) = 0;
  // The reply to a kAsk turn answered now: the answer (or the
  // clarification), or `answer`'s failure in the platform's words.
  virtual Reply Render(const Turn& turn, const bot::Result<bot::Answer>& answer) = 0;
  // The reply to a kFeedback turn, `recorded` being Service::Feedback's status.
  virtual Reply Acknowledge(const Turn& turn, const bot::Status& recorded) {
    (void)turn, (void)recorded;
    return Reply{};
  }
  // Takes a kAsk turn with `later` to answer it off the request thread
  // (Ask(turn) below, then post where it goes). False when it cannot now
  // (a full queue, stopping). Platforms whose decoder sets `later` override it.
  virtual bool Defer(Turn turn) {
    (void)turn;
    return false;
  }
  // A 429 was just written to `res`: the platform's own headers on it.
  virtual void OnRateLimited(httplib::Response& res) { (void)res; }
  // Keeps what every replica must see (Slack's event ids) in `shared`
  // (outlives the platform) instead of this process. Called before serving.
  virtual void UseSharedState(redis::SharedState* shared) { (void)shared; }
  // Decisions taken with this replica's own state because the shared one
  // (Redis) did not answer, by what ("slack_event"), for /metrics.
  virtual std::vector<std::pair<std::string, uint64_t>> SharedFallbacks() const { return {}; }
  // Stops any worker: a job in progress finishes, queued ones are dropped.
  virtual void Shutdown() {}

  // Limits each platform user (once the request is verified): past the
  // limit, 429 with Retry-After. Null or off: no limit. Set before serving.
  void set_rate_limiter(std::shared_ptr<RateLimiter> limiter) { limiter_ = std::move(limiter); }
  RateLimiter* rate_limiter() const { return limiter_.get(); }
  Service& service() { return service_; }

  // The ask step, shared by every platform (the pipeline calls it for a turn
  // answered now, a platform's worker for one answered later): Service::Ask
  // in this platform's channel and the turn's conversation; a failure is
  // logged here.
  bot::Result<bot::Answer> Ask(const Turn& turn);

 private:
  Service& service_;
  std::shared_ptr<RateLimiter> limiter_;
};

// The usual platform: built from its Config (whose enabled() says whether
// its secret is set); its spec is Self::Spec().
template <typename Self, typename Config>
class ConfiguredPlatform : public Platform {
 public:
  ConfiguredPlatform(Service& service, Config config) : Platform(service), config_(std::move(config)) {}
  const PlatformSpec& spec() const override { return Self::Spec(); }
  bool enabled() const override { return config_.enabled(); }

 protected:
  const Config config_;
};

}  // namespace adapters::chat
