// careerbot's configuration: one plain struct tree, built once at start-up
// from the command line's flags, the environment (CAREERBOT_*, the chat
// platforms' SLACK_*, DISCORD_*, MATTERMOST_*) and the secrets' files
// (NAME_FILE, app/secrets.h), then handed to whatever needs a part of it.
// This file (config.cc) is the only one that reads the process environment
// (CTest `config_getenv` checks it); everything else takes values.
//
// Precedence: a flag, else its variable (unset or empty counts as unset),
// else the default. A bad value is refused with a message that names where
// it came from ("invalid port 'x' from --port (0-65535)", "... from
// $CAREERBOT_PORT ..."). Secrets never appear in a message, a --help or a
// printed configuration: Redacted() blanks them.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "app/chat_config.h"
#include "bot/status.h"

namespace adapters {

// A snapshot of environment variables. Environment::FromProcess() copies the
// process's (once, at start-up); tests build one from a map.
class Environment {
 public:
  Environment() = default;
  explicit Environment(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {}
  static Environment FromProcess();

  // The value of `name`, or `def` when it is unset or empty.
  std::string Get(const std::string& name, const std::string& def = "") const;
  bool Has(const std::string& name) const { return !Get(name).empty(); }

 private:
  std::map<std::string, std::string> vars_;
};

// One setting of `careerbot serve`: its flag (without "--"; null for a
// variable without a flag), its variable, its default as documented, the
// help line, and the --help section it belongs to. `serve --help` and the
// table in docs/operations.md both come from ServeSettings() (a test keeps
// the doc in step).
struct Setting {
  enum class Section { kServer, kLimits, kAdmin };
  const char* flag;         // "port", or nullptr
  const char* env;          // "CAREERBOT_PORT"
  bool takes_value;         // false for a switch (--redis-consumer)
  const char* default_text; // "8080"
  const char* help;         // one line
  Section section;
  bool secret = false;      // read with ReadSecret: also NAME_FILE, never shown
};
const std::vector<Setting>& ServeSettings();

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 8080;
  size_t threads = 0;  // 0: the HTTP server's default (twice the cores, 4 to 16)
  size_t max_connections = 4096;
  int reload_interval_s = 1;
  int drain_timeout_s = 10;
};

struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error, off
  std::string format = "text";  // text or json
  int retention_days = 90;      // the question log's; 0 keeps it forever
};

struct LimitsConfig {
  int rate_limit_per_minute = 60;  // 0: off
  bool trust_proxy = false;
  std::vector<std::string> cors_origins;
};

struct AdminConfig {
  std::string token;  // secret; empty: admin off
  std::string label = "admin";
};

struct RedisConfig {
  std::string url;  // secret (it may hold a password); empty: none
  bool consumer = false;
};

struct KnowledgeConfig {
  std::string db;      // the knowledge base file
  std::string log_db;  // the question log's own file; empty: in db
  std::string tmpdir = "/tmp";  // $TMPDIR: private copies, `kb edit`'s file
};

struct AnswerConfig {
  std::string ranker;                   // "builtin" (default), "none" (hand-set) or a model file
  std::optional<double> threshold;      // unset: the answerer's (or the ranker's) default
  std::optional<double> clarify_floor;  // unset: the answerer's default
};

// Who runs a command-line command, for the curation history, and the
// editor `kb edit` opens.
struct UserConfig {
  std::string name = "cli";  // $USER, else $LOGNAME
  std::string editor = "vi";  // $VISUAL, else $EDITOR
};

struct Config {
  ServerConfig server;
  LogConfig log;
  LimitsConfig limits;
  AdminConfig admin;
  ChatConfig chat;
  RedisConfig redis;
  KnowledgeConfig knowledge;
  AnswerConfig answer;
  UserConfig user;
};

// The command-line flags given, by name without "--" ("port" -> "8080"; a
// switch maps to "1").
using Flags = std::map<std::string, std::string>;

// Builds the configuration of every command from `flags` and `env`: the
// knowledge paths, the answer options, the user; with `serve` also the
// server, logging, limits, admin, chat platforms and Redis (their secrets
// read from the environment or their owner-only files). The first bad value
// is returned as kInvalidArgument naming its flag or variable; *out is then
// unspecified.
bot::Status BuildConfig(const Flags& flags, const Environment& env, bool serve, Config* out);

// The chat platforms' part alone (`careerbot discord register`): SLACK_*,
// DISCORD_*, MATTERMOST_*, the secrets from their variable or NAME_FILE.
bot::Status BuildChatConfig(const Environment& env, ChatConfig* out);

// The default knowledge base: $CAREERBOT_DB, else
// $XDG_DATA_HOME/careerbot/careerbot.db, else ~/.local/share/careerbot/careerbot.db.
std::string DefaultDbPath(const Environment& env);

// Who runs a command-line command ($USER, else $LOGNAME, else "cli"), the
// editor `kb edit` opens ($VISUAL, else $EDITOR, else vi) and the folder for
// temporary files ($TMPDIR, else /tmp).
std::string CommandUser(const Environment& env);
std::string EditorCommand(const Environment& env);
std::string TempDirectory(const Environment& env);

// Parses a comma-separated list of origins (CAREERBOT_CORS_ORIGINS):
// https://host[:port] or http://..., a trailing slash dropped; "*" and
// paths refused.
bot::Status ParseCorsOrigins(const std::string& text, std::vector<std::string>* out);

// `config` as "name = value" lines, secrets shown as "(set, hidden)" or
// "(unset)": safe to print or log.
std::string Redacted(const Config& config);

}  // namespace adapters
