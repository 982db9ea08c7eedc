// The Discord adapter (adapters/chat/discord): Ed25519 verification against the
// RFC 8032 vectors and the Discord-shaped vector of chat-platforms.md §7 with
// its negative cases, Markdown escaping and Discord's length limits on a
// hand-built answer, and end to end against a real server: PING, the ask
// command, the feedback buttons, tampered requests (401, nothing else), and
// `discord register` against a fake Discord API.
#include "adapters/chat/discord/discord.h"

#include <cctype>
#include <ctime>
#include <string>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "../fakes/fake_retriever.h"
#include "../helpers/files.h"
#include "app/chat_config.h"
#include "adapters/chat/discord/format.h"
#include "adapters/chat/discord/verify.h"
#include "adapters/chat/markdown.h"
#include "chat_test_server.h"

namespace {

using chat_testing::ChatServer;
using chat_testing::DiscordHeaders;
using chat_testing::Ed25519Key;
using chat_testing::FakeApi;
using nlohmann::json;

std::string Raw(const std::string& hex) {
  std::string out;
  REQUIRE(adapters::discord::DecodeHex(hex, hex.size() / 2, &out));
  return out;
}

struct RfcVector {
  const char* public_key;
  const char* message;
  const char* signature;
};
// RFC 8032 §7.1, TEST 1 to 3.
const RfcVector kRfc[] = {
    {"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe246"
     "55141438e7a100b"},
    {"3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb"
     "00d291612bb0c00"},
    {"fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc"
     "027beceea1ec40a"},
};
const char kRfcSeed1[] = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";

// chat-platforms.md §7: signed with the TEST 1 seed.
const std::string kDiscordKey = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const std::string kDiscordTimestamp = "1700000000";
const std::string kDiscordBody = R"({"type":1})";
const std::string kDiscordSignature =
    "1695961a47c91a1ec033b819b7e87e3dbc583dd0cee6d1fd0216f58ac87b6228ae531ddbf91fb7bc28d7edf7f08604da16f54624f38a6bc061"
    "4e4dc13cd47f0f";

std::string FlipHexDigit(std::string hex, size_t i) {
  hex[i] = hex[i] == '0' ? '1' : '0';
  return hex;
}

bot::Answer HostileAnswer() {
  bot::Answer a;
  a.text = "Use <script> & @everyone or <@123> *now* _and_ `code` ~x~ | [link](https://evil.test) > later";
  a.answered = true;
  a.kind = "kb";
  a.answer_id = "0123456789abcdef0123456789abcdef";
  bot::AnswerSource s;
  s.title = "Pay [2024] & (more)";
  s.article = "Salaries";
  s.url = "https://example.com/pay (us)";
  a.sources.push_back(s);
  a.suggestions = {"What about @here?", "How do I start?"};
  return a;
}

}  // namespace

// ---- verification ----

TEST_CASE("verifies the RFC 8032 vectors and refuses each with one byte changed", "[discord][verify]") {
  for (const auto& v : kRfc) {
    INFO(v.public_key);
    std::string key = Raw(v.public_key), message = Raw(v.message), sig = Raw(v.signature);
    CHECK(adapters::discord::VerifyEd25519(key, sig, message));
    std::string bad_sig = sig;
    bad_sig[5] ^= 1;
    CHECK_FALSE(adapters::discord::VerifyEd25519(key, bad_sig, message));
    CHECK_FALSE(adapters::discord::VerifyEd25519(key, sig, message + "x"));
    std::string bad_key = key;
    bad_key[0] ^= 1;
    CHECK_FALSE(adapters::discord::VerifyEd25519(bad_key, sig, message));
    CHECK_FALSE(adapters::discord::VerifyEd25519(key.substr(1), sig, message));
    CHECK_FALSE(adapters::discord::VerifyEd25519(key, sig.substr(1), message));
  }
  // TEST 2's message is the one byte 'r': as a timestamp with an empty body.
  CHECK(adapters::discord::VerifySignature(kRfc[1].public_key, kRfc[1].signature, "r", "").ok());
  // The TEST 1 seed gives TEST 1's public key and signature.
  Ed25519Key seed(Raw(kRfcSeed1));
  CHECK(seed.PublicKeyHex() == kRfc[0].public_key);
  CHECK(seed.SignHex("") == kRfc[0].signature);
}

