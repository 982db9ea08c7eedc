// The Slack adapter (adapters/chat/slack) and the Mattermost slash command: request
// signing against Slack's published example and its negative cases, mrkdwn
// escaping and Block Kit rendering of a hand-built answer, mention stripping,
// the event dedupe, and end to end against a real server with a fake Slack
// Web API on loopback (retries answered once, 429 retried, bots ignored,
// replies in the right thread, slash commands, feedback buttons).
#include "adapters/chat/slack/slack.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <string>
#include <thread>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "../fakes/fake_retriever.h"
#include "../helpers/files.h"
#include "app/chat_config.h"
#include "adapters/chat/mattermost/format.h"
#include "adapters/chat/slack/format.h"
#include "adapters/chat/markdown.h"
#include "adapters/chat/slack/verify.h"
#include "chat_test_server.h"

namespace {

using chat_testing::ChatServer;
using chat_testing::FakeApi;
using chat_testing::SlackHeaders;
using chat_testing::WaitFor;
using nlohmann::json;

// Slack's worked example ("Verifying requests from Slack"), byte for byte.
const std::string kSecret = "8f742231b10e8888abcd99yyyzzz85a5";
const std::string kTimestamp = "1531420618";
const std::string kBody =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name="
    "foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks."
    "slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015."
    "47445629121.803a0bc887a14d10d2c447fce8b6703c";
const std::string kExpected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
const int64_t kExampleNow = 1531420618;

int64_t RealNow() { return static_cast<int64_t>(std::time(nullptr)); }

bot::Answer HostileAnswer() {
  bot::Answer a;
  a.text = "Use <script> & @everyone *now* > later";
  a.answered = true;
  a.kind = "kb";
  a.answer_id = "0123456789abcdef0123456789abcdef";
  bot::AnswerSource s;
  s.id = "salary";
  s.title = "Pay <2024> & more";
  s.article = "Salaries";
  s.section = "US";
  s.url = "https://example.com/pay?a=1&b=<2>|x";
  a.sources.push_back(s);
  a.suggestions = {"What about <b>remote</b> & hybrid?", "How do I start?"};
  return a;
}

const json* FindBlock(const json& blocks, const std::string& type) {
  for (const auto& b : blocks) {
    if (b["type"] == type) return &b;
  }
  return nullptr;
}

}  // namespace

// ---- verification ----

TEST_CASE("accepts Slack's published example with the clock at its timestamp", "[slack][verify]") {
  CHECK(adapters::slack::Sign(kSecret, kTimestamp, kBody) == kExpected);
  fakes::FakeClock clock(kExampleNow);
  bot::Status s = adapters::slack::VerifySignature(kSecret, kTimestamp, kBody, kExpected, clock.NowSeconds());
  INFO(s.ToString());
  CHECK(s.ok());
}

TEST_CASE("refuses the published example when anything is off", "[slack][verify]") {
  using adapters::slack::VerifySignature;
  SECTION("an appended body") {
    CHECK_FALSE(VerifySignature(kSecret, kTimestamp, kBody + "------", kExpected, kExampleNow).ok());
  }
  SECTION("the real clock: the timestamp is stale") {
    CHECK_FALSE(VerifySignature(kSecret, kTimestamp, kBody, kExpected, RealNow()).ok());
  }
  SECTION("a missing body") { CHECK_FALSE(VerifySignature(kSecret, kTimestamp, "", kExpected, kExampleNow).ok()); }
  SECTION("a missing timestamp") { CHECK_FALSE(VerifySignature(kSecret, "", kBody, kExpected, kExampleNow).ok()); }
  SECTION("a missing signature") { CHECK_FALSE(VerifySignature(kSecret, kTimestamp, kBody, "", kExampleNow).ok()); }
  SECTION("no secret configured") { CHECK_FALSE(VerifySignature("", kTimestamp, kBody, kExpected, kExampleNow).ok()); }
  SECTION("another secret") {
    CHECK_FALSE(VerifySignature(kSecret + "x", kTimestamp, kBody, kExpected, kExampleNow).ok());
  }
  SECTION("malformed headers") {
    CHECK_FALSE(VerifySignature(kSecret, kTimestamp, kBody, "v1=" + kExpected.substr(3), kExampleNow).ok());
    CHECK_FALSE(VerifySignature(kSecret, kTimestamp, kBody, kExpected.substr(3), kExampleNow).ok());
    CHECK_FALSE(VerifySignature(kSecret, kTimestamp, kBody, kExpected + "0", kExampleNow).ok());
    CHECK_FALSE(VerifySignature(kSecret, kTimestamp, kBody, kExpected.substr(0, 66), kExampleNow).ok());
    CHECK_FALSE(VerifySignature(kSecret, "1531420618x", kBody, kExpected, kExampleNow).ok());
    CHECK_FALSE(VerifySignature(kSecret, "-1531420618", kBody, kExpected, kExampleNow).ok());
    CHECK_FALSE(VerifySignature(kSecret, " 1531420618", kBody, kExpected, kExampleNow).ok());
    CHECK_FALSE(VerifySignature(kSecret, "99999999999999999999", kBody, kExpected, kExampleNow).ok());
  }
}

TEST_CASE("refuses stale and future timestamps with the real clock, 300 s each way", "[slack][verify]") {
  using adapters::slack::Sign;
  using adapters::slack::VerifySignature;
  const std::string secret = "test-signing-secret";
  const std::string body = R"({"type":"event_callback"})";
  int64_t now = RealNow();
  for (int64_t offset : {-300, -10, 0, 10, 300}) {
    std::string ts = std::to_string(now + offset);
    INFO("offset " << offset);
    CHECK(VerifySignature(secret, ts, body, Sign(secret, ts, body), now).ok());
  }
  for (int64_t offset : {-301, -3600, 301, 3600}) {
    std::string ts = std::to_string(now + offset);
    INFO("offset " << offset);
    CHECK_FALSE(VerifySignature(secret, ts, body, Sign(secret, ts, body), now).ok());
  }
}

// ---- decoding ----

TEST_CASE("strips the bot's mention and unescapes what Slack escaped", "[slack][format]") {
  using adapters::slack::StripMention;
  CHECK(StripMention("<@U0LAN0Z89> is it everything a river should be?", "U0LAN0Z89") ==
        "is it everything a river should be?");
  CHECK(StripMention("<@U0LAN0Z89|careerbot> salary &lt;3 &amp; more &gt; less", "U0LAN0Z89") ==
        "salary <3 & more > less");
  CHECK(StripMention("hey <@U0LAN0Z89> what pays best?", "U0LAN0Z89") == "hey what pays best?");
  // Other tokens stay; &amp;lt; is a typed "&lt;", not a "<".
  CHECK(StripMention("<@U0LAN0Z89> ask <@UOTHER> in <#C1|general> <!here> &amp;lt;", "U0LAN0Z89") ==
        "ask <@UOTHER> in <#C1|general> <!here> &lt;");
  // Our id unknown: the first mention goes.
  CHECK(StripMention("<@UBOT> hi <@UOTHER>", "") == "hi <@UOTHER>");
  CHECK(StripMention("<@U0LAN0Z89>", "U0LAN0Z89").empty());
}

TEST_CASE("decodes form bodies as Slack encodes them", "[slack][format]") {
  auto form = adapters::slack::ParseForm("text=public+how+much%3F+%26+why&command=%2Fask&bad=%zz&empty=&text=second");
  CHECK(form["text"] == "public how much? & why");
  CHECK(form["command"] == "/ask");
  CHECK(form["bad"] == "%zz");
  CHECK(form["empty"].empty());
  std::string text = "public how much?";
  CHECK(adapters::slack::TakeKeyword(&text, "public"));
  CHECK(text == "how much?");
  text = "PUBLIC";
  CHECK(adapters::slack::TakeKeyword(&text, "public"));
  CHECK(text.empty());
  text = "publicity pays?";
  CHECK_FALSE(adapters::slack::TakeKeyword(&text, "public"));
  CHECK(text == "publicity pays?");
}

// ---- encoding ----

TEST_CASE("escapes exactly &, < and > for mrkdwn", "[slack][format]") {
  CHECK(adapters::slack::EscapeMrkdwn("a & b < c > d *e* _f_ `g` ~h~ @everyone") ==
        "a &amp; b &lt; c &gt; d *e* _f_ `g` ~h~ @everyone");
  CHECK(adapters::slack::Link("https://x.test/a?b=1&c=<2>|3", "A <b> & c") ==
        "<https://x.test/a?b=1&amp;c=%3C2%3E%7C3|A &lt;b&gt; &amp; c>");
  CHECK(adapters::slack::Link("javascript:alert(1)", "x <y>") == "x &lt;y&gt;");
}

