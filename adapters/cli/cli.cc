#include "adapters/cli/cli.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "adapters/chat_config.h"
#include "adapters/cli/eval.h"
#include "adapters/cli/kb_commands.h"
#include "adapters/cli/train.h"
#include "adapters/chat/discord/discord.h"
#include "adapters/chat/registry.h"
#include "adapters/http/guard.h"
#include "adapters/http/server.h"
#include "adapters/json_codec.h"
#include "adapters/logging.h"
#include "adapters/redis/redis_client.h"
#include "adapters/secrets.h"
#include "adapters/service.h"
#include "bot/text.h"
#include "knowledge/builtin.h"
#include "knowledge/markdown.h"
#include "knowledge/snapshot.h"
#include "knowledge/store.h"
#include "knowledge/store_handle.h"

namespace adapters::cli {
namespace {

using nlohmann::json;

// ---- argument parsing ----

struct FlagSpec {
  const char* name;  // without "--"
  bool takes_value;
  const char* help;
};

struct Args {
  std::map<std::string, std::string> flags;
  std::vector<std::string> positional;
  bool Has(const std::string& f) const { return flags.count(f) > 0; }
  std::string Get(const std::string& f, const std::string& def = "") const {
    auto it = flags.find(f);
    return it == flags.end() ? def : it->second;
  }
};

// Parses argv[first..]; on error prints a one-line message and returns false.
bool ParseArgs(int argc, char** argv, int first, const std::vector<FlagSpec>& specs, const std::string& command,
               Args* out) {
  for (int i = first; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--") {
      for (i++; i < argc; i++) out->positional.push_back(argv[i]);
      break;
    }
    if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
      std::string name = a.substr(2), value;
      bool has_inline = false;
      size_t eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_inline = true;
      }
      const FlagSpec* spec = nullptr;
      for (const auto& s : specs) {
        if (name == s.name) spec = &s;
      }
      if (!spec) {
        std::fprintf(stderr, "careerbot %s: unknown flag --%s (see careerbot %s --help)\n", command.c_str(),
                     name.c_str(), command.c_str());
        return false;
      }
      if (spec->takes_value && !has_inline) {
        if (i + 1 >= argc) {
          std::fprintf(stderr, "careerbot %s: --%s needs a value\n", command.c_str(), name.c_str());
          return false;
        }
        value = argv[++i];
      }
      out->flags[name] = spec->takes_value ? value : "1";
      continue;
    }
    if (a == "-h") {
      out->flags["help"] = "1";
      continue;
    }
    out->positional.push_back(a);
  }
  return true;
}

std::string Env(const char* name, const std::string& def = "") {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : def;
}

std::string DefaultDbPath() {
  std::string db = Env("CAREERBOT_DB");
  if (!db.empty()) return db;
  std::string xdg = Env("XDG_DATA_HOME");
  if (!xdg.empty()) return xdg + "/careerbot/careerbot.db";
  std::string home = Env("HOME");
  if (!home.empty()) return home + "/.local/share/careerbot/careerbot.db";
  return "careerbot.db";
}

bool ParseDouble(const std::string& s, double* out) {
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return !s.empty() && end && *end == '\0';
}

bool ParseInt(const std::string& s, long* out) {
  char* end = nullptr;
  *out = std::strtol(s.c_str(), &end, 10);
  return !s.empty() && end && *end == '\0';
}

void PrintFlags(const std::vector<FlagSpec>& specs) {
  for (const auto& s : specs) {
    std::string left = std::string("  --") + s.name + (s.takes_value ? " VALUE" : "");
    std::printf("%-28s %s\n", left.c_str(), s.help);
  }
}

const char kMainHelp[] =
    "careerbot: answers questions about backend-developer careers from a curated knowledge base\n"
    "\n"
    "usage: careerbot COMMAND [FLAGS]\n"
    "\n"
    "commands:\n"
    "  serve                 run the HTTP API and the chat page at http://127.0.0.1:8080\n"
    "  ask QUESTION          answer one question on the terminal\n"
    "  eval FILE.jsonl       score the bot on a set of questions with expected answers\n"
    "  kb build              build the knowledge base from the shipped knowledge files\n"
    "  kb import FILE...     add or replace entries (.jsonl, .json, .md) or articles (.md, .txt)\n"
    "  kb export             write every entry as JSONL or Markdown (--format, --out)\n"
    "  kb list | kb show ID  list entries, show one; kb search TEXT finds them\n"
    "  kb add | edit ID | rm ID   curate one entry (recorded; kb history ID, kb revert ID)\n"
    "  kb gaps               what the bot could not answer well, from the question log\n"
    "  kb lint               check the knowledge base (exits 1 on errors)\n"
    "  kb test               run the knowledge base's own test questions\n"
    "  kb publish --out FILE write an immutable snapshot for serving replicas (hot reload)\n"
    "  discord register      register the /ask command with Discord (--guild ID for one server)\n"
    "\n"
    "Every command takes --help. The knowledge base file is --db PATH, or $CAREERBOT_DB, or\n"
    "$XDG_DATA_HOME/careerbot/careerbot.db (default ~/.local/share/careerbot/careerbot.db);\n"
    "serve and ask build it from the shipped knowledge when it does not exist yet.\n";

// Opens the knowledge base for a command, building it when missing.
std::unique_ptr<knowledge::Store> OpenForCommand(const std::string& db, const std::string& command) {
  bool built = false;
  auto store = knowledge::OpenOrBuild(db, &built);
  if (!store.ok()) {
    std::fprintf(stderr, "careerbot %s: %s\n", command.c_str(), store.status().message().c_str());
    return nullptr;
  }
  if (built) spdlog::info("built the knowledge base at {} from the shipped knowledge", db);
  return std::move(*store);
}

bool ReadFile(const std::string& path, std::string* out);

bot::AnswererOptions AnswererOptionsFrom(const Args& args, bool* ok) {
  bot::AnswererOptions options;
  *ok = true;
  // The learned ranker, when asked for: "builtin" (knowledge/ranker.model as
  // compiled in) or a model file. Its threshold replaces the hand-set
  // ranking's default. Not the default yet: on the dev sets it does not yet
  // match the hand-set ranking (docs/answering.md, "Answer quality").
  std::string ranker = args.Get("ranker", Env("CAREERBOT_RANKER"));
  if (ranker == "builtin") {
    options.model = bot::ranking::BuiltinModel();
    if (!options.model) {
      std::fprintf(stderr, "careerbot: this build has no ranker model (knowledge/ranker.model)\n");
      *ok = false;
      return options;
    }
  } else if (!ranker.empty() && ranker != "none") {
    std::string text;
    if (!ReadFile(ranker, &text)) {
      std::fprintf(stderr, "careerbot: cannot read the ranker model '%s'\n", ranker.c_str());
      *ok = false;
      return options;
    }
    auto model = bot::ranking::Model::Parse(text);
    if (!model.ok()) {
      std::fprintf(stderr, "careerbot: %s: %s\n", ranker.c_str(), model.status().message().c_str());
      *ok = false;
      return options;
    }
    options.model = std::make_shared<const bot::ranking::Model>(std::move(*model));
  }
  if (options.model) options.threshold = options.model->threshold;
  std::string floor = args.Get("clarify-floor", Env("CAREERBOT_CLARIFY_FLOOR"));
  if (!floor.empty()) {
    double v;
    if (!ParseDouble(floor, &v) || v < 0 || v > 1) {
      std::fprintf(stderr, "careerbot: the clarification floor must be a number in [0, 1], got '%s'\n", floor.c_str());
      *ok = false;
    } else {
      options.clarify_floor = v;
    }
  }
  std::string t = args.Get("threshold", Env("CAREERBOT_THRESHOLD"));
  if (!t.empty()) {
    double v;
    if (!ParseDouble(t, &v) || v < 0 || v > 1) {
      std::fprintf(stderr, "careerbot: the threshold must be a number in [0, 1], got '%s'\n", t.c_str());
      *ok = false;
    } else {
      options.threshold = v;
    }
  }
  return options;
}

