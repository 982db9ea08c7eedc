#include "adapters/http/router.h"
#include "adapters/admin/admin.h"
#include "adapters/admin/stats.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <time.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "adapters/http/server.h"
#include "adapters/http/reply.h"
#include "app/json_codec.h"
#include "app/secrets.h"
#include "app/service.h"
#include "adapters/web/web.h"
#include "bot/answerer.h"
#include "bot/text.h"
#include "embedded.h"
#include "knowledge/curation.h"
#include "knowledge/entry_json.h"
#include "knowledge/gaps.h"

namespace careerbot {
extern const EmbeddedFile kAdminFiles[];
}

namespace adapters::admin {
namespace {

using nlohmann::json;

std::array<unsigned char, 32> Sha256(const std::string& data) {
  std::array<unsigned char, 32> digest{};
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &n, EVP_sha256(), nullptr);
  return digest;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void SendJson(httplib::Response& res, int status, const json& body) { http::SendJson(res, status, body); }

void SendError(httplib::Response& res, int status, const std::string& code, const std::string& message,
               const std::string& field = "") {
  http::SendError(res, status, code, message, field);
}

// A failed curation call as HTTP (adapters/http/reply.h): kInvalidArgument
// is 422 naming the field, kAlreadyExists 409 (an id that is taken) or, for
// a change made with If-Match, 412 (the entry changed since).
void SendFailure(httplib::Response& res, const bot::Status& s, bool conditional = false,
                 const char* invalid_code = "invalid_entry") {
  http::StatusStyle style;
  style.invalid_status = 422;
  style.invalid_code = invalid_code;
  if (s.code() == bot::Status::Code::kInvalidArgument) style.invalid_field = knowledge::ProblemOf(s).field;
  style.exists_code = "conflict";
  style.exists_field = "id";
  style.conditional = conditional;
  http::SendStatus(res, s, style);
}

std::string MediaType(const httplib::Request& req) {
  std::string type = Lower(req.get_header_value("Content-Type"));
  return std::string(bot::Trim(type.substr(0, type.find(';'))));
}

// Decodes a JSON object body, or answers the error and returns false.
bool DecodeJsonObject(const httplib::Request& req, httplib::Response& res, json* out, bool allow_empty = false) {
  if (allow_empty && req.body.empty()) {
    *out = json::object();
    return true;
  }
  if (MediaType(req) != "application/json") {
    SendError(res, 415, "unsupported_media_type", "send the body as Content-Type: application/json");
    return false;
  }
  *out = json::parse(bot::RepairUtf8(req.body), nullptr, /*allow_exceptions=*/false);
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

// The entry fingerprint an If-Match header asks for ("" when none, or "*").
std::string IfMatch(const httplib::Request& req) {
  std::string v(bot::Trim(req.get_header_value("If-Match")));
  if (v.rfind("W/", 0) == 0) v = v.substr(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  return v == "*" ? "" : v;
}

void SetEntryHeaders(httplib::Response& res, const bot::Entry& e) {
  res.set_header("ETag", "\"" + knowledge::EntryFingerprint(e) + "\"");
}

json HistoryToJson(const knowledge::HistoryRecord& r) {
  return {{"id", r.id},
          {"at", IsoTime(r.at)},
          {"who", r.who},
          {"action", r.action},
          {"entry_id", r.entry_id},
          {"before", r.before ? knowledge::EntryToJson(*r.before) : json()},
          {"after", r.after ? knowledge::EntryToJson(*r.after) : json()},
          {"version", r.version}};
}

json ReportToJson(const knowledge::ImportReport& r) {
  json rejected = json::array();
  for (const auto& x : r.rejected) rejected.push_back({{"where", x.where}, {"id", x.id}, {"reason", x.reason}});
  return {{"added", r.added},     {"changed", r.changed},   {"unchanged", r.unchanged}, {"deleted", r.deleted},
          {"rejected", rejected}, {"applied", r.applied},   {"version", r.version}};
}

bool ParamTrue(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return false;
  std::string v = Lower(req.get_param_value(name));
  return v.empty() || v == "1" || v == "true" || v == "yes";
}

// A positive integer query parameter, or `def`; false (and 400 sent) when malformed.
bool ParamInt(const httplib::Request& req, httplib::Response& res, const char* name, long min, long max, long* out) {
  if (!req.has_param(name)) return true;
  std::string v = req.get_param_value(name);
  char* end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < min || n > max) {
    SendError(res, 400, "invalid_request",
              std::string("'") + name + "' must be a number from " + std::to_string(min) + " to " +
                  std::to_string(max),
              name);
    return false;
  }
  *out = n;
  return true;
}

// The admin page's files, compiled in (cmake/embed.cc, symbol kAdminFiles).
std::string Embedded(const char* name) {
  for (const careerbot::EmbeddedFile* f = careerbot::kAdminFiles; f->path; f++) {
    if (std::strcmp(f->path, name) == 0) return std::string(reinterpret_cast<const char*>(f->data), f->size);
  }
  return "";
}

}  // namespace

bool BearerMatches(const std::string& authorization, const std::string& token) {
  if (token.empty()) return false;
  static const std::string kScheme = "Bearer ";
  std::string presented;
  if (authorization.size() > kScheme.size() && Lower(authorization.substr(0, kScheme.size())) == "bearer ") {
    presented = std::string(bot::Trim(authorization.substr(kScheme.size())));
  }
  // Hashing first gives two equal-length digests, so the comparison's time
  // says nothing about the token's length or content.
  auto a = Sha256(presented), b = Sha256(token);
  bool same = a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
  return same && !presented.empty();
}

class AdminApi {
 public:
  AdminApi(Service& service, AdminOptions options)
      : service_(service),
        options_(std::move(options)),
        likely_(&service.knowledge(), LikelyOptions(service)) {}

