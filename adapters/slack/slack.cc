#include "adapters/http/router.h"
#include "adapters/slack/slack.h"

#include <cstdlib>
#include <map>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "adapters/json_codec.h"
#include "adapters/slack/format.h"
#include "adapters/slack/verify.h"
#include "bot/text.h"

namespace adapters::slack {

using nlohmann::json;

namespace {

void SendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void SendNotConfigured(httplib::Response& res, const char* variable, const char* platform) {
  SendJson(res, 503,
           ErrorJson("not_configured",
                     std::string("set ") + variable + " to turn on the " + platform + " adapter (see docs/platforms.md)"));
}

void SendUnauthorized(httplib::Response& res) {
  SendJson(res, 401, ErrorJson("unauthorized", "invalid request signature"));
}

// Takes one request from `key`'s bucket; when there is none left, sends the
// 429 and returns true.
bool TakeOrRefuse(RateLimiter* limiter, const std::string& key, httplib::Response& res) {
  if (!limiter || !limiter->enabled()) return false;
  RateLimiter::Decision d = limiter->Take(key);
  if (d.allowed) return false;
  res.set_header("Retry-After", std::to_string(d.retry_after_s));
  // Slack retries an event that did not get a 2xx; this one is dropped.
  res.set_header("X-Slack-No-Retry", "1");
  SendJson(res, 429, ErrorJson("rate_limited", RateLimitedMessage(limiter->per_minute(), d.retry_after_s)));
  return true;
}

// JSON bodies from the platforms nest a few levels; deeper is not theirs.
constexpr size_t kMaxJsonDepth = 64;

std::string StringField(const json& object, const char* name) {
  if (!object.is_object()) return "";
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

bool BoolField(const json& object, const char* name) {
  if (!object.is_object()) return false;
  auto it = object.find(name);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

std::string FormField(const std::map<std::string, std::string>& form, const char* name) {
  auto it = form.find(name);
  return it == form.end() ? "" : it->second;
}

// True when the raw form body carries ssl_check=1 (checked on the bytes, no decoding).
bool IsSslCheck(const std::string& body) {
  size_t pos = 0;
  while ((pos = body.find("ssl_check=1", pos)) != std::string::npos) {
    bool starts = pos == 0 || body[pos - 1] == '&';
    size_t end = pos + 11;
    if (starts && (end == body.size() || body[end] == '&')) return true;
    pos = end;
  }
  return false;
}

// Our bot user id, from the envelope's authorizations (is_bot).
std::string BotUserId(const json& envelope) {
  auto auths = envelope.find("authorizations");
  if (auths == envelope.end() || !auths->is_array()) return "";
  for (const auto& a : *auths) {
    if (BoolField(a, "is_bot")) return StringField(a, "user_id");
  }
  return "";
}

// Why an event is not for us, or "" when it should be answered.
std::string IgnoreReason(const json& event, const std::string& bot_user_id) {
  if (!event.is_object()) return "no event";
  std::string type = StringField(event, "type");
  bool mention = type == "app_mention";
  bool direct = type == "message" && StringField(event, "channel_type") == "im";
  if (!mention && !direct) return "event type " + type;
  if (event.contains("subtype")) return "message subtype " + StringField(event, "subtype");
  if (event.contains("bot_id") && !event["bot_id"].is_null()) return "a bot's message";
  if (event.contains("bot_profile")) return "a bot's message";
  std::string user = StringField(event, "user");
  if (user.empty()) return "no user";
  if (!bot_user_id.empty() && user == bot_user_id) return "our own message";
  if (StringField(event, "channel").empty() || StringField(event, "ts").empty()) return "no channel or ts";
  return "";
}

enum class Markup { kSlack, kMattermost };

// The slash-command path shared by Slack and Mattermost: the response body.
json AnswerSlashCommand(Service& service, const std::map<std::string, std::string>& form, const std::string& channel,
                        const std::string& public_keyword, Markup markup) {
  std::string text = FormField(form, "text");
  bool in_channel = TakeKeyword(&text, public_keyword);
  if (bot::IsBlank(text)) return CommandText(HelpText(FormField(form, "command"), public_keyword));
  bot::Question q;
  q.text = text;
  q.channel = channel;
  q.conversation_id = channel + ":" + FormField(form, "team_id") + ":" + FormField(form, "channel_id") + ":" +
                      FormField(form, "user_id");
  auto answer = service.Ask(q);
  if (!answer.ok()) {
    spdlog::error("{}: slash command: {}", channel, answer.status().ToString());
    return CommandText("Sorry, I cannot answer right now. Please try again in a minute.");
  }
  return markup == Markup::kSlack ? CommandResponse(*answer, in_channel)
                                  : MattermostCommandResponse(*answer, in_channel, FormField(form, "command"));
}

int RetryAfterSeconds(const std::string& header) {
  char* end = nullptr;
  long v = std::strtol(header.c_str(), &end, 10);
  if (header.empty() || !end || *end != '\0' || v < 1) return 1;
  return v > 60 ? 60 : static_cast<int>(v);
}

}  // namespace

// ---- EventDeduper ----

bool EventDeduper::FirstSeen(const std::string& event_id, int64_t now) {
  if (shared_ != nullptr) {
    bool first = false;
    if (!shared_->FirstSeen("slack:event:" + event_id, ttl_seconds_, &first)) {
      fallbacks_.fetch_add(1, std::memory_order_relaxed);
    } else if (!first) {
      return false;  // another replica (or this one) has it
    }
    // First in the shared store: remembered here too, for when it is down.
  }
  std::lock_guard<std::mutex> lock(mu_);
  while (!order_.empty() && (order_.front().first + ttl_seconds_ < now || order_.size() >= max_entries_)) {
    auto it = seen_.find(order_.front().second);
    if (it != seen_.end() && it->second == order_.front().first) seen_.erase(it);
    order_.pop_front();
  }
  auto it = seen_.find(event_id);
  if (it != seen_.end() && it->second + ttl_seconds_ >= now) return false;
  seen_[event_id] = now;
  order_.emplace_back(now, event_id);
  return true;
}

size_t EventDeduper::size() {
  std::lock_guard<std::mutex> lock(mu_);
  return seen_.size();
}

// ---- SlackAdapter ----

SlackAdapter::SlackAdapter(Service& service, SlackConfig config, bot::Clock* clock)
    : service_(service), config_(std::move(config)), clock_(clock ? clock : &service.clock()) {
  if (!config_.enabled()) return;
  std::string error;
  if (!SplitApiBase(config_.api_base, &api_origin_, &api_prefix_, &error)) {
    spdlog::error("slack: SLACK_API_BASE: {}; events will not be answered", error);
    api_origin_.clear();
  }
  if (config_.bot_token.empty()) {
    spdlog::warn("slack: SLACK_BOT_TOKEN is not set: /ask works, mentions and direct messages are not answered");
  }
  worker_ = std::thread([this] { WorkerLoop(); });
}

SlackAdapter::~SlackAdapter() { Shutdown(); }

void SlackAdapter::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

bool SlackAdapter::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return queue_.empty() && !busy_; });
}

