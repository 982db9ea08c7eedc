// The Slack adapter: POST /slack/events (Events API: app mentions and direct
// messages, acknowledged at once and answered in the thread through
// chat.postMessage by a worker thread), POST /slack/commands (the /ask slash
// command, answered in the HTTP response) and POST /slack/interactions (the
// 👍/👎 feedback buttons, and a clarification's option buttons). Every request's signature is checked over the raw
// body before anything else. Also the Slack-compatible Mattermost slash
// command, POST /mattermost/commands, authenticated by a shared token.
//
// Thread-safety: the handlers may run on many server threads at once. The
// adapter must outlive the httplib::Server it registered on; its destructor
// stops and joins the worker.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "adapters/chat_config.h"
#include "adapters/rate_limit.h"
#include "adapters/service.h"
#include "adapters/slack/format.h"
#include "bot/clock.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib
namespace adapters::http {
class Router;
}  // namespace adapters::http

namespace adapters::slack {

// Remembers event ids for a while, so a retried delivery is answered once.
// Bounded: past max_entries the oldest ids are forgotten. Thread-safe.
// Event ids remembered where every replica sees them (Redis: SET NX EX).
// FirstSeen returns false when the shared store could not answer.
class SharedDedupe {
 public:
  virtual ~SharedDedupe() = default;
  virtual bool FirstSeen(const std::string& key, int64_t ttl_seconds, bool* first) = 0;
};

class EventDeduper {
 public:
  explicit EventDeduper(size_t max_entries = 20000, int64_t ttl_seconds = 3600)
      : max_entries_(max_entries), ttl_seconds_(ttl_seconds) {}
  // True the first time `event_id` is seen (within the TTL), false after:
  // across replicas with a shared store, else in this process.
  bool FirstSeen(const std::string& event_id, int64_t now);
  size_t size();
  // Set before use; `shared` outlives the deduper. Null: this process only.
  void set_shared(SharedDedupe* shared) { shared_ = shared; }
  uint64_t fallbacks() const { return fallbacks_.load(std::memory_order_relaxed); }

 private:
  SharedDedupe* shared_ = nullptr;
  std::atomic<uint64_t> fallbacks_{0};
  std::mutex mu_;
  size_t max_entries_;
  int64_t ttl_seconds_;
  std::unordered_map<std::string, int64_t> seen_;      // guarded by mu_
  std::deque<std::pair<int64_t, std::string>> order_;  // guarded by mu_; oldest first
};

class SlackAdapter {
 public:
  // `clock` (default: the service's) gives "now" for signature windows and
  // the event dedupe.
  SlackAdapter(Service& service, SlackConfig config, bot::Clock* clock = nullptr);
  ~SlackAdapter();
  SlackAdapter(const SlackAdapter&) = delete;
  SlackAdapter& operator=(const SlackAdapter&) = delete;

  // Adds POST /slack/events, /slack/commands and /slack/interactions. When no
  // signing secret is configured they answer 503 not_configured.
  void RegisterRoutes(http::Router& server);
  // Remembers event ids in `shared` (all replicas) instead of this process.
  void set_shared_dedupe(SharedDedupe* shared) { deduper_.set_shared(shared); }
  const EventDeduper& deduper() const { return deduper_; }
  // Limits each Slack user (team and user id, once the request is verified):
  // past the limit, 429 with Retry-After (and X-Slack-No-Retry: an event is
  // dropped, not retried). Null or off: no limit. Set before serving.
  void set_rate_limiter(std::shared_ptr<RateLimiter> limiter) { limiter_ = std::move(limiter); }

  void HandleEvents(const httplib::Request& req, httplib::Response& res);
  void HandleCommands(const httplib::Request& req, httplib::Response& res);
  void HandleInteractions(const httplib::Request& req, httplib::Response& res);

  // Stops the worker: a job in progress finishes (a Retry-After wait is cut
  // short), queued jobs are dropped. Idempotent.
  void Shutdown();

  // For tests: waits until no job is queued or running; false on timeout.
  bool WaitIdle(std::chrono::milliseconds timeout);

 private:
  struct EventJob {
    std::string team, channel, thread_ts, text, bot_user_id;
  };
  // A click on a clarification's option, answered by the worker.
  struct ClarifyJob {
    ClarifyAction choice;
    std::string conversation_id;
    std::string channel, thread_ts;     // where the clarification was posted
    bool in_channel = true;             // not an ephemeral message
    nlohmann::json message;             // the clarification as Slack sent it back (may be null)
    std::string hook_origin, hook_path; // the payload's response_url; empty when unusable
  };
  // A block_actions click on a clarification's option: answers that entry in
  // the clarification's conversation (the same Service::Ask as a typed
  // choice) on the worker. A /ask clarification is replaced by the answer
  // through response_url; in a thread or DM the answer is posted there with
  // chat.postMessage and the clarification's buttons are replaced by the
  // choice.
  void AnswerClarifyChoice(const nlohmann::json& payload, const ClarifyAction& choice);
  void AnswerClarifyJob(const ClarifyJob& job);
  bool Verify(const httplib::Request& req, httplib::Response& res);
  // True (and the 429 sent) when `team`/`user` asked too often.
  bool RateLimited(const std::string& team, const std::string& user, httplib::Response& res);
  bool Enqueue(std::function<void()> job);
  void WorkerLoop();
  void AnswerEvent(const EventJob& job);
  // POSTs `body` as JSON to origin+path (a Web API method with the bot
  // token, or a response_url without), retrying once after Retry-After on a
  // 429. Logs failures (`what` names the call); never logs the token.
  void PostJson(const std::string& origin, const std::string& path, const nlohmann::json& body, bool with_token,
                const char* what);
  // Sleeps up to `seconds`, less when Shutdown() is called; false when stopping.
  bool SleepUnlessStopping(int seconds);

  Service& service_;
  SlackConfig config_;
  bot::Clock* clock_;
  EventDeduper deduper_;
  std::shared_ptr<RateLimiter> limiter_;
  std::string api_origin_, api_prefix_;  // from config_.api_base; empty when invalid

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  bool busy_ = false;                        // guarded by mu_
  std::thread worker_;
};

// POST /mattermost/commands: the Slack-compatible slash command of
// Mattermost, answered with Markdown in the HTTP response. Authenticated by
// comparing MATTERMOST_TOKEN, in constant time, with `Authorization: Token
// ...` or the `token` form field. Thread-safe.
class MattermostAdapter {
 public:
  MattermostAdapter(Service& service, MattermostConfig config) : service_(service), config_(std::move(config)) {}
  void RegisterRoutes(http::Router& server);
  void HandleCommands(const httplib::Request& req, httplib::Response& res);
  // Limits each Mattermost user (team and user id); see SlackAdapter.
  void set_rate_limiter(std::shared_ptr<RateLimiter> limiter) { limiter_ = std::move(limiter); }

 private:
  Service& service_;
  MattermostConfig config_;
  std::shared_ptr<RateLimiter> limiter_;
};

}  // namespace adapters::slack
