#include "adapters/chat/slack/slack.h"

#include <cstdlib>
#include <map>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "adapters/chat/pipeline.h"
#include "adapters/chat/common.h"
#include "app/json_codec.h"
#include "adapters/redis/shared_state.h"
#include "adapters/chat/slack/format.h"
#include "adapters/chat/slack/verify.h"
#include "bot/text.h"

namespace adapters::slack {

using nlohmann::json;

namespace {

// JSON bodies from the platforms nest a few levels; deeper is not theirs.
constexpr size_t kMaxJsonDepth = 64;

using chat::BoolField;
using chat::FormField;
using chat::StringField;

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


// ---- SlackPlatform ----

namespace {

constexpr char kEventsPath[] = "/slack/events";
constexpr char kCommandsPath[] = "/slack/commands";

constexpr char kEventHelp[] =
    "Ask me about backend-developer careers, for example: _How much do backend developers "
    "earn?_ or _Which databases should I learn?_";
constexpr char kSorryLater[] = "Sorry, I cannot answer right now. Please try again later.";

// The JSON object `text` is, or a discarded value (too deep, not JSON, not an object).
json ParseObject(const std::string& text) {
  json body = JsonNestingWithin(text, kMaxJsonDepth) ? json::parse(text, nullptr, /*allow_exceptions=*/false)
                                                     : json(json::value_t::discarded);
  return body.is_object() ? body : json(json::value_t::discarded);
}

const json& Member(const json& object, const char* name) {
  static const json kNull;
  auto it = object.find(name);
  return it == object.end() ? kNull : *it;
}

}  // namespace

const chat::PlatformSpec& SlackPlatform::Spec() {
  static const chat::PlatformSpec spec = {
      "slack", "Slack", "SLACK_SIGNING_SECRET", "invalid request signature",
      {{"POST", kEventsPath, chat::kDefaultWebhookBodyBytes, "Slack Events API: url_verification, app_mention, message.im (answered by a worker through "
       "chat.postMessage)"},
       {"POST", kCommandsPath, chat::kDefaultWebhookBodyBytes, "Slack slash command /ask"},
       {"POST", "/slack/interactions", chat::kDefaultWebhookBodyBytes, "Slack button clicks (feedback)"}},
      {{"SLACK_SIGNING_SECRET", "verifies /slack/* requests (default: unset, Slack off: 503)", true},
       {"SLACK_BOT_TOKEN", "answers mentions and DMs via chat.postMessage (default: unset)", true},
       {"SLACK_API_BASE", "(default https://slack.com/api)", false},
       {"SLACK_PUBLIC_KEYWORD", "`/ask public ...` answers in the channel (default public)", false}},
  };
  return spec;
}

SlackPlatform::SlackPlatform(Service& service, SlackConfig config, bot::Clock* clock)
    : ConfiguredPlatform(service, std::move(config)), clock_(clock ? clock : &service.clock()) {
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

SlackPlatform::~SlackPlatform() { Shutdown(); }

void SlackPlatform::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

bool SlackPlatform::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return queue_.empty() && !busy_; });
}

bool SlackPlatform::Enqueue(std::function<void()> job) {
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

void SlackPlatform::WorkerLoop() {
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

bool SlackPlatform::SleepUnlessStopping(int seconds) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, std::chrono::seconds(seconds), [this] { return stopping_; });
}


void SlackPlatform::HandleEvents(const httplib::Request& req, httplib::Response& res) {
  chat::Serve(*this, Spec().routes[0], req, res);
}

void SlackPlatform::HandleCommands(const httplib::Request& req, httplib::Response& res) {
  chat::Serve(*this, Spec().routes[1], req, res);
}

void SlackPlatform::HandleInteractions(const httplib::Request& req, httplib::Response& res) {
  chat::Serve(*this, Spec().routes[2], req, res);
}

bool SlackPlatform::AnswerUnverified(const chat::Route& route, const httplib::Request& req, chat::Reply* reply) {
  if (std::string(route.path) != kCommandsPath || !IsSslCheck(req.body)) return false;
  *reply = chat::Reply{200, nullptr};
  return true;
}

