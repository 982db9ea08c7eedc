// Issue 7, secrets: they come only from the environment or from a file only
// its owner can read (NAME_FILE), and are never logged or echoed. A real
// `careerbot serve` with every secret set (some from files) is taken through
// every channel, good requests and bad, at the most verbose log level; every
// line it logs and every response it gives are scanned for them.
#include "app/secrets.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <cctype>
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "../helpers/files.h"
#include "../helpers/process.h"
#include "chat_test_server.h"

namespace {

using chat_testing::DiscordHeaders;
using chat_testing::Ed25519Key;
using chat_testing::FakeApi;
using chat_testing::SlackHeaders;
using nlohmann::json;
using testing_helpers::Process;
using testing_helpers::TempDir;

std::string RandomHex(size_t n) {
  std::random_device rd;
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; i++) out += kHex[rd() % 16];
  return out;
}

void WriteSecretFile(const std::string& path, const std::string& content, mode_t mode) {
  REQUIRE(testing_helpers::WriteWholeFile(path, content));
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

// Sets an environment variable for the scope of a test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) { ::setenv(name, value.c_str(), 1); }
  ~ScopedEnv() { ::unsetenv(name_); }

 private:
  const char* name_;
};

std::string FormEncode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Everything a response shows: status, headers and body.
std::string Dump(const httplib::Result& r) {
  if (!r) return "no response\n";
  std::string out = std::to_string(r->status) + "\n";
  for (const auto& [k, v] : r->headers) out += k + ": " + v + "\n";
  return out + r->body + "\n";
}

}  // namespace

TEST_CASE("ReadSecret takes the environment or an owner-only file, and never shows what it holds",
          "[adapters][secrets]") {
  TempDir dir;
  std::string out;
  const std::string value = "s3cr3t-" + RandomHex(24);
  ::unsetenv("CB_TEST_SECRET");
  ::unsetenv("CB_TEST_SECRET_FILE");

  SECTION("unset: not configured") {
    CHECK(adapters::ReadSecret(adapters::Environment::FromProcess(), "CB_TEST_SECRET", &out).ok());
    CHECK(out.empty());
  }
  SECTION("from the environment") {
    ScopedEnv env("CB_TEST_SECRET", value);
    CHECK(adapters::ReadSecret(adapters::Environment::FromProcess(), "CB_TEST_SECRET", &out).ok());
    CHECK(out == value);
  }
  SECTION("from a file only its owner can read, final newline trimmed") {
    for (mode_t mode : {0600, 0400}) {
      WriteSecretFile(dir.File("s"), value + "\n", mode);
      ScopedEnv env("CB_TEST_SECRET_FILE", dir.File("s"));
      bot::Status s = adapters::ReadSecret(adapters::Environment::FromProcess(), "CB_TEST_SECRET", &out);
      INFO(s.ToString());
      CHECK(s.ok());
      CHECK(out == value);
      ::chmod(dir.File("s").c_str(), 0600);
    }
  }
  SECTION("refused: a file others may read or write, both set, no file, a directory") {
    for (mode_t mode : {0644, 0640, 0604, 0602, 0660, 0666}) {
      WriteSecretFile(dir.File("open"), value, mode);
      ScopedEnv env("CB_TEST_SECRET_FILE", dir.File("open"));
      bot::Status s = adapters::ReadSecret(adapters::Environment::FromProcess(), "CB_TEST_SECRET", &out);
      INFO(s.ToString());
      CHECK_FALSE(s.ok());
      CHECK(out.empty());
      CHECK(s.message().find("CB_TEST_SECRET_FILE") != std::string::npos);
      CHECK(s.message().find("chmod 600") != std::string::npos);
      CHECK(s.message().find(value) == std::string::npos);
    }
    {
      WriteSecretFile(dir.File("ok"), value, 0600);
      ScopedEnv env("CB_TEST_SECRET", value);
      ScopedEnv file("CB_TEST_SECRET_FILE", dir.File("ok"));
      bot::Status s = adapters::ReadSecret(adapters::Environment::FromProcess(), "CB_TEST_SECRET", &out);
      CHECK_FALSE(s.ok());
      CHECK(s.message().find(value) == std::string::npos);
    }
    {
      ScopedEnv file("CB_TEST_SECRET_FILE", dir.File("missing"));
      CHECK_FALSE(adapters::ReadSecret(adapters::Environment::FromProcess(), "CB_TEST_SECRET", &out).ok());
    }
    {
      ScopedEnv file("CB_TEST_SECRET_FILE", dir.path());
      CHECK_FALSE(adapters::ReadSecret(adapters::Environment::FromProcess(), "CB_TEST_SECRET", &out).ok());
    }
  }
}