bool SlackAdapter::Enqueue(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || !worker_.joinable()) return false;
    if (queue_.size() >= config_.max_queued) {
      spdlog::warn("slack: {} jobs waiting, dropping one", queue_.size());
      return false;
    }
    queue_.push_back(std::move(job));
  }
  cv_.notify_all();
  return true;
}

void SlackAdapter::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) break;
    std::function<void()> job = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    try {
      job();
    } catch (const std::exception& e) {  // nothing should throw; keep the worker alive if it does
      spdlog::error("slack: worker job failed: {}", e.what());
    }
    lock.lock();
    busy_ = false;
    cv_.notify_all();
  }
  if (!queue_.empty()) spdlog::warn("slack: stopping with {} unanswered events", queue_.size());
  queue_.clear();
}

bool SlackAdapter::SleepUnlessStopping(int seconds) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, std::chrono::seconds(seconds), [this] { return stopping_; });
}

void SlackAdapter::RegisterRoutes(http::Router& server) {
  server.Post("/slack/events", [this](const httplib::Request& req, httplib::Response& res) { HandleEvents(req, res); });
  server.Post("/slack/commands",
              [this](const httplib::Request& req, httplib::Response& res) { HandleCommands(req, res); });
  server.Post("/slack/interactions",
              [this](const httplib::Request& req, httplib::Response& res) { HandleInteractions(req, res); });
}

