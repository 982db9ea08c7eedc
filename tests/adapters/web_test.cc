// The web chat page (adapters/web): served from the binary with the right
// content types and security headers, nothing else served under / (no path
// traversal), the page itself free of inline script, and a conversation over
// the real HTTP API whose follow-up only makes sense in context. Also the
// conversation memory behind it: bounded and expiring.
#include "adapters/web/web.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <regex>
#include <string>
#include <thread>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "../fakes/fake_retriever.h"
#include "../helpers/files.h"
#include "../helpers/server.h"
#include "chat_test_server.h"
#include "adapters/http/server.h"
#include "app/service.h"
#include "bot/conversation.h"
#include "knowledge/builtin.h"

namespace {

using nlohmann::json;

// A real server on a loopback port over the shipped knowledge in memory;
// stopped and joined on scope exit.
class WebTestServer {
 public:
  explicit WebTestServer(bot::Clock* clock = bot::Clock::Real())
      : server_(testing_helpers::TestHttpOptions(4), ":memory:", clock) {
    CHECK(server_.built());
  }

  int port() const { return server_.port(); }

  httplib::Result Get(const std::string& path) const { return Client().Get(path.c_str()); }

  // POST /v1/ask from the web page; the parsed answer (REQUIREs a 200).
  json Ask(const std::string& question, const std::string& conversation_id = "", bool explain = false) const {
    json body = {{"question", question}, {"channel", "web"}};
    if (!conversation_id.empty()) body["conversation_id"] = conversation_id;
    if (explain) body["explain"] = true;
    auto res = Client().Post("/v1/ask", body.dump(), "application/json");
    REQUIRE(res);
    INFO(res->body);
    REQUIRE(res->status == 200);
    json answer = json::parse(res->body, nullptr, false);
    REQUIRE(answer.is_object());
    return answer;
  }

 private:
  httplib::Client Client() const {
    httplib::Client c("127.0.0.1", port());
    c.set_connection_timeout(5, 0);
    c.set_read_timeout(20, 0);
    return c;
  }