TEST_CASE("serve refuses a secret file others can read, naming the file and not its content", "[adapters][secrets]") {
  TempDir dir;
  const std::string value = "xoxb-" + RandomHex(32);
  WriteSecretFile(dir.File("slack-token"), value, 0644);
  Process p({CAREERBOT_BINARY, "serve", "--port", "0", "--db", dir.File("kb.db")},
            {"HOME=" + dir.path(), "SLACK_SIGNING_SECRET=x", "SLACK_BOT_TOKEN_FILE=" + dir.File("slack-token")},
            dir.File("out"), dir.File("err"));
  CHECK(p.Wait(std::chrono::seconds(30)) == 2);
  std::string err = p.Stderr();
  INFO(err);
  CHECK(err.find("SLACK_BOT_TOKEN_FILE") != std::string::npos);
  CHECK(err.find("0644") != std::string::npos);
  CHECK(err.find(value) == std::string::npos);
}

TEST_CASE("no secret reaches a log line or a response, on any channel", "[adapters][secrets][e2e]") {
  TempDir dir;
  FakeApi api(/*rate_limited=*/1);  // one 429 from chat.postMessage: the retry path logs too
  Ed25519Key discord_key;
  const std::string slack_secret = "slack-signing-" + RandomHex(32);
  const std::string slack_token = "xoxb-" + RandomHex(40);
  const std::string discord_token = "discord-bot-" + RandomHex(40);
  const std::string mattermost_token = "mm-" + RandomHex(26);
  const std::string admin_token = "admin-" + RandomHex(40);
  const std::string discord_public = discord_key.PublicKeyHex();
  // Half from the environment, half from owner-only files.
  WriteSecretFile(dir.File("slack-token"), slack_token + "\n", 0600);
  WriteSecretFile(dir.File("discord-token"), discord_token + "\n", 0400);
  WriteSecretFile(dir.File("admin-token"), admin_token + "\n", 0600);
  std::vector<std::string> env = {"HOME=" + dir.path(),
                                  "SLACK_SIGNING_SECRET=" + slack_secret,
                                  "SLACK_BOT_TOKEN_FILE=" + dir.File("slack-token"),
                                  "SLACK_API_BASE=" + api.base(),
                                  "DISCORD_PUBLIC_KEY=" + discord_public,
                                  "DISCORD_BOT_TOKEN_FILE=" + dir.File("discord-token"),
                                  "DISCORD_APPLICATION_ID=123456789",
                                  "DISCORD_API_BASE=" + api.base(),
                                  "MATTERMOST_TOKEN=" + mattermost_token,
                                  "CAREERBOT_ADMIN_TOKEN_FILE=" + dir.File("admin-token"),
                                  "CAREERBOT_LOG_LEVEL=trace",
                                  "CAREERBOT_RATE_LIMIT=12"};
  Process server({CAREERBOT_BINARY, "serve", "--port", "0", "--db", dir.File("kb.db")}, env, dir.File("serve.out"),
                 dir.File("serve.err"));
  std::string port = server.WaitForStderr(R"(listening on http://127\.0\.0\.1:(\d+))", std::chrono::seconds(30));
  INFO(server.Stderr());
  REQUIRE(!port.empty());
  httplib::Client c("127.0.0.1", std::stoi(port));
  c.set_read_timeout(20, 0);
  std::string seen;  // every response
  auto keep = [&](const httplib::Result& r) {
    seen += Dump(r);
    return r ? r->status : -1;
  };

  // ---- the page, the JSON API, operations ----
  for (const char* path : {"/", "/app.js", "/app.css", "/healthz", "/metrics", "/openapi.json", "/nope"}) {
    keep(c.Get(path));
  }
  auto asked = c.Post("/v1/ask", json{{"question", "How much do backend developers earn?"}, {"explain", true}}.dump(),
                      "application/json");
  REQUIRE(keep(asked) == 200);
  std::string answer_id = json::parse(asked->body)["answer_id"];
  CHECK(keep(c.Post("/v1/feedback", json{{"answer_id", answer_id}, {"helpful", true}}.dump(), "application/json")) ==
        200);
  keep(c.Post("/v1/feedback", "{bad", "application/json"));
  keep(c.Post("/v1/ask", "{bad", "application/json"));
  keep(c.Get("/v1/ask"));

  // ---- Slack: the challenge, an event (answered via the fake API), a
  // slash command, a button click; then forged and stale requests ----
  std::string challenge = R"({"type":"url_verification","challenge":"abc123","token":"t"})";
  CHECK(keep(c.Post("/slack/events", SlackHeaders(slack_secret, challenge), challenge, "application/json")) == 200);
  json event = {{"type", "event_callback"},
                {"team_id", "T1"},
                {"event_id", "EvSecrets1"},
                {"authorizations", json::array({{{"user_id", "UBOT"}, {"is_bot", true}}})},
                {"event",
                 {{"type", "app_mention"},
                  {"user", "U1"},
                  {"text", "<@UBOT> Which databases should I learn?"},
                  {"ts", "1.1"},
                  {"channel", "C1"}}}};
  CHECK(keep(c.Post("/slack/events", SlackHeaders(slack_secret, event.dump()), event.dump(), "application/json")) ==
        200);
  std::string slash = "team_id=T1&user_id=U1&channel_id=C1&command=%2Fask&text=What+is+REST%3F";
  CHECK(keep(c.Post("/slack/commands", SlackHeaders(slack_secret, slash), slash,
                    "application/x-www-form-urlencoded")) == 200);
  json click = {{"type", "block_actions"},
                {"user", {{"id", "U1"}}},
                {"team", {{"id", "T1"}}},
                {"response_url", api.base() + "/hooks/1"},
                {"actions", json::array({{{"action_id", "feedback_up"}, {"value", answer_id}}})}};
  std::string interaction = "payload=" + FormEncode(click.dump());
  CHECK(keep(c.Post("/slack/interactions", SlackHeaders(slack_secret, interaction), interaction,
                    "application/x-www-form-urlencoded")) == 200);
  CHECK(keep(c.Post("/slack/events", SlackHeaders("wrong", event.dump()), event.dump(), "application/json")) == 401);
  CHECK(keep(c.Post("/slack/commands", SlackHeaders(slack_secret, slash, 1000000000), slash,
                    "application/x-www-form-urlencoded")) == 401);

  // ---- Discord: PING, the command, a click, a forgery ----
  std::string ping = R"({"type":1})";
  CHECK(keep(c.Post("/discord/interactions", DiscordHeaders(discord_key, ping), ping, "application/json")) == 200);
  json command = {{"type", 2},
                  {"channel_id", "C"},
                  {"member", {{"user", {{"id", "D1"}}}}},
                  {"data", {{"name", "ask"}, {"options", json::array({{{"name", "question"}, {"type", 3},
                                                                       {"value", "What is Docker?"}}})}}}};
  CHECK(keep(c.Post("/discord/interactions", DiscordHeaders(discord_key, command.dump()), command.dump(),
                    "application/json")) == 200);
  json dclick = {{"type", 3}, {"member", {{"user", {{"id", "D1"}}}}},
                 {"data", {{"custom_id", "feedback:down:" + answer_id}, {"component_type", 2}}}};
  keep(c.Post("/discord/interactions", DiscordHeaders(discord_key, dclick.dump()), dclick.dump(), "application/json"));
  Ed25519Key other;
  CHECK(keep(c.Post("/discord/interactions", DiscordHeaders(other, ping), ping, "application/json")) == 401);

  // ---- Mattermost: the token in the form and in the header; a wrong one ----
  std::string mm = "token=" + mattermost_token + "&team_id=T&user_id=M1&text=What+is+an+API%3F";
  CHECK(keep(c.Post("/mattermost/commands", mm, "application/x-www-form-urlencoded")) == 200);
  CHECK(keep(c.Post("/mattermost/commands", {{"Authorization", "Token " + mattermost_token}},
                    "team_id=T&user_id=M2&text=hi", "application/x-www-form-urlencoded")) == 200);
  CHECK(keep(c.Post("/mattermost/commands", "token=wrong&text=hi", "application/x-www-form-urlencoded")) == 401);

  // ---- the admin API: with the token, a wrong one, none ----
  httplib::Headers admin = {{"Authorization", "Bearer " + admin_token}};
  auto entry = c.Get("/v1/admin/entries/us-backend-salary", admin);
  REQUIRE(keep(entry) == 200);
  json edited = json::parse(entry->body);
  edited["body"] = "Edited during the secrets test. " + edited["body"].get<std::string>();
  CHECK(keep(c.Put("/v1/admin/entries/us-backend-salary", admin, edited.dump(), "application/json")) == 200);
  keep(c.Get("/v1/admin/entries", admin));
  keep(c.Get("/v1/admin/export", admin));
  keep(c.Get("/v1/admin/gaps", admin));
  keep(c.Post("/v1/admin/ask", admin, json{{"question", "What is REST?"}}.dump(), "application/json"));
  keep(c.Post("/v1/admin/import", admin, "{\"id\":\"bad id\"}\n", "application/x-ndjson"));
  keep(c.Get("/admin", admin));
  CHECK(keep(c.Get("/v1/admin/entries", {{"Authorization", "Bearer " + admin_token + "x"}})) == 401);
  CHECK(keep(c.Get("/v1/admin/entries")) == 401);

  // ---- past the rate limit ----
  for (int i = 0; i < 15; i++) keep(c.Post("/v1/ask", json{{"question", "hi"}}.dump(), "application/json"));
  CHECK(seen.find("429") != std::string::npos);

  // The Slack answer went out through the fake API (after its 429).
  CHECK(chat_testing::WaitFor([&] { return api.CallsTo("/chat.postMessage", 200).size() >= 1; },
                              std::chrono::seconds(10)));

  // `careerbot discord register` with the bot token from its file.
  std::vector<std::string> reg_env = env;
  reg_env.push_back("CAREERBOT_DB=" + dir.File("kb.db"));
  Process reg({CAREERBOT_BINARY, "discord", "register"}, reg_env, dir.File("reg.out"), dir.File("reg.err"));
  CHECK(reg.Wait(std::chrono::seconds(30)) == 0);
  std::string reg_out;
  testing_helpers::ReadWholeFile(dir.File("reg.out"), &reg_out);

  REQUIRE(server.Signal(SIGTERM));
  CHECK(server.Wait(std::chrono::seconds(30)) == 0);
  std::string out;
  testing_helpers::ReadWholeFile(dir.File("serve.out"), &out);
  const std::string logs = server.Stderr() + out + reg.Stderr() + reg_out;
  CHECK(logs.find("listening on") != std::string::npos);
  CHECK(logs.find("POST /slack/events") != std::string::npos);  // the access log was on

  // The fake API did get the tokens it needs: the test could see them.
  CHECK(api.CallsTo("/chat.postMessage").front().authorization == "Bearer " + slack_token);

  for (const std::string& secret : {slack_secret, slack_token, discord_token, mattermost_token, admin_token}) {
    INFO("secret " << secret.substr(0, 8) << "...");
    CHECK(logs.find(secret) == std::string::npos);
    CHECK(seen.find(secret) == std::string::npos);
    // Not even a good part of one.
    CHECK(logs.find(secret.substr(secret.size() - 16)) == std::string::npos);
    CHECK(seen.find(secret.substr(secret.size() - 16)) == std::string::npos);
  }
  // The Discord public key is not secret, but it is not logged either.
  CHECK(logs.find(discord_public) == std::string::npos);
}