// ---- serve ----

// A value from its flag, else its environment variable, else `def`; *from
// says which, for error messages ("--port" or "$CAREERBOT_PORT").
std::string FlagOrEnv(const Args& args, const char* flag, const char* env, const std::string& def, std::string* from) {
  if (args.Has(flag)) {
    *from = std::string("--") + flag;
    return args.Get(flag);
  }
  std::string v = Env(env);
  if (!v.empty()) {
    *from = std::string("$") + env;
    return v;
  }
  *from = "default";
  return def;
}

// Worker threads (see adapters/http/server.h HttpOptions): connections wait
// in an epoll loop and do not hold a thread, so the workers are sized to the
// cores, not to the clients: adapters::http::DefaultHttpThreads(), twice the
// cores, 4 to 16 (at 64 keep-alive clients on 2 cores, 4 workers answered
// POST /v1/ask at a p99 of ~7.5 ms where 128 threads, one per connection,
// took ~20 ms; docs/operations.md).
constexpr long kDefaultReloadIntervalS = 1;
constexpr long kDefaultDrainTimeoutS = 10;

const char kServeEnvHelp[] =
    "\nEnvironment (a flag wins over its variable):\n"
    "  CAREERBOT_HOST             --host (default 127.0.0.1)\n"
    "  CAREERBOT_PORT             --port (default 8080)\n"
    "  CAREERBOT_DB               --db (default $XDG_DATA_HOME/careerbot/careerbot.db,\n"
    "                             XDG_DATA_HOME defaulting to ~/.local/share)\n"
    "  CAREERBOT_LOG_DB           --log-db (default: none, the question log goes into --db)\n"
    "  CAREERBOT_THREADS          --threads (default twice the cores, 4 to 16)\n"
    "  CAREERBOT_MAX_CONNECTIONS  --max-connections (default 4096)\n"
    "  CAREERBOT_THRESHOLD        --threshold (default 0.54)\n"
    "  CAREERBOT_LOG_LEVEL        --log-level (default info)\n"
    "  CAREERBOT_LOG_FORMAT       --log-format (default text)\n"
    "  CAREERBOT_RELOAD_INTERVAL  --reload-interval (default 1)\n"
    "  CAREERBOT_DRAIN_TIMEOUT    --drain-timeout (default 10)\n"
    "  CAREERBOT_LOG_RETENTION_DAYS  days the question log keeps a line (default 90, 0 forever)\n"
    "  CAREERBOT_REDIS_URL        --redis: state shared by replicas (default: none, this process's own);\n"
    "                             it may hold a password, so it may also come from CAREERBOT_REDIS_URL_FILE\n"
    "  CAREERBOT_REDIS_CONSUMER   1: --redis-consumer, this process is the writer of every replica's question log\n"
    "\nLimits (SECURITY.md):\n"
    "  CAREERBOT_RATE_LIMIT       requests a minute per client on /v1/ask, /v1/feedback (by IP) and the\n"
    "                             chat webhooks (by platform user); past it 429 (default 60, 0 off)\n"
    "  CAREERBOT_TRUST_PROXY      1: behind a local reverse proxy, count X-Forwarded-For's client\n"
    "  CAREERBOT_CORS_ORIGINS     origins whose pages may call the JSON API, comma-separated\n"
    "                             (default: none, CORS closed)\n"
    "\nCurators' admin API and page (/v1/admin/, /admin; off unless the token is set):\n"
    "  CAREERBOT_ADMIN_TOKEN        the bearer token (default: unset, admin off)\n"
    "  CAREERBOT_ADMIN_TOKEN_LABEL  who the history records for its changes (default admin)\n"
    "\nEach secret below (tokens, signing secret, public key) comes from its variable, or from a file\n"
    "only its owner can read (mode 0600 or 0400) named by the variable + _FILE (SECURITY.md).\n"
    "\nChat platforms (docs/platforms.md), each on when its secret is set:\n";

// After the chat platforms' variables (from their registry, adapters/chat/registry.h).
const char kServeSignalsHelp[] =
    "\nSignals: SIGTERM or SIGINT stop accepting, finish the requests in flight (for at\n"
    "most the drain timeout) and exit 0; SIGHUP reloads the knowledge base from --db.\n"
    "Replacing the --db file (by rename, e.g. `careerbot kb publish --out`) reloads it too.\n";

