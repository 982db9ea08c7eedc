// The JSON API's request bodies: POST /v1/ask and POST /v1/feedback decoded
// as the handlers do (adapters/http/request_decode.h), the nesting check that
// guards every untrusted JSON body (app/json_codec.h), and the admin
// API's entry objects (knowledge/entry_json.h). An input is a Content-Type
// line, then the body.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "adapters/http/request_decode.h"
#include "app/json_codec.h"
#include "bot/text.h"
#include "fuzz_support.h"
#include "knowledge/entry_json.h"

namespace {

using nlohmann::json;

size_t Depth(const json& j) {
  size_t deepest = 0;
  if (j.is_array() || j.is_object()) {
    for (const auto& child : j) deepest = std::max(deepest, Depth(child));
    return deepest + 1;
  }
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(fuzz::AsView(data, size));
  size_t eol = input.find('\n');
  const std::string content_type = eol == std::string::npos ? "application/json" : input.substr(0, eol);
  const std::string body = eol == std::string::npos ? input : input.substr(eol + 1);
  constexpr size_t kLimit = 16 * 1024;

  adapters::http::IsJsonContentType(content_type);
  bot::Question q;
  adapters::http::RequestError error;
  if (adapters::http::DecodeAskRequest(content_type, body, kLimit, &q, &error)) {
    fuzz::Check(!bot::Trim(q.text).empty(), "an accepted question is not empty");
    fuzz::Check(bot::IsValidUtf8(q.text), "an accepted question is valid UTF-8");
    fuzz::Check(q.conversation_id.size() <= 128, "conversation ids are at most 128 bytes");
    fuzz::Check(q.channel == "http" || q.channel == "web", "the channel is http or web");
  } else {
    fuzz::Check(error.status == 400 || error.status == 413 || error.status == 415, "a refusal is 400, 413 or 415");
    fuzz::Check(!error.code.empty() && !error.message.empty(), "a refusal says why");
    // The error goes back as JSON: it must encode.
    adapters::ErrorJson(error.code, error.message).dump(-1, ' ', false, json::error_handler_t::strict);
  }
  adapters::http::FeedbackRequest feedback;
  if (adapters::http::DecodeFeedbackRequest(content_type, body, kLimit, &feedback, &error)) {
    fuzz::Check(!feedback.answer_id.empty() && feedback.answer_id.size() <= 128, "answer ids are 1 to 128 bytes");
    fuzz::Check(feedback.comment.size() <= 2000, "comments are at most 2000 bytes");
  } else {
    fuzz::Check(error.status == 400 || error.status == 413 || error.status == 415, "a refusal is 400, 413 or 415");
  }

  // The nesting check agrees with the parser on valid JSON.
  if (body.size() <= 4096) {
    json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded()) {
      size_t depth = Depth(parsed);
      fuzz::Check(adapters::JsonNestingWithin(body, adapters::http::kMaxJsonDepth) ==
                      (depth <= adapters::http::kMaxJsonDepth),
                  "JsonNestingWithin measures the parsed depth");
      // An admin entry body (POST/PUT/PATCH /v1/admin/entries).
      bot::Entry entry;
      knowledge::FieldProblem problem;
      if (knowledge::EntryFromJson(parsed, &entry, &problem)) {
        knowledge::NormalizeEntry(&entry);
        if (knowledge::ValidateEntry(entry).empty()) {
          bot::Entry back;
          fuzz::Check(knowledge::EntryFromJson(knowledge::EntryToJson(entry), &back, &problem) &&
                          knowledge::SameEntry(entry, back),
                      "a valid entry reads back from its JSON");
          fuzz::Check(knowledge::EntryFingerprint(entry) == knowledge::EntryFingerprint(back), "same fingerprint");
        }
      } else {
        fuzz::Check(!problem.message.empty(), "a refused entry says why");
      }
    }
  }
  return 0;
}