bot::Status SlackPlatform::Verify(const httplib::Request& req) {
  return VerifySignature(config_.signing_secret, req.get_header_value("X-Slack-Request-Timestamp"), req.body,
                         req.get_header_value("X-Slack-Signature"), clock_->NowSeconds());
}

void SlackPlatform::OnRateLimited(httplib::Response& res) {
  // Slack retries an event that did not get a 2xx; this one is dropped.
  res.set_header("X-Slack-No-Retry", "1");
}

void SlackPlatform::UseSharedState(redis::SharedState* shared) { set_shared_dedupe(shared); }

std::vector<std::pair<std::string, uint64_t>> SlackPlatform::SharedFallbacks() const {
  return {{"slack_event", deduper_.fallbacks()}};
}

chat::Turn SlackPlatform::Decode(const chat::Route& route, const httplib::Request& req) {
  const std::string path = route.path;
  if (path == kEventsPath) return DecodeEvent(req);
  if (path == kCommandsPath) return chat::DecodeSlashCommand(ParseForm(req.body), config_.public_keyword);
  return DecodeInteraction(req);
}

chat::Reply SlackPlatform::Render(const chat::Turn& turn, const bot::Result<bot::Answer>& answer) {
  // Answered now: only the slash command (events and clicks are deferred).
  if (!answer.ok()) return chat::SlashCommandFailure();
  return chat::Reply{200, CommandResponse(*answer, turn.context.value("in_channel", false))};
}

chat::Turn SlackPlatform::DecodeEvent(const httplib::Request& req) {
  json body = ParseObject(req.body);
  if (body.is_discarded()) return chat::Turn::Send(400, ErrorJson("invalid_json", "the body is not a JSON object"));
  std::string type = StringField(body, "type");
  if (type == "url_verification") return chat::Turn::Send(200, {{"challenge", StringField(body, "challenge")}});
  // Everything else is acknowledged at once with an empty body.
  const chat::Turn acknowledged = chat::Turn::Send(200);
  if (type != "event_callback") {
    spdlog::info("slack: {} received", type.empty() ? "untyped request" : type);
    return acknowledged;
  }
  std::string event_id = StringField(body, "event_id");
  if (!event_id.empty() && !deduper_.FirstSeen(event_id, clock_->NowSeconds())) {
    spdlog::info("slack: event {} already received (retry {} {}), not answered again", event_id,
                 req.get_header_value("X-Slack-Retry-Num"), req.get_header_value("X-Slack-Retry-Reason"));
    return acknowledged;
  }
  const json& event = Member(body, "event");
  std::string bot_user_id = BotUserId(body);
  std::string reason = IgnoreReason(event, bot_user_id);
  if (!reason.empty()) {
    spdlog::debug("slack: event {} ignored: {}", event_id, reason);
    return acknowledged;
  }
  const std::string team = StringField(body, "team_id");
  const std::string channel = StringField(event, "channel");
  chat::Turn turn;
  turn.Limit(team + ":" + StringField(event, "user"));
  turn.what = "event " + event_id;
  turn.act = chat::Turn::Act::kAsk;
  turn.later = true;
  // In a channel the answer goes in the message's thread (its own ts starts
  // one), and the conversation is that thread. In a direct message the
  // answer goes in the DM itself, and the conversation is the DM, unless
  // the user wrote inside a thread there.
  std::string thread_ts = StringField(event, "thread_ts");
  const bool direct = StringField(event, "channel_type") == "im";
  if (thread_ts.empty() && !direct) thread_ts = StringField(event, "ts");
  // Without our user id, an app_mention loses its first mention; a direct
  // message keeps all of them ("\x01" matches no id).
  std::string strip_id = bot_user_id;
  if (strip_id.empty() && StringField(event, "type") != "app_mention") strip_id = "\x01";
  turn.question.text = StripMention(StringField(event, "text"), strip_id);
  turn.conversation = team + ":" + channel + (thread_ts.empty() ? "" : ":" + thread_ts);
  turn.context = {{"kind", "event"}, {"channel", channel}, {"thread_ts", thread_ts}};
  return turn;
}