int Serve(int argc, char** argv) {
  const std::vector<FlagSpec> specs = {
      {"host", true, "address to listen on ($CAREERBOT_HOST, default 127.0.0.1)"},
      {"port", true, "port to listen on, 0 for any free one ($CAREERBOT_PORT, default 8080)"},
      {"db", true, "knowledge base file ($CAREERBOT_DB, default ~/.local/share/careerbot/careerbot.db)"},
      {"log-db", true, "keep the question log and feedback in this file ($CAREERBOT_LOG_DB, default: in --db)"},
      {"threads", true,
       "worker threads serving requests; idle connections hold none ($CAREERBOT_THREADS, default twice the cores, "
       "4 to 16)"},
      {"max-connections", true,
       "connections open at once, idle ones included; past it 503 ($CAREERBOT_MAX_CONNECTIONS, default 4096)"},
      {"threshold", true, "decline below this confidence ($CAREERBOT_THRESHOLD, default 0.54, or the learned ranker's)"},
      {"clarify-floor", true, "ask back (kind clarify) from this confidence up to the threshold; 1 for never ($CAREERBOT_CLARIFY_FLOOR, default 0.48)"},
      {"ranker", true, "learned ranker: 'builtin', a model file, or 'none' (default) ($CAREERBOT_RANKER)"},
      {"log-level", true, "trace, debug, info, warn, error, off ($CAREERBOT_LOG_LEVEL, default info)"},
      {"log-format", true, "text or json, one line per event ($CAREERBOT_LOG_FORMAT, default text)"},
      {"reload-interval", true,
       "seconds between checks that --db was replaced, 0 for none ($CAREERBOT_RELOAD_INTERVAL, default 1)"},
      {"drain-timeout", true,
       "seconds to finish requests in flight on SIGTERM ($CAREERBOT_DRAIN_TIMEOUT, default 10)"},
      {"redis", true,
       "share rate limits, Slack event ids, conversations and the question log with other replicas through this "
       "Redis, redis://[:password@]host[:port][/db] ($CAREERBOT_REDIS_URL, default: none)"},
      {"redis-consumer", false,
       "with --redis: be the writer, reading every replica's question log and feedback into this process's log "
       "($CAREERBOT_REDIS_CONSUMER=1; one per Redis)"},
      {"help", false, "show this help"}};
  Args args;
  if (!ParseArgs(argc, argv, 2, specs, "serve", &args)) return 2;
  if (args.Has("help")) {
    std::printf(
        "usage: careerbot serve [FLAGS]\n\nRuns the HTTP API (POST /v1/ask, POST /v1/feedback, GET /healthz, GET "
        "/metrics,\nGET /openapi.json), the web chat page at / and the enabled chat platforms' webhooks.\n\n");
    PrintFlags(specs);
    std::printf("%s", kServeEnvHelp);
    for (const chat::Registration& platform : chat::Registry()) {
      for (const chat::Variable& v : platform.spec().variables) std::printf("  %-27s%s\n", v.name, v.help);
    }
    std::printf("%s", kServeSignalsHelp);
    return 0;
  }
  if (!args.positional.empty()) {
    std::fprintf(stderr, "careerbot serve: unexpected argument '%s'\n", args.positional[0].c_str());
    return 2;
  }
  // Every value is checked before anything starts: a bad one is one line on
  // stderr and exit 2.
  std::string from;
  auto bad = [&](const std::string& what, const std::string& value, const std::string& expected) {
    std::fprintf(stderr, "careerbot serve: invalid %s '%s' from %s (%s)\n", what.c_str(), value.c_str(),
                 from.c_str(), expected.c_str());
    return 2;
  };
  std::string level = FlagOrEnv(args, "log-level", "CAREERBOT_LOG_LEVEL", "info", &from);
  auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off") return bad("log level", level, "trace, debug, info, warn, error, off");
  LogFormat log_format;
  std::string format_text = FlagOrEnv(args, "log-format", "CAREERBOT_LOG_FORMAT", "text", &from);
  if (!ParseLogFormat(format_text, &log_format)) return bad("log format", format_text, "text or json");

  http::HttpOptions options;
  options.host = FlagOrEnv(args, "host", "CAREERBOT_HOST", "127.0.0.1", &from);
  if (options.host.empty()) return bad("host", options.host, "an address such as 127.0.0.1");
  long port = 0, threads = 0, reload_s = 0, drain_s = 0;
  std::string port_text = FlagOrEnv(args, "port", "CAREERBOT_PORT", "8080", &from);
  if (!ParseInt(port_text, &port) || port < 0 || port > 65535) return bad("port", port_text, "0-65535");
  options.port = static_cast<int>(port);
  std::string threads_text = FlagOrEnv(args, "threads", "CAREERBOT_THREADS",
                                       std::to_string(adapters::http::DefaultHttpThreads()), &from);
  if (!ParseInt(threads_text, &threads) || threads < 1 || threads > 1024) {
    return bad("thread count", threads_text, "1-1024");
  }
  options.threads = static_cast<size_t>(threads);
  long max_connections = 0;
  std::string connections_text = FlagOrEnv(args, "max-connections", "CAREERBOT_MAX_CONNECTIONS",
                                           std::to_string(options.max_connections), &from);
  if (!ParseInt(connections_text, &max_connections) || max_connections < 1 || max_connections > 1000000) {
    return bad("connection limit", connections_text, "1-1000000");
  }
  options.max_connections = static_cast<size_t>(max_connections);
  std::string reload_text =
      FlagOrEnv(args, "reload-interval", "CAREERBOT_RELOAD_INTERVAL", std::to_string(kDefaultReloadIntervalS), &from);
  if (!ParseInt(reload_text, &reload_s) || reload_s < 0 || reload_s > 86400) {
    return bad("reload interval", reload_text, "seconds, 0-86400");
  }
  std::string drain_text =
      FlagOrEnv(args, "drain-timeout", "CAREERBOT_DRAIN_TIMEOUT", std::to_string(kDefaultDrainTimeoutS), &from);
  if (!ParseInt(drain_text, &drain_s) || drain_s < 1 || drain_s > 3600) {
    return bad("drain timeout", drain_text, "seconds, 1-3600");
  }
  bool ok;
  bot::AnswererOptions answerer_options = AnswererOptionsFrom(args, &ok);
  if (!ok) return 2;
  // Secrets from the environment or owner-only files (adapters/secrets.h),
  // the rate limit and the CORS origins: a bad one stops the start.
  bot::Status config_status;
  options.chat = ChatConfigFromEnv(&config_status);            // SLACK_*, DISCORD_*, MATTERMOST_*
  options.admin = admin::AdminOptionsFromEnv(&config_status);  // CAREERBOT_ADMIN_TOKEN(_LABEL): /v1/admin/ and /admin
  if (config_status.ok()) config_status = RateLimitFromEnv(&options.rate_limit_per_minute);  // CAREERBOT_RATE_LIMIT
  if (config_status.ok()) config_status = http::CorsOriginsFromEnv(&options.cors_origins);   // CAREERBOT_CORS_ORIGINS
  options.trust_forwarded_for = http::TrustProxyFromEnv();                                    // CAREERBOT_TRUST_PROXY
  // CAREERBOT_REDIS_URL (or its _FILE; it may hold a password), or --redis.
  if (config_status.ok() && args.Has("redis")) {
    options.redis_url = args.Get("redis", "");
  } else if (config_status.ok()) {
    config_status = ReadSecret("CAREERBOT_REDIS_URL", &options.redis_url);
  }
  if (config_status.ok() && !options.redis_url.empty()) {
    redis::RedisOptions parsed;
    config_status = redis::ParseRedisUrl(options.redis_url, &parsed);
  }
  {
    const std::string consumer = FlagOrEnv(args, "redis-consumer", "CAREERBOT_REDIS_CONSUMER", "", &from);
    if (args.Has("redis-consumer") || consumer == "1" || consumer == "true" || consumer == "yes") {
      options.redis_consumer = true;
    } else if (!consumer.empty() && consumer != "0" && consumer != "false" && consumer != "no") {
      return bad("CAREERBOT_REDIS_CONSUMER", consumer, "1 or 0");
    }
  }
  if (config_status.ok() && options.redis_consumer && options.redis_url.empty()) {
    config_status = bot::Status::InvalidArgument(
        "--redis-consumer (CAREERBOT_REDIS_CONSUMER) needs a Redis: --redis or CAREERBOT_REDIS_URL");
  }
  if (!config_status.ok()) {
    std::fprintf(stderr, "careerbot serve: %s\n", config_status.message().c_str());
    return 2;
  }
  std::string db = args.Get("db", DefaultDbPath());
  std::string log_db = FlagOrEnv(args, "log-db", "CAREERBOT_LOG_DB", "", &from);

  ConfigureLogging(lvl, log_format);
  // The question log first: a bad --log-db must not leave a knowledge base built.
  std::shared_ptr<knowledge::Store> log_store;
  if (!log_db.empty()) {
    auto info = knowledge::InspectKnowledgeBase(log_db);
    if (!info.ok() && info.status().code() != bot::Status::Code::kNotFound) {
      std::fprintf(stderr, "careerbot serve: question log: %s\n", info.status().message().c_str());
      return 1;
    }
    auto opened_log = knowledge::Store::Open(log_db);
    if (!opened_log.ok()) {
      std::fprintf(stderr, "careerbot serve: question log: %s\n", opened_log.status().message().c_str());
      return 1;
    }
    log_store = std::move(*opened_log);
  }
  bool built = false;
  auto opened = knowledge::StoreHandle::Open(db, &built);
  if (!opened.ok()) {
    std::fprintf(stderr, "careerbot serve: %s\n", opened.status().message().c_str());
    return 1;
  }
  std::shared_ptr<knowledge::StoreHandle> kb = std::move(*opened);
  if (built) spdlog::info("built the knowledge base at {} from the shipped knowledge", db);
  auto lexicon = kb->GetLexicon();
  if (!lexicon.ok()) {
    std::fprintf(stderr, "careerbot serve: %s\n", lexicon.status().message().c_str());
    return 1;
  }
  if (log_db.empty() && kb->read_only() && !options.redis_url.empty()) {
    spdlog::info("{} is a published snapshot, served read-only: questions and feedback go to the writer through "
                 "Redis only (--log-db keeps a copy here)",
                 db);
  } else if (log_db.empty() && kb->read_only()) {
    spdlog::warn("{} is a published snapshot, served read-only: questions are not logged and feedback is refused; "
                 "give the log a file of its own with --log-db",
                 db);
  }
  Service service(kb, log_store, answerer_options);

  // SIGINT/SIGTERM (stop) and SIGHUP (reload) are taken by a dedicated thread.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  http::HttpServer server(service, options);
  bot::Status s = server.Bind();
  if (!s.ok()) {
    std::fprintf(stderr, "careerbot serve: %s\n", s.message().c_str());
    return 1;
  }
  auto log_reload = [](const bot::Result<bool>& r, const knowledge::StoreHandle& handle) {
    if (!r.ok()) {
      spdlog::error("knowledge base not reloaded, still serving the previous one: {}", r.status().message());
      return;
    }
    auto lex = const_cast<knowledge::StoreHandle&>(handle).GetLexicon();
    spdlog::info("knowledge base reloaded from {}: {} entries, version {}", handle.path(),
                 lex.ok() ? (*lex)->entry_count : 0, lex.ok() ? (*lex)->version : "?");
  };
  kb->set_listener(log_reload);
  kb->StartWatching(std::chrono::seconds(reload_s));

  std::atomic<bool> stopping{false};
  std::thread waiter([&] {
    while (true) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (sig == SIGHUP) {
        if (stopping) return;
        spdlog::info("SIGHUP: reloading the knowledge base from {}", db);
        log_reload(kb->Reload(/*force=*/true), *kb);
        continue;
      }
      if (stopping) return;  // woken by Run() returning
      stopping = true;
      spdlog::info("{}: no new connections; finishing the requests in flight (at most {} s)",
                   sig == SIGINT ? "SIGINT" : "SIGTERM", drain_s);
      server.Stop();
      // Bounded: a request still running after the drain timeout is not waited for.
      std::thread([drain_s] {
        std::this_thread::sleep_for(std::chrono::seconds(drain_s));
        spdlog::error("requests still in flight after {} s; exiting", drain_s);
        spdlog::default_logger()->flush();
        std::_Exit(1);
      }).detach();
      return;
    }
  });
  std::string adapters = EnabledAdapters(options.chat) + (options.admin.enabled() ? ", admin" : "");
  spdlog::info(
      "careerbot listening on http://{}:{} (knowledge base {}: {} entries, version {}, {}; question log {}; "
      "{} threads; adapters: {})",
      options.host, server.port(), db, (*lexicon)->entry_count, (*lexicon)->version,
      kb->read_only() ? "read-only snapshot" : "writable", log_db.empty() ? (kb->read_only() ? "off" : "in the knowledge base") : log_db,
      options.threads, adapters);
  server.Run();
  kb->StopWatching();
  // Wake the signal thread if the server stopped on its own.
  if (!stopping.exchange(true)) pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  spdlog::info("stopped");
  spdlog::default_logger()->flush();
  return 0;
}