bool SlackAdapter::RateLimited(const std::string& team, const std::string& user, httplib::Response& res) {
  return TakeOrRefuse(limiter_.get(), "slack:" + team + ":" + user, res);
}

bool SlackAdapter::Verify(const httplib::Request& req, httplib::Response& res) {
  bot::Status s = VerifySignature(config_.signing_secret, req.get_header_value("X-Slack-Request-Timestamp"), req.body,
                                  req.get_header_value("X-Slack-Signature"), clock_->NowSeconds());
  if (s.ok()) return true;
  spdlog::warn("slack: refused {} {} from {}: {}", req.method, req.path, req.remote_addr, s.message());
  SendUnauthorized(res);
  return false;
}

void SlackAdapter::HandleEvents(const httplib::Request& req, httplib::Response& res) {
  if (!config_.enabled()) return SendNotConfigured(res, "SLACK_SIGNING_SECRET", "Slack");
  if (!Verify(req, res)) return;
  json body = JsonNestingWithin(req.body, kMaxJsonDepth) ? json::parse(req.body, nullptr, /*allow_exceptions=*/false)
                                                         : json(json::value_t::discarded);
  if (body.is_discarded() || !body.is_object()) {
    SendJson(res, 400, ErrorJson("invalid_json", "the body is not a JSON object"));
    return;
  }
  std::string type = StringField(body, "type");
  if (type == "url_verification") {
    SendJson(res, 200, {{"challenge", StringField(body, "challenge")}});
    return;
  }
  res.status = 200;  // everything else is acknowledged at once with an empty body
  if (type != "event_callback") {
    spdlog::info("slack: {} received", type.empty() ? "untyped request" : type);
    return;
  }
  std::string event_id = StringField(body, "event_id");
  if (!event_id.empty() && !deduper_.FirstSeen(event_id, clock_->NowSeconds())) {
    spdlog::info("slack: event {} already received (retry {} {}), not answered again", event_id,
                 req.get_header_value("X-Slack-Retry-Num"), req.get_header_value("X-Slack-Retry-Reason"));
    return;
  }
  const json& event = body.contains("event") ? body["event"] : json();
  std::string bot_user_id = BotUserId(body);
  std::string reason = IgnoreReason(event, bot_user_id);
  if (!reason.empty()) {
    spdlog::debug("slack: event {} ignored: {}", event_id, reason);
    return;
  }
  if (RateLimited(StringField(body, "team_id"), StringField(event, "user"), res)) {
    spdlog::warn("slack: event {} dropped: its user asks too often", event_id);
    return;
  }
  EventJob job;
  job.team = StringField(body, "team_id");
  job.channel = StringField(event, "channel");
  // In a channel the answer goes in the message's thread (its own ts starts
  // one), and the conversation is that thread. In a direct message the
  // answer goes in the DM itself, and the conversation is the DM, unless
  // the user wrote inside a thread there.
  job.thread_ts = StringField(event, "thread_ts");
  const bool direct = StringField(event, "channel_type") == "im";
  if (job.thread_ts.empty() && !direct) job.thread_ts = StringField(event, "ts");
  job.bot_user_id = bot_user_id;
  // Without our user id, an app_mention loses its first mention; a direct
  // message keeps all of them ("\x01" matches no id).
  std::string strip_id = bot_user_id;
  if (strip_id.empty() && StringField(event, "type") != "app_mention") strip_id = "\x01";
  job.text = StripMention(StringField(event, "text"), strip_id);
  if (!Enqueue([this, job] { AnswerEvent(job); })) {
    spdlog::warn("slack: event {} not answered: the worker is busy or stopping", event_id);
  }
}