TEST_CASE("renders an answer with <, & and @everyone safely as Block Kit", "[slack][format]") {
  bot::Answer a = HostileAnswer();
  json blocks = adapters::slack::AnswerBlocks(a);
  INFO(blocks.dump(2));
  REQUIRE(blocks.size() == 4);
  CHECK(blocks[0]["type"] == "section");
  CHECK(blocks[0]["text"]["type"] == "mrkdwn");
  CHECK(blocks[0]["text"]["text"] == "Use &lt;script&gt; &amp; @everyone *now* &gt; later");
  CHECK(blocks[1]["type"] == "context");
  std::string source = blocks[1]["elements"][0]["text"];
  CHECK(source == "Source: <https://example.com/pay?a=1&amp;b=%3C2%3E%7Cx|Pay &lt;2024&gt; &amp; more> (Salaries)");
  std::string suggestions = blocks[2]["text"]["text"];
  CHECK(suggestions.find("What about &lt;b&gt;remote&lt;/b&gt; &amp; hybrid?") != std::string::npos);
  const json* actions = FindBlock(blocks, "actions");
  REQUIRE(actions);
  REQUIRE((*actions)["elements"].size() == 2);
  CHECK((*actions)["elements"][0]["action_id"] == "feedback_up");
  CHECK((*actions)["elements"][0]["value"] == a.answer_id);
  CHECK((*actions)["elements"][1]["action_id"] == "feedback_down");
  CHECK((*actions)["elements"][1]["value"] == a.answer_id);
  // Nothing raw anywhere in the rendering.
  std::string all = blocks.dump();
  CHECK(all.find("<script>") == std::string::npos);
  CHECK(all.find("<2024>") == std::string::npos);

  json post = adapters::slack::PostMessageBody("C1", "1700000000.000100", a);
  CHECK(post["channel"] == "C1");
  CHECK(post["thread_ts"] == "1700000000.000100");
  CHECK(post["text"] == blocks[0]["text"]["text"]);
  json ephemeral = adapters::slack::CommandResponse(a, false);
  CHECK(ephemeral["response_type"] == "ephemeral");
  CHECK(adapters::slack::CommandResponse(a, true)["response_type"] == "in_channel");
}

TEST_CASE("small talk gets no feedback buttons and long answers stay within a section", "[slack][format]") {
  bot::Answer a;
  a.text = std::string(5000, '&');
  a.kind = "smalltalk";
  a.answer_id = "x";
  json blocks = adapters::slack::AnswerBlocks(a);
  REQUIRE(blocks.size() == 1);
  std::string text = blocks[0]["text"]["text"];
  CHECK(text.size() <= 3000);
  CHECK(text.find("&amp;") == 0);
  // Cut between entities, never inside one, with an ellipsis.
  REQUIRE(text.size() > 8);
  CHECK(text.substr(text.size() - 3) == "\xE2\x80\xA6");
  CHECK(text.substr(text.size() - 8, 5) == "&amp;");
}

TEST_CASE("a feedback click replaces the buttons with a thanks", "[slack][format]") {
  json original = {{"text", "the answer"}, {"blocks", adapters::slack::AnswerBlocks(HostileAnswer())}};
  json update = adapters::slack::FeedbackUpdate(original, true);
  CHECK(update["replace_original"] == true);
  CHECK(update["text"] == "the answer");
  CHECK(FindBlock(update["blocks"], "actions") == nullptr);
  CHECK(update["blocks"][0]["type"] == "section");
  CHECK(update["blocks"].back()["type"] == "context");
  // Issue 16: an ephemeral /ask answer (Slack sends no message back) was
  // replaced by the thanks alone; the answer stays and the thanks is added.
  json bare = adapters::slack::FeedbackUpdate(json(), false);
  CHECK(bare["replace_original"] == false);
  CHECK(bare["response_type"] == "ephemeral");
  CHECK(bare["text"].get<std::string>().find("Thanks") == 0);
}

// Issue 16: a long curated entry produced a 20,567-character Mattermost post
// (Mattermost refuses posts over 16,383 characters, older servers over 4,000).
TEST_CASE("a long Mattermost answer is cut to the post limit with a link to the rest", "[mattermost][format]") {
  bot::Answer answer;
  answer.answered = true;
  answer.kind = "kb";
  for (int i = 0; i < 500; i++) answer.text += "This is sentence number " + std::to_string(i) + " of a long entry. ";
  REQUIRE(answer.text.size() > 20000);
  bot::AnswerSource source;
  source.title = "A long entry";
  source.article = "Some article";
  source.url = "https://example.com/long-entry";
  answer.sources.push_back(source);
  answer.suggestions = {"How much do backend developers earn?", "Which databases should I learn?"};
  json r = adapters::mattermost::CommandResponse(answer, false);
  const std::string text = r["text"];
  CHECK(adapters::Utf16Length(text) <= adapters::mattermost::kMaxPostChars);
  CHECK(text.find("[Read the rest](https://example.com/long-entry)") != std::string::npos);
  CHECK(text.find("Source: [A long entry](https://example.com/long-entry)") != std::string::npos);
  CHECK(text.find("You could also ask:") != std::string::npos);
  // Cut at a sentence end, not inside a word.
  CHECK(text.find("of a long entry. [Read the rest]") != std::string::npos);
  // A short answer is left whole.
  answer.text = "Short.";
  CHECK(adapters::mattermost::CommandResponse(answer, false)["text"].get<std::string>().rfind("Short.\n\n", 0) == 0);
}

TEST_CASE("renders the Mattermost answer as Markdown that cannot mention", "[mattermost][format]") {
  json r = adapters::mattermost::CommandResponse(HostileAnswer(), true);
  CHECK(r["response_type"] == "in_channel");
  std::string text = r["text"];
  INFO(text);
  CHECK(text.find("Use \\<script\\> & @\xE2\x80\x8B"
                  "everyone \\*now\\* \\> later") == 0);
  CHECK(text.find("[Pay \\<2024\\> & more](https://example.com/pay?a=1&b=%3C2%3E%7Cx)") != std::string::npos);
  CHECK(text.find("@everyone") == std::string::npos);
}

namespace {

// A clarification as the answering core makes it: its line, the options
// numbered in the text, and the options; markup and a mention in them.
bot::Answer HostileClarification() {
  bot::Answer a;
  a.kind = "clarify";
  a.answered = false;
  a.answer_id = "feedbeef";
  a.options = {{"What is <b>Docker</b> & @everyone?", "docker-basics"},
               {"How much Docker does a *backend* developer need to know in a real job, day to day, year after year?",
                "docker-needed"},
               {"# How popular is Docker?", "docker-popularity"}};
  a.text = "I'm not sure which you mean. Did you mean one of these?";
  for (size_t i = 0; i < a.options.size(); i++) a.text += "\n" + std::to_string(i + 1) + ". " + a.options[i].question;
  a.text += "\nReply with a number to choose.";
  return a;
}

}  // namespace

TEST_CASE("a clarification is Block Kit: its line, then one button per option", "[slack][format][clarify]") {
  bot::Answer a = HostileClarification();
  json blocks = adapters::slack::AnswerBlocks(a);
  INFO(blocks.dump(2));
  REQUIRE(blocks.size() == 3);
  CHECK(blocks[0]["type"] == "section");
  CHECK(blocks[0]["text"]["text"] == "I'm not sure which you mean. Did you mean one of these?");
  const json& actions = blocks[1];
  CHECK(actions["type"] == "actions");
  CHECK(actions["block_id"] == adapters::slack::kClarifyBlockId);
  REQUIRE(actions["elements"].size() == 3);
  for (size_t i = 0; i < 3; i++) {
    const json& b = actions["elements"][i];
    CHECK(b["type"] == "button");
    CHECK(b["action_id"] == "clarify_" + std::to_string(i + 1));
    // The entry and the clarification it was offered by (its answer id).
    CHECK(b["value"] == a.options[i].entry_id + ":feedbeef");
    CHECK(b["text"]["type"] == "plain_text");
    // Slack's limit on a button's text: 75 characters.
    CHECK(adapters::Utf16Length(b["text"]["text"].get<std::string>()) <= 75);
  }
  // plain_text is shown as it is: no escaping, and no mrkdwn to mention anyone.
  CHECK(actions["elements"][0]["text"]["text"] == a.options[0].question);
  CHECK(actions["elements"][1]["text"]["text"].get<std::string>().find("How much Docker") == 0);
  CHECK(blocks[2]["type"] == "context");
  // No feedback buttons on a question back.
  CHECK(blocks.dump().find("feedback_") == std::string::npos);
  // The fallback text keeps the numbered list, escaped.
  std::string fallback = adapters::slack::AnswerFallbackText(a);
  CHECK(fallback.find("\n1. What is &lt;b&gt;Docker&lt;/b&gt; &amp; @everyone?") != std::string::npos);
  // A /ask response says so in its block id (a click then continues the command's conversation).
  json command = adapters::slack::CommandResponse(a, false);
  CHECK(command["blocks"][1]["block_id"] == adapters::slack::kClarifyCommandBlockId);

  // A kind "clarify" without options (none plausible) is plain text.
  a.options.clear();
  CHECK(FindBlock(adapters::slack::AnswerBlocks(a), "actions") != nullptr);  // the feedback buttons
  CHECK(adapters::slack::AnswerBlocks(a).dump().find("clarify_") == std::string::npos);
}

