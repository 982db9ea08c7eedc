#include "app/config.h"

#include <cctype>
#include <cstdlib>
#include <sstream>

#include <spdlog/spdlog.h>

#include "app/logging.h"
#include "app/rate_limit.h"
#include "app/secrets.h"
#include "bot/text.h"

extern char** environ;

namespace adapters {

Environment Environment::FromProcess() {
  std::map<std::string, std::string> vars;
  for (char** e = environ; e && *e; e++) {
    std::string kv = *e;
    size_t eq = kv.find('=');
    if (eq != std::string::npos) vars.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return Environment(std::move(vars));
}

std::string Environment::Get(const std::string& name, const std::string& def) const {
  auto it = vars_.find(name);
  return it == vars_.end() || it->second.empty() ? def : it->second;
}

const std::vector<Setting>& ServeSettings() {
  using S = Setting::Section;
  static const std::vector<Setting> kSettings = {
      {"host", "CAREERBOT_HOST", true, "127.0.0.1", "address to listen on", S::kServer},
      {"port", "CAREERBOT_PORT", true, "8080", "port to listen on, 0 for any free one", S::kServer},
      {"db", "CAREERBOT_DB", true, "$XDG_DATA_HOME/careerbot/careerbot.db, XDG_DATA_HOME defaulting to ~/.local/share",
       "knowledge base file", S::kServer},
      {"log-db", "CAREERBOT_LOG_DB", true, "none, the question log goes into --db",
       "keep the question log and feedback in this file", S::kServer},
      {"threads", "CAREERBOT_THREADS", true, "twice the cores, 4 to 16",
       "worker threads serving requests; idle connections hold none", S::kServer},
      {"max-connections", "CAREERBOT_MAX_CONNECTIONS", true, "4096",
       "connections open at once, idle ones included; past it 503", S::kServer},
      {"threshold", "CAREERBOT_THRESHOLD", true, "0.54, or the learned ranker's", "decline below this confidence",
       S::kServer},
      {"clarify-floor", "CAREERBOT_CLARIFY_FLOOR", true, "0.33",
       "ask back (kind clarify) from this confidence up to the threshold; 1 for never", S::kServer},
      {"ranker", "CAREERBOT_RANKER", true, "builtin",
       "learned ranker: 'builtin' (knowledge/ranker.model), a model file, or 'none' for the hand-set ranking",
       S::kServer},
      {"log-level", "CAREERBOT_LOG_LEVEL", true, "info", "trace, debug, info, warn, error, off", S::kServer},
      {"log-format", "CAREERBOT_LOG_FORMAT", true, "text", "text or json, one line per event", S::kServer},
      {"reload-interval", "CAREERBOT_RELOAD_INTERVAL", true, "1",
       "seconds between checks that --db was replaced, 0 for none", S::kServer},
      {"drain-timeout", "CAREERBOT_DRAIN_TIMEOUT", true, "10", "seconds to finish requests in flight on SIGTERM",
       S::kServer},
      {nullptr, "CAREERBOT_LOG_RETENTION_DAYS", true, "90", "days the question log keeps a line, 0 forever",
       S::kServer},
      {"redis", "CAREERBOT_REDIS_URL", true, "none, this process's own",
       "share rate limits, Slack event ids, conversations and the question log with other replicas through this "
       "Redis, redis://[:password@]host[:port][/db]",
       S::kServer, /*secret=*/true},
      {"redis-consumer", "CAREERBOT_REDIS_CONSUMER", false, "off; the variable: 1",
       "with --redis: be the writer, reading every replica's question log and feedback into this process's log "
       "(one per Redis)",
       S::kServer},
      {nullptr, "CAREERBOT_RATE_LIMIT", true, "60",
       "requests a minute per client on /v1/ask, /v1/feedback (by IP) and the chat webhooks (by platform user); "
       "past it 429; 0 off",
       S::kLimits},
      {nullptr, "CAREERBOT_TRUST_PROXY", true, "off",
       "1: behind a local reverse proxy, count X-Forwarded-For's client", S::kLimits},
      {nullptr, "CAREERBOT_CORS_ORIGINS", true, "none, CORS closed",
       "origins whose pages may call the JSON API, comma-separated", S::kLimits},
      {nullptr, "CAREERBOT_ADMIN_TOKEN", true, "unset, admin off", "the bearer token", S::kAdmin, /*secret=*/true},
      {nullptr, "CAREERBOT_ADMIN_TOKEN_LABEL", true, "admin", "who the history records for its changes", S::kAdmin},
  };
  return kSettings;
}

std::string DefaultDbPath(const Environment& env) {
  std::string db = env.Get("CAREERBOT_DB");
  if (!db.empty()) return db;
  std::string xdg = env.Get("XDG_DATA_HOME");
  if (!xdg.empty()) return xdg + "/careerbot/careerbot.db";
  std::string home = env.Get("HOME");
  if (!home.empty()) return home + "/.local/share/careerbot/careerbot.db";
  return "careerbot.db";
}

std::string CommandUser(const Environment& env) { return env.Get("USER", env.Get("LOGNAME", "cli")); }
std::string EditorCommand(const Environment& env) { return env.Get("VISUAL", env.Get("EDITOR", "vi")); }
std::string TempDirectory(const Environment& env) { return env.Get("TMPDIR", "/tmp"); }

bot::Status ParseCorsOrigins(const std::string& text, std::vector<std::string>* out) {
  out->clear();
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string origin(bot::Trim(text.substr(start, comma - start)));
    start = comma + 1;
    if (origin.empty()) continue;
    while (!origin.empty() && origin.back() == '/') origin.pop_back();
    size_t scheme = origin.find("://");
    bool ok = (origin.rfind("https://", 0) == 0 || origin.rfind("http://", 0) == 0) && scheme != std::string::npos &&
              origin.size() > scheme + 3 && origin.find_first_of("/?#@* \t", scheme + 3) == std::string::npos;
    if (!ok) {
      return bot::Status::InvalidArgument("CAREERBOT_CORS_ORIGINS: '" + origin +
                                          "' is not an origin like https://example.com (name each one; * is not "
                                          "accepted)");
    }
    out->push_back(origin);
  }
  return bot::Status::Ok();
}

namespace {

// Looks values up by flag, then variable, then default, and says which
// for error messages.
class Source {
 public:
  Source(const Flags& flags, const Environment& env) : flags_(flags), env_(env) {}