// ---- ask ----

void PrintAnswerText(const bot::Answer& a) {
  std::printf("%s\n", a.text.c_str());
  // A clarification's text lists its options numbered; replying with the
  // number (in the same conversation: --interactive) picks that option.
  for (const auto& s : a.sources) {
    std::printf("\nSource: %s (%s, %s)%s%s\n", s.title.c_str(), s.article.c_str(), s.section.c_str(),
                s.url.empty() ? "" : " ", s.url.c_str());
  }
  if (!a.suggestions.empty()) {
    std::printf("\nYou could also ask:\n");
    for (const auto& s : a.suggestions) std::printf("  - %s\n", s.c_str());
  }
  std::printf("\n[%s, confidence %.2f]\n", a.kind.c_str(), a.confidence);
  if (a.explanation) std::printf("\nexplain: %s\n", AnswerToJson(a)["explain"].dump(2).c_str());
}

int Ask(int argc, char** argv) {
  const std::vector<FlagSpec> specs = {
      {"db", true, "knowledge base file ($CAREERBOT_DB)"},
      {"json", false, "print the answer as the JSON that POST /v1/ask returns"},
      {"explain", false, "also say why: matched terms, scores, runner-up, threshold"},
      {"conversation", true, "continue this conversation id"},
      {"interactive", false,
       "read questions from stdin, one a line, as one conversation (a clarification's option is picked by its number)"},
      {"threshold", true, "decline below this confidence ($CAREERBOT_THRESHOLD)"},
      {"clarify-floor", true, "ask back (kind clarify) from this confidence up to the threshold; 1 for never ($CAREERBOT_CLARIFY_FLOOR, default 0.48)"},
      {"ranker", true, "learned ranker: 'builtin', a model file, or 'none' (default) ($CAREERBOT_RANKER)"},
      {"help", false, "show this help"}};
  Args args;
  if (!ParseArgs(argc, argv, 2, specs, "ask", &args)) return 2;
  if (args.Has("help")) {
    std::printf("usage: careerbot ask [FLAGS] \"QUESTION\"\n\n");
    PrintFlags(specs);
    return 0;
  }
  const bool interactive = args.Has("interactive");
  if (args.positional.empty() && !interactive) {
    std::fprintf(stderr, "careerbot ask: give a question, e.g. careerbot ask \"What does a backend developer do?\"\n");
    return 2;
  }
  bool ok;
  bot::AnswererOptions options = AnswererOptionsFrom(args, &ok);
  if (!ok) return 2;
  spdlog::set_level(spdlog::level::warn);
  auto store = OpenForCommand(args.Get("db", DefaultDbPath()), "ask");
  if (!store) return 1;
  Service service(store.get(), options);
  bot::Question q;
  for (const auto& p : args.positional) q.text += (q.text.empty() ? "" : " ") + p;
  q.channel = "cli";
  q.explain = args.Has("explain");
  q.conversation_id = args.Get("conversation");
  if (interactive) {
    // One conversation: each line is the next turn; a blank line is skipped.
    std::string line;
    bool first = true;
    if (!q.text.empty()) line = q.text;
    while (!line.empty() || std::getline(std::cin, line)) {
      bot::Question turn = q;
      turn.text = line;
      line.clear();
      if (bot::IsBlank(turn.text)) continue;
      auto a = service.Ask(turn);
      if (!a.ok()) {
        std::fprintf(stderr, "careerbot ask: %s\n", a.status().message().c_str());
        continue;
      }
      q.conversation_id = a->conversation_id;
      if (args.Has("json")) {
        std::printf("%s\n", AnswerToJson(*a).dump(-1, ' ', false, json::error_handler_t::replace).c_str());
      } else {
        if (!first) std::printf("\n");
        std::printf("> %s\n", turn.text.c_str());
        PrintAnswerText(*a);
      }
      std::fflush(stdout);
      first = false;
    }
    return 0;
  }
  auto answer = service.Ask(q);
  if (!answer.ok()) {
    if (args.Has("json")) {
      std::printf("%s\n", ErrorJson(bot::Status::CodeName(answer.status().code()), answer.status().message()).dump().c_str());
    } else {
      std::fprintf(stderr, "careerbot ask: %s\n", answer.status().message().c_str());
    }
    return 1;
  }
  if (args.Has("json")) {
    std::printf("%s\n", AnswerToJson(*answer).dump(-1, ' ', false, json::error_handler_t::replace).c_str());
  } else {
    PrintAnswerText(*answer);
  }
  return 0;
}