TEST_CASE("decodes a click on a clarification's option and nothing else", "[slack][format][clarify]") {
  json action = {{"action_id", "clarify_2"},
                 {"block_id", adapters::slack::kClarifyBlockId},
                 {"text", {{"type", "plain_text"}, {"text", "How popular is Docker?"}}},
                 {"value", "docker-popularity"},
                 {"type", "button"},
                 {"action_ts", "1.2"}};
  adapters::slack::ClarifyAction c;
  REQUIRE(adapters::slack::DecodeClarifyAction(action, &c));
  CHECK(c.entry_id == "docker-popularity");
  CHECK(c.question == "How popular is Docker?");
  CHECK_FALSE(c.from_command);
  action["block_id"] = adapters::slack::kClarifyCommandBlockId;
  REQUIRE(adapters::slack::DecodeClarifyAction(action, &c));
  CHECK(c.from_command);
  for (const char* bad : {"feedback_up", "clarify_", "clarify_x", "clarify_123", "clarify"}) {
    json other = action;
    other["action_id"] = bad;
    CHECK_FALSE(adapters::slack::DecodeClarifyAction(other, &c));
  }
  json no_value = action;
  no_value.erase("value");
  CHECK_FALSE(adapters::slack::DecodeClarifyAction(no_value, &c));
  json long_value = action;
  long_value["value"] = std::string(129, 'a');
  CHECK_FALSE(adapters::slack::DecodeClarifyAction(long_value, &c));
  json number_value = action;
  number_value["value"] = 7;
  CHECK_FALSE(adapters::slack::DecodeClarifyAction(number_value, &c));
  CHECK_FALSE(adapters::slack::DecodeClarifyAction(json("clarify_1"), &c));

  // The value as buttons carry it now: the entry and the clarification's answer id.
  action["value"] = "docker-popularity:01a24bc3f70fa7bb9ad0ff164287902a";
  REQUIRE(adapters::slack::DecodeClarifyAction(action, &c));
  CHECK(c.entry_id == "docker-popularity");
  CHECK(c.clarification_id == "01a24bc3f70fa7bb9ad0ff164287902a");
  action["value"] = "docker-popularity";  // a button made before: no clarification id
  REQUIRE(adapters::slack::DecodeClarifyAction(action, &c));
  CHECK(c.clarification_id.empty());
  for (const std::string& bad : {std::string(":feedbeef"), std::string("docker-popularity:"),
                                 std::string("docker-popularity:bad id"), std::string("docker-popularity:a:b"),
                                 std::string("docker-popularity:") + std::string(65, 'a'),
                                 std::string("docker-popularity:feed\nbeef"), std::string(129, 'a') + ":feedbeef"}) {
    INFO(bad);
    json other = action;
    other["value"] = bad;
    CHECK_FALSE(adapters::slack::DecodeClarifyAction(other, &c));
  }
}

TEST_CASE("a chosen option replaces the clarification's buttons with the choice", "[slack][format][clarify]") {
  bot::Answer a = HostileClarification();
  json original = {{"text", adapters::slack::AnswerFallbackText(a)}, {"blocks", adapters::slack::AnswerBlocks(a)}};
  json update = adapters::slack::ClarifyChosenUpdate(original, "What is <b>Docker</b>?");
  INFO(update.dump(2));
  CHECK(update["replace_original"] == true);
  CHECK(FindBlock(update["blocks"], "actions") == nullptr);
  CHECK(update["blocks"][0] == original["blocks"][0]);
  CHECK(update["blocks"].back()["elements"][0]["text"] == "You chose: *What is &lt;b&gt;Docker&lt;/b&gt;?*");
  CHECK(adapters::slack::ClarifyChosenUpdate(json(), "x").is_null());
}

TEST_CASE("a Mattermost clarification is a Markdown numbered list with how to choose", "[mattermost][format][clarify]") {
  bot::Answer a = HostileClarification();
  std::string text = adapters::mattermost::CommandResponse(a, false, "/careers")["text"];
  INFO(text);
  CHECK(text.find("I'm not sure which you mean. Did you mean one of these?\n\n1. ") == 0);
  // List items as Markdown lists them, each option escaped: no markup, no mention, no heading.
  CHECK(text.find("\n1. What is \\<b\\>Docker\\</b\\> & @\xE2\x80\x8B"
                  "everyone?\n") != std::string::npos);
  CHECK(text.find("\n2. How much Docker does a \\*backend\\* developer") != std::string::npos);
  CHECK(text.find("\n3. \\# How popular is Docker?\n") != std::string::npos);
  CHECK(text.find("@everyone") == std::string::npos);
  CHECK(text.find("`/careers 1`, `/careers 2` or `/careers 3`") != std::string::npos);
  // The escaped "1\." of the plain text is not there: the list is a real list.
  CHECK(text.find("1\\.") == std::string::npos);
  CHECK(text.find("Reply with a number") == std::string::npos);
  // A command name cannot break out of its code span.
  std::string odd = adapters::mattermost::CommandResponse(a, false, "/a`b <c>")["text"];
  CHECK(odd.find("`/abc 1`") != std::string::npos);
}

// ---- dedupe ----

TEST_CASE("remembers event ids for the TTL, within a bound", "[slack]") {
  adapters::slack::EventDeduper dedupe(3, 60);
  CHECK(dedupe.FirstSeen("Ev1", 1000));
  CHECK_FALSE(dedupe.FirstSeen("Ev1", 1001));
  CHECK_FALSE(dedupe.FirstSeen("Ev1", 1060));
  CHECK(dedupe.FirstSeen("Ev1", 1061));  // expired
  CHECK(dedupe.FirstSeen("Ev2", 1062));
  CHECK(dedupe.FirstSeen("Ev3", 1062));
  CHECK(dedupe.FirstSeen("Ev4", 1062));
  CHECK(dedupe.size() <= 3);
}

TEST_CASE("splits API bases and allows plain http only on loopback", "[slack]") {
  std::string origin, prefix, error;
  REQUIRE(adapters::SplitApiBase("https://slack.com/api", &origin, &prefix, &error));
  CHECK(origin == "https://slack.com");
  CHECK(prefix == "/api");
  REQUIRE(adapters::SplitApiBase("http://127.0.0.1:9999/api/", &origin, &prefix, &error));
  CHECK(origin == "http://127.0.0.1:9999");
  CHECK(prefix == "/api");
  CHECK_FALSE(adapters::SplitApiBase("http://slack.com/api", &origin, &prefix, &error));
  CHECK_FALSE(adapters::SplitApiBase("http://127.0.0.1.evil.test/api", &origin, &prefix, &error));
  CHECK_FALSE(adapters::SplitApiBase("ftp://slack.com/api", &origin, &prefix, &error));
  CHECK_FALSE(adapters::SplitApiBase("https://user@slack.com/api", &origin, &prefix, &error));
}

// ---- end to end ----