  using Params = http::PathParams;
  // A route's handler; `store` is the knowledge base it works on, the one
  // served as the request came in, held for the whole request (a reload may
  // swap the server's meanwhile).
  using Handler = void (AdminApi::*)(const httplib::Request&, httplib::Response&, const Params&, knowledge::Store& store);
  struct Route {
    const char* method;
    const char* path;  // "{id}": an entry id
    const char* summary;
    Handler handler;
  };
  // The API's routes, each once; registered on the server's router.
  static const std::vector<Route>& Routes() {
    static const std::vector<Route> routes = {
        {"GET", "/v1/admin/entries", "List every entry", &AdminApi::ListEntries},
        {"POST", "/v1/admin/entries", "Add an entry", &AdminApi::CreateEntry},
        {"GET", "/v1/admin/entries/{id}", "One entry", &AdminApi::GetEntry},
        {"PUT", "/v1/admin/entries/{id}", "Replace an entry (If-Match: its fingerprint, optional)",
         &AdminApi::ReplaceEntry},
        {"PATCH", "/v1/admin/entries/{id}", "Change some fields of an entry", &AdminApi::PatchEntry},
        {"DELETE", "/v1/admin/entries/{id}", "Delete an entry", &AdminApi::DeleteEntry},
        {"GET", "/v1/admin/entries/{id}/history", "An entry's recorded changes, newest first", &AdminApi::History},
        {"POST", "/v1/admin/entries/{id}/revert",
         "Put an entry back as it was before its last (or a given) change", &AdminApi::Revert},
        {"GET", "/v1/admin/gaps", "What the bot could not answer well, from the question log", &AdminApi::Gaps},
        {"POST", "/v1/admin/gaps/accept", "Add a gap's wording as a question of an entry", &AdminApi::AcceptGap},
        {"POST", "/v1/admin/gaps/dismiss", "Dismiss a gap", &AdminApi::DismissGap},
        {"POST", "/v1/admin/import",
         "Import entries (JSONL, JSON, Markdown or text; ?format=, ?strict, ?replace, ?dry_run)", &AdminApi::Import},
        {"GET", "/v1/admin/export", "Every entry as JSONL or Markdown (?format=jsonl|markdown)", &AdminApi::Export},
        {"POST", "/v1/admin/ask", "Ask without logging, with the explanation", &AdminApi::Ask},
        // The trends (adapters/admin/stats.h).
        {"GET", "/v1/admin/stats", "How the bot is doing over time, from the question log: counts and entry ids only",
         &AdminApi::Stats},
        {"GET", "/v1/admin/entries/{id}/stats", "An entry's questions per week, and before and after each recorded change",
         &AdminApi::EntryStats},
    };
    return routes;
  }