// ---- eval ----

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return true;
}

int RunEval(const std::string& command, const std::string& title, const std::string& jsonl, const Args& args,
            knowledge::Store* store, const bot::AnswererOptions& options) {
  const double threshold = options.threshold;
  auto cases = ParseEvalCases(jsonl);
  if (!cases.ok()) {
    std::fprintf(stderr, "careerbot %s: %s\n", command.c_str(), cases.status().message().c_str());
    return 2;
  }
  if (args.Has("sweep-clarify")) {
    json rows = json::array();
    if (!args.Has("json")) {
      std::printf("%s: clarifications by floor (threshold %.2f)\nfloor  answerable  right-or-clarified  clarify-share  "
                  "right-among-options  decline  clarify-on-decline\n",
                  title.c_str(), threshold);
    }
    for (int i = 20; i <= static_cast<int>(std::lround(threshold * 100)) + 2; i += 2) {
      double f = i / 100.0;
      bot::AnswererOptions at = options;
      at.clarify_floor = f;
      auto answers = AskAll(store, *cases, at);
      if (!answers.ok()) {
        std::fprintf(stderr, "careerbot %s: %s\n", command.c_str(), answers.status().message().c_str());
        return 1;
      }
      EvalReport r = Score(*cases, *answers, threshold);
      if (args.Has("json")) {
        rows.push_back({{"floor", f}, {"answerable", r.answer_rate()}, {"right_or_clarified", r.answer_or_clarify_rate()},
                        {"clarify_share", r.clarify_rate()}, {"right_among_options", r.clarify_right_rate()},
                        {"decline", r.decline_rate()}, {"clarify_on_decline", r.clarify_on_decline}});
      } else {
        std::printf("  %.2f   %.3f       %.3f               %.3f          %.3f                %.3f    %d%s\n", f,
                    r.answer_rate(), r.answer_or_clarify_rate(), r.clarify_rate(), r.clarify_right_rate(),
                    r.decline_rate(), r.clarify_on_decline,
                    std::abs(f - options.clarify_floor) < 1e-9 ? "   <- current" : "");
      }
    }
    if (args.Has("json")) std::printf("%s\n", json({{"sweep_clarify", rows}}).dump(2).c_str());
    return 0;
  }
  if (args.Has("sweep")) {
    json rows = json::array();
    if (!args.Has("json")) std::printf("%s: accuracy by decline threshold\nthreshold  answerable  decline  smalltalk  mean\n", title.c_str());
    for (int i = 20; i <= 80; i += 2) {
      double t = i / 100.0;
      bot::AnswererOptions at = options;
      at.threshold = t;
      auto answers = AskAll(store, *cases, at);
      if (!answers.ok()) {
        std::fprintf(stderr, "careerbot %s: %s\n", command.c_str(), answers.status().message().c_str());
        return 1;
      }
      EvalReport r = Score(*cases, *answers, t);
      double mean = (r.answer_rate() + r.decline_rate()) / 2;
      if (args.Has("json")) {
        rows.push_back({{"threshold", t}, {"answerable", r.answer_rate()}, {"decline", r.decline_rate()},
                        {"smalltalk", r.smalltalk_rate()}});
      } else {
        std::printf("  %.2f       %.3f       %.3f    %.3f      %.3f%s\n", t, r.answer_rate(), r.decline_rate(),
                    r.smalltalk_rate(), mean, std::abs(t - threshold) < 1e-9 ? "   <- current" : "");
      }
    }
    bot::AnswererOptions zero = options;
    zero.threshold = 0;
    auto at_zero = AskAll(store, *cases, zero);
    if (!at_zero.ok()) {
      std::fprintf(stderr, "careerbot %s: %s\n", command.c_str(), at_zero.status().message().c_str());
      return 1;
    }
    Calibration cal = ComputeCalibration(*cases, *at_zero);
    if (args.Has("json")) {
      std::printf("%s\n", json({{"sweep", rows}, {"calibration", CalibrationToJson(cal)}}).dump(2).c_str());
    } else {
      std::printf("%s", CalibrationToText(cal).c_str());
    }
    return 0;
  }
  auto raw = AskAll(store, *cases, options);
  if (!raw.ok()) {
    std::fprintf(stderr, "careerbot %s: %s\n", command.c_str(), raw.status().message().c_str());
    return 1;
  }
  EvalReport report = Score(*cases, *raw, threshold);
  // The calibration of the confidence, from the same cases asked at threshold 0.
  bot::AnswererOptions zero = options;
  zero.threshold = 0;
  auto at_zero = AskAll(store, *cases, zero);
  if (!at_zero.ok()) {
    std::fprintf(stderr, "careerbot %s: %s\n", command.c_str(), at_zero.status().message().c_str());
    return 1;
  }
  Calibration cal = ComputeCalibration(*cases, *at_zero);
  if (args.Has("json")) {
    json j = ReportToJson(report);
    j["calibration"] = CalibrationToJson(cal);
    std::printf("%s\n", j.dump(2, ' ', false, json::error_handler_t::replace).c_str());
  } else {
    std::printf("%s", ReportToText(report, title).c_str());
    std::printf("%s", CalibrationToText(cal).c_str());
  }
  bool all_pass = report.answer_pass == report.answer_total && report.decline_pass == report.decline_total &&
                  report.smalltalk_pass == report.smalltalk_total;
  // `kb test` wants every case to pass unless gates are given.
  bool gated = args.Has("min-answerable") || args.Has("min-decline") || args.Has("min-smalltalk") ||
               args.Has("min-turns") || args.Has("min-dialogues") || args.Has("min-answerable-or-clarified") ||
               args.Has("max-clarify");
  if (command == "kb test" && !gated) return all_pass ? 0 : 1;
  // Accuracy gates for CI: --min-answerable 0.95 and the like.
  int status = 0;
  const std::pair<const char*, double> gates[] = {{"min-answerable", report.answer_rate()},
                                                  {"min-decline", report.decline_rate()},
                                                  {"min-smalltalk", report.smalltalk_rate()},
                                                  {"min-turns", report.turn_rate()},
                                                  {"min-dialogues", report.dialogue_rate()},
                                                  {"min-answerable-or-clarified", report.answer_or_clarify_rate()}};
  for (const auto& [flag, rate] : gates) {
    if (!args.Has(flag)) continue;
    double min = 0;
    if (!ParseDouble(args.Get(flag), &min)) {
      std::fprintf(stderr, "careerbot %s: --%s needs a number\n", command.c_str(), flag);
      return 2;
    }
    if (rate + 1e-9 < min) {
      std::fprintf(stderr, "careerbot %s: %s accuracy %.3f is below %.3f\n", command.c_str(), flag + 4, rate, min);
      status = 1;
    }
  }
  if (args.Has("max-clarify")) {
    double max = 0;
    if (!ParseDouble(args.Get("max-clarify"), &max)) {
      std::fprintf(stderr, "careerbot %s: --max-clarify needs a number\n", command.c_str());
      return 2;
    }
    if (report.clarify_rate() > max + 1e-9) {
      std::fprintf(stderr, "careerbot %s: clarifications on %.3f of the questions, above %.3f\n", command.c_str(),
                   report.clarify_rate(), max);
      status = 1;
    }
  }
  return status;
}

