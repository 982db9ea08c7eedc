// Decoding the JSON API's request bodies (POST /v1/ask, POST /v1/feedback)
// into core calls: pure functions of the content type and the body bytes, so
// the HTTP handlers stay thin and the decoders can be fuzzed without a
// server. Every refusal says its HTTP status and error code. Thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "bot/answer.h"

namespace adapters::http {

// JSON request bodies may nest arrays and objects this deep, no deeper.
constexpr size_t kMaxJsonDepth = 64;

// Why a request was refused: its status (400, 413, 415), error code and message.
struct RequestError {
  int status = 400;
  std::string code;
  std::string message;
};

struct FeedbackRequest {
  std::string answer_id;
  bool helpful = false;
  std::string comment;
};

// True when `content_type` is application/json (any parameters, any case).
bool IsJsonContentType(std::string_view content_type);

// {"question": string, "conversation_id"?: string (<= 128 bytes), "channel"?:
// "http" | "web", "explain"?: bool} -> *out (channel "http" by default).
// Invalid UTF-8 in strings is read as U+FFFD. False with *error otherwise:
// 415 unsupported_media_type, 413 payload_too_large (over max_body_bytes),
// 400 invalid_json, invalid_request, missing_question, invalid_question,
// empty_question.
bool DecodeAskRequest(std::string_view content_type, std::string_view body, size_t max_body_bytes, bot::Question* out,
                      RequestError* error);

// {"answer_id": non-empty string (<= 128 bytes), "helpful": bool,
// "comment"?: string (<= 2000 bytes)} -> *out; refusals as above.
bool DecodeFeedbackRequest(std::string_view content_type, std::string_view body, size_t max_body_bytes,
                           FeedbackRequest* out, RequestError* error);

}  // namespace adapters::http