void SlackAdapter::AnswerEvent(const EventJob& job) {
  if (config_.bot_token.empty()) {
    spdlog::warn("slack: SLACK_BOT_TOKEN is not set: cannot answer in {}", job.channel);
    return;
  }
  if (api_origin_.empty()) return;  // logged at start-up
  json body;
  if (bot::IsBlank(job.text)) {
    body = PostTextBody(job.channel, job.thread_ts,
                        "Ask me about backend-developer careers, for example: _How much do backend developers "
                        "earn?_ or _Which databases should I learn?_");
  } else {
    bot::Question q;
    q.text = job.text;
    q.channel = "slack";
    q.conversation_id = "slack:" + job.team + ":" + job.channel + (job.thread_ts.empty() ? "" : ":" + job.thread_ts);
    auto answer = service_.Ask(q);
    if (answer.ok()) {
      body = PostMessageBody(job.channel, job.thread_ts, *answer);
    } else {
      spdlog::error("slack: answering in {}: {}", job.channel, answer.status().ToString());
      body = PostTextBody(job.channel, job.thread_ts, "Sorry, I cannot answer right now. Please try again later.");
    }
  }
  PostJson(api_origin_, api_prefix_ + "/chat.postMessage", body, /*with_token=*/true, "chat.postMessage");
}

void SlackAdapter::PostJson(const std::string& origin, const std::string& path, const json& body, bool with_token,
                            const char* what) {
  std::string payload = body.dump(-1, ' ', false, json::error_handler_t::replace);
  httplib::Headers headers;
  if (with_token) headers.emplace("Authorization", "Bearer " + config_.bot_token);
  for (int attempt = 0; attempt < 2; attempt++) {
    httplib::Client client(origin);
    client.set_connection_timeout(5);
    client.set_read_timeout(10);
    client.set_write_timeout(10);
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
    client.enable_server_certificate_verification(true);
#endif
    auto res = client.Post(path, headers, payload, "application/json; charset=utf-8");
    if (!res) {
      spdlog::error("slack: {} to {} failed: {}", what, origin, httplib::to_string(res.error()));
      return;
    }
    if (res->status == 429) {
      int wait = RetryAfterSeconds(res->get_header_value("Retry-After"));
      if (attempt > 0) {
        spdlog::error("slack: {} rate limited again; giving up", what);
        return;
      }
      spdlog::warn("slack: {} rate limited; retrying in {} s", what, wait);
      if (!SleepUnlessStopping(wait)) return;
      continue;
    }
    if (res->status < 200 || res->status >= 300) {
      spdlog::error("slack: {} answered HTTP {}", what, res->status);
      return;
    }
    if (with_token) {  // Web API methods answer HTTP 200 with {"ok": false, "error": ...}
      json reply = json::parse(res->body, nullptr, false);
      if (!BoolField(reply, "ok")) {
        std::string error = StringField(reply, "error");
        spdlog::error("slack: {} failed: {}", what, error.empty() ? "unexpected reply" : error);
      }
    }
    return;
  }
}

void SlackAdapter::HandleCommands(const httplib::Request& req, httplib::Response& res) {
  if (!config_.enabled()) return SendNotConfigured(res, "SLACK_SIGNING_SECRET", "Slack");
  // Slack checks the certificate with unsigned ssl_check=1 posts; they get an empty 200.
  if (IsSslCheck(req.body)) {
    res.status = 200;
    return;
  }
  if (!Verify(req, res)) return;
  auto form = ParseForm(req.body);
  if (RateLimited(FormField(form, "team_id"), FormField(form, "user_id"), res)) return;
  SendJson(res, 200, AnswerSlashCommand(service_, form, "slack", config_.public_keyword, Markup::kSlack));
}