int Eval(int argc, char** argv) {
  const std::vector<FlagSpec> specs = {
      {"db", true, "knowledge base file ($CAREERBOT_DB)"},
      {"json", false, "print the report as JSON"},
      {"sweep", false, "print the accuracies across decline thresholds 0.20 to 0.80"},
      {"sweep-clarify", false, "at the threshold, print the clarification rates across floors 0.20 to the threshold"},
      {"threshold", true, "decline below this confidence ($CAREERBOT_THRESHOLD)"},
      {"clarify-floor", true, "ask back (kind clarify) from this confidence up to the threshold; 1 for never ($CAREERBOT_CLARIFY_FLOOR, default 0.48)"},
      {"ranker", true, "learned ranker: 'builtin', a model file, or 'none' (default) ($CAREERBOT_RANKER)"},
      {"min-answerable", true, "exit 1 when the answerable accuracy is below this (for CI)"},
      {"min-decline", true, "exit 1 when the decline accuracy is below this"},
      {"min-smalltalk", true, "exit 1 when the small-talk accuracy is below this"},
      {"min-turns", true, "exit 1 when the share of questions (dialogue turns included) judged right is below this"},
      {"min-dialogues", true, "exit 1 when the share of dialogues with every turn right is below this"},
      {"min-answerable-or-clarified", true,
       "exit 1 when the share of answerable questions answered right or clarified with the right entry is below this"},
      {"max-clarify", true, "exit 1 when clarifications are offered for more than this share of the questions"},
      {"help", false, "show this help"}};
  Args args;
  if (!ParseArgs(argc, argv, 2, specs, "eval", &args)) return 2;
  if (args.Has("help") || args.positional.size() != 1) {
    std::printf("usage: careerbot eval [FLAGS] FILE.jsonl\n\nEach line: {\"id\", \"q\", \"expect\": "
                "\"answer\"|\"decline\"|\"smalltalk\", \"facts\": [[\"alt\", ...], ...], \"entry\": [\"id\", ...]}\n"
                "An answer counts when its first source is one of \"entry\" or every facts group holds.\n"
                "A line may be a dialogue, {\"id\", \"turns\": [{\"q\", \"expect\", ...}, ...]}: its turns are asked in\n"
                "one conversation and judged one by one; the report adds turn and whole-dialogue accuracy.\n\n");
    PrintFlags(specs);
    return args.Has("help") ? 0 : 2;
  }
  bool ok;
  bot::AnswererOptions options = AnswererOptionsFrom(args, &ok);
  if (!ok) return 2;
  std::string jsonl;
  if (!ReadFile(args.positional[0], &jsonl)) {
    std::fprintf(stderr, "careerbot eval: cannot read '%s'\n", args.positional[0].c_str());
    return 1;
  }
  spdlog::set_level(spdlog::level::warn);
  auto store = OpenForCommand(args.Get("db", DefaultDbPath()), "eval");
  if (!store) return 1;
  return RunEval("eval", args.positional[0], jsonl, args, store.get(), options);
}

// ---- kb ----

int KbBuild(int argc, char** argv) {
  const std::vector<FlagSpec> specs = {
      {"db", true, "knowledge base file to (re)build ($CAREERBOT_DB)"},
      {"from", true, "read the knowledge files from this folder (default: the ones built into careerbot)"},
      {"help", false, "show this help"}};
  Args args;
  if (!ParseArgs(argc, argv, 3, specs, "kb build", &args)) return 2;
  if (args.Has("help")) {
    std::printf("usage: careerbot kb build [--db PATH] [--from DIR]\n\nBuilds the knowledge base from entries/*.md, "
                "synonyms.txt (and tests.jsonl) in DIR, or from the\nknowledge built into careerbot. The same files "
                "always give the same knowledge base.\n\n");
    PrintFlags(specs);
    return 0;
  }
  knowledge::KnowledgeFiles files;
  std::string origin;
  if (args.Has("from")) {
    auto loaded = knowledge::LoadKnowledgeDir(args.Get("from"));
    if (!loaded.ok()) {
      std::fprintf(stderr, "careerbot kb build: %s\n", loaded.status().message().c_str());
      return 1;
    }
    files = std::move(*loaded);
    origin = "files:" + files.fingerprint;
  } else {
    files = knowledge::BuiltinKnowledge();
    origin = "builtin:" + files.fingerprint;
  }
  for (const auto& issue : files.issues) std::fprintf(stderr, "warning: %s\n", issue.c_str());
  std::string db = args.Get("db", DefaultDbPath());
  std::error_code ec;
  auto parent = std::filesystem::path(db).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  bot::Status s = knowledge::BuildKnowledgeBase(db, files, origin);
  if (!s.ok()) {
    std::fprintf(stderr, "careerbot kb build: %s\n", s.message().c_str());
    return 1;
  }
  auto store = knowledge::Store::Open(db, knowledge::Store::Mode::kReadOnly);
  std::string version = store.ok() ? (*store)->GetMeta("version").value() : "?";
  std::printf("built %s: %zu entries, version %s\n", db.c_str(), files.entries.size(), version.c_str());
  return 0;
}