TEST_CASE("verifies the Discord-shaped vector and refuses every variation", "[discord][verify]") {
  using adapters::discord::VerifySignature;
  CHECK(VerifySignature(kDiscordKey, kDiscordSignature, kDiscordTimestamp, kDiscordBody).ok());
  SECTION("the body re-serialized with one extra space") {
    CHECK_FALSE(VerifySignature(kDiscordKey, kDiscordSignature, kDiscordTimestamp, R"({"type": 1})").ok());
  }
  SECTION("a tampered byte") {
    CHECK_FALSE(
        VerifySignature(kDiscordKey, FlipHexDigit(kDiscordSignature, 10), kDiscordTimestamp, kDiscordBody).ok());
    CHECK_FALSE(VerifySignature(kDiscordKey, kDiscordSignature, "1700000001", kDiscordBody).ok());
    CHECK_FALSE(VerifySignature(kDiscordKey, kDiscordSignature, kDiscordTimestamp, R"({"type":2})").ok());
  }
  SECTION("a wrong key") {
    CHECK_FALSE(VerifySignature(kRfc[1].public_key, kDiscordSignature, kDiscordTimestamp, kDiscordBody).ok());
    CHECK_FALSE(
        VerifySignature(FlipHexDigit(kDiscordKey, 63), kDiscordSignature, kDiscordTimestamp, kDiscordBody).ok());
  }
  SECTION("bad hex") {
    std::string sig = kDiscordSignature;
    sig[0] = 'g';
    CHECK_FALSE(VerifySignature(kDiscordKey, sig, kDiscordTimestamp, kDiscordBody).ok());
    std::string key = kDiscordKey;
    key[10] = 'z';
    CHECK_FALSE(VerifySignature(key, kDiscordSignature, kDiscordTimestamp, kDiscordBody).ok());
    CHECK_FALSE(VerifySignature(kDiscordKey, " " + kDiscordSignature.substr(1), kDiscordTimestamp, kDiscordBody).ok());
    CHECK_FALSE(adapters::discord::IsValidPublicKey("Bot MTIzNDU2Nzg5MDEyMzQ1Njc4.bot-token-instead-of-key"));
  }
  SECTION("wrong lengths") {
    CHECK_FALSE(VerifySignature(kDiscordKey, kDiscordSignature.substr(0, 126), kDiscordTimestamp, kDiscordBody).ok());
    CHECK_FALSE(VerifySignature(kDiscordKey, kDiscordSignature + "00", kDiscordTimestamp, kDiscordBody).ok());
    CHECK_FALSE(VerifySignature(kDiscordKey.substr(0, 62), kDiscordSignature, kDiscordTimestamp, kDiscordBody).ok());
    CHECK_FALSE(VerifySignature(kDiscordKey + "00", kDiscordSignature, kDiscordTimestamp, kDiscordBody).ok());
  }
  SECTION("missing headers or key") {
    CHECK_FALSE(VerifySignature(kDiscordKey, "", kDiscordTimestamp, kDiscordBody).ok());
    CHECK_FALSE(VerifySignature(kDiscordKey, kDiscordSignature, "", kDiscordBody).ok());
    CHECK_FALSE(VerifySignature("", kDiscordSignature, kDiscordTimestamp, kDiscordBody).ok());
  }
  CHECK(adapters::discord::IsValidPublicKey(kDiscordKey));
  std::string upper = kDiscordSignature;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(VerifySignature(kDiscordKey, upper, kDiscordTimestamp, kDiscordBody).ok());  // hex is case-insensitive
}

// ---- formatting ----

TEST_CASE("escapes Discord Markdown and defuses mentions", "[discord][format]") {
  std::string e = adapters::EscapeMarkdown("a *b* _c_ ~d~ `e` |f| <@123> [g](h) \\ @everyone @here x@y.z");
  CHECK(e ==
        "a \\*b\\* \\_c\\_ \\~d\\~ \\`e\\` \\|f\\| \\<@\xE2\x80\x8B"
        "123\\> \\[g\\]\\(h\\) \\\\ "
        "@\xE2\x80\x8B"
        "everyone @\xE2\x80\x8B"
        "here x@y.z");
  CHECK(adapters::EscapeMarkdown("# title\n- item\n  1. first\nplain # - 1.") ==
        "\\# title\n\\- item\n  1\\. first\nplain # - 1.");
  CHECK(adapters::Utf16Length("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x91\x8D") == 5);  // a é € 👍
}

TEST_CASE("cuts long text at a sentence end within the limit", "[discord][format]") {
  std::string sentence = "Backend developers build APIs and services. ";
  std::string text;
  while (text.size() < 3000) text += sentence;
  std::string cut = adapters::CutAtSentence(text, 2000);
  CHECK(adapters::Utf16Length(cut) <= 2000);
  CHECK(cut.back() == '.');
  CHECK(cut.size() > 1900);
  CHECK(adapters::CutAtSentence("short.", 2000) == "short.");
  std::string words(2500, 'a');
  for (size_t i = 10; i < words.size(); i += 11) words[i] = ' ';
  std::string word_cut = adapters::CutAtSentence(words, 2000);
  CHECK(adapters::Utf16Length(word_cut) <= 2000);
  CHECK(word_cut.substr(word_cut.size() - 3) == "\xE2\x80\xA6");
  // Never half an escape.
  std::string escaped = adapters::EscapeMarkdown(std::string(3000, '*'));
  std::string escaped_cut = adapters::CutAtSentence(escaped, 2000);
  size_t slashes = 0;
  for (size_t i = escaped_cut.size() - 3; i > 0 && escaped_cut[i - 1] == '\\'; i--) slashes++;
  CHECK(slashes % 2 == 0);
}

