// Question normalization and query building through to an answer: any bytes
// as a question to bot::Answerer over the shipped knowledge (in memory), then
// encoded as POST /v1/ask would. The first byte picks the options (explain, a
// follow-up in a running conversation); the rest is the question.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "app/json_codec.h"
#include "app/service.h"
#include "bot/answerer.h"
#include "bot/text.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bot::Answerer* answerer = new bot::Answerer(fuzz::ShippedStore(), {}, fuzz::Clock(), fuzz::Ids());
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  const std::string text(fuzz::AsView(data + 1, size - 1));

  // The text helpers every question goes through.
  std::string repaired = bot::RepairUtf8(text);
  fuzz::Check(bot::IsValidUtf8(repaired), "RepairUtf8 gives valid UTF-8");
  std::string sanitized = bot::SanitizeUtf8(text);
  fuzz::Check(bot::IsValidUtf8(sanitized), "SanitizeUtf8 gives valid UTF-8");
  std::string_view cut = bot::TruncateUtf8(repaired, flags);
  fuzz::Check(cut.size() <= flags && bot::IsValidUtf8(cut), "TruncateUtf8 keeps whole characters within the limit");
  for (const std::string& sentence : bot::SplitSentences(repaired)) {
    fuzz::Check(bot::IsValidUtf8(sentence), "SplitSentences keeps whole characters");
  }
  std::string redacted = adapters::RedactSecrets(repaired);
  (void)redacted;

  bot::Question q;
  q.text = text;
  q.channel = "http";
  q.explain = flags & 1;
  // Follow-ups: a handful of conversations, so context carries between inputs.
  if (flags & 2) q.conversation_id = "fuzz-" + std::to_string((flags >> 2) & 3);
  auto answer = answerer->Ask(q);
  if (!answer.ok()) {
    fuzz::Check(answer.status().code() == bot::Status::Code::kInvalidArgument,
                "only an empty question fails (the store is in memory)");
    return 0;
  }
  const bot::Answer& a = *answer;
  fuzz::Check(a.kind == "kb" || a.kind == "smalltalk" || a.kind == "fallback" || a.kind == "clarify",
              "kind is kb, smalltalk, fallback or clarify");
  if (a.kind == "clarify") {
    // Asking back offers one to three of the knowledge's own questions.
    fuzz::Check(!a.options.empty() && a.options.size() <= 3, "a clarification offers 1 to 3 options");
    for (const auto& o : a.options) fuzz::Check(!o.entry_id.empty() && !o.question.empty(), "options name entries");
  } else {
    fuzz::Check(a.options.empty(), "only a clarification has options");
  }
  fuzz::Check(!a.text.empty(), "an answer has text");
  fuzz::Check(bot::IsValidUtf8(a.text), "the answer text is valid UTF-8");
  fuzz::Check(std::isfinite(a.confidence) && a.confidence >= 0 && a.confidence <= 1.0 + 1e-9,
              "confidence is within [0, 1]");
  fuzz::Check(!a.answered || a.kind != "fallback", "a fallback is not answered");
  for (const auto& s : a.sources) fuzz::Check(std::isfinite(s.score), "source scores are finite");
  // As POST /v1/ask sends it (strict: the JSON must be valid UTF-8 already).
  std::string json = adapters::AnswerToJson(a).dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  fuzz::Check(!json.empty(), "the answer encodes");
  return 0;
}