chat::Turn SlackPlatform::DecodeInteraction(const httplib::Request& req) {
  auto form = ParseForm(req.body);
  json payload = ParseObject(FormField(form, "payload"));
  if (payload.is_discarded()) {
    return chat::Turn::Send(400, ErrorJson("invalid_request", "the body needs a payload= field with a JSON object"));
  }
  chat::Turn turn = chat::Turn::Send(200);
  turn.Limit(StringField(Member(payload, "team"), "id") + ":" + StringField(Member(payload, "user"), "id"));
  if (StringField(payload, "type") != "block_actions") return turn;
  const json& actions = Member(payload, "actions");
  if (!actions.is_array()) return turn;
  for (const auto& action : actions) {
    ClarifyAction choice;
    if (DecodeClarifyAction(action, &choice)) {
      chat::Turn ask = DecodeClarifyChoice(payload, choice);
      ask.Limit(turn.user);
      return ask;
    }
    std::string id = StringField(action, "action_id");
    if (id != kFeedbackUpAction && id != kFeedbackDownAction) continue;
    std::string answer_id = StringField(action, "value");
    if (answer_id.empty() || answer_id.size() > 128) continue;
    turn.act = chat::Turn::Act::kFeedback;
    turn.answer_id = answer_id;
    turn.helpful = id == kFeedbackUpAction;
    turn.context = {{"response_url", StringField(payload, "response_url")}, {"message", Member(payload, "message")}};
    return turn;  // one click is one action
  }
  return turn;
}

chat::Reply SlackPlatform::Acknowledge(const chat::Turn& turn, const bot::Status& recorded) {
  const chat::Reply ok{200, nullptr};
  std::string response_url = turn.context.value("response_url", std::string());
  if (!recorded.ok() || response_url.empty()) return ok;
  std::string origin, path, error;
  if (!SplitApiBase(response_url, &origin, &path, &error)) {
    spdlog::warn("slack: not using the interaction's response_url: {}", error);
    return ok;
  }
  json update = FeedbackUpdate(Member(turn.context, "message"), turn.helpful);
  if (path.empty()) path = "/";
  Enqueue([this, origin, path, update] { PostJson(origin, path, update, false, "response_url"); });
  return ok;
}

chat::Turn SlackPlatform::DecodeClarifyChoice(const json& payload, const ClarifyAction& choice) {
  const json& user = Member(payload, "user");
  const json& container = Member(payload, "container");
  const json& message = Member(payload, "message");
  std::string team_id = StringField(Member(payload, "team"), "id");
  if (team_id.empty()) team_id = StringField(user, "team_id");
  std::string channel_id = StringField(Member(payload, "channel"), "id");
  if (channel_id.empty()) channel_id = StringField(container, "channel_id");
  const std::string user_id = StringField(user, "id");
  // The thread the clarification was posted in (none in a DM's main view).
  std::string thread_ts = StringField(container, "thread_ts");
  if (thread_ts.empty()) thread_ts = StringField(message, "thread_ts");
  if (channel_id.empty() || (choice.from_command && user_id.empty())) {
    spdlog::warn("slack: a clarification choice without its channel or user; not answered");
    return chat::Turn::Send(200);
  }
  chat::Turn turn;
  turn.act = chat::Turn::Act::kAsk;
  turn.later = true;
  turn.what = "clarification choice " + choice.entry_id;
  // The option's question (its button's text); the answering core asks the
  // entry in the knowledge's own words when the conversation offered it.
  turn.question.text = bot::IsBlank(choice.question) ? choice.entry_id : choice.question;
  turn.question.entry_id = choice.entry_id;
  turn.question.clarification_id = choice.clarification_id;
  // The same conversation as the question that got the clarification: a
  // /ask response's is the command's channel and user; an event's is the
  // thread, or the DM channel itself.
  turn.conversation = choice.from_command ? team_id + ":" + channel_id + ":" + user_id
                                          : team_id + ":" + channel_id + (thread_ts.empty() ? "" : ":" + thread_ts);
  std::string hook_origin, hook_path;
  std::string response_url = StringField(payload, "response_url");
  if (!response_url.empty()) {
    std::string error;
    if (!SplitApiBase(response_url, &hook_origin, &hook_path, &error)) {
      spdlog::warn("slack: not using the interaction's response_url: {}", error);
      hook_origin.clear();
    } else if (hook_path.empty()) {
      hook_path = "/";
    }
  }
  turn.context = {{"kind", "clarify"},
                  {"channel", channel_id},
                  {"thread_ts", thread_ts},
                  {"from_command", choice.from_command},
                  {"chosen", choice.question},
                  {"in_channel", !BoolField(container, "is_ephemeral")},
                  {"message", message},
                  {"hook_origin", hook_origin},
                  {"hook_path", hook_path}};
  return turn;
}