// Issue 16: a source line was cut at 512 characters after it was built,
// sometimes inside "[title](url", which left a broken link.
TEST_CASE("a long source line is cut without breaking its link", "[discord][format]") {
  const std::string url = "https://example.com/a/rather/long/path/to/the/source/page?with=query";
  const std::string long_title = "A title that goes on. " + std::string(600, 'x');
  const std::string long_article = "An article whose name is long too. " + std::string(700, 'y');
  for (const auto& [title, article] : std::vector<std::pair<std::string, std::string>>{
           {long_title, "Short article"}, {"Short title", long_article}, {long_title, long_article}}) {
    std::string line = adapters::discord::SourceLine(title, article, url);
    INFO(line);
    CHECK(adapters::Utf16Length(line) <= 512);
    CHECK(line.find("](" + url + ")") != std::string::npos);
    CHECK(line.find('[') != std::string::npos);
  }
  // A link too long to leave room for its title: the title alone, never a cut link.
  std::string huge_url = "https://example.com/" + std::string(400, 'z');
  std::string line = adapters::discord::SourceLine(long_title, "", huge_url);
  CHECK(adapters::Utf16Length(line) <= 512);
  CHECK(line.find("](") == std::string::npos);
  CHECK(line.find("https://") == std::string::npos);
}

TEST_CASE("renders an answer with <, & and @everyone safely for Discord", "[discord][format]") {
  bot::Answer a = HostileAnswer();
  json r = adapters::discord::AnswerResponse(a, false);
  INFO(r.dump(2));
  CHECK(r["type"] == 4);
  const json& data = r["data"];
  CHECK(data["allowed_mentions"] == json({{"parse", json::array()}}));
  CHECK_FALSE(data.contains("flags"));
  std::string content = data["content"];
  CHECK(content.find("Use \\<script\\> & @\xE2\x80\x8B"
                     "everyone or \\<@\xE2\x80\x8B"
                     "123\\> \\*now\\*") == 0);
  CHECK(content.find("@everyone") == std::string::npos);
  CHECK(content.find("[link](") == std::string::npos);
  const json& embed = data["embeds"][0];
  CHECK(embed["title"] == "Source");
  CHECK(embed["description"].get<std::string>().find(
            "[Pay \\[2024\\] & \\(more\\)](https://example.com/pay%20%28us%29)") != std::string::npos);
  CHECK(embed["fields"][0]["value"].get<std::string>().find("@\xE2\x80\x8B"
                                                            "here") != std::string::npos);
  const json& buttons = data["components"][0]["components"];
  REQUIRE(buttons.size() == 2);
  CHECK(buttons[0]["custom_id"] == "feedback:up:" + a.answer_id);
  CHECK(buttons[1]["custom_id"] == "feedback:down:" + a.answer_id);
  CHECK(adapters::discord::AnswerResponse(a, true)["data"]["flags"] == 64);
}

TEST_CASE("keeps within Discord's 2000/4096/1024/6000 limits", "[discord][format]") {
  bot::Answer a;
  a.kind = "kb";
  a.answer_id = "id";
  for (int i = 0; i < 120; i++) a.text += "This sentence is about pay and databases and interviews. ";
  for (int i = 0; i < 40; i++) {
    bot::AnswerSource s;
    s.title = std::string(300, 'T');
    s.article = std::string(300, 'A');
    s.url = "https://example.com/" + std::string(100, 'u');
    a.sources.push_back(s);
  }
  for (int i = 0; i < 40; i++) a.suggestions.push_back(std::string(100, 's') + "?");
  json data = adapters::discord::AnswerMessage(a, false);
  std::string content = data["content"];
  CHECK(adapters::Utf16Length(content) <= 2000);
  CHECK(content.back() == '.');
  const json& embed = data["embeds"][0];
  size_t title = adapters::Utf16Length(embed["title"].get<std::string>());
  size_t description = adapters::Utf16Length(embed["description"].get<std::string>());
  size_t name = adapters::Utf16Length(embed["fields"][0]["name"].get<std::string>());
  size_t value = adapters::Utf16Length(embed["fields"][0]["value"].get<std::string>());
  CHECK(title <= 256);
  CHECK(description <= 4096);
  CHECK(name <= 256);
  CHECK(value <= 1024);
  CHECK(title + description + name + value <= 6000);
}

