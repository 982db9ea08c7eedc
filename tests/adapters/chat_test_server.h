// Test fixtures for the chat-platform adapters: a real careerbot HTTP server
// on a loopback port with the chat adapters configured, a fake platform API
// (Slack Web API, response_url hooks, Discord REST) on another loopback port
// that records every call, and signers that sign requests exactly as Slack
// (HMAC-SHA256) and Discord (Ed25519) do.
#pragma once

#include <openssl/evp.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <httplib.h>

#include "../helpers/server.h"
#include "app/chat_config.h"
#include "adapters/http/server.h"
#include "app/service.h"
#include "adapters/chat/slack/verify.h"
#include "knowledge/builtin.h"
#include "knowledge/gaps.h"

namespace chat_testing {

inline std::string Hex(const unsigned char* data, size_t n) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; i++) {
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 15];
  }
  return out;
}

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// A fake platform API on 127.0.0.1: records every POST/PUT. Calls to
// */chat.postMessage answer {"ok": true}, except the first `rate_limited`
// ones, which get 429 with Retry-After: 1.
class FakeApi {
 public:
  struct Call {
    std::string method, path, body, authorization, content_type;
    int status = 0;
  };

  explicit FakeApi(int rate_limited = 0) : rate_limited_(rate_limited) {
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      Call call{req.method, req.path, req.body, req.get_header_value("Authorization"),
                req.get_header_value("Content-Type")};
      if (req.path.size() >= 17 && req.path.compare(req.path.size() - 17, 17, "/chat.postMessage") == 0) {
        if (rate_limited_.fetch_sub(1) > 0) {
          res.status = 429;
          res.set_header("Retry-After", "1");
          res.set_content(R"({"ok":false,"error":"ratelimited"})", "application/json");
        } else {
          res.set_content(R"({"ok":true,"channel":"C1","ts":"1700000000.000100"})", "application/json");
        }
      } else if (req.method == "PUT") {
        res.set_content(req.body, "application/json");
      } else {
        res.set_content("ok", "text/plain");
      }
      call.status = res.status == -1 ? 200 : res.status;
      std::lock_guard<std::mutex> lock(mu_);
      calls_.push_back(std::move(call));
    };
    server_.Post(".*", handler);
    server_.Put(".*", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    REQUIRE(WaitFor([this] { return server_.is_running(); }, std::chrono::seconds(10)));
  }
  ~FakeApi() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  FakeApi(const FakeApi&) = delete;
  FakeApi& operator=(const FakeApi&) = delete;

  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<Call> calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  // Calls whose path ends with `suffix` (and, when status != 0, with that status).
  std::vector<Call> CallsTo(const std::string& suffix, int status = 0) {
    std::vector<Call> out;
    for (auto& c : calls()) {
      bool match =
          c.path.size() >= suffix.size() && c.path.compare(c.path.size() - suffix.size(), suffix.size(), suffix) == 0;
      if (match && (status == 0 || c.status == status)) out.push_back(c);
    }
    return out;
  }

 private:
  httplib::Server server_;
  std::atomic<int> rate_limited_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<Call> calls_;
};

// An Ed25519 key pair, generated fresh (EVP_PKEY_keygen) or from a raw seed.
class Ed25519Key {
 public:
  Ed25519Key() {
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
    REQUIRE(ctx);
    REQUIRE(EVP_PKEY_keygen_init(ctx) == 1);
    REQUIRE(EVP_PKEY_keygen(ctx, &pkey_) == 1);
    EVP_PKEY_CTX_free(ctx);
  }
  explicit Ed25519Key(const std::string& raw_seed) {
    pkey_ = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                         reinterpret_cast<const unsigned char*>(raw_seed.data()), raw_seed.size());
    REQUIRE(pkey_);
  }
  ~Ed25519Key() { EVP_PKEY_free(pkey_); }
  Ed25519Key(const Ed25519Key&) = delete;
  Ed25519Key& operator=(const Ed25519Key&) = delete;

  std::string PublicKeyHex() const {
    unsigned char pub[32];
    size_t len = sizeof(pub);
    REQUIRE(EVP_PKEY_get_raw_public_key(pkey_, pub, &len) == 1);
    return Hex(pub, len);
  }
  // The hex signature of `message`, as Discord puts in X-Signature-Ed25519.
  std::string SignHex(const std::string& message) const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    REQUIRE(EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, pkey_) == 1);
    unsigned char sig[64];
    size_t len = sizeof(sig);
    REQUIRE(EVP_DigestSign(ctx, sig, &len, reinterpret_cast<const unsigned char*>(message.data()), message.size()) ==
            1);
    EVP_MD_CTX_free(ctx);
    return Hex(sig, len);
  }

 private:
  EVP_PKEY* pkey_ = nullptr;
};

// A real careerbot server (port 0, on a thread) over the shipped knowledge,
// with the chat adapters configured by `chat`.
class ChatServer {
 public:
  // `clock` (not owned) is the service's: the conversations' expiry, Slack's
  // timestamp check.
  explicit ChatServer(adapters::ChatConfig chat, const std::string& db = ":memory:",
                      bot::Clock* clock = bot::Clock::Real())
      : server_(Options(std::move(chat)), db, clock) {}
  ChatServer(const ChatServer&) = delete;
  ChatServer& operator=(const ChatServer&) = delete;