bool SlackPlatform::Defer(chat::Turn turn) {
  if (turn.context.value("kind", std::string()) == "clarify") {
    return Enqueue([this, turn] { AnswerClarifyChoice(turn); });
  }
  return Enqueue([this, turn] { AnswerEvent(turn); });
}

void SlackPlatform::AnswerEvent(const chat::Turn& turn) {
  const std::string channel = turn.context.value("channel", std::string());
  const std::string thread_ts = turn.context.value("thread_ts", std::string());
  if (config_.bot_token.empty()) {
    spdlog::warn("slack: SLACK_BOT_TOKEN is not set: cannot answer in {}", channel);
    return;
  }
  if (api_origin_.empty()) return;  // logged at start-up
  json body;
  if (bot::IsBlank(turn.question.text)) {
    body = PostTextBody(channel, thread_ts, kEventHelp);
  } else {
    auto answer = Ask(turn);
    body = answer.ok() ? PostMessageBody(channel, thread_ts, *answer) : PostTextBody(channel, thread_ts, kSorryLater);
  }
  PostJson(api_origin_, api_prefix_ + "/chat.postMessage", body, /*with_token=*/true, "chat.postMessage");
}

void SlackPlatform::PostJson(const std::string& origin, const std::string& path, const json& body, bool with_token,
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


void SlackPlatform::AnswerClarifyChoice(const chat::Turn& turn) {
  const json& c = turn.context;
  const std::string channel = c.value("channel", std::string());
  const std::string thread_ts = c.value("thread_ts", std::string());
  const std::string hook_origin = c.value("hook_origin", std::string());
  const std::string hook_path = c.value("hook_path", std::string());
  const bool have_hook = !hook_origin.empty();
  auto answer = Ask(turn);
  if (!answer.ok()) {
    if (have_hook) {
      json sorry = {{"replace_original", false},
                    {"response_type", "ephemeral"},
                    {"text", answer.status().code() == bot::Status::Code::kNotFound
                                 ? chat::kOptionGone
                                 : kSorryLater}};
      PostJson(hook_origin, hook_path, sorry, false, "response_url");
    }
    return;
  }
  if (c.value("from_command", false)) {
    // A /ask response (often ephemeral, which chat.postMessage cannot
    // reach): the clarification is replaced by the answer.
    if (!have_hook) {
      spdlog::warn("slack: a /ask clarification choice without a usable response_url; not answered");
      return;
    }
    json body = CommandResponse(*answer, c.value("in_channel", true));
    body["replace_original"] = true;
    PostJson(hook_origin, hook_path, body, false, "response_url");
    return;
  }
  // In a thread or a DM: the answer is a new message there, as any answer,
  // and the clarification keeps its line with the choice instead of buttons.
  if (config_.bot_token.empty() || api_origin_.empty()) {
    spdlog::warn("slack: SLACK_BOT_TOKEN is not set: cannot answer in {}", channel);
  } else {
    PostJson(api_origin_, api_prefix_ + "/chat.postMessage", PostMessageBody(channel, thread_ts, *answer),
             /*with_token=*/true, "chat.postMessage");
  }
  if (have_hook) {
    json update = ClarifyChosenUpdate(Member(c, "message"), c.value("chosen", std::string()));
    if (!update.is_null()) PostJson(hook_origin, hook_path, update, false, "response_url");
  }
}

}  // namespace adapters::slack