void SlackAdapter::HandleInteractions(const httplib::Request& req, httplib::Response& res) {
  if (!config_.enabled()) return SendNotConfigured(res, "SLACK_SIGNING_SECRET", "Slack");
  if (!Verify(req, res)) return;
  auto form = ParseForm(req.body);
  const std::string payload_text = FormField(form, "payload");
  json payload = JsonNestingWithin(payload_text, kMaxJsonDepth) ? json::parse(payload_text, nullptr, false)
                                                                : json(json::value_t::discarded);
  if (payload.is_discarded() || !payload.is_object()) {
    SendJson(res, 400, ErrorJson("invalid_request", "the body needs a payload= field with a JSON object"));
    return;
  }
  const json& user = payload.contains("user") ? payload["user"] : json();
  const json& team = payload.contains("team") ? payload["team"] : json();
  if (RateLimited(StringField(team, "id"), StringField(user, "id"), res)) return;
  res.status = 200;
  if (StringField(payload, "type") != "block_actions") return;
  auto actions = payload.find("actions");
  if (actions == payload.end() || !actions->is_array()) return;
  for (const auto& action : *actions) {
    ClarifyAction choice;
    if (DecodeClarifyAction(action, &choice)) {
      AnswerClarifyChoice(payload, choice);
      break;  // one click is one action
    }
    std::string id = StringField(action, "action_id");
    if (id != kFeedbackUpAction && id != kFeedbackDownAction) continue;
    bool helpful = id == kFeedbackUpAction;
    std::string answer_id = StringField(action, "value");
    if (answer_id.empty() || answer_id.size() > 128) continue;
    bot::Status s = service_.Feedback(answer_id, helpful, "");
    if (!s.ok()) {
      spdlog::warn("slack: feedback on {}: {}", answer_id, s.ToString());
      continue;
    }
    std::string response_url = StringField(payload, "response_url");
    std::string origin, path, error;
    if (response_url.empty()) continue;
    if (!SplitApiBase(response_url, &origin, &path, &error)) {
      spdlog::warn("slack: not using the interaction's response_url: {}", error);
      continue;
    }
    json update = FeedbackUpdate(payload.contains("message") ? payload["message"] : json(), helpful);
    if (path.empty()) path = "/";
    Enqueue([this, origin, path, update] { PostJson(origin, path, update, false, "response_url"); });
  }
}

void SlackAdapter::AnswerClarifyChoice(const json& payload, const ClarifyAction& choice) {
  const json& user = payload.contains("user") ? payload["user"] : json();
  const json& team = payload.contains("team") ? payload["team"] : json();
  const json& channel = payload.contains("channel") ? payload["channel"] : json();
  const json& container = payload.contains("container") ? payload["container"] : json();
  const json& message = payload.contains("message") ? payload["message"] : json();
  std::string team_id = StringField(team, "id");
  if (team_id.empty()) team_id = StringField(user, "team_id");
  std::string channel_id = StringField(channel, "id");
  if (channel_id.empty()) channel_id = StringField(container, "channel_id");
  const std::string user_id = StringField(user, "id");
  // The thread the clarification was posted in (none in a DM's main view).
  std::string thread_ts = StringField(container, "thread_ts");
  if (thread_ts.empty()) thread_ts = StringField(message, "thread_ts");
  const bool ephemeral = BoolField(container, "is_ephemeral");

  ClarifyJob job;
  job.choice = choice;
  job.channel = channel_id;
  job.thread_ts = thread_ts;
  job.in_channel = !ephemeral;
  job.message = message;
  // The same conversation as the question that got the clarification: a
  // /ask response's is the command's channel and user; an event's is the
  // thread, or the DM channel itself.
  job.conversation_id = choice.from_command
                            ? "slack:" + team_id + ":" + channel_id + ":" + user_id
                            : "slack:" + team_id + ":" + channel_id + (thread_ts.empty() ? "" : ":" + thread_ts);
  std::string response_url = StringField(payload, "response_url");
  if (!response_url.empty()) {
    std::string error;
    if (!SplitApiBase(response_url, &job.hook_origin, &job.hook_path, &error)) {
      spdlog::warn("slack: not using the interaction's response_url: {}", error);
      job.hook_origin.clear();
    } else if (job.hook_path.empty()) {
      job.hook_path = "/";
    }
  }
  if (channel_id.empty() || (choice.from_command && user_id.empty())) {
    spdlog::warn("slack: a clarification choice without its channel or user; not answered");
    return;
  }
  if (!Enqueue([this, job] { AnswerClarifyJob(job); })) {
    spdlog::warn("slack: a clarification choice not answered: the worker is busy or stopping");
  }
}