  // The value of `flag` (may be null), else of `var`, else `def`; *from_ is
  // set to "--flag", "$VAR" or "default".
  std::string Get(const char* flag, const char* var, const std::string& def) {
    if (flag) {
      auto it = flags_.find(flag);
      if (it != flags_.end()) {
        from_ = std::string("--") + flag;
        return it->second;
      }
    }
    std::string v = env_.Get(var);
    if (!v.empty()) {
      from_ = std::string("$") + var;
      return v;
    }
    from_ = "default";
    return def;
  }

  bot::Status Bad(const std::string& what, const std::string& value, const std::string& expected) const {
    return bot::Status::InvalidArgument("invalid " + what + " '" + value + "' from " + from_ + " (" + expected + ")");
  }

  // A whole number in [lo, hi] into *out.
  bot::Status Int(const char* flag, const char* var, long def, long lo, long hi, const std::string& what,
                  const std::string& expected, long* out) {
    std::string text = Get(flag, var, std::to_string(def));
    char* end = nullptr;
    long v = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || v < lo || v > hi) return Bad(what, text, expected);
    *out = v;
    return bot::Status::Ok();
  }

  // An optional number in [0, 1].
  bot::Status Fraction(const char* flag, const char* var, const std::string& what, std::optional<double>* out) {
    std::string text = Get(flag, var, "");
    if (text.empty()) return bot::Status::Ok();
    char* end = nullptr;
    double v = std::strtod(text.c_str(), &end);
    if (*end != '\0' || !(v >= 0 && v <= 1)) return Bad(what, text, "a number in [0, 1]");
    *out = v;
    return bot::Status::Ok();
  }

  const Environment& env() const { return env_; }

 private:
  const Flags& flags_;
  const Environment& env_;
  std::string from_;
};

#define CONFIG_RETURN_IF_ERROR(expr)  \
  do {                                \
    bot::Status _s = (expr);          \
    if (!_s.ok()) return _s;          \
  } while (0)

std::string Lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

bool Truthy(const std::string& v) { return v == "1" || v == "true" || v == "yes"; }

bot::Status Switch(const std::string& value, const std::string& name, bool* out) {
  std::string v = Lower(value);
  if (v.empty() || v == "0" || v == "false" || v == "no") {
    *out = false;
  } else if (Truthy(v)) {
    *out = true;
  } else {
    return bot::Status::InvalidArgument("invalid " + name + " '" + value + "' (1 or 0)");
  }
  return bot::Status::Ok();
}

}  // namespace