  bool Authorized(const httplib::Request& req) const {
    return BearerMatches(req.get_header_value("Authorization"), options_.token);
  }

  // The step every /v1/admin request passes, whatever its route: the token
  // first, then `route` (the route, 405 or 404). Curated knowledge is not
  // for shared caches: every answer says no-store.
  void Gate(const httplib::Request& req, httplib::Response& res, const std::function<void()>& route) {
    if (!Authorized(req)) {
      Unauthorized(req, res);
    } else {
      route();
    }
    if (!res.has_header("Cache-Control")) res.set_header("Cache-Control", "no-store");
  }

  void Unauthorized(const httplib::Request& req, httplib::Response& res) {
    // Never log or echo what was presented.
    spdlog::warn("admin: refused {} {}: {} token", req.method, req.path,
                 req.has_header("Authorization") ? "wrong" : "no");
    res.set_header("WWW-Authenticate", "Bearer realm=\"careerbot admin\"");
    SendError(res, 401, "unauthorized", "this needs the admin token: send Authorization: Bearer <token>");
  }

 private:
  static bot::AnswererOptions LikelyOptions(Service& service) {
    bot::AnswererOptions o = service.answerer().options();
    o.threshold = 0;  // the entry most likely meant, however unsure
    return o;
  }

  knowledge::Curator Curator(knowledge::Store& store) { return knowledge::Curator(&store, &service_.clock()); }
  const std::string& who() const { return options_.label; }

  void Changed(const std::string& action, const std::string& id) {
    spdlog::info("admin: {} {} {}", who(), action, id);
  }

  // An entry id from the path; answers 404 and returns false when it cannot be one.
  bool EntryId(const Params& p, httplib::Response& res, std::string* id) {
    *id = p.empty() ? "" : p[0];
    if (!bot::IsValidSlug(*id)) {
      SendError(res, 404, "not_found", "no entry with id '" + *id + "'");
      return false;
    }
    return true;
  }

  void SendEntry(httplib::Response& res, int status, const bot::Entry& e) {
    SetEntryHeaders(res, e);
    SendJson(res, status, knowledge::EntryToJson(e));
  }

  // ---- entries ----

  void ListEntries(const httplib::Request& req, httplib::Response& res, const Params&, knowledge::Store& store) {
    auto entries = store.ListEntries();
    if (!entries.ok()) return SendFailure(res, entries.status());
    std::string q = Lower(std::string(bot::Trim(req.get_param_value("q"))));
    json list = json::array();
    for (const auto& e : *entries) {
      bool match = q.empty() || Lower(e.id).find(q) != std::string::npos ||
                   Lower(e.title).find(q) != std::string::npos;
      for (size_t i = 0; !match && i < e.questions.size(); i++) match = Lower(e.questions[i]).find(q) != std::string::npos;
      if (match) list.push_back(knowledge::EntryToJson(e));
    }
    auto version = store.GetMeta("version");
    SendJson(res, 200, {{"entries", list}, {"count", list.size()}, {"version", version.ok() ? *version : ""}});
  }