void SlackAdapter::AnswerClarifyJob(const ClarifyJob& job) {
  const bool have_hook = !job.hook_origin.empty();
  bot::Question q;
  // The option's question (its button's text); the answering core asks the
  // entry in the knowledge's own words when the conversation offered it.
  q.text = bot::IsBlank(job.choice.question) ? job.choice.entry_id : job.choice.question;
  q.entry_id = job.choice.entry_id;
  q.channel = "slack";
  q.conversation_id = job.conversation_id;
  auto answer = service_.Ask(q);
  if (!answer.ok()) {
    spdlog::warn("slack: clarification choice {}: {}", job.choice.entry_id, answer.status().ToString());
    if (have_hook) {
      json sorry = {{"replace_original", false},
                    {"response_type", "ephemeral"},
                    {"text", answer.status().code() == bot::Status::Code::kNotFound
                                 ? "Sorry, that option is no longer available. Please ask your question again."
                                 : "Sorry, I cannot answer right now. Please try again later."}};
      PostJson(job.hook_origin, job.hook_path, sorry, false, "response_url");
    }
    return;
  }
  if (job.choice.from_command) {
    // A /ask response (often ephemeral, which chat.postMessage cannot
    // reach): the clarification is replaced by the answer.
    if (!have_hook) {
      spdlog::warn("slack: a /ask clarification choice without a usable response_url; not answered");
      return;
    }
    json body = CommandResponse(*answer, job.in_channel);
    body["replace_original"] = true;
    PostJson(job.hook_origin, job.hook_path, body, false, "response_url");
    return;
  }
  // In a thread or a DM: the answer is a new message there, as any answer,
  // and the clarification keeps its line with the choice instead of buttons.
  if (config_.bot_token.empty() || api_origin_.empty()) {
    spdlog::warn("slack: SLACK_BOT_TOKEN is not set: cannot answer in {}", job.channel);
  } else {
    PostJson(api_origin_, api_prefix_ + "/chat.postMessage", PostMessageBody(job.channel, job.thread_ts, *answer),
             /*with_token=*/true, "chat.postMessage");
  }
  if (have_hook) {
    json update = ClarifyChosenUpdate(job.message, job.choice.question);
    if (!update.is_null()) PostJson(job.hook_origin, job.hook_path, update, false, "response_url");
  }
}

// ---- MattermostAdapter ----

void MattermostAdapter::RegisterRoutes(http::Router& server) {
  server.Post("/mattermost/commands",
              [this](const httplib::Request& req, httplib::Response& res) { HandleCommands(req, res); });
}

void MattermostAdapter::HandleCommands(const httplib::Request& req, httplib::Response& res) {
  if (!config_.enabled()) return SendNotConfigured(res, "MATTERMOST_TOKEN", "Mattermost");
  auto form = ParseForm(req.body);  // no signature: the token is in the body or a header
  std::string token;
  std::string auth = req.get_header_value("Authorization");
  if (auth.compare(0, 6, "Token ") == 0) {
    token = std::string(bot::Trim(auth.substr(6)));
  } else {
    token = FormField(form, "token");
  }
  if (token.empty() || !ConstantTimeEquals(token, config_.token)) {
    spdlog::warn("mattermost: refused {} {} from {}: wrong or missing token", req.method, req.path, req.remote_addr);
    SendJson(res, 401, ErrorJson("unauthorized", "invalid token"));
    return;
  }
  if (TakeOrRefuse(limiter_.get(), "mattermost:" + FormField(form, "team_id") + ":" + FormField(form, "user_id"),
                   res)) {
    return;
  }
  SendJson(res, 200, AnswerSlashCommand(service_, form, "mattermost", config_.public_keyword, Markup::kMattermost));
}

}  // namespace adapters::slack