TEST_CASE("decodes the ask command and the feedback buttons", "[discord][format]") {
  json ask = {{"type", 2},
              {"channel_id", "42"},
              {"member", {{"user", {{"id", "7"}}}}},
              {"data",
               {{"name", "ask"},
                {"options",
                 {{{"type", 3}, {"name", "question"}, {"value", "Salary?"}},
                  {{"type", 5}, {"name", "private"}, {"value", true}}}}}}};
  adapters::discord::AskCommand cmd;
  std::string error;
  REQUIRE(adapters::discord::DecodeAskCommand(ask, &cmd, &error));
  CHECK(cmd.question == "Salary?");
  CHECK(cmd.is_private);
  CHECK(cmd.user_id == "7");
  ask["data"]["name"] = "other";
  CHECK_FALSE(adapters::discord::DecodeAskCommand(ask, &cmd, &error));
  adapters::discord::FeedbackClick click;
  json component = {{"type", 3}, {"data", {{"custom_id", "feedback:down:abc"}, {"component_type", 2}}}};
  REQUIRE(adapters::discord::DecodeFeedbackClick(component, &click));
  CHECK(click.answer_id == "abc");
  CHECK_FALSE(click.helpful);
  component["data"]["custom_id"] = "feedback:sideways:abc";
  CHECK_FALSE(adapters::discord::DecodeFeedbackClick(component, &click));
  json defs = adapters::discord::CommandDefinitions();
  CHECK(defs[0]["name"] == "ask");
  CHECK(defs[0]["options"][0]["name"] == "question");
  CHECK(defs[0]["options"][0]["type"] == 3);
  CHECK(defs[0]["options"][0]["required"] == true);
  CHECK(defs[0]["options"][1]["name"] == "private");
  CHECK(defs[0]["options"][1]["type"] == 5);
}

TEST_CASE("a clarification is an action row with one button per option", "[discord][format][clarify]") {
  bot::Answer a;
  a.kind = "clarify";
  a.answer_id = "feedbeef";
  a.options = {{"What is <b>Docker</b> & @everyone?", "docker-basics"},
               {"How much Docker does a *backend* developer need to know in a real job, day to day, year after year?",
                "docker-needed"},
               {"How popular is Docker?", std::string(120, 'x')}};  // too long for a custom_id: left out
  a.text = "I'm not sure which you mean. Did you mean one of these?\n1. x\n2. y\n3. z\nReply with a number to choose.";
  json m = adapters::discord::AnswerMessage(a, false);
  INFO(m.dump(2));
  CHECK(m["content"] == "I'm not sure which you mean. Did you mean one of these?");
  CHECK(m["allowed_mentions"] == json({{"parse", json::array()}}));
  REQUIRE(m["components"].size() == 1);
  CHECK(m["components"][0]["type"] == 1);
  const json& buttons = m["components"][0]["components"];
  REQUIRE(buttons.size() == 2);
  CHECK(buttons[0]["type"] == 2);
  CHECK(buttons[0]["style"] == 1);
  CHECK(buttons[1]["style"] == 2);
  // The entry and the clarification it was offered by (its answer id).
  CHECK(buttons[0]["custom_id"] == "clarify:docker-basics:feedbeef");
  CHECK(buttons[1]["custom_id"] == "clarify:docker-needed:feedbeef");
  // Labels are plain text: shown as they are, at most 80 characters.
  CHECK(buttons[0]["label"] == a.options[0].question);
  CHECK(adapters::Utf16Length(buttons[1]["label"].get<std::string>()) <= 80);
  CHECK(buttons[1]["label"].get<std::string>().find("How much Docker") == 0);
  CHECK(m.dump().find("feedback:") == std::string::npos);
  CHECK_FALSE(m.contains("flags"));
  CHECK(adapters::discord::AnswerMessage(a, true)["flags"] == 64);
  CHECK(adapters::discord::ClarifyCustomId(std::string(92, 'e')).size() == 100);
  CHECK(adapters::discord::ClarifyCustomId(std::string(93, 'e')).empty());
  // Discord's 100: the clarification id goes when it does not fit (or is malformed).
  const std::string id32 = "01a24bc3f70fa7bb9ad0ff164287902a";
  CHECK(adapters::discord::ClarifyCustomId(std::string(59, 'e'), id32) == "clarify:" + std::string(59, 'e') + ":" + id32);
  CHECK(adapters::discord::ClarifyCustomId(std::string(60, 'e'), id32) == "clarify:" + std::string(60, 'e'));
  CHECK(adapters::discord::ClarifyCustomId("docker-basics", "bad id") == "clarify:docker-basics");

  // A click, as Discord sends it: the message the button is on comes along.
  json click = {{"type", 3},
                {"channel_id", "42"},
                {"member", {{"user", {{"id", "7"}}}}},
                {"message", m},
                {"data", {{"custom_id", "clarify:docker-needed:feedbeef"}, {"component_type", 2}}}};
  adapters::discord::ClarifyClick c;
  REQUIRE(adapters::discord::DecodeClarifyClick(click, &c));
  CHECK(c.entry_id == "docker-needed");
  CHECK(c.clarification_id == "feedbeef");
  CHECK(c.question == buttons[1]["label"]);
  CHECK(c.user_id == "7");
  CHECK(c.channel_id == "42");
  adapters::discord::FeedbackClick f;
  CHECK_FALSE(adapters::discord::DecodeFeedbackClick(click, &f));
  for (const char* bad : {"clarify:", "clarify::feedbeef", "clarify:docker-needed:", "clarify:docker-needed:a:b",
                          "clarify:docker-needed:bad id"}) {
    INFO(bad);
    click["data"]["custom_id"] = bad;
    CHECK_FALSE(adapters::discord::DecodeClarifyClick(click, &c));
  }
  click["data"]["custom_id"] = "feedback:up:abc";
  CHECK_FALSE(adapters::discord::DecodeClarifyClick(click, &c));
  click["data"]["custom_id"] = "clarify:docker-basics";  // a button made before: no clarification id
  click["message"] = "not an object";
  REQUIRE(adapters::discord::DecodeClarifyClick(click, &c));
  CHECK(c.clarification_id.empty());
  CHECK(c.question.empty());

  // The chosen option's answer updates the clarification in place.
  bot::Answer answer = HostileAnswer();
  json update = adapters::discord::ChosenAnswerResponse(answer, "What is <b>Docker</b>?");
  CHECK(update["type"] == 7);
  std::string content = update["data"]["content"];
  CHECK(content.find("**What is \\<b\\>Docker\\</b\\>?**\nUse \\<script\\>") == 0);
  CHECK(content.find("@everyone") == std::string::npos);
  CHECK(update["data"]["components"][0]["components"][0]["custom_id"].get<std::string>().find("feedback:") == 0);
  CHECK_FALSE(update["data"].contains("flags"));
  answer.answer_id.clear();
  CHECK(adapters::discord::ChosenAnswerResponse(answer, "q")["data"]["components"] == json::array());
}