  void CreateEntry(const httplib::Request& req, httplib::Response& res, const Params&, knowledge::Store& store) {
    json body;
    if (!DecodeJsonObject(req, res, &body)) return;
    bot::Entry e;
    knowledge::FieldProblem problem;
    if (!knowledge::EntryFromJson(body, &e, &problem)) {
      return SendError(res, 400, "invalid_entry", problem.ToString(), problem.field);
    }
    auto change = Curator(store).Add(std::move(e), who());
    if (!change.ok()) return SendFailure(res, change.status());
    Changed("added", change->entry_id);
    res.set_header("Location", "/v1/admin/entries/" + change->entry_id);
    SendEntry(res, 201, *change->after);
  }

  void GetEntry(const httplib::Request&, httplib::Response& res, const Params& p, knowledge::Store& store) {
    std::string id;
    if (!EntryId(p, res, &id)) return;
    auto e = store.GetEntry(id);
    if (!e.ok()) return SendFailure(res, e.status());
    SendEntry(res, 200, *e);
  }

  // PUT and PATCH answer with the entry as it now is.
  void SendChanged(httplib::Response& res, knowledge::Store& store,
                   const bot::Result<knowledge::HistoryRecord>& change, const std::string& id) {
    if (!change.ok()) return SendFailure(res, change.status(), /*conditional=*/true);
    if (change->id != 0) Changed("edited", id);
    if (change->after) return SendEntry(res, 200, *change->after);
    auto e = store.GetEntry(id);
    if (!e.ok()) return SendFailure(res, e.status());
    SendEntry(res, 200, *e);
  }

  void ReplaceEntry(const httplib::Request& req, httplib::Response& res, const Params& p, knowledge::Store& store) {
    std::string id;
    if (!EntryId(p, res, &id)) return;
    json body;
    if (!DecodeJsonObject(req, res, &body)) return;
    bot::Entry e;
    knowledge::FieldProblem problem;
    if (!knowledge::EntryFromJson(body, &e, &problem)) {
      return SendError(res, 400, "invalid_entry", problem.ToString(), problem.field);
    }
    SendChanged(res, store, Curator(store).Replace(id, std::move(e), who(), IfMatch(req)), id);
  }

  void PatchEntry(const httplib::Request& req, httplib::Response& res, const Params& p, knowledge::Store& store) {
    std::string id;
    if (!EntryId(p, res, &id)) return;
    json body;
    if (!DecodeJsonObject(req, res, &body)) return;
    bot::Entry probe;
    knowledge::FieldProblem problem;
    if (!knowledge::EntryFromJson(body, &probe, &problem)) {
      return SendError(res, 400, "invalid_entry", problem.ToString(), problem.field);
    }
    SendChanged(res, store, Curator(store).Patch(id, body, who(), IfMatch(req)), id);
  }

  void DeleteEntry(const httplib::Request& req, httplib::Response& res, const Params& p, knowledge::Store& store) {
    std::string id;
    if (!EntryId(p, res, &id)) return;
    auto change = Curator(store).Delete(id, who(), IfMatch(req));
    if (!change.ok()) return SendFailure(res, change.status(), /*conditional=*/true);
    Changed("deleted", id);
    SendJson(res, 200, {{"deleted", id},
                        {"entry", change->before ? knowledge::EntryToJson(*change->before) : json()},
                        {"change", change->id}});
  }

  void History(const httplib::Request& req, httplib::Response& res, const Params& p, knowledge::Store& store) {
    std::string id;
    if (!EntryId(p, res, &id)) return;
    long limit = 50;
    if (!ParamInt(req, res, "limit", 1, 1000, &limit)) return;
    auto history = store.History(id, static_cast<size_t>(limit));
    if (!history.ok()) return SendFailure(res, history.status());
    if (history->empty()) {
      auto e = store.GetEntry(id);
      if (!e.ok()) return SendFailure(res, e.status());
    }
    json changes = json::array();
    for (const auto& r : *history) changes.push_back(HistoryToJson(r));
    SendJson(res, 200, {{"entry_id", id}, {"changes", changes}});
  }