namespace {

const std::string kTestSecret = "test-signing-secret-0123456789";
const std::string kBotUser = "UBOT0001";

adapters::ChatConfig SlackConfigFor(FakeApi& api) {
  adapters::ChatConfig c;
  c.slack.signing_secret = kTestSecret;
  c.slack.bot_token = "xoxb-test-token";
  c.slack.api_base = api.base() + "/api";
  c.mattermost.token = "mm-test-token";
  return c;
}

json Envelope(const std::string& event_id, const json& event) {
  return {{"token", "ignored"},
          {"team_id", "T1"},
          {"api_app_id", "A1"},
          {"type", "event_callback"},
          {"event_id", event_id},
          {"event_time", 1700000000},
          {"authorizations", {{{"team_id", "T1"}, {"user_id", kBotUser}, {"is_bot", true}}}},
          {"event", event}};
}

json Mention(const std::string& text, const std::string& ts, const std::string& thread_ts = "") {
  json e = {{"type", "app_mention"},  {"user", "UHUMAN1"}, {"text", text}, {"ts", ts},
            {"channel", "C0LAN2Q65"}, {"event_ts", ts}};
  if (!thread_ts.empty()) e["thread_ts"] = thread_ts;
  return e;
}

httplib::Result PostEvent(ChatServer& server, const json& envelope, int retry = 0) {
  std::string body = envelope.dump();
  httplib::Headers h = SlackHeaders(kTestSecret, body);
  if (retry > 0) {
    h.emplace("X-Slack-Retry-Num", std::to_string(retry));
    h.emplace("X-Slack-Retry-Reason", "http_timeout");
  }
  return server.Post("/slack/events", body, "application/json", h);
}

httplib::Result PostForm(ChatServer& server, const std::string& path, const std::string& body) {
  return server.Post(path, body, "application/x-www-form-urlencoded", SlackHeaders(kTestSecret, body));
}

// "/ask How much do backend developers earn" as Slack sends it: the response.
json AskSalary(ChatServer& server) {
  auto asked = PostForm(server, "/slack/commands",
                        "team_id=T1&channel_id=C1&user_id=U1&command=%2Fask&text=How+much+do+backend+developers+earn");
  REQUIRE(asked);
  return json::parse(asked->body);
}

// The answer id an answer's feedback buttons carry.
std::string FeedbackValue(const json& answer) {
  const json* actions = FindBlock(answer["blocks"], "actions");
  REQUIRE(actions);
  return (*actions)["elements"][1]["value"];
}

// A block_actions payload: a click on `action_id` for `answer_id` under a
// message with `text` and `blocks`, answered through `response_url`.
json BlockActions(const std::string& response_url, const json& text, const json& blocks, const std::string& action_id,
                  const std::string& answer_id) {
  return {{"type", "block_actions"},
          {"user", {{"id", "U1"}, {"username", "u"}, {"team_id", "T1"}}},
          {"container", {{"type", "message"}, {"message_ts", "1.1"}, {"channel_id", "C1"}}},
          {"response_url", response_url},
          {"message", {{"text", text}, {"blocks", blocks}}},
          {"actions",
           {{{"action_id", action_id},
             {"block_id", "careerbot_feedback"},
             {"value", answer_id},
             {"type", "button"},
             {"action_ts", "1.2"}}}}};
}

}  // namespace

TEST_CASE("answers Slack's url_verification challenge, signed requests only", "[slack][e2e]") {
  FakeApi api;
  ChatServer server(SlackConfigFor(api));
  std::string body =
      R"({"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"})";
  auto res = server.Post("/slack/events", body, "application/json", SlackHeaders(kTestSecret, body));
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(json::parse(res->body)["challenge"] == "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");

  SECTION("unsigned") {
    auto r = server.Post("/slack/events", body, "application/json");
    REQUIRE(r);
    CHECK(r->status == 401);
    CHECK(r->body.find("3eZbrw1a") == std::string::npos);
  }
  SECTION("signed for another body (one extra space)") {
    auto r = server.Post("/slack/events", body + " ", "application/json", SlackHeaders(kTestSecret, body));
    REQUIRE(r);
    CHECK(r->status == 401);
  }
  SECTION("stale") {
    auto r = server.Post("/slack/events", body, "application/json",
                         SlackHeaders(kTestSecret, body, static_cast<int64_t>(std::time(nullptr)) - 301));
    REQUIRE(r);
    CHECK(r->status == 401);
  }
  SECTION("another secret") {
    auto r = server.Post("/slack/events", body, "application/json", SlackHeaders("not-the-secret", body));
    REQUIRE(r);
    CHECK(r->status == 401);
  }
  SECTION("the wrong method") {
    auto r = server.Get("/slack/events");
    REQUIRE(r);
    CHECK(r->status == 405);
  }
}

TEST_CASE("answers a mention delivered three times once, in its thread, after one 429", "[slack][e2e][concurrency]") {
  FakeApi api(/*rate_limited=*/1);
  ChatServer server(SlackConfigFor(api));
  json envelope =
      Envelope("Ev0001", Mention("<@UBOT0001> How much do backend developers earn &amp; why?", "1700000001.000200"));
  for (int retry = 0; retry < 3; retry++) {
    auto start = std::chrono::steady_clock::now();
    auto res = PostEvent(server, envelope, retry);
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));  // acknowledged at once
  }
  REQUIRE(WaitFor([&] { return api.CallsTo("/api/chat.postMessage", 200).size() == 1; }, std::chrono::seconds(15)));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // no late duplicates
  auto all = api.CallsTo("/api/chat.postMessage");
  REQUIRE(all.size() == 2);  // the 429, then the retry
  CHECK(all[0].status == 429);
  CHECK(all[1].status == 200);
  CHECK(all[0].body == all[1].body);
  const auto& call = all[1];
  CHECK(call.authorization == "Bearer xoxb-test-token");
  CHECK(call.content_type.find("application/json") == 0);
  json posted = json::parse(call.body);
  CHECK(posted["channel"] == "C0LAN2Q65");
  CHECK(posted["thread_ts"] == "1700000001.000200");
  CHECK(posted["blocks"].is_array());
  CHECK(FindBlock(posted["blocks"], "section"));
  CHECK(posted["text"].get<std::string>().size() > 20);
}

TEST_CASE("replies inside the thread a mention came from, and to direct messages", "[slack][e2e]") {
  FakeApi api;
  ChatServer server(SlackConfigFor(api));
  REQUIRE(PostEvent(server, Envelope("Ev0002", Mention("<@UBOT0001> Which databases should I learn?",
                                                       "1700000002.000300", "1700000000.000100")))
              ->status == 200);
  json dm = {{"type", "message"},         {"channel", "D024BE91L"},
             {"user", "UHUMAN2"},         {"text", "What does a backend developer do?"},
             {"ts", "1700000003.000400"}, {"event_ts", "1700000003.000400"},
             {"channel_type", "im"}};
  REQUIRE(PostEvent(server, Envelope("Ev0003", dm))->status == 200);
  REQUIRE(WaitFor([&] { return api.CallsTo("/api/chat.postMessage", 200).size() == 2; }, std::chrono::seconds(15)));
  auto calls = api.CallsTo("/api/chat.postMessage", 200);
  json first = json::parse(calls[0].body), second = json::parse(calls[1].body);
  CHECK(first["channel"] == "C0LAN2Q65");
  CHECK(first["thread_ts"] == "1700000000.000100");  // the thread, not the reply's ts
  CHECK(second["channel"] == "D024BE91L");
  CHECK_FALSE(second.contains("thread_ts"));  // in a DM, the answer goes in the DM itself
}

// Issue 16: a follow-up typed in the DM itself lost its context, because the
// conversation was keyed to a thread the user never opened.
TEST_CASE("a direct message's follow-up keeps its context in the DM", "[slack][e2e]") {
  FakeApi api;
  ChatServer server(SlackConfigFor(api));
  auto dm = [](const std::string& text, const std::string& ts) {
    return json{{"type", "message"}, {"channel", "D024BE91L"}, {"user", "UHUMAN2"}, {"text", text},
                {"ts", ts},          {"event_ts", ts},         {"channel_type", "im"}};
  };
  REQUIRE(PostEvent(server, Envelope("EvDm1", dm("What is Kubernetes?", "1700000010.000100")))->status == 200);
  REQUIRE(WaitFor([&] { return api.CallsTo("/api/chat.postMessage", 200).size() == 1; }, std::chrono::seconds(15)));
  REQUIRE(PostEvent(server, Envelope("EvDm2", dm("is it hard to learn?", "1700000011.000100")))->status == 200);
  REQUIRE(WaitFor([&] { return api.CallsTo("/api/chat.postMessage", 200).size() == 2; }, std::chrono::seconds(15)));
  json first = json::parse(api.CallsTo("/api/chat.postMessage", 200)[0].body);
  json second = json::parse(api.CallsTo("/api/chat.postMessage", 200)[1].body);
  CHECK_FALSE(second.contains("thread_ts"));
  // Asked alone, "is it hard to learn?" is declined; in the DM's conversation it is about Kubernetes.
  const std::string text = second["text"].get<std::string>();
  INFO(text);
  CHECK(text.find("don't know") == std::string::npos);
  CHECK(text.find("Kubernetes") != std::string::npos);
  (void)first;
}

