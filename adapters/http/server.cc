#include "adapters/http/server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "adapters/discord/discord.h"
#include "adapters/json_codec.h"
#include "adapters/slack/slack.h"
#include "adapters/web/web.h"
#include "bot/text.h"

namespace adapters::http {
namespace {

using nlohmann::json;

void SendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  // Replace invalid UTF-8 rather than throw: answer text is always valid, but
  // an error message may quote the request.
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void SendError(httplib::Response& res, int status, const std::string& code, const std::string& message) {
  SendJson(res, status, ErrorJson(code, message));
}

int HttpStatusFor(const bot::Status& s) {
  switch (s.code()) {
    case bot::Status::Code::kOk: return 200;
    case bot::Status::Code::kInvalidArgument: return 400;
    case bot::Status::Code::kNotFound: return 404;
    case bot::Status::Code::kAlreadyExists: return 409;
    case bot::Status::Code::kUnavailable: return 503;
    case bot::Status::Code::kInternal: return 500;
  }
  return 500;
}

void SendStatus(httplib::Response& res, const bot::Status& s) {
  SendError(res, HttpStatusFor(s), bot::Status::CodeName(s.code()), s.message());
}

bool IsJsonContentType(const httplib::Request& req) {
  std::string type = req.get_header_value("Content-Type");
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t semi = type.find(';');
  std::string media(bot::Trim(type.substr(0, semi)));
  return media == "application/json";
}

// Decodes a JSON object body, or answers the error and returns false.
bool DecodeJsonObject(const httplib::Request& req, httplib::Response& res, json* out) {
  if (!IsJsonContentType(req)) {
    SendError(res, 415, "unsupported_media_type", "send the body as Content-Type: application/json");
    return false;
  }
  // JSON must be UTF-8; a client that sends other bytes inside a string still
  // gets an answer, with those bytes read as U+FFFD.
  *out = bot::IsValidUtf8(req.body) ? json::parse(req.body, nullptr, /*allow_exceptions=*/false)
                                    : json::parse(bot::RepairUtf8(req.body), nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded()) {
    SendError(res, 400, "invalid_json", "the body is not valid JSON");
    return false;
  }
  if (!out->is_object()) {
    SendError(res, 400, "invalid_request", "the body must be a JSON object");
    return false;
  }
  return true;
}

// Reads an optional string field; false (and the error sent) when it has the wrong type.
bool OptionalString(const json& body, const char* field, size_t max_bytes, httplib::Response& res,
                    std::string* out) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return true;
  if (!it->is_string()) {
    SendError(res, 400, "invalid_request", std::string("'") + field + "' must be a string");
    return false;
  }
  *out = it->get<std::string>();
  if (out->size() > max_bytes) {
    SendError(res, 400, "invalid_request",
              std::string("'") + field + "' is longer than " + std::to_string(max_bytes) + " bytes");
    return false;
  }
  return true;
}

struct Route {
  const char* method;
  const char* path;
};
const Route kRoutes[] = {{"POST", "/v1/ask"}, {"POST", "/v1/feedback"}, {"GET", "/healthz"},
                         {"GET", "/"},          {"GET", "/app.css"},       {"GET", "/app.js"},
                         // Chat platforms (adapters/slack, adapters/discord).
                         {"POST", "/slack/events"}, {"POST", "/slack/commands"}, {"POST", "/slack/interactions"},
                         {"POST", "/discord/interactions"}, {"POST", "/mattermost/commands"}};
// The admin paths (/v1/admin/..., /admin; adapters/admin) are not listed:
// they answer 405 themselves when on, and must stay 404 when off.

}  // namespace

void RegisterRoutes(httplib::Server& server, Service& service) {
  server.Post("/v1/ask", [&service](const httplib::Request& req, httplib::Response& res) {
    json body;
    if (!DecodeJsonObject(req, res, &body)) return;
    auto q = body.find("question");
    if (q == body.end() || q->is_null()) {
      SendError(res, 400, "missing_question", "the body needs a 'question' string");
      return;
    }
    if (!q->is_string()) {
      SendError(res, 400, "invalid_question", "'question' must be a string");
      return;
    }
    bot::Question question;
    question.text = q->get<std::string>();
    if (bot::Trim(question.text).empty()) {
      SendError(res, 400, "empty_question", "'question' is empty");
      return;
    }
    if (!OptionalString(body, "conversation_id", 128, res, &question.conversation_id)) return;
    std::string channel = "http";
    if (!OptionalString(body, "channel", 16, res, &channel)) return;
    if (channel != "http" && channel != "web") {
      SendError(res, 400, "invalid_request", "'channel' must be \"http\" or \"web\"");
      return;
    }
    question.channel = channel;
    auto explain = body.find("explain");
    if (explain != body.end() && !explain->is_null()) {
      if (!explain->is_boolean()) {
        SendError(res, 400, "invalid_request", "'explain' must be true or false");
        return;
      }
      question.explain = explain->get<bool>();
    }
    auto answer = service.Ask(question);
    if (!answer.ok()) {
      SendStatus(res, answer.status());
      return;
    }
    SendJson(res, 200, AnswerToJson(*answer));
  });

  server.Post("/v1/feedback", [&service](const httplib::Request& req, httplib::Response& res) {
    json body;
    if (!DecodeJsonObject(req, res, &body)) return;
    auto id = body.find("answer_id");
    if (id == body.end() || !id->is_string() || id->get<std::string>().empty()) {
      SendError(res, 400, "invalid_request", "'answer_id' must be a non-empty string");
      return;
    }
    auto helpful = body.find("helpful");
    if (helpful == body.end() || !helpful->is_boolean()) {
      SendError(res, 400, "invalid_request", "'helpful' must be true or false");
      return;
    }
    std::string comment;
    if (!OptionalString(body, "comment", 2000, res, &comment)) return;
    bot::Status s = service.Feedback(id->get<std::string>(), helpful->get<bool>(), comment);
    if (!s.ok()) {
      SendStatus(res, s);
      return;
    }
    SendJson(res, 200, {{"status", "recorded"}});
  });

  server.Get("/healthz", [&service](const httplib::Request&, httplib::Response& res) {
    // Answers from memory: the lexicon is cached and only re-read after a change.
    auto lexicon = service.store().GetLexicon();
    if (!lexicon.ok()) {
      SendError(res, 503, "unavailable", lexicon.status().message());
      return;
    }
    SendJson(res, 200, {{"status", "ok"}, {"entries", (*lexicon)->entry_count}, {"version", (*lexicon)->version}});
  });
}

