#include "adapters/chat/pipeline.h"

#include <openssl/crypto.h>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "adapters/http/reply.h"
#include "adapters/http/router.h"

namespace adapters::chat {
namespace {

void Send(httplib::Response& res, const Reply& reply) {
  if (reply.body.is_null()) {
    res.status = reply.status;
  } else {
    http::SendJson(res, reply.status, reply.body);
  }
}

}  // namespace

bot::Result<bot::Answer> Platform::Ask(const Turn& turn) {
  bot::Question q = turn.question;
  q.channel = name();
  q.conversation_id = std::string(name()) + ":" + turn.conversation;
  auto answer = service_.Ask(q);
  if (!answer.ok()) {
    spdlog::error("{}: answering {}: {}", name(), turn.what.empty() ? "a question" : turn.what,
                  answer.status().ToString());
  }
  return answer;
}

void Serve(Platform& platform, const Route& route, const httplib::Request& req, httplib::Response& res) {
  const PlatformSpec& spec = platform.spec();
  if (!platform.enabled()) {
    http::SendError(res, 503, "not_configured",
                    std::string("set ") + spec.enabling_variable + " to turn on the " + spec.title +
                        " adapter (see docs/platforms.md)");
    return;
  }
  Reply early;
  if (platform.AnswerUnverified(route, req, &early)) return Send(res, early);
  bot::Status verified = platform.Verify(req);
  if (!verified.ok()) {
    spdlog::warn("{}: refused {} {} from {}: {}", spec.name, req.method, req.path, req.remote_addr,
                 verified.message());
    http::SendError(res, 401, "unauthorized", spec.refusal);
    return;
  }
  Turn turn = platform.Decode(route, req);
  if (turn.limited &&
      http::RefuseIfLimited(platform.rate_limiter(), std::string(spec.name) + ":" + turn.user, res)) {
    platform.OnRateLimited(res);
    spdlog::info("{}: {} refused: its user asks too often", spec.name, turn.what.empty() ? "a request" : turn.what);
    return;
  }
  switch (turn.act) {
    case Turn::Act::kReply:
      return Send(res, turn.reply);
    case Turn::Act::kAsk:
      if (turn.later) {
        res.status = 200;  // acknowledged now, answered by the platform
        std::string what = turn.what;
        if (!platform.Defer(std::move(turn))) {
          spdlog::warn("{}: {} not answered: the worker is busy or stopping", spec.name,
                       what.empty() ? "a question" : what);
        }
        return;
      }
      return Send(res, platform.Render(turn, platform.Ask(turn)));
    case Turn::Act::kFeedback: {
      bot::Status recorded = platform.service().Feedback(turn.answer_id, turn.helpful, "");
      if (!recorded.ok()) spdlog::warn("{}: feedback on {}: {}", spec.name, turn.answer_id, recorded.ToString());
      return Send(res, platform.Acknowledge(turn, recorded));
    }
  }
}

void RegisterRoutes(http::Router& router, Platform& platform) {
  const PlatformSpec& spec = platform.spec();
  for (const Route& route : spec.routes) {
    router.Add({route.method, route.path, spec.name, route.description},
               [&platform, &route](const httplib::Request& req, httplib::Response& res) {
                 Serve(platform, route, req, res);
               });
  }
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace adapters::chat