  void Revert(const httplib::Request& req, httplib::Response& res, const Params& p, knowledge::Store& store) {
    std::string id;
    if (!EntryId(p, res, &id)) return;
    json body;
    if (!DecodeJsonObject(req, res, &body, /*allow_empty=*/true)) return;
    int64_t change_id = 0;
    auto c = body.find("change_id");
    if (c != body.end() && !c->is_null()) {
      if (!c->is_number_integer() || c->get<int64_t>() < 1) {
        return SendError(res, 400, "invalid_request", "'change_id' must be a positive integer", "change_id");
      }
      change_id = c->get<int64_t>();
    }
    auto change = Curator(store).Revert(id, who(), change_id);
    if (!change.ok()) return SendFailure(res, change.status(), /*conditional=*/true);
    if (change->id != 0) Changed("reverted", id);
    SendJson(res, 200, {{"entry_id", id},
                        {"entry", change->after ? knowledge::EntryToJson(*change->after) : json()},
                        {"change", change->id != 0 ? HistoryToJson(*change) : json()}});
  }

  // ---- gaps ----

  // Options from ?days=N&limit=N; false (and 400 sent) when malformed.
  bool GapOptionsFrom(const httplib::Request& req, httplib::Response& res, knowledge::GapOptions* o) {
    long days = service_.log_retention_days() > 0 ? service_.log_retention_days() : 3650;
    long limit = 50;
    if (!ParamInt(req, res, "days", 1, 36500, &days) || !ParamInt(req, res, "limit", 1, 1000, &limit)) return false;
    o->since = service_.clock().NowSeconds() - days * 86400;
    o->limit = static_cast<size_t>(limit);
    return true;
  }

  void Gaps(const httplib::Request& req, httplib::Response& res, const Params&, knowledge::Store& store) {
    knowledge::GapOptions o;
    if (!GapOptionsFrom(req, res, &o)) return;
    auto gaps = knowledge::FindGaps(&store, &likely_, o);
    if (!gaps.ok()) return SendFailure(res, gaps.status());
    json list = json::array();
    for (size_t i = 0; i < gaps->size(); i++) list.push_back(GapToJson((*gaps)[i], i + 1));
    SendJson(res, 200, {{"gaps", list}, {"since", IsoTime(o.since)}, {"low_confidence", o.low_confidence}});
  }

  // Reads an optional string field into *out; false (and 400 sent) when it is not one.
  static bool StringField(const json& body, const char* name, httplib::Response& res, std::string* out,
                          bool required = false) {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) {
      if (required) SendError(res, 400, "invalid_request", std::string("'") + name + "' is required", name);
      return !required;
    }
    if (!it->is_string()) {
      SendError(res, 400, "invalid_request", std::string("'") + name + "' must be a string", name);
      return false;
    }
    *out = it->get<std::string>();
    return true;
  }

  void AcceptGap(const httplib::Request& req, httplib::Response& res, const Params&, knowledge::Store& store) {
    json body;
    if (!DecodeJsonObject(req, res, &body)) return;
    std::string gap_id, entry_id, question;
    if (!StringField(body, "gap_id", res, &gap_id, true) || !StringField(body, "entry_id", res, &entry_id) ||
        !StringField(body, "question", res, &question)) {
      return;
    }
    knowledge::GapOptions o;
    if (!GapOptionsFrom(req, res, &o)) return;
    knowledge::Curator curator = Curator(store);
    auto accepted = knowledge::AcceptGap(&store, &curator, &likely_, o, gap_id, entry_id, question, who(),
                                         service_.clock().NowSeconds());
    if (!accepted.ok()) return SendFailure(res, accepted.status(), false, "invalid_request");
    Changed("accepted a gap into", accepted->entry_id);
    auto e = store.GetEntry(accepted->entry_id);
    SendJson(res, 200, {{"gap_id", accepted->gap.id},
                        {"entry_id", accepted->entry_id},
                        {"question", accepted->question},
                        {"added", accepted->change.id != 0},
                        {"entry", e.ok() ? knowledge::EntryToJson(*e) : json()}});
  }