  testing_helpers::TestServer server_;
};

struct RawReply {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
};

// Sends `request_line` byte for byte (no client-side normalization of the
// path, unlike an HTTP library) and reads the whole reply.
RawReply RawGet(int port, const std::string& target) {
  RawReply r;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  REQUIRE(::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  std::string reply;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) reply.append(buf, static_cast<size_t>(n));
  ::close(fd);
  size_t split = reply.find("\r\n\r\n");
  REQUIRE(split != std::string::npos);
  r.head = reply.substr(0, split);
  r.body = reply.substr(split + 4);
  REQUIRE(r.head.rfind("HTTP/1.1 ", 0) == 0);
  r.status = std::stoi(r.head.substr(9, 3));
  return r;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool AboutPay(const json& answer) {
  static const std::regex kPay("pay|salar|earn|compensation|\\$[0-9]", std::regex::icase);
  return std::regex_search(answer.value("answer", ""), kPay);
}

std::string FirstSourceId(const json& answer) {
  const json& sources = answer["sources"];
  return sources.empty() ? "" : sources[0].value("id", "");
}

}  // namespace

TEST_CASE("the chat page, its stylesheet and its script are served with their types and security headers",
          "[adapters][web]") {
  WebTestServer server;
  struct Expect {
    const char* path;
    const char* type;
    const char* marker;
  };
  const Expect pages[] = {{"/", "text/html; charset=utf-8", "<!doctype html>"},
                          {"/app.css", "text/css; charset=utf-8", ".msg"},
                          {"/app.js", "text/javascript; charset=utf-8", "/v1/ask"}};
  for (const Expect& e : pages) {
    INFO(e.path);
    auto res = server.Get(e.path);
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->get_header_value("Content-Type") == e.type);
    CHECK(res->get_header_value("Content-Security-Policy") ==
          "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
          "base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    CHECK(res->get_header_value("X-Content-Type-Options") == "nosniff");
    CHECK(res->get_header_value("Referrer-Policy") == "no-referrer");
    CHECK(res->body.find(e.marker) != std::string::npos);
    const adapters::web::Page* page = adapters::web::FindPage(e.path);
    REQUIRE(page != nullptr);
    CHECK(res->body == page->body);
  }
}

TEST_CASE("the page files are compiled in as they are in the source tree", "[adapters][web]") {
  const std::pair<const char*, const char*> files[] = {
      {"/", "index.html"}, {"/app.css", "app.css"}, {"/app.js", "app.js"}};
  for (const auto& [url, name] : files) {
    INFO(name);
    std::string on_disk;
    REQUIRE(
        testing_helpers::ReadWholeFile(std::string(CAREERBOT_SOURCE_DIR) + "/adapters/web/static/" + name, &on_disk));
    const adapters::web::Page* page = adapters::web::FindPage(url);
    REQUIRE(page != nullptr);
    CHECK_FALSE(page->body.empty());
    CHECK(page->body == on_disk);
  }
  CHECK(adapters::web::FindPage("/index.html") == nullptr);
  CHECK(adapters::web::FindPage("") == nullptr);
}

TEST_CASE("the page holds no inline script, loads nothing from elsewhere and never writes HTML from data",
          "[adapters][web]") {
  const std::string html = adapters::web::FindPage("/")->body;
  const std::string js = adapters::web::FindPage("/app.js")->body;
  const std::string css = adapters::web::FindPage("/app.css")->body;
  // Every <script> has a src and no body; no inline event handler or style.
  std::regex script_tag("<script([^>]*)>([\\s\\S]*?)</script>", std::regex::icase);
  int scripts = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), script_tag); it != std::sregex_iterator(); ++it) {
    scripts++;
    CHECK((*it)[1].str().find("src=\"/app.js\"") != std::string::npos);
    CHECK((*it)[2].str().empty());
  }
  CHECK(scripts == 1);
  CHECK_FALSE(std::regex_search(html, std::regex("\\son[a-z]+\\s*=", std::regex::icase)));
  CHECK_FALSE(std::regex_search(html, std::regex("<style|\\sstyle\\s*=", std::regex::icase)));
  CHECK(html.find("javascript:") == std::string::npos);
  // No request leaves the server: no absolute URL in what the page loads.
  for (const std::string* text : {&html, &js, &css}) {
    CHECK_FALSE(std::regex_search(*text, std::regex("(src|href)\\s*=\\s*\"(https?:)?//", std::regex::icase)));
    CHECK_FALSE(std::regex_search(*text, std::regex("url\\(\\s*['\"]?(https?:)?//", std::regex::icase)));
    CHECK_FALSE(std::regex_search(*text, std::regex("@import", std::regex::icase)));
  }
  CHECK_FALSE(std::regex_search(js, std::regex("fetch\\(\\s*['\"`]https?:")));
  // Text from the server goes in as text.
  for (const char* sink : {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"}) {
    INFO(sink);
    CHECK(js.find(sink) == std::string::npos);
  }
  // Accessibility basics the page promises.
  CHECK(html.find("aria-live=\"polite\"") != std::string::npos);
  CHECK(html.find("<label for=\"question\"") != std::string::npos);
  CHECK(html.find("<html lang=\"en\">") != std::string::npos);
  CHECK(html.find("name=\"viewport\"") != std::string::npos);
  CHECK(css.find(":focus-visible") != std::string::npos);
}

TEST_CASE("nothing else under / is served: path traversal and other files get a JSON 404", "[adapters][web]") {
  WebTestServer server;
  const char* attempts[] = {
      "/../etc/passwd",
      "/%2e%2e/etc/passwd",
      "/..%2fetc/passwd",
      "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
      "//etc/passwd",
      "/../../../../../../etc/passwd",
      "/app.js/../../etc/passwd",
      "/..",
      "/%2e%2e",
      "/./app.js",
      "/app.js%00.html",
      "/index.html",
      "/static/app.js",
      "/adapters/web/static/app.js",
      "/CMakeLists.txt",
      "/.git/config",
      "/app-css",
      "/appXjs",
      "/app.jsx",
      "/favicon.ico",
  };
  for (const char* target : attempts) {
    INFO(target);
    RawReply r = RawGet(server.port(), target);
    CHECK(r.status == 404);
    CHECK(Lower(r.head).find("content-type: application/json") != std::string::npos);
    json body = json::parse(r.body, nullptr, false);
    REQUIRE(body.is_object());
    CHECK(body["error"]["code"] == "not_found");
    CHECK(r.body.find("root:") == std::string::npos);
  }
  // The server is still serving.
  CHECK(RawGet(server.port(), "/").status == 200);
}

