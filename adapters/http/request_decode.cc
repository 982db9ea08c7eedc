#include "adapters/http/request_decode.h"

#include <cctype>

#include <nlohmann/json.hpp>

#include "app/json_codec.h"
#include "bot/text.h"

namespace adapters::http {
namespace {

using nlohmann::json;

bool Fail(RequestError* error, int status, const char* code, std::string message) {
  error->status = status;
  error->code = code;
  error->message = std::move(message);
  return false;
}

// Parses a JSON object body, or says why not.
bool DecodeObject(std::string_view content_type, std::string_view body, size_t max_body_bytes, json* out,
                  RequestError* error) {
  if (!IsJsonContentType(content_type)) {
    return Fail(error, 415, "unsupported_media_type", "send the body as Content-Type: application/json");
  }
  if (body.size() > max_body_bytes) {
    return Fail(error, 413, "payload_too_large",
                "the body is larger than " + std::to_string(max_body_bytes / 1024) + " KiB");
  }
  if (!JsonNestingWithin(body, kMaxJsonDepth)) {
    return Fail(error, 400, "invalid_json",
                "the body nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  // JSON must be UTF-8; a client that sends other bytes inside a string still
  // gets an answer, with those bytes read as U+FFFD.
  *out = bot::IsValidUtf8(body) ? json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false)
                                : json::parse(bot::RepairUtf8(body), nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded()) return Fail(error, 400, "invalid_json", "the body is not valid JSON");
  if (!out->is_object()) return Fail(error, 400, "invalid_request", "the body must be a JSON object");
  return true;
}

// Reads an optional string field; false (and *error) when it has the wrong type or size.
bool OptionalString(const json& body, const char* field, size_t max_bytes, std::string* out, RequestError* error) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return true;
  if (!it->is_string()) return Fail(error, 400, "invalid_request", std::string("'") + field + "' must be a string");
  const std::string& value = it->get_ref<const std::string&>();
  if (value.size() > max_bytes) {
    return Fail(error, 400, "invalid_request",
                std::string("'") + field + "' is longer than " + std::to_string(max_bytes) + " bytes");
  }
  *out = value;
  return true;
}

}  // namespace

bool IsJsonContentType(std::string_view content_type) {
  std::string media(bot::Trim(content_type.substr(0, content_type.find(';'))));
  for (char& c : media) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return media == "application/json";
}

bool DecodeAskRequest(std::string_view content_type, std::string_view body, size_t max_body_bytes, bot::Question* out,
                      RequestError* error) {
  json j;
  if (!DecodeObject(content_type, body, max_body_bytes, &j, error)) return false;
  auto q = j.find("question");
  if (q == j.end() || q->is_null()) return Fail(error, 400, "missing_question", "the body needs a 'question' string");
  if (!q->is_string()) return Fail(error, 400, "invalid_question", "'question' must be a string");
  bot::Question question;
  question.text = q->get<std::string>();
  if (bot::IsBlank(question.text)) return Fail(error, 400, "empty_question", "'question' is empty");
  if (!OptionalString(j, "conversation_id", 128, &question.conversation_id, error)) return false;
  if (!OptionalString(j, "entry_id", 128, &question.entry_id, error)) return false;
  if (!OptionalString(j, "clarification_id", 64, &question.clarification_id, error)) return false;
  if (j.contains("clarification_id") && !j["clarification_id"].is_null()) {
    if (!bot::IsWellFormedAnswerId(question.clarification_id)) {
      return Fail(error, 400, "invalid_request", "'clarification_id' must be an answer id (letters, digits, - and _)");
    }
    if (question.entry_id.empty()) {
      return Fail(error, 400, "invalid_request", "'clarification_id' needs 'entry_id': the option chosen");
    }
  }
  std::string channel = "http";
  if (!OptionalString(j, "channel", 16, &channel, error)) return false;
  if (channel != "http" && channel != "web") {
    return Fail(error, 400, "invalid_request", "'channel' must be \"http\" or \"web\"");
  }
  question.channel = channel;
  auto explain = j.find("explain");
  if (explain != j.end() && !explain->is_null()) {
    if (!explain->is_boolean()) return Fail(error, 400, "invalid_request", "'explain' must be true or false");
    question.explain = explain->get<bool>();
  }
  *out = std::move(question);
  return true;
}

bool DecodeFeedbackRequest(std::string_view content_type, std::string_view body, size_t max_body_bytes,
                           FeedbackRequest* out, RequestError* error) {
  json j;
  if (!DecodeObject(content_type, body, max_body_bytes, &j, error)) return false;
  auto id = j.find("answer_id");
  if (id == j.end() || !id->is_string() || id->get_ref<const std::string&>().empty()) {
    return Fail(error, 400, "invalid_request", "'answer_id' must be a non-empty string");
  }
  if (id->get_ref<const std::string&>().size() > 128) {
    return Fail(error, 400, "invalid_request", "'answer_id' is longer than 128 bytes");
  }
  auto helpful = j.find("helpful");
  if (helpful == j.end() || !helpful->is_boolean()) {
    return Fail(error, 400, "invalid_request", "'helpful' must be true or false");
  }
  FeedbackRequest f;
  f.answer_id = id->get<std::string>();
  f.helpful = helpful->get<bool>();
  if (!OptionalString(j, "comment", 2000, &f.comment, error)) return false;
  *out = std::move(f);
  return true;
}

}  // namespace adapters::http