TEST_CASE("ignores bots, itself, message subtypes and other events", "[slack][e2e]") {
  FakeApi api;
  ChatServer server(SlackConfigFor(api));
  json from_bot = {{"type", "message"},   {"channel", "D1"},  {"channel_type", "im"},
                   {"user", "UOTHERBOT"}, {"bot_id", "B123"}, {"text", "What does a backend developer do?"},
                   {"ts", "1.1"}};
  json bot_message = {{"type", "message"}, {"subtype", "bot_message"}, {"channel", "D1"}, {"channel_type", "im"},
                      {"bot_id", "B999"},  {"text", "salary?"},        {"ts", "1.2"}};
  json ourselves = {{"type", "message"},
                    {"channel", "D1"},
                    {"channel_type", "im"},
                    {"user", kBotUser},
                    {"text", "Which databases should I learn?"},
                    {"ts", "1.3"}};
  json edited = {{"type", "message"},
                 {"subtype", "message_changed"},
                 {"channel", "D1"},
                 {"channel_type", "im"},
                 {"message", {{"user", "UHUMAN"}, {"text", "salary?"}}},
                 {"ts", "1.4"}};
  json deleted = {
      {"type", "message"}, {"subtype", "message_deleted"}, {"channel", "D1"}, {"channel_type", "im"}, {"ts", "1.5"}};
  json in_channel = {{"type", "message"}, {"channel", "C1"},   {"channel_type", "channel"},
                     {"user", "UHUMAN"},  {"text", "salary?"}, {"ts", "1.6"}};
  json reaction = {{"type", "reaction_added"}, {"user", "UHUMAN"}, {"reaction", "thumbsup"}};
  int n = 0;
  for (const json& e : {from_bot, bot_message, ourselves, edited, deleted, in_channel, reaction}) {
    auto res = PostEvent(server, Envelope("EvIgnored" + std::to_string(n++), e));
    REQUIRE(res);
    CHECK(res->status == 200);
  }
  // One real question after them; the worker runs in order, so once it is
  // answered nothing before it is still pending.
  REQUIRE(PostEvent(server, Envelope("EvReal",
                                     Mention("<@UBOT0001> How do I become a backend developer?", "1700000009.000900")))
              ->status == 200);
  REQUIRE(WaitFor([&] { return !api.CallsTo("/api/chat.postMessage").empty(); }, std::chrono::seconds(15)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto calls = api.CallsTo("/api/chat.postMessage");
  REQUIRE(calls.size() == 1);
  CHECK(json::parse(calls[0].body)["thread_ts"] == "1700000009.000900");
}

TEST_CASE("answers /ask ephemerally, in the channel with 'public', and with help when empty", "[slack][e2e]") {
  FakeApi api;
  ChatServer server(SlackConfigFor(api));
  SECTION("ephemeral by default") {
    auto res = PostForm(server, "/slack/commands",
                        "token=x&team_id=T1&channel_id=C1&user_id=U1&command=%2Fask&text=Which+databases+should+I+"
                        "learn%3F&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1&trigger_id=1");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->get_header_value("Content-Type").find("application/json") == 0);
    json r = json::parse(res->body);
    CHECK(r["response_type"] == "ephemeral");
    CHECK(r["blocks"].is_array());
    CHECK(r["text"].get<std::string>().size() > 20);
  }
  SECTION("in_channel with the public keyword") {
    auto res = PostForm(server, "/slack/commands",
                        "team_id=T1&channel_id=C1&user_id=U1&command=%2Fask&text=public+Which+databases+should+I+"
                        "learn%3F");
    REQUIRE(res);
    json r = json::parse(res->body);
    CHECK(r["response_type"] == "in_channel");
    CHECK(r["text"].get<std::string>().find("public") != 0);
  }
  SECTION("help without text") {
    auto res = PostForm(server, "/slack/commands", "team_id=T1&channel_id=C1&user_id=U1&command=%2Fask&text=");
    REQUIRE(res);
    json r = json::parse(res->body);
    CHECK(r["response_type"] == "ephemeral");
    CHECK(r["text"].get<std::string>().find("/ask") != std::string::npos);
  }
  SECTION("ssl_check gets an empty 200") {
    auto res = server.Post("/slack/commands", "ssl_check=1&token=x", "application/x-www-form-urlencoded");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body.empty());
  }
  SECTION("an unsigned command is refused") {
    auto res = server.Post("/slack/commands", "command=%2Fask&text=salary", "application/x-www-form-urlencoded");
    REQUIRE(res);
    CHECK(res->status == 401);
  }
}