HttpServer::HttpServer(Service& service, HttpOptions options)
    : service_(service), options_(std::move(options)), server_(std::make_unique<httplib::Server>()) {}

HttpServer::~HttpServer() { Stop(); }

bot::Status HttpServer::Bind() {
  if (options_.port < 0 || options_.port > 65535) {
    return bot::Status::InvalidArgument("port must be between 0 and 65535, got " + std::to_string(options_.port));
  }
  httplib::Server& s = *server_;
  // Without TCP_NODELAY, Nagle's algorithm and delayed ACKs hold small
  // keep-alive responses back (~300 requests/s measured, ~20,000 with it).
  s.set_tcp_nodelay(true);
  s.set_payload_max_length(kMaxBodyBytes);
  s.set_keep_alive_timeout(options_.keep_alive_timeout_s);
  s.set_keep_alive_max_count(options_.keep_alive_max_count);
  s.set_read_timeout(options_.read_timeout_s, 0);
  s.set_write_timeout(options_.write_timeout_s, 0);
  size_t threads = options_.threads == 0 ? 1 : options_.threads;
  s.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };

  RegisterRoutes(s, service_);
  // The chat page (GET /, /app.css, /app.js); before the catch-all routes below.
  web::RegisterWebRoutes(s);
  // The chat platforms' webhooks; each answers 503 until its secret is set.
  slack_ = std::make_unique<slack::SlackAdapter>(service_, options_.chat.slack);
  slack_->RegisterRoutes(s);
  mattermost_ = std::make_unique<slack::MattermostAdapter>(service_, options_.chat.mattermost);
  mattermost_->RegisterRoutes(s);
  discord_ = std::make_unique<discord::DiscordAdapter>(service_, options_.chat.discord);
  discord_->RegisterRoutes(s);
  // The curators' admin API (/v1/admin/...) and page (/admin): absent unless
  // a token is set; answers its own 401s and 405s.
  admin_ = admin::RegisterAdminRoutes(s, service_, options_.admin);

  // A known path asked with another method is 405; anything else is 404.
  auto not_routed = [](const httplib::Request& req, httplib::Response& res) {
    std::string allowed;
    for (const Route& r : kRoutes) {
      if (req.path == r.path && req.method != r.method) allowed += (allowed.empty() ? "" : ", ") + std::string(r.method);
    }
    if (!allowed.empty()) {
      res.set_header("Allow", allowed);
      SendError(res, 405, "method_not_allowed", req.method + " is not allowed on " + req.path);
    } else {
      SendError(res, 404, "not_found", "no route for " + req.method + " " + req.path);
    }
  };
  s.Get(".*", not_routed);
  s.Post(".*", not_routed);
  s.Put(".*", not_routed);
  s.Patch(".*", not_routed);
  s.Delete(".*", not_routed);
  s.Options(".*", not_routed);

  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    switch (res.status) {
      case 413:
        SendError(res, 413, "payload_too_large", "the body is larger than 16 KiB");
        break;
      case 414:
        SendError(res, 414, "uri_too_long", "the request URI is too long");
        break;
      case 400:
        SendError(res, 400, "bad_request", "the request is malformed");
        break;
      case 404:
        SendError(res, 404, "not_found", "no route for " + req.method + " " + req.path);
        break;
      case 405:
        SendError(res, 405, "method_not_allowed", "method not allowed");
        break;
      default:
        SendError(res, res.status, "error", "the request failed with status " + std::to_string(res.status));
    }
  });
  s.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("unhandled exception on {} {}: {}", req.method, req.path, what);
    SendError(res, 500, "internal", "internal error");
  });

  if (options_.port == 0) {
    port_ = s.bind_to_any_port(options_.host);
    if (port_ <= 0) return bot::Status::Unavailable("cannot bind " + options_.host + " on any port");
  } else {
    if (!s.bind_to_port(options_.host, options_.port)) {
      return bot::Status::Unavailable("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                                      " (in use, or not allowed)");
    }
    port_ = options_.port;
  }
  return bot::Status::Ok();
}

void HttpServer::Run() { server_->listen_after_bind(); }

void HttpServer::Stop() {
  if (server_) server_->stop();
}

bool HttpServer::running() const { return server_->is_running(); }

}  // namespace adapters::http