int KbListShow(int argc, char** argv, bool show) {
  const std::vector<FlagSpec> specs = {{"db", true, "knowledge base file ($CAREERBOT_DB)"},
                                       {"json", false, "print JSON"},
                                       {"help", false, "show this help"}};
  std::string command = show ? "kb show" : "kb list";
  Args args;
  if (!ParseArgs(argc, argv, 3, specs, command, &args)) return 2;
  if (args.Has("help") || (show && args.positional.size() != 1)) {
    std::printf("usage: careerbot %s [--db PATH] [--json]%s\n\n", command.c_str(), show ? " ID" : "");
    PrintFlags(specs);
    return args.Has("help") ? 0 : 2;
  }
  spdlog::set_level(spdlog::level::warn);
  auto store = OpenForCommand(args.Get("db", DefaultDbPath()), command);
  if (!store) return 1;
  if (show) {
    auto e = store->GetEntry(args.positional[0]);
    if (!e.ok()) {
      std::fprintf(stderr, "careerbot kb show: %s\n", e.status().message().c_str());
      return 1;
    }
    if (args.Has("json")) {
      std::printf("%s\n", EntryToJson(*e).dump(2).c_str());
    } else {
      std::printf("%s", knowledge::ToMarkdown({*e}, e->source.article).c_str());
    }
    return 0;
  }
  auto entries = store->ListEntries();
  if (!entries.ok()) {
    std::fprintf(stderr, "careerbot kb list: %s\n", entries.status().message().c_str());
    return 1;
  }
  for (const auto& e : *entries) {
    if (args.Has("json")) {
      std::printf("%s\n", EntryToJson(e).dump().c_str());
    } else {
      std::printf("%-48s %s\n", e.id.c_str(), e.title.c_str());
    }
  }
  return 0;
}

int KbTest(int argc, char** argv) {
  const std::vector<FlagSpec> specs = {
      {"db", true, "knowledge base file ($CAREERBOT_DB)"},
      {"file", true, "test questions (default: the knowledge's own tests.jsonl)"},
      {"json", false, "print the report as JSON"},
      {"threshold", true, "decline below this confidence ($CAREERBOT_THRESHOLD)"},
      {"clarify-floor", true, "ask back (kind clarify) from this confidence up to the threshold; 1 for never ($CAREERBOT_CLARIFY_FLOOR, default 0.48)"},
      {"ranker", true, "learned ranker: 'builtin', a model file, or 'none' (default) ($CAREERBOT_RANKER)"},
      {"min-answerable", true, "instead of requiring every case, exit 1 below this answerable accuracy"},
      {"min-decline", true, "... below this decline accuracy"},
      {"min-smalltalk", true, "... below this small-talk accuracy"},
      {"help", false, "show this help"}};
  Args args;
  if (!ParseArgs(argc, argv, 3, specs, "kb test", &args)) return 2;
  if (args.Has("help")) {
    std::printf("usage: careerbot kb test [FLAGS]\n\nRuns the knowledge base's own test questions; exits 1 when any fails.\n\n");
    PrintFlags(specs);
    return 0;
  }
  bool ok;
  bot::AnswererOptions options = AnswererOptionsFrom(args, &ok);
  if (!ok) return 2;
  std::string jsonl;
  if (args.Has("file")) {
    if (!ReadFile(args.Get("file"), &jsonl)) {
      std::fprintf(stderr, "careerbot kb test: cannot read '%s'\n", args.Get("file").c_str());
      return 1;
    }
  } else {
    jsonl = knowledge::BuiltinKnowledge().tests;
  }
  spdlog::set_level(spdlog::level::warn);
  auto store = OpenForCommand(args.Get("db", DefaultDbPath()), "kb test");
  if (!store) return 1;
  return RunEval("kb test", "knowledge tests", jsonl, args, store.get(), options);
}