TEST_CASE("records feedback from the buttons and thanks through response_url", "[slack][e2e][concurrency]") {
  FakeApi api;
  ChatServer server(SlackConfigFor(api));
  json answer = AskSalary(server);
  std::string answer_id = FeedbackValue(answer);
  REQUIRE_FALSE(answer_id.empty());

  json payload = BlockActions(api.base() + "/hooks/actions/T1/1/abc", answer["text"], answer["blocks"],
                              "feedback_down", answer_id);
  std::string body = "payload=" + httplib::detail::encode_query_param(payload.dump());
  auto res = PostForm(server, "/slack/interactions", body);
  REQUIRE(res);
  CHECK(res->status == 200);
  REQUIRE(WaitFor([&] { return api.CallsTo("/hooks/actions/T1/1/abc").size() == 1; }, std::chrono::seconds(10)));
  auto hook = api.CallsTo("/hooks/actions/T1/1/abc")[0];
  CHECK(hook.authorization.empty());  // the URL is the credential; no token sent
  json update = json::parse(hook.body);
  CHECK(update["replace_original"] == true);
  CHECK(FindBlock(update["blocks"], "actions") == nullptr);
  CHECK(update.dump().find("Thanks") != std::string::npos);
  // The feedback is on record: the same answer can be rated again, an unknown one cannot.
  CHECK(server.service().Feedback(answer_id, false, "").ok());
  CHECK(server.service().Feedback("no-such-answer", true, "").code() == bot::Status::Code::kNotFound);

  SECTION("an unknown answer id is not thanked") {
    payload["actions"][0]["value"] = "no-such-answer";
    payload["response_url"] = api.base() + "/hooks/actions/T1/2/def";
    std::string b = "payload=" + httplib::detail::encode_query_param(payload.dump());
    auto r = PostForm(server, "/slack/interactions", b);
    REQUIRE(r);
    CHECK(r->status == 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(api.CallsTo("/hooks/actions/T1/2/def").empty());
  }
  SECTION("a tampered payload is refused") {
    auto r = server.Post("/slack/interactions", body + "x", "application/x-www-form-urlencoded",
                         SlackHeaders(kTestSecret, body));
    REQUIRE(r);
    CHECK(r->status == 401);
  }
}

// Issue 13: cpp-httplib refused form bodies over 8 KiB with 413 before the
// handler ran; a 👍 on a long answer carries the whole message back (~10 KB).
TEST_CASE("a 10 KB block_actions payload (a long answer's feedback click) reaches the handler", "[slack][e2e]") {
  FakeApi api;
  ChatServer server(SlackConfigFor(api));
  json answer = AskSalary(server);
  std::string answer_id = FeedbackValue(answer);
  // Slack sends the message back as it shows it: a long answer, its blocks and text.
  std::string long_text = answer["text"].get<std::string>();
  while (long_text.size() < 4000) long_text += " " + answer["text"].get<std::string>();
  json blocks = answer["blocks"];
  blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", long_text}}}});
  json payload = BlockActions(api.base() + "/hooks/actions/T1/9/big", long_text, blocks, "feedback_up", answer_id);
  std::string body = "payload=" + httplib::detail::encode_query_param(payload.dump());
  REQUIRE(body.size() > 9 * 1024);
  REQUIRE(body.size() < 128 * 1024);
  auto res = PostForm(server, "/slack/interactions", body);
  REQUIRE(res);
  CHECK(res->status == 200);
  REQUIRE(WaitFor([&] { return api.CallsTo("/hooks/actions/T1/9/big").size() == 1; }, std::chrono::seconds(10)));
  CHECK(api.CallsTo("/hooks/actions/T1/9/big")[0].body.find("Thanks") != std::string::npos);

  SECTION("a form body over the webhook limit gets a 413 that states the real limit") {
    std::string huge = "payload=" + std::string(130 * 1024, 'a');
    auto r = server.Post("/slack/interactions", huge, "application/x-www-form-urlencoded");
    REQUIRE(r);
    CHECK(r->status == 413);
    CHECK(r->body.find("128 KiB") != std::string::npos);
  }
}

namespace {

// The clarification's option buttons in posted blocks (empty when none).
json ClarifyButtons(const json& blocks) {
  for (const auto& b : blocks) {
    if (b["type"] == "actions" && b.value("block_id", "").rfind("careerbot_clarify", 0) == 0) return b["elements"];
  }
  return json::array();
}

// A block_actions payload as Slack sends it for a click on `button` (one of
// the elements of the clarification's actions block `block_id`) under
// `message` (null for an ephemeral message, which Slack does not send back).
json ClarifyClick(const std::string& response_url, const std::string& channel, const std::string& thread_ts,
                  const json& message, const json& button, const std::string& block_id, bool ephemeral = false) {
  json container = {{"type", "message"}, {"message_ts", "1700000100.000200"}, {"channel_id", channel},
                    {"is_ephemeral", ephemeral}};
  if (!thread_ts.empty()) container["thread_ts"] = thread_ts;
  json payload = {{"type", "block_actions"},
                  {"user", {{"id", "UHUMAN1"}, {"username", "ana"}, {"name", "ana"}, {"team_id", "T1"}}},
                  {"api_app_id", "A1"},
                  {"token", "ignored"},
                  {"container", container},
                  {"trigger_id", "1700000100.1.abc"},
                  {"team", {{"id", "T1"}, {"domain", "test"}}},
                  {"channel", {{"id", channel}, {"name", "general"}}},
                  {"response_url", response_url},
                  {"actions",
                   {{{"action_id", button["action_id"]},
                     {"block_id", block_id},
                     {"text", button["text"]},
                     {"value", button["value"]},
                     {"type", "button"},
                     {"action_ts", "1700000101.000300"}}}}};
  if (!message.is_null()) payload["message"] = message;
  return payload;
}

std::string PayloadBody(const json& payload) { return "payload=" + httplib::detail::encode_query_param(payload.dump()); }

}  // namespace

TEST_CASE("a clarification's button in a thread answers that entry there and logs the choice",
          "[slack][e2e][clarify]") {
  testing_helpers::TempDir dir;
  const std::string db = dir.File("careerbot.db");
  FakeApi api;
  ChatServer server(SlackConfigFor(api), db);
  const auto [question, expected_clarification] = chat_testing::UnsureQuestion(server.service());
  const std::string thread = "1700000100.000100";
  REQUIRE(PostEvent(server, Envelope("EvClarify1", Mention("<@UBOT0001> " + question, thread)))->status == 200);
  REQUIRE(WaitFor([&] { return api.CallsTo("/api/chat.postMessage", 200).size() == 1; }, std::chrono::seconds(15)));

  // The clarification: its line, then one button per option.
  json posted = json::parse(api.CallsTo("/api/chat.postMessage", 200)[0].body);
  INFO(posted.dump(2));
  CHECK(posted["thread_ts"] == thread);
  CHECK(posted["blocks"][0]["text"]["text"].get<std::string>().find("Did you mean") != std::string::npos);
  json buttons = ClarifyButtons(posted["blocks"]);
  REQUIRE(buttons.size() == expected_clarification.options.size());
  for (size_t i = 0; i < buttons.size(); i++) {
    CHECK(buttons[i]["action_id"] == "clarify_" + std::to_string(i + 1));
    CHECK(buttons[i]["value"].get<std::string>().rfind(expected_clarification.options[i].entry_id + ":", 0) == 0);
    CHECK(buttons[i]["text"]["text"] == expected_clarification.options[i].question);
  }
  CHECK(posted["blocks"].dump().find("feedback_") == std::string::npos);

  // Slack sends the message back as it shows it: in the thread, with its blocks.
  json message = {{"type", "message"}, {"user", kBotUser}, {"ts", "1700000100.000200"}, {"thread_ts", thread},
                  {"text", posted["text"]}, {"blocks", posted["blocks"]}};
  const json& chosen = buttons[1];
  // The value: the entry, then the clarification's answer id.
  const std::string entry = chosen["value"].get<std::string>().substr(0, chosen["value"].get<std::string>().find(':'));
  const std::string hook = "/hooks/actions/T1/3/clarify";
  json payload = ClarifyClick(api.base() + hook, "C0LAN2Q65", thread, message, chosen, "careerbot_clarify");
  const std::string body = PayloadBody(payload);

  SECTION("a forged or unsigned click gets 401 and changes nothing") {
    auto unsigned_click = server.Post("/slack/interactions", body, "application/x-www-form-urlencoded");
    REQUIRE(unsigned_click);
    CHECK(unsigned_click->status == 401);
    auto forged = server.Post("/slack/interactions", body, "application/x-www-form-urlencoded",
                              SlackHeaders("another-secret", body));
    REQUIRE(forged);
    CHECK(forged->status == 401);
    // Signed for the body before another option's entry id was put in.
    json other = payload;
    other["actions"][0]["value"] = buttons[0]["value"];
    auto swapped = server.Post("/slack/interactions", PayloadBody(other), "application/x-www-form-urlencoded",
                               SlackHeaders(kTestSecret, body));
    REQUIRE(swapped);
    CHECK(swapped->status == 401);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(api.CallsTo("/api/chat.postMessage").size() == 1);
    CHECK(api.CallsTo(hook).empty());
    server.service().FlushLog();
    CHECK(chat_testing::LoggedLines(db, "slack") == std::vector<std::string>{"clarify|" + question + "|"});
    // The conversation still waits for a choice.
    auto turns = server.service().answerer().conversations().Recent("slack:T1:C0LAN2Q65:" + thread);
    REQUIRE(turns.size() == 1);
    CHECK(turns.back().options.size() == buttons.size());
  }

  SECTION("a signed click answers that entry in the thread, consumes the buttons and logs the choice") {
    auto clicked = PostForm(server, "/slack/interactions", body);
    REQUIRE(clicked);
    CHECK(clicked->status == 200);
    CHECK(clicked->body.empty());  // acknowledged at once; the answer comes through the API
    REQUIRE(WaitFor([&] { return api.CallsTo("/api/chat.postMessage", 200).size() == 2; }, std::chrono::seconds(15)));
    REQUIRE(WaitFor([&] { return api.CallsTo(hook).size() == 1; }, std::chrono::seconds(10)));

    // The answer is that entry's, posted in the same thread with the bot token.
    auto post = api.CallsTo("/api/chat.postMessage", 200)[1];
    CHECK(post.authorization == "Bearer xoxb-test-token");
    json answer = json::parse(post.body);
    INFO(answer.dump(2));
    CHECK(answer["channel"] == "C0LAN2Q65");
    CHECK(answer["thread_ts"] == thread);
    bot::Answer expected = chat_testing::ChosenAnswer(server.service(), chosen["text"]["text"], entry);
    CHECK(answer["text"] == adapters::slack::AnswerFallbackText(expected));
    REQUIRE(FindBlock(answer["blocks"], "context"));
    CHECK(FindBlock(answer["blocks"], "context")->dump().find(adapters::slack::EscapeMrkdwn(expected.sources[0].title)) !=
          std::string::npos);
    CHECK(FindBlock(answer["blocks"], "actions"));  // the answer's own feedback buttons

    // The clarification keeps its line, its buttons replaced by the choice.
    json update = json::parse(api.CallsTo(hook)[0].body);
    CHECK(update["replace_original"] == true);
    CHECK(ClarifyButtons(update["blocks"]).empty());
    CHECK(update["blocks"][0] == posted["blocks"][0]);
    CHECK(update.dump().find("You chose: *" + chosen["text"]["text"].get<std::string>()) != std::string::npos);

    // The thread's conversation goes on from the chosen entry...
    auto turns = server.service().answerer().conversations().Recent("slack:T1:C0LAN2Q65:" + thread);
    REQUIRE(turns.size() == 2);
    CHECK(turns.back().entry_id == entry);
    CHECK(turns.back().options.empty());
    // ... and the log records the clarification resolved with that entry.
    server.service().FlushLog();
    CHECK(chat_testing::LoggedLines(db, "slack") ==
          std::vector<std::string>{"clarify|" + question + "|", "clarified|" + question + "|" + entry});

    // A reply in the thread is read in that conversation: "1" is no longer a
    // choice (the clarification was answered), so it is not logged as one.
    REQUIRE(PostEvent(server, Envelope("EvClarify2", Mention("<@UBOT0001> 1", "1700000102.000100", thread)))->status ==
            200);
    REQUIRE(WaitFor([&] { return api.CallsTo("/api/chat.postMessage", 200).size() == 3; }, std::chrono::seconds(15)));
    server.service().FlushLog();
    auto lines = chat_testing::LoggedLines(db, "slack");
    REQUIRE(lines.size() == 3);
    CHECK(lines[2].rfind("clarified", 0) != 0);
  }
}

TEST_CASE("a clarification's button in a DM and under /ask continues that conversation", "[slack][e2e][clarify]") {
  testing_helpers::TempDir dir;
  const std::string db = dir.File("careerbot.db");
  FakeApi api;
  ChatServer server(SlackConfigFor(api), db);
  const auto [question, expected_clarification] = chat_testing::UnsureQuestion(server.service());
  const std::string second = expected_clarification.options[1].entry_id;

  SECTION("a direct message: the answer goes in the DM, the conversation is the DM channel") {
    json dm = {{"type", "message"}, {"channel", "D024BE91L"}, {"user", "UHUMAN1"}, {"text", question},
               {"ts", "1700000200.000100"}, {"event_ts", "1700000200.000100"}, {"channel_type", "im"}};
    REQUIRE(PostEvent(server, Envelope("EvClarifyDm", dm))->status == 200);
    REQUIRE(WaitFor([&] { return api.CallsTo("/api/chat.postMessage", 200).size() == 1; }, std::chrono::seconds(15)));
    json posted = json::parse(api.CallsTo("/api/chat.postMessage", 200)[0].body);
    CHECK_FALSE(posted.contains("thread_ts"));
    json buttons = ClarifyButtons(posted["blocks"]);
    REQUIRE(buttons.size() >= 2);
    json message = {{"type", "message"}, {"user", kBotUser}, {"ts", "1700000200.000200"}, {"text", posted["text"]},
                    {"blocks", posted["blocks"]}};
    auto clicked = PostForm(server, "/slack/interactions",
                            PayloadBody(ClarifyClick(api.base() + "/hooks/actions/T1/4/dm", "D024BE91L", "", message,
                                                     buttons[1], "careerbot_clarify")));
    REQUIRE(clicked);
    CHECK(clicked->status == 200);
    REQUIRE(WaitFor([&] { return api.CallsTo("/api/chat.postMessage", 200).size() == 2; }, std::chrono::seconds(15)));
    json answer = json::parse(api.CallsTo("/api/chat.postMessage", 200)[1].body);
    CHECK(answer["channel"] == "D024BE91L");
    CHECK_FALSE(answer.contains("thread_ts"));
    CHECK(answer["text"] ==
          adapters::slack::AnswerFallbackText(chat_testing::ChosenAnswer(server.service(), buttons[1]["text"]["text"], second)));
    auto turns = server.service().answerer().conversations().Recent("slack:T1:D024BE91L");
    REQUIRE(turns.size() == 2);
    CHECK(turns.back().entry_id == second);
    server.service().FlushLog();
    CHECK(chat_testing::LoggedLines(db, "slack").back() == "clarified|" + question + "|" + second);
  }

  SECTION("an ephemeral /ask clarification is replaced by the answer through response_url") {
    auto asked = PostForm(server, "/slack/commands",
                          "team_id=T1&channel_id=C1&user_id=UHUMAN1&command=%2Fask&text=" +
                              httplib::detail::encode_query_param(question));
    REQUIRE(asked);
    json r = json::parse(asked->body);
    CHECK(r["response_type"] == "ephemeral");
    json buttons = ClarifyButtons(r["blocks"]);
    REQUIRE(buttons.size() >= 2);
    CHECK(r["blocks"][1]["block_id"] == "careerbot_clarify_cmd");
    const std::string hook = "/hooks/actions/T1/5/cmd";
    // Slack sends no message back for an ephemeral one.
    auto clicked = PostForm(server, "/slack/interactions",
                            PayloadBody(ClarifyClick(api.base() + hook, "C1", "", json(), buttons[1],
                                                     "careerbot_clarify_cmd", /*ephemeral=*/true)));
    REQUIRE(clicked);
    CHECK(clicked->status == 200);
    REQUIRE(WaitFor([&] { return api.CallsTo(hook).size() == 1; }, std::chrono::seconds(15)));
    json update = json::parse(api.CallsTo(hook)[0].body);
    CHECK(update["replace_original"] == true);
    CHECK(update["response_type"] == "ephemeral");
    CHECK(update["text"] ==
          adapters::slack::AnswerFallbackText(chat_testing::ChosenAnswer(server.service(), buttons[1]["text"]["text"], second)));
    CHECK(api.CallsTo("/api/chat.postMessage").empty());
    // The command's conversation: its channel and user.
    auto turns = server.service().answerer().conversations().Recent("slack:T1:C1:UHUMAN1");
    REQUIRE(turns.size() == 2);
    CHECK(turns.back().entry_id == second);
    server.service().FlushLog();
    CHECK(chat_testing::LoggedLines(db, "slack") ==
          std::vector<std::string>{"clarify|" + question + "|", "clarified|" + question + "|" + second});
  }
}

namespace {

// The answer id of the latest line of kind `kind` in `db`'s question log for
// `channel` ("" when none).
std::string LoggedAnswerId(const std::string& db, const std::string& channel, const std::string& kind) {
  std::string out;
  sqlite3* handle = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(handle,
                             "SELECT answer_id FROM question_log WHERE channel = ?1 AND kind = ?2 "
                             "ORDER BY asked_at DESC, rowid DESC LIMIT 1",
                             -1, &stmt, nullptr) == SQLITE_OK);
  sqlite3_bind_text(stmt, 1, channel.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(stmt, 2, kind.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(stmt) == SQLITE_ROW) out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  sqlite3_finalize(stmt);
  sqlite3_close(handle);
  return out;
}

}  // namespace

TEST_CASE("a clarification's button clicked after the conversation expired still logs the choice",
          "[slack][e2e][clarify][expired]") {
  testing_helpers::TempDir dir;
  const std::string db = dir.File("careerbot.db");
  FakeApi api;
  fakes::FakeClock clock(static_cast<int64_t>(std::time(nullptr)));
  ChatServer server(SlackConfigFor(api), db, &clock);
  const auto [question, expected_clarification] = chat_testing::UnsureQuestion(server.service());
  // Signed as Slack signs them, at the server's (fake) time.
  auto post = [&](const std::string& path, const std::string& body, const std::string& type) {
    auto r = server.Post(path, body, type, SlackHeaders(kTestSecret, body, clock.NowSeconds()));
    REQUIRE(r);
    return r->status;
  };
  auto posts = [&] { return api.CallsTo("/api/chat.postMessage", 200).size(); };

  // A clear question in another thread (its log line is no clarification),
  // then the unsure one.
  REQUIRE(post("/slack/events",
                Envelope("EvExp0", Mention("<@UBOT0001> How much do backend developers earn?", "1700000090.000100"))
                    .dump(),
                "application/json") == 200);
  REQUIRE(WaitFor([&] { return posts() == 1; }, std::chrono::seconds(15)));
  const std::string thread = "1700000100.000100";
  REQUIRE(post("/slack/events", Envelope("EvExp1", Mention("<@UBOT0001> " + question, thread)).dump(),
               "application/json") == 200);
  REQUIRE(WaitFor([&] { return posts() == 2; }, std::chrono::seconds(15)));
  json posted = json::parse(api.CallsTo("/api/chat.postMessage", 200)[1].body);
  json buttons = ClarifyButtons(posted["blocks"]);
  REQUIRE(buttons.size() == expected_clarification.options.size());
  REQUIRE(buttons.size() >= 2);
  json message = {{"type", "message"}, {"user", kBotUser}, {"ts", "1700000100.000200"}, {"thread_ts", thread},
                  {"text", posted["text"]}, {"blocks", posted["blocks"]}};
  server.service().FlushLog();
  const std::string clarification_id = LoggedAnswerId(db, "slack", "clarify");
  const std::string kb_id = LoggedAnswerId(db, "slack", "kb");
  REQUIRE_FALSE(clarification_id.empty());
  REQUIRE_FALSE(kb_id.empty());
  const std::string entry = expected_clarification.options[1].entry_id;
  const std::string label = buttons[1]["text"]["text"];

  // The conversation expires (as after a restart, or Redis's key expiring).
  clock.Advance(bot::Conversations::kDefaultTtlSeconds + 1);
  REQUIRE(server.service().answerer().conversations().Recent("slack:T1:C0LAN2Q65:" + thread).empty());

  const std::string hook = "/hooks/actions/T1/9/expired";
  auto click = [&](const json& button) {
    json payload = ClarifyClick(api.base() + hook, "C0LAN2Q65", thread, message, button, "careerbot_clarify");
    return post("/slack/interactions", PayloadBody(payload), "application/x-www-form-urlencoded");
  };
  const std::vector<std::string> asked = {"kb|How much do backend developers earn?|" +
                                              chat_testing::LoggedLines(db, "slack")[0].substr(
                                                  chat_testing::LoggedLines(db, "slack")[0].rfind('|') + 1),
                                          "clarify|" + question + "|"};
  REQUIRE(chat_testing::LoggedLines(db, "slack") == asked);

  SECTION("the option's button answers that entry and logs the clarification resolved with it") {
    REQUIRE(click(buttons[1]) == 200);
    REQUIRE(WaitFor([&] { return posts() == 3; }, std::chrono::seconds(15)));
    json answer = json::parse(api.CallsTo("/api/chat.postMessage", 200)[2].body);
    CHECK(answer["thread_ts"] == thread);
    CHECK(answer["text"] ==
          adapters::slack::AnswerFallbackText(chat_testing::ChosenAnswer(server.service(), label, entry)));
    server.service().FlushLog();
    std::vector<std::string> expected = asked;
    expected.push_back("clarified|" + question + "|" + entry);
    CHECK(chat_testing::LoggedLines(db, "slack") == expected);
    CHECK(chat_testing::GapChoice(server.service(), question) == entry + "x1");

    // The same old button again (an old message, a replayed payload): answered
    // again, but a clarification is resolved once.
    REQUIRE(click(buttons[1]) == 200);
    REQUIRE(WaitFor([&] { return posts() == 4; }, std::chrono::seconds(15)));
    server.service().FlushLog();
    expected.push_back("kb|" + label + "|" + entry);
    CHECK(chat_testing::LoggedLines(db, "slack") == expected);
    CHECK(chat_testing::GapChoice(server.service(), question) == entry + "x1");
  }

  SECTION("forged or old or malformed values never log a choice and the log stays intact") {
    // Another entry than those offered, with the clarification's real id: answered, not a choice.
    const std::string not_offered = "demand-tech-boom";
    for (const auto& o : expected_clarification.options) REQUIRE(o.entry_id != not_offered);
    json forged = buttons[0];
    forged["value"] = not_offered + ":" + clarification_id;
    forged["text"]["text"] = "How does the tech boom affect backend jobs?";
    // An offered entry with an id no line has, and with the id of a line that is no clarification.
    json unknown = buttons[1];
    unknown["value"] = entry + ":0123456789abcdef0123456789abcdef";
    json not_clarify = buttons[1];
    not_clarify["value"] = entry + ":" + kb_id;
    size_t n = posts();
    std::vector<std::string> expected = asked;
    for (const json& b : {forged, unknown, not_clarify}) {
      INFO(b.dump());
      REQUIRE(click(b) == 200);
      REQUIRE(WaitFor([&] { return posts() == n + 1; }, std::chrono::seconds(15)));
      n++;
      const std::string e = b["value"].get<std::string>().substr(0, b["value"].get<std::string>().find(':'));
      expected.push_back("kb|" + b["text"]["text"].get<std::string>() + "|" + e);
    }
    // Malformed values are no option at all: nothing is answered or logged.
    for (const std::string& value : {":" + clarification_id, entry + ":", entry + ":bad id",
                                     entry + ":" + clarification_id + ":" + clarification_id,
                                     entry + ":" + std::string(1900, 'a'), std::string(129, 'a'),
                                     entry + ":" + clarification_id + "\n"}) {
      INFO(value);
      json bad = buttons[1];
      bad["value"] = value;
      CHECK(click(bad) == 200);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(posts() == n);
    server.service().FlushLog();
    CHECK(chat_testing::LoggedLines(db, "slack") == expected);
    CHECK(chat_testing::GapChoice(server.service(), question) == "x0");

    // The genuine button still resolves the clarification.
    REQUIRE(click(buttons[1]) == 200);
    REQUIRE(WaitFor([&] { return posts() == n + 1; }, std::chrono::seconds(15)));
    server.service().FlushLog();
    expected.push_back("clarified|" + question + "|" + entry);
    CHECK(chat_testing::LoggedLines(db, "slack") == expected);
    CHECK(chat_testing::GapChoice(server.service(), question) == entry + "x1");
  }
}

TEST_CASE("a Mattermost reply with a number picks that option in the same channel for the same user",
          "[mattermost][e2e][clarify]") {
  testing_helpers::TempDir dir;
  const std::string db = dir.File("careerbot.db");
  FakeApi api;
  ChatServer server(SlackConfigFor(api), db);
  const auto [question, expected_clarification] = chat_testing::UnsureQuestion(server.service());
  auto command = [&](const std::string& user, const std::string& text) {
    auto res = server.Post("/mattermost/commands",
                           "team_id=T1&channel_id=C1&user_id=" + user + "&command=%2Fask&text=" +
                               httplib::detail::encode_query_param(text),
                           "application/x-www-form-urlencoded", {{"Authorization", "Token mm-test-token"}});
    REQUIRE(res);
    REQUIRE(res->status == 200);
    return json::parse(res->body)["text"].get<std::string>();
  };
  const std::string list = command("U1", question);
  INFO(list);
  for (size_t i = 0; i < expected_clarification.options.size(); i++) {
    CHECK(list.find("\n" + std::to_string(i + 1) + ". " +
                    adapters::EscapeMarkdown(expected_clarification.options[i].question)) != std::string::npos);
  }
  CHECK(list.find("`/ask 2`") != std::string::npos);

  // Another user's "2" in the same channel is not a choice of this clarification.
  const std::string other = command("U2", "2");
  const std::string second = expected_clarification.options[1].entry_id;
  bot::Answer expected = chat_testing::ChosenAnswer(server.service(), expected_clarification.options[1].question, second);
  CHECK(other != adapters::mattermost::CommandResponse(expected, false)["text"]);
  // The asker's "2" is.
  const std::string answer = command("U1", "2");
  CHECK(answer == adapters::mattermost::CommandResponse(expected, false)["text"]);
  CHECK(answer.find(adapters::EscapeMarkdown(expected.sources[0].title)) != std::string::npos);
  server.service().FlushLog();
  auto lines = chat_testing::LoggedLines(db, "mattermost");
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "clarify|" + question + "|");
  CHECK(lines[1].rfind("clarified", 0) != 0);
  CHECK(lines[2] == "clarified|" + question + "|" + second);
}

TEST_CASE("answers the Mattermost slash command with the right token only", "[mattermost][e2e]") {
  FakeApi api;
  ChatServer server(SlackConfigFor(api));
  std::string form = "team_id=T1&channel_id=C1&user_id=U1&command=%2Fask&text=public+Which+databases+should+I+learn";
  SECTION("token in the Authorization header") {
    auto res = server.Post("/mattermost/commands", form, "application/x-www-form-urlencoded",
                           {{"Authorization", "Token mm-test-token"}});
    REQUIRE(res);
    CHECK(res->status == 200);
    json r = json::parse(res->body);
    CHECK(r["response_type"] == "in_channel");
    CHECK(r["text"].get<std::string>().size() > 20);
  }
  SECTION("token in the form") {
    auto res = server.Post("/mattermost/commands", form + "&token=mm-test-token", "application/x-www-form-urlencoded");
    REQUIRE(res);
    CHECK(res->status == 200);
  }
  SECTION("wrong or missing token") {
    auto res = server.Post("/mattermost/commands", form + "&token=mm-test-tokeN", "application/x-www-form-urlencoded");
    REQUIRE(res);
    CHECK(res->status == 401);
    res = server.Post("/mattermost/commands", form, "application/x-www-form-urlencoded");
    REQUIRE(res);
    CHECK(res->status == 401);
  }
}

TEST_CASE("a platform without its secret answers 503 saying what to set", "[slack][discord][mattermost][e2e]") {
  ChatServer server(adapters::ChatConfig{});
  const std::pair<const char*, const char*> cases[] = {{"/slack/events", "SLACK_SIGNING_SECRET"},
                                                       {"/slack/commands", "SLACK_SIGNING_SECRET"},
                                                       {"/slack/interactions", "SLACK_SIGNING_SECRET"},
                                                       {"/discord/interactions", "DISCORD_PUBLIC_KEY"},
                                                       {"/mattermost/commands", "MATTERMOST_TOKEN"}};
  for (const auto& [path, variable] : cases) {
    INFO(path);
    auto res = server.Post(path, "{}", "application/json");
    REQUIRE(res);
    CHECK(res->status == 503);
    json r = json::parse(res->body, nullptr, false);
    CHECK(r["error"]["code"] == "not_configured");
    CHECK(r["error"]["message"].get<std::string>().find(variable) != std::string::npos);
  }
  CHECK(adapters::EnabledAdapters(adapters::ChatConfig{}) == "http");
}

// ---- outgoing HTTPS ----

namespace {

// A self-signed certificate for 127.0.0.1 (trusted by nobody).
struct SelfSigned {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  SelfSigned() {
    key = EVP_EC_gen("P-256");
    REQUIRE(key);
    cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1,
                               0);
    X509_set_issuer_name(cert, name);
    REQUIRE(X509_sign(cert, key, EVP_sha256()) > 0);
  }
  ~SelfSigned() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

}  // namespace

TEST_CASE("does not post to a Slack API whose certificate it cannot verify", "[slack]") {
  SelfSigned tls;
  httplib::SSLServer fake(tls.cert, tls.key);
  std::atomic<int> posts{0};
  fake.Post(".*", [&](const httplib::Request&, httplib::Response& res) {
    posts++;
    res.set_content(R"({"ok":true})", "application/json");
  });
  int port = fake.bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);
  std::thread listener([&] { fake.listen_after_bind(); });
  REQUIRE(WaitFor([&] { return fake.is_running(); }, std::chrono::seconds(10)));

  bool built = false;
  auto store = knowledge::OpenOrBuild(":memory:", &built);
  REQUIRE(store.ok());
  adapters::Service service(store->get());
  adapters::SlackConfig config;
  config.signing_secret = kTestSecret;
  config.bot_token = "xoxb-test-token";
  config.api_base = "https://127.0.0.1:" + std::to_string(port) + "/api";
  {
    adapters::slack::SlackPlatform adapter(service, config);
    // Driven without a socket: the handler itself, with a request signed as Slack signs it.
    httplib::Request req;
    req.method = "POST";
    req.path = "/slack/events";
    req.body = Envelope("EvTls", Mention("<@UBOT0001> How much do backend developers earn?", "1.1")).dump();
    for (const auto& [name, value] : SlackHeaders(kTestSecret, req.body)) req.headers.emplace(name, value);
    httplib::Response res;
    adapter.HandleEvents(req, res);
    CHECK(res.status == 200);
    CHECK(adapter.WaitIdle(std::chrono::seconds(20)));
  }
  CHECK(posts == 0);
  fake.stop();
  listener.join();
}