  adapters::Service& service() { return server_.service(); }

  httplib::Result Post(const std::string& path, const std::string& body, const std::string& content_type,
                       const httplib::Headers& headers = {}) {
    return Client().Post(path.c_str(), headers, body, content_type.c_str());
  }
  httplib::Result Get(const std::string& path) { return Client().Get(path.c_str()); }

 private:
  httplib::Client Client() {
    httplib::Client c("127.0.0.1", server_.port());
    c.set_connection_timeout(5, 0);
    c.set_read_timeout(20, 0);
    return c;
  }
  static adapters::http::HttpOptions Options(adapters::ChatConfig chat) {
    adapters::http::HttpOptions options = testing_helpers::TestHttpOptions(4);
    options.chat = std::move(chat);
    return options;
  }

  testing_helpers::TestServer server_;
};

// Questions of our own (not from any evaluation set) that the shipped
// knowledge is unsure about: each gets a clarification with two or more
// options, as `careerbot ask --explain` showed when they were written.
inline const std::vector<std::string>& UnsureQuestions() {
  static const std::vector<std::string> kQuestions = {
      "can self taught people get hired for backend roles",
      "Is backend development stressful and is the market good?",
      "Do companies still hire junior backend devs from bootcamps?",
      "Is backend development stressful and is the market good in 2025?",
  };
  return kQuestions;
}

// The first of UnsureQuestions() that `service` answers with a clarification
// of two or more options (asked in a throwaway conversation, not logged),
// and that clarification. Fails the test when none does any more: the
// ranking changed, and the list needs a question that is still unsure.
inline std::pair<std::string, bot::Answer> UnsureQuestion(adapters::Service& service) {
  for (const std::string& text : UnsureQuestions()) {
    bot::Question q;
    q.text = text;
    auto a = service.answerer().Ask(q);
    REQUIRE(a.ok());
    if (a->kind == "clarify" && a->options.size() >= 2) return {text, *a};
  }
  FAIL("none of UnsureQuestions() gets a clarification with two options from the shipped knowledge");
  return {};
}

// The answer of entry `entry_id` chosen with `question` (as a clarification's
// option asks it), in a throwaway conversation, not logged.
inline bot::Answer ChosenAnswer(adapters::Service& service, const std::string& question, const std::string& entry_id) {
  bot::Question q;
  q.text = question;
  q.entry_id = entry_id;
  auto a = service.answerer().Ask(q);
  REQUIRE(a.ok());
  REQUIRE(a->entry_id == entry_id);
  return *a;
}

// The question log of knowledge base `db` for `channel`, oldest first, one
// "kind|question|entry_id" per line (read with its own connection).
inline std::vector<std::string> LoggedLines(const std::string& db, const std::string& channel) {
  std::vector<std::string> out;
  sqlite3* handle = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(handle,
                             "SELECT kind, question, COALESCE(entry_id, '') FROM question_log WHERE channel = ?1 "
                             "ORDER BY asked_at, rowid",
                             -1, &stmt, nullptr) == SQLITE_OK);
  sqlite3_bind_text(stmt, 1, channel.c_str(), -1, SQLITE_TRANSIENT);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    auto column = [&](int i) {
      const unsigned char* t = sqlite3_column_text(stmt, i);
      return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
    };
    out.push_back(column(0) + "|" + column(1) + "|" + column(2));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(handle);
  return out;
}

// The gap (knowledge::FindGaps over `service`'s question log, as `kb gaps`
// reads it) whose wordings include `question`: "<chosen entry>x<times>"
// (the option people chose when asked back), "x0" when none was chosen, ""
// when no gap has the question.
inline std::string GapChoice(adapters::Service& service, const std::string& question) {
  service.FlushLog();
  auto gaps = knowledge::FindGaps(service.log_store().get(), nullptr, knowledge::GapOptions{});
  REQUIRE(gaps.ok());
  for (const knowledge::Gap& g : *gaps) {
    for (const std::string& e : g.examples) {
      if (e == question) return g.chosen_entry_id + "x" + std::to_string(g.chosen_count);
    }
  }
  return "";
}

// The headers Slack sends with `body`, signed with `secret` at `timestamp`
// (default: now).
inline httplib::Headers SlackHeaders(const std::string& secret, const std::string& body, int64_t timestamp = 0) {
  if (timestamp == 0) timestamp = static_cast<int64_t>(std::time(nullptr));
  std::string ts = std::to_string(timestamp);
  return {{"X-Slack-Request-Timestamp", ts}, {"X-Slack-Signature", adapters::slack::Sign(secret, ts, body)}};
}

inline httplib::Headers DiscordHeaders(const Ed25519Key& key, const std::string& body,
                                       const std::string& timestamp = "1700000000") {
  return {{"X-Signature-Timestamp", timestamp}, {"X-Signature-Ed25519", key.SignHex(timestamp + body)}};
}

}  // namespace chat_testing
