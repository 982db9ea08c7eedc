// What the platforms' decoders and renderers share, so that no platform
// folder repeats another's: reading fields of an untrusted JSON value, a hex
// digit, the feedback buttons' emoji and the words every platform says the
// same way. Pure; thread-safe.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace adapters::chat {

// The string member `name` of `object`; "" when `object` is not an object,
// or the member is absent or not a string.
inline std::string StringField(const nlohmann::json& object, const char* name) {
  if (!object.is_object()) return "";
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// True when the member `name` of `object` is the boolean true.
inline bool BoolField(const nlohmann::json& object, const char* name) {
  if (!object.is_object()) return false;
  auto it = object.find(name);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

// 0-15 for a hex digit (either case), else -1.
inline int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The feedback buttons: 👍 and 👎.
constexpr char kThumbsUp[] = "\xF0\x9F\x91\x8D";
constexpr char kThumbsDown[] = "\xF0\x9F\x91\x8E";

// The thanks for a feedback click.
inline const char* FeedbackThanks(bool helpful) {
  return helpful ? "Thanks for the feedback! Glad it helped." : "Thanks for the feedback: this answer will be looked at.";
}

// A clarification's option chosen after its entry was removed.
constexpr char kOptionGone[] = "Sorry, that option is no longer available. Please ask your question again.";

}  // namespace adapters::chat