bot::Status BuildChatConfig(const Environment& env, ChatConfig* c) {
  // Secrets: $NAME, or the owner-only file $NAME_FILE (app/secrets.h).
  CONFIG_RETURN_IF_ERROR(ReadSecret(env, "SLACK_SIGNING_SECRET", &c->slack.signing_secret));
  CONFIG_RETURN_IF_ERROR(ReadSecret(env, "SLACK_BOT_TOKEN", &c->slack.bot_token));
  c->slack.api_base = env.Get("SLACK_API_BASE", c->slack.api_base);
  CONFIG_RETURN_IF_ERROR(ReadSecret(env, "DISCORD_PUBLIC_KEY", &c->discord.public_key));
  c->discord.application_id = env.Get("DISCORD_APPLICATION_ID", c->discord.application_id);
  CONFIG_RETURN_IF_ERROR(ReadSecret(env, "DISCORD_BOT_TOKEN", &c->discord.bot_token));
  c->discord.api_base = env.Get("DISCORD_API_BASE", c->discord.api_base);
  CONFIG_RETURN_IF_ERROR(ReadSecret(env, "MATTERMOST_TOKEN", &c->mattermost.token));
  // The word that makes `/ask WORD question` answer in the channel for all to see.
  c->slack.public_keyword = env.Get("SLACK_PUBLIC_KEYWORD", c->slack.public_keyword);
  c->mattermost.public_keyword = env.Get("MATTERMOST_PUBLIC_KEYWORD", c->mattermost.public_keyword);
  return bot::Status::Ok();
}

namespace {

bot::Status BuildServe(Source& src, const Flags& flags, const Environment& env, Config* c) {
  std::string level = src.Get("log-level", "CAREERBOT_LOG_LEVEL", "info");
  if (spdlog::level::from_str(level) == spdlog::level::off && level != "off") {
    return src.Bad("log level", level, "trace, debug, info, warn, error, off");
  }
  c->log.level = level;
  std::string format = src.Get("log-format", "CAREERBOT_LOG_FORMAT", "text");
  LogFormat parsed_format;
  if (!ParseLogFormat(format, &parsed_format)) return src.Bad("log format", format, "text or json");
  c->log.format = format;
  c->server.host = src.Get("host", "CAREERBOT_HOST", "127.0.0.1");
  if (c->server.host.empty()) return src.Bad("host", "", "an address such as 127.0.0.1");
  long n = 0;
  CONFIG_RETURN_IF_ERROR(src.Int("port", "CAREERBOT_PORT", 8080, 0, 65535, "port", "0-65535", &n));
  c->server.port = static_cast<int>(n);
  if (flags.count("threads") || env.Has("CAREERBOT_THREADS")) {
    CONFIG_RETURN_IF_ERROR(src.Int("threads", "CAREERBOT_THREADS", 0, 1, 1024, "thread count", "1-1024", &n));
    c->server.threads = static_cast<size_t>(n);
  }
  CONFIG_RETURN_IF_ERROR(src.Int("max-connections", "CAREERBOT_MAX_CONNECTIONS", 4096, 1, 1000000,
                                 "connection limit", "1-1000000", &n));
  c->server.max_connections = static_cast<size_t>(n);
  CONFIG_RETURN_IF_ERROR(src.Int("reload-interval", "CAREERBOT_RELOAD_INTERVAL", 1, 0, 86400, "reload interval",
                                 "seconds, 0-86400", &n));
  c->server.reload_interval_s = static_cast<int>(n);
  CONFIG_RETURN_IF_ERROR(src.Int("drain-timeout", "CAREERBOT_DRAIN_TIMEOUT", 10, 1, 3600, "drain timeout",
                                 "seconds, 1-3600", &n));
  c->server.drain_timeout_s = static_cast<int>(n);
  CONFIG_RETURN_IF_ERROR(src.Int(nullptr, "CAREERBOT_LOG_RETENTION_DAYS", 90, 0, 100000, "log retention",
                                 "a number of days, 0 for forever", &n));
  c->log.retention_days = static_cast<int>(n);
  c->knowledge.log_db = src.Get("log-db", "CAREERBOT_LOG_DB", "");

  // Limits.
  CONFIG_RETURN_IF_ERROR(src.Int(nullptr, "CAREERBOT_RATE_LIMIT", kDefaultRateLimitPerMinute, 0, 1000000,
                                 "rate limit", "requests per minute per client, 0 turns limiting off", &n));
  c->limits.rate_limit_per_minute = static_cast<int>(n);
  c->limits.trust_proxy = Truthy(Lower(env.Get("CAREERBOT_TRUST_PROXY")));
  CONFIG_RETURN_IF_ERROR(ParseCorsOrigins(env.Get("CAREERBOT_CORS_ORIGINS"), &c->limits.cors_origins));

  // Secrets and the platforms.
  CONFIG_RETURN_IF_ERROR(BuildChatConfig(env, &c->chat));
  CONFIG_RETURN_IF_ERROR(ReadSecret(env, "CAREERBOT_ADMIN_TOKEN", &c->admin.token));
  c->admin.label = env.Get("CAREERBOT_ADMIN_TOKEN_LABEL", "admin");

  // Redis: --redis, else CAREERBOT_REDIS_URL or its _FILE (it may hold a password).
  auto redis = flags.find("redis");
  if (redis != flags.end()) {
    c->redis.url = redis->second;
  } else {
    CONFIG_RETURN_IF_ERROR(ReadSecret(env, "CAREERBOT_REDIS_URL", &c->redis.url));
  }
  if (flags.count("redis-consumer")) {
    c->redis.consumer = true;
  } else {
    CONFIG_RETURN_IF_ERROR(Switch(env.Get("CAREERBOT_REDIS_CONSUMER"), "CAREERBOT_REDIS_CONSUMER", &c->redis.consumer));
  }
  if (c->redis.consumer && c->redis.url.empty()) {
    return bot::Status::InvalidArgument(
        "--redis-consumer (CAREERBOT_REDIS_CONSUMER) needs a Redis: --redis or CAREERBOT_REDIS_URL");
  }
  return bot::Status::Ok();
}

}  // namespace

