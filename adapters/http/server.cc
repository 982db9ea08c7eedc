#include "adapters/http/server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <nlohmann/json.hpp>

#include "adapters/chat/pipeline.h"
#include "adapters/chat/registry.h"
#include "adapters/http/connection.h"
#include "adapters/http/router.h"
#include "adapters/http/guard.h"
#include "adapters/http/reply.h"
#include "adapters/http/observability.h"
#include "adapters/http/request_decode.h"
#include "app/json_codec.h"
#include "adapters/redis/conversations.h"
#include "adapters/redis/log_stream.h"
#include "adapters/redis/shared_state.h"
#include "adapters/web/web.h"
#include "bot/text.h"
#include "embedded.h"

namespace careerbot {
extern const EmbeddedFile kOpenApiFiles[];
}

namespace adapters::http {
namespace {

using nlohmann::json;

}  // namespace

size_t DefaultHttpThreads() {
  size_t cores = std::thread::hardware_concurrency();
  if (cores == 0) cores = 2;
  return std::clamp<size_t>(2 * cores, 4, 16);
}

const std::string& OpenApiDocument() {
  static const std::string* doc = [] {
    for (const careerbot::EmbeddedFile* f = careerbot::kOpenApiFiles; f->path; f++) {
      if (std::string(f->path) == "openapi.json") {
        return new std::string(reinterpret_cast<const char*>(f->data), f->size);
      }
    }
    return new std::string("{}");
  }();
  return *doc;
}

void RegisterRoutes(Router& server, Service& service, redis::SharedState* redis) {
  // The bodies are decoded by pure functions (request_decode.h); the body
  // limits, the rate limit and CORS were checked before routing (guard.h).
  server.Add({"POST", "/v1/ask", "api", "Answer a question"}, [&service](const httplib::Request& req, httplib::Response& res) {
    bot::Question question;
    RequestError error;
    if (!DecodeAskRequest(req.get_header_value("Content-Type"), req.body, kMaxApiBodyBytes, &question, &error)) {
      SendError(res, error.status, error.code, error.message);
      return;
    }
    auto answer = service.Ask(question);
    if (!answer.ok()) {
      SendStatus(res, answer.status());
      return;
    }
    SendJson(res, 200, AnswerToJson(*answer));
  });

  server.Add({"POST", "/v1/feedback", "api", "Say whether an answer helped"}, [&service](const httplib::Request& req, httplib::Response& res) {
    FeedbackRequest feedback;
    RequestError error;
    if (!DecodeFeedbackRequest(req.get_header_value("Content-Type"), req.body, kMaxApiBodyBytes, &feedback,
                               &error)) {
      SendError(res, error.status, error.code, error.message);
      return;
    }
    bot::Status s = service.Feedback(feedback.answer_id, feedback.helpful, feedback.comment);
    if (!s.ok()) {
      SendStatus(res, s);
      return;
    }
    SendJson(res, 200, {{"status", "recorded"}});
  });

  server.Add({"GET", "/healthz", "api", "Liveness, entry count and knowledge-base version, from memory"},
             [&service, redis](const httplib::Request&, httplib::Response& res) {
    const bool redis_up = redis == nullptr || redis->Check();
    // Answers from memory: the lexicon is cached and only re-read after a change.
    auto lexicon = service.knowledge().GetLexicon();
    if (!lexicon.ok()) {
      SendError(res, 503, "unavailable", lexicon.status().message());
      return;
    }
    json body = {{"status", "ok"}, {"entries", (*lexicon)->entry_count}, {"version", (*lexicon)->version}};
    if (redis != nullptr) {
      // Still answering (200): without Redis each replica uses its own state.
      body["redis"] = redis_up ? "up" : "down";
      if (!redis_up) body["status"] = "degraded";
    }
    SendJson(res, 200, body);
  });
}

HttpServer::HttpServer(Service& service, HttpOptions options)
    : service_(service),
      options_(std::move(options)),
      metrics_(std::make_unique<HttpMetrics>()),
      router_(std::make_unique<Router>()),
      started_(std::chrono::steady_clock::now()),
      started_unix_(std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count()) {}

std::string HttpServer::RenderMetrics() {
  std::string out;
  out.reserve(16384);
  metrics_->Render(&out);
  service_.metrics().Render(&out);
  knowledge::StoreHandle& kb = service_.knowledge();
  auto lexicon = kb.GetLexicon();
  metrics::AppendHeader(&out, "careerbot_knowledge_entries", "gauge", "Entries in the knowledge base answered from.");
  out += "careerbot_knowledge_entries " + std::to_string(lexicon.ok() ? (*lexicon)->entry_count : 0) + "\n";
  metrics::AppendHeader(&out, "careerbot_knowledge_snapshot_info", "gauge",
                        "The knowledge base answered from: its content version (1 for the current one).");
  if (lexicon.ok()) {
    out += "careerbot_knowledge_snapshot_info{version=\"" + metrics::EscapeLabel((*lexicon)->version) + "\",read_only=\"" +
           (kb.read_only() ? "true" : "false") + "\"} 1\n";
  }
  metrics::AppendHeader(&out, "careerbot_knowledge_reloads_total", "counter",
                        "Knowledge-base reloads (SIGHUP or the file replaced), by result.");
  out += "careerbot_knowledge_reloads_total{result=\"ok\"} " + std::to_string(kb.reloads()) + "\n";
  out += "careerbot_knowledge_reloads_total{result=\"failed\"} " + std::to_string(kb.reload_failures()) + "\n";
  // The question log's asynchronous writer (knowledge/question_log.h).
  knowledge::QuestionLogQueue::Stats log = service_.LogStats();
  metrics::AppendHeader(&out, "careerbot_question_log_dropped_total", "counter",
                        "Question-log lines dropped because the write queue was full (answers never wait for it).");
  out += "careerbot_question_log_dropped_total " + std::to_string(service_.log_dropped()) + "\n";
  metrics::AppendHeader(&out, "careerbot_question_log_written_total", "counter",
                        "Question-log lines written by the log store answered into now.");
  out += "careerbot_question_log_written_total " + std::to_string(log.written) + "\n";
  metrics::AppendHeader(&out, "careerbot_question_log_retried_total", "counter",
                        "Question-log lines whose write failed (logged as warnings) and were queued again.");
  out += "careerbot_question_log_retried_total " + std::to_string(log.retried) + "\n";
  metrics::AppendHeader(&out, "careerbot_question_log_failed_total", "counter",
                        "Question-log lines given up on: their write failed while shutting down.");
  out += "careerbot_question_log_failed_total " + std::to_string(log.failed) + "\n";
  metrics::AppendHeader(&out, "careerbot_question_log_queued", "gauge", "Question-log lines waiting to be written.");
  out += "careerbot_question_log_queued " + std::to_string(log.queued) + "\n";
  metrics::AppendHeader(&out, "careerbot_uptime_seconds", "gauge", "Seconds since this server started.");
  out += "careerbot_uptime_seconds " +
         metrics::FormatValue(std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count()) +
         "\n";
  metrics::AppendHeader(&out, "careerbot_start_time_seconds", "gauge", "When this server started, Unix seconds.");
  out += "careerbot_start_time_seconds " + metrics::FormatValue(started_unix_) + "\n";
  metrics::AppendHeader(&out, "careerbot_http_threads", "gauge", "Worker threads of the HTTP server.");
  out += "careerbot_http_threads " + std::to_string(options_.threads) + "\n";
  // The connections (adapters/http/event_loop.h); read lock-free.
  const LoopStats& loop = transport_->stats();
  auto gauge = [](const std::atomic<int64_t>& v) { return std::to_string(std::max<int64_t>(v.load(), 0)); };
  metrics::AppendHeader(&out, "careerbot_http_connections", "gauge",
                        "Open connections, by state: idle (between requests), reading (a request partly arrived), "
                        "serving (on a worker), writing (a response waits for the client to read it), closing "
                        "(answered, lingering).");
  out += "careerbot_http_connections{state=\"idle\"} " + gauge(loop.idle) + "\n";
  out += "careerbot_http_connections{state=\"reading\"} " + gauge(loop.reading) + "\n";
  out += "careerbot_http_connections{state=\"serving\"} " + gauge(loop.serving) + "\n";
  out += "careerbot_http_connections{state=\"writing\"} " + gauge(loop.writing) + "\n";
  out += "careerbot_http_connections{state=\"closing\"} " + gauge(loop.closing) + "\n";
  metrics::AppendHeader(&out, "careerbot_http_connections_refused_total", "counter",
                        "Connections answered 503 and closed at once: the most allowed were open.");
  out += "careerbot_http_connections_refused_total " + std::to_string(loop.refused.load()) + "\n";
  metrics::AppendHeader(&out, "careerbot_http_pending_bytes", "gauge",
                        "Bytes held for requests still arriving (their budget: --max-pending-bytes).");
  out += "careerbot_http_pending_bytes " + std::to_string(transport_->pending_bytes()) + "\n";
  metrics::AppendHeader(&out, "careerbot_http_budget_refusals_total", "counter",
                        "Requests answered 503 because the bytes held for requests still arriving reached their budget.");
  out += "careerbot_http_budget_refusals_total " + std::to_string(transport_->budget_refusals()) + "\n";
  if (redis_) {
    metrics::AppendHeader(&out, "careerbot_redis_up", "gauge",
                          "1 while the shared state (Redis) answers, 0 while this replica uses its own.");
    out += "careerbot_redis_up " + std::string(redis_->up() ? "1" : "0") + "\n";
    metrics::AppendHeader(&out, "careerbot_redis_failures_total", "counter",
                          "Redis calls that failed (no connection, a timeout).");
    out += "careerbot_redis_failures_total " +
           std::to_string(redis_->client().failures() + (log_client_ ? log_client_->failures() : 0) +
                          (consumer_client_ ? consumer_client_->failures() : 0)) +
           "\n";
    metrics::AppendHeader(&out, "careerbot_redis_fallbacks_total", "counter",
                          "Decisions taken with this replica's own state because Redis did not answer, by what.");
    out += "careerbot_redis_fallbacks_total{what=\"rate_limit\"} " +
           std::to_string(limiter_ ? limiter_->fallbacks() : 0) + "\n";
    for (const auto& platform : platforms_) {
      for (const auto& [what, count] : platform->SharedFallbacks()) {
        out += "careerbot_redis_fallbacks_total{what=\"" + what + "\"} " + std::to_string(count) + "\n";
      }
    }
    out += "careerbot_redis_fallbacks_total{what=\"conversation\"} " +
           std::to_string(conversations_ ? conversations_->fallbacks() : 0) + "\n";
    out += "careerbot_redis_fallbacks_total{what=\"feedback\"} " +
           std::to_string(service_.shared_feedback_refused()) + "\n";
    if (shipper_) {
      redis::LogShipper::Stats ship = shipper_->stats();
      metrics::AppendHeader(&out, "careerbot_redis_log_sent_total", "counter",
                            "Question-log lines and feedback events appended to the Redis stream for the writer.");
      out += "careerbot_redis_log_sent_total " + std::to_string(ship.sent) + "\n";
      metrics::AppendHeader(&out, "careerbot_redis_log_dropped_total", "counter",
                            "Question-log lines and feedback events dropped because the buffer for Redis was full.");
      out += "careerbot_redis_log_dropped_total " + std::to_string(ship.dropped) + "\n";
      metrics::AppendHeader(&out, "careerbot_redis_log_buffered", "gauge",
                            "Question-log lines and feedback events waiting to be sent to Redis.");
      out += "careerbot_redis_log_buffered " + std::to_string(ship.queued) + "\n";
    }
    if (consumer_) {
      redis::LogConsumer::Stats c = consumer_->stats();
      metrics::AppendHeader(&out, "careerbot_redis_log_consumed_total", "counter",
                            "Entries of the Redis stream the writer recorded in its question log, by what.");
      out += "careerbot_redis_log_consumed_total{what=\"line\"} " + std::to_string(c.lines) + "\n";
      out += "careerbot_redis_log_consumed_total{what=\"feedback\"} " + std::to_string(c.feedback) + "\n";
      metrics::AppendHeader(&out, "careerbot_redis_log_unresolved_total", "counter",
                            "Feedback events on an answer never logged, given up on after 5 minutes.");
      out += "careerbot_redis_log_unresolved_total " + std::to_string(c.unresolved) + "\n";
      metrics::AppendHeader(&out, "careerbot_redis_log_malformed_total", "counter",
                            "Entries of the Redis stream that were not careerbot events (acknowledged, skipped).");
      out += "careerbot_redis_log_malformed_total " + std::to_string(c.malformed) + "\n";
    }
  }
  return out;
}

void HttpServer::RegisterOpsRoutes(Router& s) {
  s.Add({"GET", "/metrics", "ops", "Prometheus metrics (text format 0.0.4)"}, [this](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    res.set_content(RenderMetrics(), "text/plain; version=0.0.4; charset=utf-8");
  });
  s.Add({"GET", "/openapi.json", "ops", "This document"}, [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-cache");
    res.set_content(OpenApiDocument(), "application/json");
  });
}

HttpServer::~HttpServer() {
  Stop();
  // The chat platforms answer on threads of their own (through the service,
  // so through the conversations and the log below): they stop first.
  for (auto& platform : platforms_) platform->Shutdown();
  platforms_.clear();
  // The service may outlive this server: it must not keep what goes now.
  if (consumer_) consumer_->Stop();
  if (conversations_) service_.answerer().set_conversations(nullptr);
  if (shipper_) service_.set_shared_log(nullptr);
  consumer_.reset();
  shipper_.reset();  // sends what is still queued (bounded)
}

void HttpServer::Configure() {
  if (configured_) return;
  configured_ = true;
  Router& s = *router_;
  if (!options_.redis_url.empty()) {
    redis::RedisOptions redis_options;
    bot::Status parsed = redis::ParseRedisUrl(options_.redis_url, &redis_options);
    if (parsed.ok()) {
      redis_options.connections = std::max<size_t>(options_.threads, 1);
      redis_ = std::make_unique<redis::SharedState>(std::make_unique<redis::RedisClient>(redis_options));
      // An answer id is known to every replica as long as its log line is kept.
      const int64_t answer_ttl = static_cast<int64_t>(service_.log_retention_days()) * 86400;
      conversations_ = std::make_unique<redis::RedisConversations>(redis_->client(), answer_ttl);
      service_.answerer().set_conversations(conversations_.get());
      // The log's sender and the writer's reader are off the request path:
      // they may try a Redis that is away more often (every 200 ms), so the
      // buffered lines go out soon after it is back.
      redis::RedisOptions log_options = redis_options;
      log_options.connections = 1;
      log_options.retry_after = std::chrono::milliseconds(200);
      log_client_ = std::make_unique<redis::RedisClient>(log_options);
      shipper_ = std::make_unique<redis::LogShipper>(*log_client_, redis_->client(), answer_ttl);
      service_.set_shared_log(shipper_.get());
      if (options_.redis_consumer) {
        if (!service_.log_writable()) {
          redis_error_ = bot::Status::InvalidArgument(
              "the Redis consumer (the writer) needs a question log it can write: --log-db, or a writable --db");
        } else {
          redis::RedisOptions consumer_options = redis_options;
          consumer_options.connections = 1;
          // Its reads block for up to LogConsumer::kBlock.
          consumer_options.command_timeout = redis::LogConsumer::kBlock + std::chrono::milliseconds(1000);
          consumer_options.retry_after = std::chrono::milliseconds(200);
          consumer_client_ = std::make_unique<redis::RedisClient>(consumer_options);
          consumer_ = std::make_unique<redis::LogConsumer>(*consumer_client_, service_);
          consumer_->Start();
        }
      }
      if (redis_error_.ok()) {
        spdlog::info("redis {}: rate limits, Slack event ids, conversations and the question log shared with other "
                     "replicas{}",
                     redis_->client().Describe(), consumer_ ? "; this process writes every replica's log" : "");
      }
    } else {
      redis_error_ = parsed;
    }
  }

  RegisterRoutes(s, service_, redis_.get());
  // The chat page (GET /, /app.css, /app.js); before the catch-all routes below.
  web::RegisterWebRoutes(s);
  // The chat platforms' webhooks (adapters/chat/registry.h); each answers
  // 503 until its secret is set. One rate limiter for every channel: by IP
  // address for the JSON API, by platform user for the webhooks (each
  // platform knows its users).
  auto limiter = std::make_shared<RateLimiter>(options_.rate_limit_per_minute, &service_.clock());
  limiter_ = limiter;
  if (redis_) limiter->set_shared(redis_.get());
  platforms_ = chat::MakePlatforms({service_, options_.chat, redis_.get()});
  for (auto& platform : platforms_) {
    platform->set_rate_limiter(limiter);
    chat::RegisterRoutes(s, *platform);
  }
  // The curators' admin API (/v1/admin/...) and page (/admin): absent unless
  // a token is set; answers its own 401s and 405s.
  admin_ = admin::RegisterAdminRoutes(s, service_, options_.admin);
  RegisterOpsRoutes(s);
  // The access log, request ids and request metrics; in the same
  // pre-routing handler, CORS and the JSON API's rate limit. The checks
  // every request passes before its body is read (method, body size per
  // route, admin token for large admin bodies) are the transport's head
  // check, below; admin API on or off.
  GuardOptions guard_options;
  guard_options.admin_token = options_.admin.token;
  guard_options.limiter = limiter;
  guard_options.cors_origins = options_.cors_origins;
  guard_options.trust_forwarded_for = options_.trust_forwarded_for;
  auto guard = std::make_shared<const RequestGuard>(std::move(guard_options));
  InstallObservability(s, metrics_.get(), [guard](const httplib::Request& req, httplib::Response& res) {
    return guard->BeforeRouting(req, res);
  });
  // Connections wait in an epoll loop; options_.threads workers serve the
  // requests that have fully arrived (connection.h, event_loop.h). The head
  // check runs once a request's head is in, before its body is read.
  TransportOptions transport;
  transport.workers = options_.threads == 0 ? 1 : options_.threads;
  transport.max_connections = options_.max_connections;
  transport.read_timeout = std::chrono::seconds(options_.read_timeout_s);
  transport.write_timeout = std::chrono::seconds(options_.write_timeout_s);
  transport.keep_alive = std::chrono::seconds(options_.keep_alive_timeout_s);
  transport.keep_alive_max = options_.keep_alive_max_count;
  transport.max_body = kMaxAdminImportBodyBytes;
  transport.pending_budget = options_.max_pending_bytes;
  transport_ = std::make_unique<Transport>(
      s,
      [guard](const httplib::Request& req, httplib::Response& res, size_t* limit) {
        return guard->CheckHead(req, res, limit);
      },
      transport);

  // A known path asked with another method is 405 (with Allow), anything
  // else 404: the router's answers, given their JSON body below.
  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    switch (res.status) {
      case 413:
        SendError(res, 413, "payload_too_large", "the body is larger than " + SizeText(BodyLimitFor(req.path, false)));
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
        SendError(res, 405, "method_not_allowed", req.method + " is not allowed on " + req.path);
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
}

std::string HttpServer::ServeBytes(std::string_view input) {
  Configure();
  return transport_->ServeBytes(input);
}

bot::Status HttpServer::Bind() {
  if (options_.port < 0 || options_.port > 65535) {
    return bot::Status::InvalidArgument("port must be between 0 and 65535, got " + std::to_string(options_.port));
  }
  Configure();
  if (!redis_error_.ok()) return redis_error_;
  bot::Status s = transport_->Bind(options_.host, options_.port);
  if (!s.ok()) return s;
  port_ = transport_->port();
  return bot::Status::Ok();
}

void HttpServer::Run() { transport_->Run(); }

void HttpServer::Stop() {
  if (transport_) transport_->Stop();
}

bool HttpServer::running() const { return transport_ && transport_->running(); }

}  // namespace adapters::http