  void DismissGap(const httplib::Request& req, httplib::Response& res, const Params&, knowledge::Store& store) {
    json body;
    if (!DecodeJsonObject(req, res, &body)) return;
    std::string gap_id;
    if (!StringField(body, "gap_id", res, &gap_id, true)) return;
    knowledge::GapOptions o;
    if (!GapOptionsFrom(req, res, &o)) return;
    auto gap = knowledge::DismissGap(&store, o, gap_id, who(), service_.clock().NowSeconds());
    if (!gap.ok()) return SendFailure(res, gap.status(), false, "invalid_request");
    SendJson(res, 200, {{"gap_id", gap->id}, {"dismissed", gap->count}});
  }

  // A curator trying a question: answered as /v1/ask would, with the
  // explanation, and not logged (it is not a user's question).
  void Ask(const httplib::Request& req, httplib::Response& res, const Params&, knowledge::Store&) {
    json body;
    if (!DecodeJsonObject(req, res, &body)) return;
    std::string text;
    if (!StringField(body, "question", res, &text, true)) return;
    if (bot::IsBlank(text)) return SendError(res, 400, "empty_question", "'question' is empty", "question");
    bot::Question q;
    q.text = text;
    q.channel = "web";
    q.explain = true;
    auto answer = service_.answerer().Ask(q);
    if (!answer.ok()) return SendFailure(res, answer.status());
    SendJson(res, 200, AnswerToJson(*answer));
  }

  // ---- import and export ----

  void Import(const httplib::Request& req, httplib::Response& res, const Params&, knowledge::Store& store) {
    std::string format = Lower(req.get_param_value("format"));
    if (format.empty()) {
      std::string type = MediaType(req);
      if (type == "application/x-ndjson" || type == "application/jsonl" || type == "application/x-jsonlines" ||
          type == "application/jsonlines") {
        format = "jsonl";
      } else if (type == "text/markdown" || type == "text/x-markdown") {
        format = "markdown";
      } else if (type == "application/json") {
        format = "json";
      } else if (type == "text/plain") {
        format = "txt";
      }
    }
    static const std::map<std::string, std::string> kExtension = {
        {"jsonl", "jsonl"}, {"ndjson", "jsonl"}, {"json", "json"}, {"markdown", "md"}, {"md", "md"}, {"txt", "txt"}};
    auto ext = kExtension.find(format);
    if (ext == kExtension.end()) {
      return SendError(res, 415, "unsupported_media_type",
                       "send JSONL (Content-Type: application/x-ndjson), Markdown (text/markdown), a JSON array "
                       "(application/json) or plain text, or say ?format=jsonl|markdown|json|txt",
                       "format");
    }
    std::vector<std::string> warnings;
    auto items = knowledge::ParseImportText(bot::RepairUtf8(req.body), "import." + ext->second, &warnings);
    if (!items.ok()) return SendError(res, 400, "invalid_import", items.status().message());
    knowledge::ImportOptions options;
    options.strict = ParamTrue(req, "strict");
    options.replace = ParamTrue(req, "replace");
    options.dry_run = ParamTrue(req, "dry_run");
    auto report = Curator(store).Import(*items, options, who());
    if (!report.ok()) return SendFailure(res, report.status());
    json body = ReportToJson(*report);
    body["warnings"] = warnings;
    if (report->applied) {
      spdlog::info("admin: {} imported {} added, {} changed, {} deleted, {} rejected", who(), report->added,
                   report->changed, report->deleted, report->rejected.size());
    }
    bool refused = !report->applied && !options.dry_run;
    SendJson(res, refused ? 422 : 200, body);
  }