bot::Status BuildConfig(const Flags& flags, const Environment& env, bool serve, Config* out) {
  Config c;
  Source src(flags, env);
  c.knowledge.db = src.Get("db", "CAREERBOT_DB", DefaultDbPath(env));
  c.knowledge.tmpdir = TempDirectory(env);
  c.answer.ranker = src.Get("ranker", "CAREERBOT_RANKER", "builtin");
  CONFIG_RETURN_IF_ERROR(src.Fraction("clarify-floor", "CAREERBOT_CLARIFY_FLOOR", "clarification floor",
                                      &c.answer.clarify_floor));
  CONFIG_RETURN_IF_ERROR(src.Fraction("threshold", "CAREERBOT_THRESHOLD", "threshold", &c.answer.threshold));
  c.user.name = CommandUser(env);
  c.user.editor = EditorCommand(env);
  if (serve) CONFIG_RETURN_IF_ERROR(BuildServe(src, flags, env, &c));
  *out = std::move(c);
  return bot::Status::Ok();
}

std::string Redacted(const Config& c) {
  auto secret = [](const std::string& v) { return v.empty() ? std::string("(unset)") : std::string("(set, hidden)"); };
  std::ostringstream o;
  o << "host = " << c.server.host << "\nport = " << c.server.port << "\nthreads = "
    << (c.server.threads ? std::to_string(c.server.threads) : std::string("default"))
    << "\nmax_connections = " << c.server.max_connections << "\nreload_interval_s = " << c.server.reload_interval_s
    << "\ndrain_timeout_s = " << c.server.drain_timeout_s << "\ndb = " << c.knowledge.db
    << "\nlog_db = " << c.knowledge.log_db << "\nlog_level = " << c.log.level << "\nlog_format = " << c.log.format
    << "\nlog_retention_days = " << c.log.retention_days << "\nrate_limit_per_minute = "
    << c.limits.rate_limit_per_minute << "\ntrust_proxy = " << (c.limits.trust_proxy ? 1 : 0)
    << "\ncors_origins = " << c.limits.cors_origins.size() << "\nadmin_token = " << secret(c.admin.token)
    << "\nadmin_label = " << c.admin.label << "\nredis_url = " << secret(c.redis.url)
    << "\nredis_consumer = " << (c.redis.consumer ? 1 : 0)
    << "\nslack_signing_secret = " << secret(c.chat.slack.signing_secret)
    << "\nslack_bot_token = " << secret(c.chat.slack.bot_token) << "\nslack_api_base = " << c.chat.slack.api_base
    << "\ndiscord_public_key = " << secret(c.chat.discord.public_key)
    << "\ndiscord_application_id = " << c.chat.discord.application_id
    << "\ndiscord_bot_token = " << secret(c.chat.discord.bot_token)
    << "\ndiscord_api_base = " << c.chat.discord.api_base
    << "\nmattermost_token = " << secret(c.chat.mattermost.token) << "\n";
  return o.str();
}

}  // namespace adapters
