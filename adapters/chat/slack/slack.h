// The Slack platform: POST /slack/events (Events API: app mentions and direct
// messages, acknowledged at once and answered in the thread through
// chat.postMessage by a worker thread), POST /slack/commands (the /ask slash
// command, answered in the HTTP response) and POST /slack/interactions (the
// 👍/👎 feedback buttons, and a clarification's option buttons). Every
// request's signature is checked over the raw body before anything else
// (the pipeline, adapters/chat/pipeline.h).
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

#include "adapters/chat/platform.h"
#include "app/chat_config.h"
#include "app/service.h"
#include "adapters/chat/slack/format.h"
#include "bot/clock.h"


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

class SlackPlatform : public chat::ConfiguredPlatform<SlackPlatform, SlackConfig> {
 public:
  // `clock` (default: the service's) gives "now" for signature windows and
  // the event dedupe.
  SlackPlatform(Service& service, SlackConfig config, bot::Clock* clock = nullptr);
  ~SlackPlatform() override;
  static const chat::PlatformSpec& Spec();

  // ---- chat::Platform ----
  // Slack checks the certificate with unsigned ssl_check=1 posts to the
  // command: they get an empty 200.
  bool AnswerUnverified(const chat::Route& route, const httplib::Request& req, chat::Reply* reply) override;
  bot::Status Verify(const httplib::Request& req) override;
  chat::Turn Decode(const chat::Route& route, const httplib::Request& req) override;
  chat::Reply Render(const chat::Turn& turn, const bot::Result<bot::Answer>& answer) override;
  // Feedback: an empty 200 now; the message's buttons are replaced by a
  // thanks through the payload's response_url, by the worker.
  chat::Reply Acknowledge(const chat::Turn& turn, const bot::Status& recorded) override;
  // Events and clarification choices are answered by the worker.
  bool Defer(chat::Turn turn) override;
  // X-Slack-No-Retry: an event past the limit is dropped, not retried.
  void OnRateLimited(httplib::Response& res) override;
  void UseSharedState(redis::SharedState* shared) override;
  std::vector<std::pair<std::string, uint64_t>> SharedFallbacks() const override;
  // Stops the worker: a job in progress finishes (a Retry-After wait is cut
  // short), queued jobs are dropped. Idempotent.
  void Shutdown() override;

  // Remembers event ids in `shared` (all replicas) instead of this process.
  void set_shared_dedupe(SharedDedupe* shared) { deduper_.set_shared(shared); }
  const EventDeduper& deduper() const { return deduper_; }

  // The three routes, through the pipeline (for tests and fuzzers).
  void HandleEvents(const httplib::Request& req, httplib::Response& res);
  void HandleCommands(const httplib::Request& req, httplib::Response& res);
  void HandleInteractions(const httplib::Request& req, httplib::Response& res);

  // For tests: waits until no job is queued or running; false on timeout.
  bool WaitIdle(std::chrono::milliseconds timeout);

 private:
  chat::Turn DecodeEvent(const httplib::Request& req);
  chat::Turn DecodeInteraction(const httplib::Request& req);
  // A block_actions click on a clarification's option: answered by the
  // worker in the clarification's conversation (the same Service::Ask as a
  // typed choice). A /ask clarification is replaced by the answer through
  // response_url; in a thread or DM the answer is posted there with
  // chat.postMessage and the clarification's buttons are replaced by the
  // choice.
  chat::Turn DecodeClarifyChoice(const nlohmann::json& payload, const ClarifyAction& choice);
  // On the worker: a deferred turn answered and posted.
  void AnswerEvent(const chat::Turn& turn);
  void AnswerClarifyChoice(const chat::Turn& turn);
  bool Enqueue(std::function<void()> job);
  void WorkerLoop();
  // POSTs `body` as JSON to origin+path (a Web API method with the bot
  // token, or a response_url without), retrying once after Retry-After on a
  // 429. Logs failures (`what` names the call); never logs the token.
  void PostJson(const std::string& origin, const std::string& path, const nlohmann::json& body, bool with_token,
                const char* what);
  // Sleeps up to `seconds`, less when Shutdown() is called; false when stopping.
  bool SleepUnlessStopping(int seconds);

  bot::Clock* clock_;
  EventDeduper deduper_;
  std::string api_origin_, api_prefix_;  // from config_.api_base; empty when invalid

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  bool busy_ = false;                        // guarded by mu_
  std::thread worker_;
};

}  // namespace adapters::slack
