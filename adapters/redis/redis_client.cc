#include "adapters/redis/redis_client.h"

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>
#include <sys/time.h>

#include <cstdlib>

namespace adapters::redis {
namespace {

int64_t SteadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

Reply Copy(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_STRING: out.type = Reply::kString; out.str.assign(r->str, r->len); break;
    case REDIS_REPLY_STATUS: out.type = Reply::kStatus; out.str.assign(r->str, r->len); break;
    case REDIS_REPLY_ERROR: out.type = Reply::kError; out.str.assign(r->str, r->len); break;
    case REDIS_REPLY_INTEGER: out.type = Reply::kInteger; out.integer = r->integer; break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::kArray;
      for (size_t i = 0; i < r->elements; i++) out.elements.push_back(Copy(r->element[i]));
      break;
    default: out.type = Reply::kNil; break;
  }
  return out;
}

// The connection was closed by Redis (end of file, reset, broken pipe), as
// opposed to a timeout.
bool ClosedByPeer(const redisContext* ctx) {
  if (ctx->err == REDIS_ERR_EOF) return true;
  if (ctx->err != REDIS_ERR_IO) return false;
  const std::string why = ctx->errstr;
  return why.find("reset") != std::string::npos || why.find("Broken pipe") != std::string::npos;
}

bool ParsePort(const std::string& text, int* out) {
  if (text.empty() || text.size() > 5) return false;
  int n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  if (n < 1 || n > 65535) return false;
  *out = n;
  return true;
}

}  // namespace

bot::Status ParseRedisUrl(const std::string& url, RedisOptions* out) {
  const std::string scheme = "redis://";
  if (url.rfind(scheme, 0) != 0) {
    return bot::Status::InvalidArgument("CAREERBOT_REDIS_URL must start with redis:// (e.g. redis://127.0.0.1:6379/0)");
  }
  std::string rest = url.substr(scheme.size());
  RedisOptions o = *out;
  size_t at = rest.rfind('@');
  if (at != std::string::npos) {
    std::string auth = rest.substr(0, at);
    size_t colon = auth.find(':');
    o.password = colon == std::string::npos ? auth : auth.substr(colon + 1);
    rest = rest.substr(at + 1);
  }
  size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  if (slash != std::string::npos) {
    std::string db = rest.substr(slash + 1);
    if (!db.empty()) {
      int n = 0;
      if (db.size() > 2 || db.find_first_not_of("0123456789") != std::string::npos || (n = std::atoi(db.c_str())) > 15) {
        return bot::Status::InvalidArgument("CAREERBOT_REDIS_URL: the database must be a number from 0 to 15");
      }
      o.db = n;
    }
  }
  size_t colon = hostport.rfind(':');
  if (colon != std::string::npos && hostport.find(']') == std::string::npos) {
    if (!ParsePort(hostport.substr(colon + 1), &o.port)) {
      return bot::Status::InvalidArgument("CAREERBOT_REDIS_URL: the port must be a number from 1 to 65535");
    }
    hostport = hostport.substr(0, colon);
  }
  if (hostport.empty()) return bot::Status::InvalidArgument("CAREERBOT_REDIS_URL: no host");
  o.host = hostport;
  *out = o;
  return bot::Status::Ok();
}

RedisClient::RedisClient(RedisOptions options) : options_(std::move(options)) {
  if (options_.connections == 0) options_.connections = 1;
  for (size_t i = 0; i < options_.connections; i++) pool_.push_back(std::make_unique<Conn>());
}

RedisClient::~RedisClient() {
  for (auto& c : pool_) {
    if (c->ctx) redisFree(c->ctx);
  }
}

std::string RedisClient::Describe() const {
  return options_.host + ":" + std::to_string(options_.port) + "/" + std::to_string(options_.db);
}

