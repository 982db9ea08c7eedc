// The configuration builder (app/config.h): flag > variable > default, bad
// values refused naming their flag or variable, secrets from owner-only
// files and never shown; `serve --help`, `serve --print-config` and
// docs/operations.md derived from the same list of settings.
#include "app/config.h"

#include <sys/stat.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "../helpers/files.h"
#include "../helpers/process.h"

namespace {

using adapters::BuildConfig;
using adapters::Config;
using adapters::Environment;
using adapters::Flags;
using testing_helpers::TempDir;

bot::Status Build(const Flags& flags, const std::map<std::string, std::string>& vars, Config* out,
                  bool serve = true) {
  return BuildConfig(flags, Environment(vars), serve, out);
}

struct Run {
  int code = -1;
  std::string out, err;
};

Run Careerbot(const TempDir& dir, std::vector<std::string> args, std::vector<std::string> env) {
  args.insert(args.begin(), CAREERBOT_BINARY);
  env.push_back("HOME=" + dir.path());
  env.push_back("CAREERBOT_DB=" + dir.File("default.db"));
  static int n = 0;
  std::string out = dir.File("cfg" + std::to_string(++n) + ".out"), err = dir.File("cfg" + std::to_string(n) + ".err");
  testing_helpers::Process p(args, env, out, err);
  Run r;
  r.code = p.Wait(std::chrono::seconds(60));
  testing_helpers::ReadWholeFile(out, &r.out);
  r.err = p.Stderr();
  return r;
}

}  // namespace

TEST_CASE("a flag wins over its variable and a variable over the default", "[app][config]") {
  Config c;
  REQUIRE(Build({}, {}, &c).ok());
  CHECK(c.server.host == "127.0.0.1");
  CHECK(c.server.port == 8080);
  CHECK(c.server.threads == 0);  // the HTTP server's own default
  CHECK(c.server.max_connections == 4096);
  CHECK(c.log.level == "info");
  CHECK(c.log.retention_days == 90);
  CHECK(c.limits.rate_limit_per_minute == 60);
  CHECK_FALSE(c.answer.threshold.has_value());
  CHECK(c.admin.label == "admin");

  const std::map<std::string, std::string> env = {{"CAREERBOT_PORT", "9000"},
                                                  {"CAREERBOT_HOST", "0.0.0.0"},
                                                  {"CAREERBOT_THREADS", "6"},
                                                  {"CAREERBOT_THRESHOLD", "0.4"},
                                                  {"CAREERBOT_DB", "/env/kb.db"},
                                                  {"CAREERBOT_LOG_DB", "/env/log.db"},
                                                  {"CAREERBOT_LOG_RETENTION_DAYS", "0"},
                                                  {"CAREERBOT_TRUST_PROXY", "yes"}};
  REQUIRE(Build({}, env, &c).ok());
  CHECK(c.server.port == 9000);
  CHECK(c.server.host == "0.0.0.0");
  CHECK(c.server.threads == 6);
  CHECK(c.answer.threshold == 0.4);
  CHECK(c.knowledge.db == "/env/kb.db");
  CHECK(c.knowledge.log_db == "/env/log.db");
  CHECK(c.log.retention_days == 0);
  CHECK(c.limits.trust_proxy);

  REQUIRE(Build({{"port", "9100"}, {"host", "::1"}, {"threads", "3"}, {"threshold", "0.6"}, {"db", "/flag/kb.db"}},
                env, &c)
              .ok());
  CHECK(c.server.port == 9100);
  CHECK(c.server.host == "::1");
  CHECK(c.server.threads == 3);
  CHECK(c.answer.threshold == 0.6);
  CHECK(c.knowledge.db == "/flag/kb.db");
  CHECK(c.knowledge.log_db == "/env/log.db");  // no flag given: the variable

  SECTION("an empty variable counts as unset") {
    REQUIRE(Build({}, {{"CAREERBOT_PORT", ""}}, &c).ok());
    CHECK(c.server.port == 8080);
  }
  SECTION("the default knowledge base follows XDG_DATA_HOME, then HOME") {
    REQUIRE(Build({}, {{"XDG_DATA_HOME", "/xdg"}, {"HOME", "/home/u"}}, &c).ok());
    CHECK(c.knowledge.db == "/xdg/careerbot/careerbot.db");
    REQUIRE(Build({}, {{"HOME", "/home/u"}}, &c).ok());
    CHECK(c.knowledge.db == "/home/u/.local/share/careerbot/careerbot.db");
  }
}