TEST_CASE("the page's paths answer other methods with 405", "[adapters][web]") {
  WebTestServer server;
  httplib::Client c("127.0.0.1", server.port());
  for (const char* path : {"/", "/app.css", "/app.js"}) {
    INFO(path);
    auto res = c.Post(path, "{}", "application/json");
    REQUIRE(res);
    CHECK(res->status == 405);
    CHECK(res->get_header_value("Allow") == "GET");
    CHECK(json::parse(res->body, nullptr, false)["error"]["code"] == "method_not_allowed");
  }
}

TEST_CASE("a conversation from the web page: follow-ups are read in context", "[adapters][web][conversation]") {
  WebTestServer server;

  SECTION("'and how much do they earn?' after a question about cloud engineers is about pay") {
    json first = server.Ask("What do cloud engineers do?");
    REQUIRE(first["kind"] == "kb");
    CHECK(std::regex_search(first["answer"].get<std::string>(), std::regex("cloud", std::regex::icase)));
    const std::string id = first["conversation_id"];
    REQUIRE_FALSE(id.empty());
    json next = server.Ask("and how much do they earn?", id, /*explain=*/true);
    CHECK(next["conversation_id"] == id);
    CHECK(next["kind"] == "kb");
    CHECK(AboutPay(next));
    CHECK_FALSE(next["explain"]["context_terms"].empty());
  }

  SECTION("'how much do they earn?' after full stack developers is about their pay, not pay in general") {
    json first = server.Ask("What is a full stack developer?");
    json next = server.Ask("and how much do they earn?", first["conversation_id"]);
    CHECK(AboutPay(next));
    CHECK(std::regex_search(next["answer"].get<std::string>(), std::regex("full[- ]?stack", std::regex::icase)));
    json alone = server.Ask("and how much do they earn?");
    CHECK(FirstSourceId(alone) != FirstSourceId(next));
  }

  SECTION("'what about Go?' after a question about languages answers about Go, not the list again") {
    json first = server.Ask("Which programming languages should a backend developer learn?");
    json next = server.Ask("what about Go?", first["conversation_id"]);
    CHECK(next["kind"] == "kb");
    CHECK(FirstSourceId(next) != FirstSourceId(first));
    REQUIRE_FALSE(next["sources"].empty());
    CHECK(std::regex_search(next["sources"][0]["title"].get<std::string>(), std::regex("\\bGo\\b")));
  }

  SECTION("'is it popular?' only makes sense after the question it follows") {
    json first = server.Ask("What is Docker?");
    json next = server.Ask("is it popular?", first["conversation_id"]);
    CHECK(next["kind"] == "kb");
    CHECK(next["answer"].get<std::string>().find("Docker") != std::string::npos);
    json alone = server.Ask("is it popular?");
    CHECK(alone["answer"].get<std::string>().find("Docker") == std::string::npos);
  }

  SECTION("another conversation's questions give no context") {
    json cloud = server.Ask("What is Docker?");
    json other = server.Ask("Which databases should I learn?");
    json next = server.Ask("is it popular?", other["conversation_id"]);
    CHECK(next["answer"].get<std::string>().find("Docker") == std::string::npos);
  }
}

TEST_CASE("a conversation's context expires on the server", "[adapters][web][conversation]") {
  fakes::FakeClock clock;
  WebTestServer server(&clock);
  json first = server.Ask("What is Docker?");
  clock.Advance(1801);  // the default ttl is 30 minutes after the last turn
  json next = server.Ask("is it popular?", first["conversation_id"], /*explain=*/true);
  CHECK(next["conversation_id"] == first["conversation_id"]);
  CHECK(next["explain"]["context_terms"].empty());
  CHECK(next["answer"].get<std::string>().find("Docker") == std::string::npos);
}