// ---- end to end ----

namespace {

adapters::ChatConfig DiscordConfigFor(const Ed25519Key& key) {
  adapters::ChatConfig c;
  c.discord.public_key = key.PublicKeyHex();
  return c;
}

httplib::Result PostInteraction(ChatServer& server, const Ed25519Key& key, const json& interaction) {
  std::string body = interaction.dump();
  return server.Post("/discord/interactions", body, "application/json", DiscordHeaders(key, body));
}

json AskInteraction(const std::string& question, bool is_private) {
  json options = {{{"type", 3}, {"name", "question"}, {"value", question}}};
  if (is_private) options.push_back({{"type", 5}, {"name", "private"}, {"value", true}});
  return {{"id", "1"},
          {"application_id", "2"},
          {"type", 2},
          {"token", "t"},
          {"version", 1},
          {"channel_id", "42"},
          {"guild_id", "9"},
          {"member", {{"user", {{"id", "7"}}}}},
          {"data", {{"id", "3"}, {"name", "ask"}, {"type", 1}, {"options", options}}}};
}

// A click on a clarification's button, as Discord sends it: the message the
// button is on (its components, and its content when given) comes along.
json ButtonClick(const json& custom_id, const json& components, const json& content = nullptr) {
  json message = {{"id", "100"}, {"channel_id", "42"}};
  if (!content.is_null()) message["content"] = content;
  message["components"] = components;
  return {{"id", "5"},
          {"application_id", "2"},
          {"type", 3},
          {"token", "t2"},
          {"version", 1},
          {"channel_id", "42"},
          {"guild_id", "9"},
          {"member", {{"user", {{"id", "7"}}}}},
          {"message", message},
          {"data", {{"custom_id", custom_id}, {"component_type", 2}}}};
}

int64_t CountLogged(const std::string& db, const std::string& channel) {
  sqlite3* handle = nullptr;
  if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return -1;
  sqlite3_stmt* stmt = nullptr;
  int64_t n = -1;
  if (sqlite3_prepare_v2(handle, "SELECT COUNT(*) FROM question_log WHERE channel = ?1", -1, &stmt, nullptr) ==
      SQLITE_OK) {
    sqlite3_bind_text(stmt, 1, channel.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(stmt) == SQLITE_ROW) n = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(handle);
  return n;
}

}  // namespace

TEST_CASE("answers Discord's PING with PONG, and only when signed", "[discord][e2e]") {
  Ed25519Key key;
  ChatServer server(DiscordConfigFor(key));
  auto res = PostInteraction(server, key, {{"type", 1}});
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type").find("application/json") == 0);
  CHECK(json::parse(res->body) == json({{"type", 1}}));

  std::string body = R"({"type":1})";
  auto headers = DiscordHeaders(key, body);
  SECTION("the body re-serialized with one extra space") {
    auto r = server.Post("/discord/interactions", R"({"type": 1})", "application/json", headers);
    REQUIRE(r);
    CHECK(r->status == 401);
  }
  SECTION("another key pair's signature") {
    Ed25519Key other;
    auto r = server.Post("/discord/interactions", body, "application/json", DiscordHeaders(other, body));
    REQUIRE(r);
    CHECK(r->status == 401);
  }
  SECTION("no signature headers") {
    auto r = server.Post("/discord/interactions", body, "application/json");
    REQUIRE(r);
    CHECK(r->status == 401);
  }
  SECTION("a garbage signature") {
    auto r = server.Post("/discord/interactions", body, "application/json",
                         {{"X-Signature-Timestamp", "1700000000"}, {"X-Signature-Ed25519", std::string(128, 'x')}});
    REQUIRE(r);
    CHECK(r->status == 401);
  }
}

TEST_CASE("answers the ask command inline, privately when asked", "[discord][e2e]") {
  Ed25519Key key;
  ChatServer server(DiscordConfigFor(key));
  auto res = PostInteraction(server, key, AskInteraction("How much do backend developers earn?", false));
  REQUIRE(res);
  CHECK(res->status == 200);
  json r = json::parse(res->body);
  CHECK(r["type"] == 4);
  CHECK(r["data"]["allowed_mentions"] == json({{"parse", json::array()}}));
  CHECK(r["data"]["content"].get<std::string>().size() > 20);
  CHECK(adapters::Utf16Length(r["data"]["content"].get<std::string>()) <= 2000);
  CHECK_FALSE(r["data"].contains("flags"));

  auto priv = PostInteraction(server, key, AskInteraction("Which databases should I learn?", true));
  REQUIRE(priv);
  CHECK(json::parse(priv->body)["data"]["flags"] == 64);

  auto empty = PostInteraction(server, key, AskInteraction("   ", false));
  REQUIRE(empty);
  json help = json::parse(empty->body);
  CHECK(help["data"]["flags"] == 64);
  CHECK(help["data"]["content"].get<std::string>().find("/ask") != std::string::npos);
}

TEST_CASE("records feedback from the Discord buttons", "[discord][e2e]") {
  Ed25519Key key;
  ChatServer server(DiscordConfigFor(key));
  auto res = PostInteraction(server, key, AskInteraction("How much do backend developers earn?", false));
  REQUIRE(res);
  json r = json::parse(res->body);
  REQUIRE(r["data"].contains("components"));
  std::string custom_id = r["data"]["components"][0]["components"][0]["custom_id"];
  json click = {{"type", 3},
                {"id", "5"},
                {"token", "t"},
                {"member", {{"user", {{"id", "7"}}}}},
                {"data", {{"custom_id", custom_id}, {"component_type", 2}}}};
  auto clicked = PostInteraction(server, key, click);
  REQUIRE(clicked);
  CHECK(clicked->status == 200);
  json thanks = json::parse(clicked->body);
  CHECK(thanks["type"] == 4);
  CHECK(thanks["data"]["flags"] == 64);
  CHECK(thanks["data"]["content"].get<std::string>().find("Thanks") == 0);

  click["data"]["custom_id"] = "feedback:up:no-such-answer";
  auto unknown = PostInteraction(server, key, click);
  REQUIRE(unknown);
  CHECK(json::parse(unknown->body)["data"]["content"].get<std::string>().find("Thanks") == std::string::npos);
}

TEST_CASE("a clarification's button answers that entry in place of the clarification", "[discord][e2e][clarify]") {
  testing_helpers::TempDir dir;
  const std::string db = dir.File("careerbot.db");
  Ed25519Key key;
  ChatServer server(DiscordConfigFor(key), db);
  const auto [question, expected_clarification] = chat_testing::UnsureQuestion(server.service());
  auto asked = PostInteraction(server, key, AskInteraction(question, false));
  REQUIRE(asked);
  REQUIRE(asked->status == 200);
  json r = json::parse(asked->body);
  INFO(r.dump(2));
  CHECK(r["type"] == 4);
  CHECK(r["data"]["content"].get<std::string>().find("Did you mean") != std::string::npos);
  REQUIRE(r["data"]["components"].size() == 1);
  CHECK(r["data"]["components"][0]["type"] == 1);
  const json buttons = r["data"]["components"][0]["components"];
  REQUIRE(buttons.size() == expected_clarification.options.size());
  for (size_t i = 0; i < buttons.size(); i++) {
    CHECK(buttons[i]["type"] == 2);
    CHECK(buttons[i]["style"] == (i == 0 ? 1 : 2));
    CHECK(buttons[i]["custom_id"].get<std::string>().rfind(
              "clarify:" + expected_clarification.options[i].entry_id + ":", 0) == 0);
    CHECK(buttons[i]["label"] == expected_clarification.options[i].question);
  }

  // The click, as Discord sends it: the message the button is on comes along.
  const std::string entry = expected_clarification.options[1].entry_id;
  json click = ButtonClick(buttons[1]["custom_id"], r["data"]["components"], r["data"]["content"]);
  const std::string body = click.dump();

  SECTION("a bad signature gets 401 and changes nothing") {
    Ed25519Key other;
    auto forged = server.Post("/discord/interactions", body, "application/json", DiscordHeaders(other, body));
    REQUIRE(forged);
    CHECK(forged->status == 401);
    auto unsigned_click = server.Post("/discord/interactions", body, "application/json");
    REQUIRE(unsigned_click);
    CHECK(unsigned_click->status == 401);
    json swapped = click;
    swapped["data"]["custom_id"] = buttons[0]["custom_id"];
    auto tampered =
        server.Post("/discord/interactions", swapped.dump(), "application/json", DiscordHeaders(key, body));
    REQUIRE(tampered);
    CHECK(tampered->status == 401);
    server.service().FlushLog();
    CHECK(chat_testing::LoggedLines(db, "discord") == std::vector<std::string>{"clarify|" + question + "|"});
    auto turns = server.service().answerer().conversations().Recent("discord:42:7");
    REQUIRE(turns.size() == 1);
    CHECK_FALSE(turns.back().options.empty());
  }

  SECTION("a signed click updates the clarification into that entry's answer and logs the choice") {
    auto clicked = server.Post("/discord/interactions", body, "application/json", DiscordHeaders(key, body));
    REQUIRE(clicked);
    CHECK(clicked->status == 200);
    json update = json::parse(clicked->body);
    INFO(update.dump(2));
    CHECK(update["type"] == 7);  // UPDATE_MESSAGE: the options cannot be clicked again
    bot::Answer expected = chat_testing::ChosenAnswer(server.service(), buttons[1]["label"], entry);
    // That entry's answer (the answer id in the feedback buttons differs).
    json same = adapters::discord::ChosenAnswerResponse(expected, buttons[1]["label"]);
    CHECK(update["data"]["content"] == same["data"]["content"]);
    CHECK(update["data"]["embeds"] == same["data"]["embeds"]);
    const std::string content = update["data"]["content"];
    CHECK(content.find("**" + adapters::EscapeMarkdown(buttons[1]["label"].get<std::string>()) + "**\n") == 0);
    CHECK(content.find(adapters::EscapeMarkdown(expected.text).substr(0, 40)) != std::string::npos);
    CHECK(update["data"]["embeds"][0]["description"].get<std::string>().find(
              adapters::EscapeMarkdown(expected.sources[0].title)) != std::string::npos);
    CHECK(update["data"]["allowed_mentions"] == json({{"parse", json::array()}}));
    // The options are gone; the answer's feedback buttons took their place.
    const std::string components = update["data"]["components"].dump();
    CHECK(components.find("clarify:") == std::string::npos);
    CHECK(components.find("feedback:") != std::string::npos);
    // The conversation (channel and user) goes on from the chosen entry.
    auto turns = server.service().answerer().conversations().Recent("discord:42:7");
    REQUIRE(turns.size() == 2);
    CHECK(turns.back().entry_id == entry);
    server.service().FlushLog();
    CHECK(chat_testing::LoggedLines(db, "discord") ==
          std::vector<std::string>{"clarify|" + question + "|", "clarified|" + question + "|" + entry});
  }
}

TEST_CASE("a Discord clarification's button clicked after the conversation expired still logs the choice",
          "[discord][e2e][clarify][expired]") {
  testing_helpers::TempDir dir;
  const std::string db = dir.File("careerbot.db");
  Ed25519Key key;
  fakes::FakeClock clock(static_cast<int64_t>(std::time(nullptr)));
  ChatServer server(DiscordConfigFor(key), db, &clock);
  const auto [question, expected_clarification] = chat_testing::UnsureQuestion(server.service());
  auto asked = PostInteraction(server, key, AskInteraction(question, false));
  REQUIRE(asked);
  REQUIRE(asked->status == 200);
  json r = json::parse(asked->body);
  const json buttons = r["data"]["components"][0]["components"];
  REQUIRE(buttons.size() == expected_clarification.options.size());
  // Each button's custom_id carries its entry and the clarification (its answer id), within Discord's 100.
  server.service().FlushLog();
  const auto lines = chat_testing::LoggedLines(db, "discord");
  REQUIRE(lines == std::vector<std::string>{"clarify|" + question + "|"});
  for (const auto& b : buttons) CHECK(b["custom_id"].get<std::string>().size() <= adapters::discord::kMaxCustomId);

  // The conversation expires (as after a restart).
  clock.Advance(bot::Conversations::kDefaultTtlSeconds + 1);
  REQUIRE(server.service().answerer().conversations().Recent("discord:42:7").empty());

  auto click = [&](const std::string& custom_id, const std::string& label) {
    json components = r["data"]["components"];
    components[0]["components"][0]["custom_id"] = custom_id;
    components[0]["components"][0]["label"] = label;
    json interaction = ButtonClick(custom_id, components);
    return PostInteraction(server, key, interaction);
  };
  const std::string entry = expected_clarification.options[1].entry_id;
  const std::string label = buttons[1]["label"];
  const std::string genuine = buttons[1]["custom_id"];
  REQUIRE(genuine.rfind("clarify:" + entry + ":", 0) == 0);
  const std::string clarification_id = genuine.substr(genuine.rfind(':') + 1);

  // Forged or old ids: another entry than those offered, an unknown clarification.
  auto forged = click("clarify:demand-tech-boom:" + clarification_id, "How does the tech boom affect backend jobs?");
  REQUIRE(forged);
  CHECK(forged->status == 200);
  CHECK(json::parse(forged->body)["type"] == 7);
  auto unknown = click("clarify:" + entry + ":0123456789abcdef0123456789abcdef", label);
  REQUIRE(unknown);
  CHECK(unknown->status == 200);
  // Malformed: refused as no component of ours.
  for (const std::string& id : {"clarify:" + entry + ":", "clarify::" + clarification_id,
                                "clarify:" + entry + ":bad id", "clarify:" + entry + ":" + std::string(80, 'a')}) {
    INFO(id);
    auto bad = click(id, label);
    REQUIRE(bad);
    CHECK(bad->status == 400);
  }
  server.service().FlushLog();
  CHECK(chat_testing::LoggedLines(db, "discord") ==
        std::vector<std::string>{"clarify|" + question + "|",
                                 "kb|How does the tech boom affect backend jobs?|demand-tech-boom",
                                 "kb|" + label + "|" + entry});
  CHECK(chat_testing::GapChoice(server.service(), question) == "x0");

  // The genuine button answers the entry and resolves the clarification.
  auto clicked = click(genuine, label);
  REQUIRE(clicked);
  CHECK(clicked->status == 200);
  json update = json::parse(clicked->body);
  CHECK(update["type"] == 7);
  bot::Answer expected = chat_testing::ChosenAnswer(server.service(), label, entry);
  CHECK(update["data"]["content"] == adapters::discord::ChosenAnswerResponse(expected, label)["data"]["content"]);
  server.service().FlushLog();
  CHECK(chat_testing::LoggedLines(db, "discord").back() == "clarified|" + question + "|" + entry);
  CHECK(chat_testing::GapChoice(server.service(), question) == entry + "x1");
}

TEST_CASE("a tampered Discord request gets 401 and has no other effect", "[discord][e2e]") {
  testing_helpers::TempDir dir;
  std::string db = dir.File("careerbot.db");
  Ed25519Key key;
  {
    ChatServer server(DiscordConfigFor(key), db);
    std::string body = AskInteraction("How much do backend developers earn?", false).dump();
    auto headers = DiscordHeaders(key, body);
    std::string tampered = body;
    tampered[tampered.find("earn")] = 'E';
    auto res = server.Post("/discord/interactions", tampered, "application/json", headers);
    REQUIRE(res);
    CHECK(res->status == 401);
    CHECK(res->body.find("earn") == std::string::npos);
    CHECK(CountLogged(db, "discord") == 0);
    // The genuine request is answered and logged with channel "discord".
    auto ok = server.Post("/discord/interactions", body, "application/json", headers);
    REQUIRE(ok);
    CHECK(ok->status == 200);
    server.service().FlushLog();  // the question log is written asynchronously
    CHECK(CountLogged(db, "discord") == 1);
  }
}

TEST_CASE("registers the ask command with Discord, globally or for one guild", "[discord][e2e]") {
  FakeApi api;
  adapters::DiscordConfig config;
  config.application_id = "123456789";
  config.bot_token = "bot-token-for-tests";
  config.api_base = api.base() + "/api/v10";
  int status = 0;
  std::string body;
  bot::Status s = adapters::discord::RegisterDiscordCommand(config, "", &status, &body);
  INFO(s.ToString());
  REQUIRE(s.ok());
  CHECK(status == 200);
  s = adapters::discord::RegisterDiscordCommand(config, "987", &status, &body);
  REQUIRE(s.ok());
  auto calls = api.calls();
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].method == "PUT");
  CHECK(calls[0].path == "/api/v10/applications/123456789/commands");
  CHECK(calls[1].path == "/api/v10/applications/123456789/guilds/987/commands");
  CHECK(calls[0].authorization == "Bot bot-token-for-tests");
  json sent = json::parse(calls[0].body);
  CHECK(sent == adapters::discord::CommandDefinitions());
  CHECK(json::parse(body) == sent);  // what Discord answered (the fake echoes)

  config.application_id.clear();
  CHECK(adapters::discord::RegisterDiscordCommand(config, "", &status, &body).code() ==
        bot::Status::Code::kInvalidArgument);
  config.application_id = "123";
  config.api_base = "http://discord.com/api/v10";  // plain http off loopback
  CHECK_FALSE(adapters::discord::RegisterDiscordCommand(config, "", &status, &body).ok());
  CHECK(adapters::discord::RegisterDiscordCommand(config, "not-a-number", &status, &body).code() ==
        bot::Status::Code::kInvalidArgument);
}