TEST_CASE("a bad value is refused naming its flag or variable", "[app][config]") {
  struct Case {
    Flags flags;
    std::map<std::string, std::string> env;
    const char* says;
  };
  const std::vector<Case> cases = {
      {{{"port", "eighty"}}, {}, "invalid port 'eighty' from --port"},
      {{}, {{"CAREERBOT_PORT", "65536"}}, "invalid port '65536' from $CAREERBOT_PORT"},
      {{}, {{"CAREERBOT_THREADS", "lots"}}, "from $CAREERBOT_THREADS"},
      {{{"threads", "0"}}, {}, "invalid thread count '0' from --threads"},
      {{}, {{"CAREERBOT_MAX_CONNECTIONS", "many"}}, "from $CAREERBOT_MAX_CONNECTIONS"},
      {{}, {{"CAREERBOT_RELOAD_INTERVAL", "-1"}}, "from $CAREERBOT_RELOAD_INTERVAL"},
      {{{"drain-timeout", "0"}}, {}, "from --drain-timeout"},
      {{}, {{"CAREERBOT_LOG_RETENTION_DAYS", "ninety"}}, "from $CAREERBOT_LOG_RETENTION_DAYS"},
      {{}, {{"CAREERBOT_RATE_LIMIT", "10/s"}}, "from $CAREERBOT_RATE_LIMIT"},
      {{}, {{"CAREERBOT_THRESHOLD", "2"}}, "invalid threshold '2' from $CAREERBOT_THRESHOLD"},
      {{{"clarify-floor", "x"}}, {}, "from --clarify-floor"},
      {{}, {{"CAREERBOT_LOG_LEVEL", "loud"}}, "invalid log level 'loud' from $CAREERBOT_LOG_LEVEL"},
      {{{"log-format", "xml"}}, {}, "invalid log format 'xml' from --log-format"},
      {{}, {{"CAREERBOT_CORS_ORIGINS", "*"}}, "CAREERBOT_CORS_ORIGINS"},
      {{}, {{"CAREERBOT_REDIS_CONSUMER", "maybe"}}, "CAREERBOT_REDIS_CONSUMER"},
      {{{"redis-consumer", "1"}}, {}, "needs a Redis"},
  };
  for (const Case& c : cases) {
    Config config;
    bot::Status s = Build(c.flags, c.env, &config);
    INFO(c.says);
    INFO(s.ToString());
    CHECK(s.code() == bot::Status::Code::kInvalidArgument);
    CHECK(s.message().find(c.says) != std::string::npos);
  }
  SECTION("a command other than serve checks only what it uses") {
    Config config;
    CHECK(Build({}, {{"CAREERBOT_PORT", "http"}}, &config, /*serve=*/false).ok());
    CHECK_FALSE(Build({}, {{"CAREERBOT_THRESHOLD", "high"}}, &config, /*serve=*/false).ok());
  }
}

TEST_CASE("secrets come from their variable or an owner-only file and are never shown", "[app][config]") {
  TempDir dir;
  const std::string token = "admin-token-5f2c9e7a1b";
  const std::string url = "redis://:pa55word-77e1@127.0.0.1:6399/0";
  REQUIRE(testing_helpers::WriteWholeFile(dir.File("token"), token + "\n"));
  REQUIRE(chmod(dir.File("token").c_str(), 0600) == 0);
  REQUIRE(testing_helpers::WriteWholeFile(dir.File("url"), url));
  REQUIRE(chmod(dir.File("url").c_str(), 0400) == 0);
  Config c;
  REQUIRE(Build({}, {{"CAREERBOT_ADMIN_TOKEN_FILE", dir.File("token")}, {"CAREERBOT_REDIS_URL_FILE", dir.File("url")},
                     {"SLACK_SIGNING_SECRET", "slack-secret-0a9b8c"}},
                &c)
              .ok());
  CHECK(c.admin.token == token);
  CHECK(c.redis.url == url);
  CHECK(c.chat.slack.signing_secret == "slack-secret-0a9b8c");
  const std::string shown = adapters::Redacted(c);
  CHECK(shown.find("admin_token = (set, hidden)") != std::string::npos);
  CHECK(shown.find("slack_bot_token = (unset)") != std::string::npos);
  for (const std::string& secret : {token, url, std::string("pa55word"), std::string("slack-secret-0a9b8c")}) {
    CHECK(shown.find(secret) == std::string::npos);
  }

  SECTION("a file others may read is refused, naming the variable, not the content") {
    REQUIRE(chmod(dir.File("token").c_str(), 0644) == 0);
    bot::Status s = Build({}, {{"CAREERBOT_ADMIN_TOKEN_FILE", dir.File("token")}}, &c);
    CHECK_FALSE(s.ok());
    CHECK(s.message().find("CAREERBOT_ADMIN_TOKEN_FILE") != std::string::npos);
    CHECK(s.message().find(token) == std::string::npos);
  }
  SECTION("serve --print-config shows the configuration with the secrets hidden") {
    Run r = Careerbot(dir, {"serve", "--print-config", "--port", "8181"},
                      {"CAREERBOT_ADMIN_TOKEN_FILE=" + dir.File("token"), "CAREERBOT_REDIS_URL_FILE=" + dir.File("url"),
                       "MATTERMOST_TOKEN=mm-token-31337"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out.find("port = 8181") != std::string::npos);
    CHECK(r.out.find("mattermost_token = (set, hidden)") != std::string::npos);
    for (const std::string& secret : {token, url, std::string("pa55word"), std::string("mm-token-31337")}) {
      CHECK(r.out.find(secret) == std::string::npos);
      CHECK(r.err.find(secret) == std::string::npos);
    }
  }
}

TEST_CASE("serve --help and docs/operations.md list every setting", "[app][config]") {
  TempDir dir;
  Run help = Careerbot(dir, {"serve", "--help"}, {});
  REQUIRE(help.code == 0);
  std::string doc;
  REQUIRE(testing_helpers::ReadWholeFile(std::string(CAREERBOT_SOURCE_DIR) + "/docs/operations.md", &doc));
  for (const adapters::Setting& s : adapters::ServeSettings()) {
    INFO(s.env);
    CHECK(help.out.find(s.env) != std::string::npos);
    CHECK(doc.find(std::string("`") + s.env) != std::string::npos);
    if (s.flag) {
      CHECK(help.out.find(std::string("--") + s.flag) != std::string::npos);
      // The table row: | `--flag` | `VARIABLE...
      CHECK(doc.find(std::string("| `--") + s.flag + "` | `" + s.env) != std::string::npos);
    }
  }
}