int KbTrain(int argc, char** argv) {
  const std::vector<FlagSpec> specs = {
      {"db", true, "knowledge base file ($CAREERBOT_DB)"},
      {"questions", true, "training questions (default: knowledge/train/questions.jsonl)"},
      {"out", true, "write the model here (default: only report the held-out figures)"},
      {"folds", true, "cross-validation folds (default 5)"},
      {"l2", true, "L2 penalty on the weights (default 1)"},
      {"threshold", true, "answer at or above this probability (default 0.5)"},
      {"no-variants", false, "train on the written questions and curated phrasings only"},
      {"order", true, "'learned' (default): a model orders the candidates; 'hand': the hand-set order, only the confidence is learned"},
      {"help", false, "show this help"}};
  Args args;
  if (!ParseArgs(argc, argv, 3, specs, "kb train", &args)) return 2;
  const std::string order = args.Get("order", "learned");
  if (args.Has("help")) {
    std::printf("usage: careerbot kb train [FLAGS]\n\nTrains the learned ranker (logistic regression over ranking "
                "features, bot/ranking.h)\non the training questions, their generated variants and the curated "
                "phrasings of\nthe knowledge base's entries. Prints held-out figures from cross-validation grouped "
                "by\nquestion, beside the hand-set ranking's, then fits on everything and writes --out.\nRebuild "
                "careerbot after writing knowledge/ranker.model to ship it.\n\n");
    PrintFlags(specs);
    return 0;
  }
  long folds = 5;
  double l2 = 1.0, threshold = 0.5;
  if (args.Has("folds") && (!ParseInt(args.Get("folds"), &folds) || folds < 2 || folds > 20)) {
    std::fprintf(stderr, "careerbot kb train: --folds needs a number from 2 to 20\n");
    return 2;
  }
  if (args.Has("l2") && (!ParseDouble(args.Get("l2"), &l2) || l2 < 0)) {
    std::fprintf(stderr, "careerbot kb train: --l2 needs a number >= 0\n");
    return 2;
  }
  if (args.Has("threshold") && (!ParseDouble(args.Get("threshold"), &threshold) || threshold < 0 || threshold > 1)) {
    std::fprintf(stderr, "careerbot kb train: --threshold needs a number in [0, 1]\n");
    return 2;
  }
  if (order != "learned" && order != "hand") {
    std::fprintf(stderr, "careerbot kb train: --order must be 'learned' or 'hand'\n");
    return 2;
  }
  std::string path = args.Get("questions", "knowledge/train/questions.jsonl");
  std::string jsonl;
  if (!ReadFile(path, &jsonl)) {
    std::fprintf(stderr, "careerbot kb train: cannot read '%s'\n", path.c_str());
    return 1;
  }
  auto cases = ParseEvalCases(jsonl);
  if (!cases.ok()) {
    std::fprintf(stderr, "careerbot kb train: %s: %s\n", path.c_str(), cases.status().message().c_str());
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  auto store = OpenForCommand(args.Get("db", DefaultDbPath()), "kb train");
  if (!store) return 1;
  auto entries = store->ListEntries();
  if (!entries.ok()) {
    std::fprintf(stderr, "careerbot kb train: %s\n", entries.status().message().c_str());
    return 1;
  }
  std::sort(entries->begin(), entries->end(), [](const bot::Entry& a, const bot::Entry& b) { return a.id < b.id; });
  std::vector<TrainQuestion> questions = BuildTrainingQuestions(*cases, *entries, !args.Has("no-variants"));
  bot::Answerer answerer(store.get());
  std::vector<TrainItem> items;
  for (const TrainQuestion& q : questions) {
    auto candidates = answerer.Candidates(q.text);
    if (!candidates.ok()) {
      std::fprintf(stderr, "careerbot kb train: %s\n", candidates.status().message().c_str());
      return 1;
    }
    items.push_back({&q, std::move(*candidates)});
  }
  TrainReport report;
  bot::ranking::Model model = TrainRanker(items, static_cast<int>(folds), l2, threshold, &report, order == "hand");
  std::printf("%s", report.text.c_str());
  std::printf("fitted on %zu questions (%zu candidate examples)\n", report.questions, report.examples);
  if (args.Has("out")) {
    char note[200];
    std::snprintf(note, sizeof note, "trained on %zu questions (%zu candidate examples), l2 %g, %ld-fold held-out:",
                  report.questions, report.examples, l2, folds);
    model.notes.push_back(note);
    for (size_t i = 0; i < report.learned.size(); i++) {
      const HeldOut& l = report.learned[i].second;
      const HeldOut& h = report.hand[i].second;
      std::snprintf(note, sizeof note, "%s: answerable %.3f decline %.3f ECE %.3f (hand-set: %.3f %.3f ECE %.3f)",
                    report.learned[i].first.c_str(), l.answer_rate(), l.decline_rate(), l.ece, h.answer_rate(),
                    h.decline_rate(), h.ece);
      model.notes.push_back(note);
    }
    std::ofstream out(args.Get("out"), std::ios::binary | std::ios::trunc);
    out << model.Serialize();
    if (!out) {
      std::fprintf(stderr, "careerbot kb train: cannot write '%s'\n", args.Get("out").c_str());
      return 1;
    }
    std::printf("wrote %s\n", args.Get("out").c_str());
  }
  return 0;
}

int KbPublish(int argc, char** argv) {
  const std::vector<FlagSpec> specs = {
      {"db", true, "the knowledge base to publish ($CAREERBOT_DB)"},
      {"out", true, "the snapshot file to write (replaced atomically)"},
      {"help", false, "show this help"}};
  Args args;
  if (!ParseArgs(argc, argv, 3, specs, "kb publish", &args)) return 2;
  if (args.Has("help")) {
    std::printf("usage: careerbot kb publish [--db PATH] --out FILE\n\nWrites a consistent, immutable snapshot of the "
                "knowledge base (VACUUM INTO a temporary file\nbeside FILE, without the question log, fsync, then "
                "renamed over FILE). A `careerbot serve`\nwhose --db is FILE reloads it within a second, or on "
                "SIGHUP. See docs/operations.md.\n\n");
    PrintFlags(specs);
    return 0;
  }
  if (!args.positional.empty()) {
    std::fprintf(stderr, "careerbot kb publish: unexpected argument '%s'\n", args.positional[0].c_str());
    return 2;
  }
  if (args.Get("out").empty()) {
    std::fprintf(stderr, "careerbot kb publish: give the snapshot file with --out FILE\n");
    return 2;
  }
  std::string db = args.Get("db", DefaultDbPath());
  int64_t now = static_cast<int64_t>(std::time(nullptr));
  auto info = knowledge::PublishSnapshot(db, args.Get("out"), now);
  if (!info.ok()) {
    std::fprintf(stderr, "careerbot kb publish: %s\n", info.status().message().c_str());
    return 1;
  }
  std::printf("published %s: %zu entries, version %s\n", args.Get("out").c_str(), info->entries,
              info->version.c_str());
  return 0;
}

int Kb(int argc, char** argv) {
  std::string sub = argc > 2 ? argv[2] : "";
  if (sub == "build") return KbBuild(argc, argv);
  if (sub == "publish") return KbPublish(argc, argv);
  // Curation commands (adapters/cli/kb_commands.cc): search, add, edit, rm,
  // export, import, lint, history, revert, gaps.
  if (IsKbCurationCommand(sub)) return RunKbCurationCommand(argc, argv);
  if (sub == "list") return KbListShow(argc, argv, false);
  if (sub == "show") return KbListShow(argc, argv, true);
  if (sub == "test") return KbTest(argc, argv);
  if (sub == "train") return KbTrain(argc, argv);
  if (sub.empty() || sub == "--help" || sub == "-h" || sub == "help") {
    std::printf("usage: careerbot kb build|publish|list|show|search|add|edit|rm|export|import|lint|history|revert|gaps|test|train "
                "[FLAGS]\n");
    return sub.empty() ? 2 : 0;
  }
  std::fprintf(stderr, "careerbot kb: unknown command '%s' (see careerbot --help)\n", sub.c_str());
  return 2;
}

// ---- discord ----

int DiscordRegister(int argc, char** argv) {
  const std::vector<FlagSpec> specs = {
      {"guild", true, "register for this server (guild) id only: takes effect at once"},
      {"help", false, "show this help"}};
  Args args;
  if (!ParseArgs(argc, argv, 3, specs, "discord register", &args)) return 2;
  if (args.Has("help")) {
    std::printf("usage: careerbot discord register [--guild ID]\n\nRegisters the /ask command of the Discord "
                "application $DISCORD_APPLICATION_ID with\n$DISCORD_BOT_TOKEN (PUT /applications/{id}/commands, "
                "which replaces its global commands),\nand prints what Discord answered. $DISCORD_API_BASE "
                "defaults to https://discord.com/api/v10.\n\n");
    PrintFlags(specs);
    return 0;
  }
  if (!args.positional.empty()) {
    std::fprintf(stderr, "careerbot discord register: unexpected argument '%s'\n", args.positional[0].c_str());
    return 2;
  }
  bot::Status config_status;
  ChatConfig config = ChatConfigFromEnv(&config_status);
  if (!config_status.ok()) {
    std::fprintf(stderr, "careerbot discord register: %s\n", config_status.message().c_str());
    return 2;
  }
  int status = 0;
  std::string body;
  bot::Status s = discord::RegisterDiscordCommand(config.discord, args.Get("guild"), &status, &body);
  if (status != 0) {
    std::printf("HTTP %d\n", status);
    json parsed = json::parse(body, nullptr, false);
    std::printf("%s\n", parsed.is_discarded() ? body.c_str()
                                               : parsed.dump(2, ' ', false, json::error_handler_t::replace).c_str());
  }
  if (!s.ok()) {
    std::fprintf(stderr, "careerbot discord register: %s\n", s.message().c_str());
    return s.code() == bot::Status::Code::kInvalidArgument ? 2 : 1;
  }
  std::printf("registered /ask %s\n",
              args.Has("guild") ? ("for guild " + args.Get("guild")).c_str() : "globally (may take up to an hour)");
  return 0;
}

int Discord(int argc, char** argv) {
  std::string sub = argc > 2 ? argv[2] : "";
  if (sub == "register") return DiscordRegister(argc, argv);
  if (sub.empty() || sub == "--help" || sub == "-h" || sub == "help") {
    std::printf("usage: careerbot discord register [--guild ID]\n");
    return sub.empty() ? 2 : 0;
  }
  std::fprintf(stderr, "careerbot discord: unknown command '%s' (see careerbot --help)\n", sub.c_str());
  return 2;
}

}  // namespace

int Main(int argc, char** argv) {
  std::string command = argc > 1 ? argv[1] : "";
  if (command.empty() || command == "--help" || command == "-h" || command == "help") {
    std::printf("%s", kMainHelp);
    return command.empty() ? 2 : 0;
  }
  if (command == "--version") {
    std::printf("careerbot 0.1.0\n");
    return 0;
  }
  if (command == "serve") return Serve(argc, argv);
  if (command == "ask") return Ask(argc, argv);
  if (command == "eval") return Eval(argc, argv);
  if (command == "kb") return Kb(argc, argv);
  if (command == "discord") return Discord(argc, argv);
  std::fprintf(stderr, "careerbot: unknown command '%s' (see careerbot --help)\n", command.c_str());
  return 2;
}

}  // namespace adapters::cli