bool RedisClient::Connect(Conn& c) {
  redisContext* ctx = redisConnectWithTimeout(options_.host.c_str(), options_.port, ToTimeval(options_.connect_timeout));
  if (ctx == nullptr || ctx->err) {
    std::string why = ctx ? ctx->errstr : "out of memory";
    if (ctx) redisFree(ctx);
    Failed(c, "cannot connect: " + why);
    return false;
  }
  redisSetTimeout(ctx, ToTimeval(options_.command_timeout));
  c.ctx = ctx;
  // Empty when the command succeeded, else why not (never the password:
  // Redis's error replies do not repeat it).
  auto setup = [&](std::vector<std::string> argv) -> std::string {
    std::vector<const char*> args;
    std::vector<size_t> lens;
    for (const auto& a : argv) {
      args.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(redisCommandArgv(ctx, static_cast<int>(args.size()), args.data(), lens.data()));
    if (r == nullptr) return ctx->errstr[0] ? std::string(ctx->errstr) : std::string("no reply");
    std::string why = r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : std::string();
    freeReplyObject(r);
    return why;
  };
  std::string why;
  if (!options_.password.empty() && !(why = setup({"AUTH", options_.password})).empty()) {
    Failed(c, "AUTH failed: " + why);
    return false;
  }
  if (options_.db != 0 && !(why = setup({"SELECT", std::to_string(options_.db)})).empty()) {
    Failed(c, "SELECT " + std::to_string(options_.db) + " failed: " + why);
    return false;
  }
  return true;
}

void RedisClient::Failed(Conn& c, const std::string& why) {
  if (c.ctx) {
    redisFree(c.ctx);
    c.ctx = nullptr;
  }
  failures_.fetch_add(1, std::memory_order_relaxed);
  retry_at_us_.store(SteadyMicros() + options_.retry_after.count() * 1000, std::memory_order_relaxed);
  up_.store(false, std::memory_order_relaxed);
  if (!down_logged_.exchange(true)) {
    spdlog::warn("redis {}: {}; answering on with this replica's own state until it is back", Describe(), why);
  }
}

bot::Result<Reply> RedisClient::Command(const std::vector<std::string>& argv) {
  if (argv.empty()) return bot::Status::InvalidArgument("no command");
  if (!up() && SteadyMicros() < retry_at_us_.load(std::memory_order_relaxed)) {
    return bot::Status::Unavailable("redis is down");
  }
  // A free connection, or the next one in turn.
  const size_t start = next_.fetch_add(1, std::memory_order_relaxed);
  std::unique_lock<std::mutex> lock;
  Conn* conn = nullptr;
  for (size_t i = 0; i < pool_.size() && conn == nullptr; i++) {
    Conn& c = *pool_[(start + i) % pool_.size()];
    std::unique_lock<std::mutex> l(c.mu, std::try_to_lock);
    if (l.owns_lock()) {
      lock = std::move(l);
      conn = &c;
    }
  }
  if (conn == nullptr) {
    conn = pool_[start % pool_.size()].get();
    lock = std::unique_lock<std::mutex>(conn->mu);
  }
  const bool fresh = conn->ctx == nullptr;
  if (fresh && !Connect(*conn)) return bot::Status::Unavailable("redis is down");
  std::vector<const char*> args;
  std::vector<size_t> lens;
  for (const auto& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(
      redisCommandArgv(conn->ctx, static_cast<int>(args.size()), args.data(), lens.data()));
  if (r == nullptr && !fresh && ClosedByPeer(conn->ctx)) {
    // A kept connection that Redis closed while it sat in the pool (Redis
    // restarted, or its idle timeout): once more on a new one, rather than
    // failing (and failing every call for retry_after) while Redis is fine.
    // A timeout is not tried again: that would double the wait.
    redisFree(conn->ctx);
    conn->ctx = nullptr;
    if (!Connect(*conn)) return bot::Status::Unavailable("redis is down");
    r = static_cast<redisReply*>(redisCommandArgv(conn->ctx, static_cast<int>(args.size()), args.data(), lens.data()));
  }
  if (r == nullptr) {
    // A timeout or a broken connection: the context cannot be used again.
    Failed(*conn, conn->ctx->errstr[0] ? conn->ctx->errstr : "no reply");
    return bot::Status::Unavailable("redis did not answer");
  }
  Reply reply = Copy(r);
  freeReplyObject(r);
  if (!up_.exchange(true, std::memory_order_relaxed)) {
    if (down_logged_.exchange(false)) spdlog::info("redis {}: back; shared state is used again", Describe());
  }
  return reply;
}

}  // namespace adapters::redis