TEST_CASE("a clarification's option chosen on the page after the conversation expired still logs the choice",
          "[adapters][web][clarify][expired]") {
  testing_helpers::TempDir dir;
  const std::string db = dir.File("careerbot.db");
  fakes::FakeClock clock;
  chat_testing::ChatServer server(adapters::ChatConfig{}, db, &clock);
  const auto [question, expected_clarification] = chat_testing::UnsureQuestion(server.service());
  auto ask = [&](const json& body) {
    auto res = server.Post("/v1/ask", body.dump(), "application/json");
    REQUIRE(res);
    return std::make_pair(res->status, json::parse(res->body, nullptr, false));
  };
  auto [status, clarification] = ask({{"question", question}, {"channel", "web"}});
  REQUIRE(status == 200);
  REQUIRE(clarification["kind"] == "clarify");
  REQUIRE(clarification["options"].size() >= 2);
  const std::string clarification_id = clarification["answer_id"];
  const std::string conversation = clarification["conversation_id"];
  const json option = clarification["options"][1];
  const std::string entry = option["entry_id"];
  // A clear answer: its id is no clarification's.
  auto [kb_status, kb] = ask({{"question", "How much do backend developers earn?"}, {"channel", "web"}});
  REQUIRE(kb_status == 200);
  REQUIRE(kb["kind"] == "kb");

  clock.Advance(bot::Conversations::kDefaultTtlSeconds + 1);
  REQUIRE(server.service().answerer().conversations().Recent(conversation).empty());
  auto choose = [&](const std::string& entry_id, const json& claimed, const std::string& text) {
    json body = {{"question", text}, {"channel", "web"}, {"conversation_id", conversation}, {"entry_id", entry_id}};
    if (!claimed.is_null()) body["clarification_id"] = claimed;
    return ask(body);
  };
  auto lines = [&] {
    server.service().FlushLog();
    auto all = chat_testing::LoggedLines(db, "web");
    return std::vector<std::string>(all.begin() + 2, all.end());  // after the clarification and the clear answer
  };

  // Hostile or wrong: malformed ids are refused with 400; an entry that was
  // not offered, an unknown id, a line that is no clarification, or no id
  // at all are answered, but not as a choice.
  for (const json& bad : {json(42), json(""), json(std::string(129, 'a')), json("bad id")}) {
    INFO(bad.dump());
    auto [s, body] = choose(entry, bad, option["question"]);
    CHECK(s == 400);
    CHECK(body["error"]["code"] == "invalid_request");
  }
  {
    auto [s, body] = ask({{"question", "x"}, {"clarification_id", clarification_id}});
    CHECK(s == 400);  // a clarification id without the entry chosen
  }
  const std::string not_offered = "demand-tech-boom";
  for (const auto& o : expected_clarification.options) REQUIRE(o.entry_id != not_offered);
  REQUIRE(choose(not_offered, clarification_id, "How does the tech boom affect backend jobs?").first == 200);
  REQUIRE(choose(entry, "0123456789abcdef0123456789abcdef", option["question"]).first == 200);
  REQUIRE(choose(entry, kb["answer_id"], option["question"]).first == 200);
  REQUIRE(choose(entry, nullptr, option["question"]).first == 200);
  const std::string q = option["question"];
  std::vector<std::string> expected = {"kb|How does the tech boom affect backend jobs?|" + not_offered,
                                       "kb|" + q + "|" + entry, "kb|" + q + "|" + entry, "kb|" + q + "|" + entry};
  CHECK(lines() == expected);
  CHECK(chat_testing::GapChoice(server.service(), question) == "x0");

  // The page's click: the option's question, its entry and the clarification's id.
  auto [s, chosen] = choose(entry, clarification_id, option["question"]);
  REQUIRE(s == 200);
  CHECK(chosen["kind"] == "kb");
  CHECK(chosen["sources"][0]["id"] == entry);
  expected.push_back("clarified|" + question + "|" + entry);
  CHECK(lines() == expected);
  CHECK(chat_testing::GapChoice(server.service(), question) == entry + "x1");
}

TEST_CASE("ConversationStore is bounded in conversations and turns, and forgets idle ones", "[bot][conversation]") {
  fakes::FakeClock clock(1000);
  bot::ConversationStore store(&clock, /*max_conversations=*/50, /*ttl_seconds=*/600);
  for (int i = 0; i < 1000; i++) {
    store.Add("conv-" + std::to_string(i), [] { bot::Turn t; t.terms = {"term"}; t.entry_id = "entry"; return t; }());
    CHECK(store.size() <= 50);
  }
  CHECK(store.size() == 50);
  CHECK(store.Recent("conv-0").empty());        // the oldest were dropped
  CHECK(store.Recent("conv-999").size() == 1);  // the newest kept
  for (int t = 0; t < 20; t++) store.Add("chatty", [t] { bot::Turn turn; turn.terms = {"t" + std::to_string(t)}; turn.entry_id = "e"; return turn; }());
  auto turns = store.Recent("chatty");
  REQUIRE(turns.size() == bot::ConversationStore::kMaxTurns);
  CHECK(turns.back().terms[0] == "t19");
  clock.Advance(601);
  CHECK(store.Recent("chatty").empty());
  CHECK(store.size() == 0);
}