  void Export(const httplib::Request& req, httplib::Response& res, const Params&, knowledge::Store& store) {
    std::string format = Lower(req.get_param_value("format"));
    if (format.empty()) format = "jsonl";
    if (format != "jsonl" && format != "markdown" && format != "md") {
      return SendError(res, 400, "invalid_request", "'format' must be jsonl or markdown", "format");
    }
    auto entries = store.ListEntries();
    if (!entries.ok()) return SendFailure(res, entries.status());
    res.set_header("Cache-Control", "no-store");
    if (format == "jsonl") {
      res.set_header("Content-Disposition", "attachment; filename=\"careerbot-knowledge.jsonl\"");
      res.set_content(knowledge::ExportJsonl(*entries), "application/x-ndjson; charset=utf-8");
    } else {
      res.set_header("Content-Disposition", "attachment; filename=\"careerbot-knowledge.md\"");
      res.set_content(knowledge::ExportMarkdown(*entries, "careerbot knowledge base"), "text/markdown; charset=utf-8");
    }
    res.status = 200;
  }

  void Stats(const httplib::Request& req, httplib::Response& res, const Params&, knowledge::Store&) {
    ServeStats(service_, req, res);
  }
  void EntryStats(const httplib::Request& req, httplib::Response& res, const Params& p, knowledge::Store& store) {
    ServeEntryStats(service_, store, p.empty() ? "" : p[0], req, res);
  }

  Service& service_;
  AdminOptions options_;
  bot::Answerer likely_;  // threshold 0; its answers are never logged
};

std::shared_ptr<AdminApi> RegisterAdminRoutes(http::Router& server, Service& service,
                                              const AdminOptions& options) {
  if (!options.enabled()) return nullptr;
  if (options.token.size() < 16) {
    spdlog::warn("admin: CAREERBOT_ADMIN_TOKEN is shorter than 16 characters; use a long random one "
                 "(e.g. openssl rand -hex 32)");
  }
  auto api = std::make_shared<AdminApi>(service, options);
  AdminApi* a = api.get();

  // Imports can be large, every other body stays within 16 KiB: the server
  // checks the limits before a body is read, and reads an admin body over
  // 16 KiB only for a caller with the token (adapters/http/guard.h).

  server.AddScope("/v1/admin", [a](const httplib::Request& req, httplib::Response& res,
                                    const std::function<void()>& route) { a->Gate(req, res, route); });
  for (const AdminApi::Route& r : AdminApi::Routes()) {
    server.Add({r.method, r.path, "admin", r.summary},
               [a, h = r.handler, &service](const httplib::Request& req, httplib::Response& res,
                                            const http::PathParams& p) {
                 const std::shared_ptr<knowledge::Store> store = service.store();
                 (a->*h)(req, res, p, *store);
               });
  }

  // The page: static files from memory, with the chat page's headers.
  static const std::vector<web::Page>* pages = new std::vector<web::Page>{
      {"/admin", "text/html; charset=utf-8", Embedded("admin.html"),
       "The curators' page (only when the admin token is set)"},
      {"/admin/admin.css", "text/css; charset=utf-8", Embedded("admin.css"),
       "Its style sheet (only when the admin token is set)"},
      {"/admin/admin.js", "text/javascript; charset=utf-8", Embedded("admin.js"),
       "Its script (only when the admin token is set)"},
  };
  for (const web::Page& p : *pages) {
    server.Add({"GET", p.url_path, "admin", p.summary, /*trailing_slash=*/p.url_path == std::string("/admin")},
               [&p](const httplib::Request&, httplib::Response& res) { web::SendPage(res, p); });
  }
  spdlog::info("admin: API at /v1/admin/ and page at /admin (changes recorded as '{}')", options.label);
  return api;
}

}  // namespace adapters::admin
