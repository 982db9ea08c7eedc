#include "adapters/service.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>

#include <spdlog/spdlog.h>

namespace adapters {

Service::Service(knowledge::Store* store, bot::AnswererOptions options, bot::Clock* clock, bot::IdGenerator* ids)
    : store_(store), clock_(clock), answerer_(store, options, clock, ids), retention_days_(LogRetentionDaysFromEnv()) {
  auto pruned = PruneLog();
  if (!pruned.ok()) spdlog::warn("question log: {}", pruned.status().ToString());
}

bot::Result<int64_t> Service::PruneLog() {
  int64_t now = clock_->NowSeconds();
  last_prune_ = now;
  int days = retention_days_;
  if (days <= 0) return int64_t{0};
  auto pruned = store_->PruneQuestionLog(now - static_cast<int64_t>(days) * 86400);
  if (pruned.ok() && *pruned > 0) spdlog::info("question log: deleted {} lines older than {} days", *pruned, days);
  return pruned;
}

bot::Result<bot::Answer> Service::Ask(const bot::Question& question) {
  auto answer = answerer_.Ask(question);
  if (!answer.ok() || !logging_) return answer;
  knowledge::LoggedQuestion q;
  q.answer_id = answer->answer_id;
  q.asked_at = clock_->NowSeconds();
  // Once a day: forget old log lines.
  int64_t last = last_prune_;
  if (q.asked_at - last >= 86400 && last_prune_.compare_exchange_strong(last, q.asked_at)) {
    auto pruned = PruneLog();
    if (!pruned.ok()) spdlog::warn("question log: {}", pruned.status().ToString());
  }
  q.channel = question.channel;
  q.question = RedactSecrets(question.text);
  q.normalized = answer->normalized_question;
  if (q.question != question.text) {
    // The index terms would carry the secret too: take them from the redacted text.
    auto lexicon = store_->GetLexicon();
    q.normalized = lexicon.ok() ? (*lexicon)->normalizer.IndexText(q.question) : "";
  }
  q.answered = answer->answered;
  q.kind = answer->kind;
  q.confidence = answer->confidence;
  q.entry_id = answer->entry_id;
  bot::Status s = store_->LogQuestion(q);
  // Losing a log line must not lose the answer.
  if (!s.ok()) spdlog::warn("question log: {}", s.ToString());
  return answer;
}

bot::Status Service::Feedback(const std::string& answer_id, bool helpful, const std::string& comment) {
  return store_->RecordFeedback(answer_id, helpful, comment, clock_->NowSeconds());
}

int LogRetentionDaysFromEnv() {
  const char* v = std::getenv("CAREERBOT_LOG_RETENTION_DAYS");
  if (!v || !*v) return 90;
  char* end = nullptr;
  long days = std::strtol(v, &end, 10);
  if (*end != '\0' || days < 0 || days > 100000) {
    spdlog::warn("CAREERBOT_LOG_RETENTION_DAYS='{}' is not a number of days; keeping the question log 90 days", v);
    return 90;
  }
  return static_cast<int>(days);
}

namespace {

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// A token that looks like a credential rather than a word, a number or a name.
bool LooksLikeSecret(const std::string& t) {
  static const char* const kPrefixes[] = {"xoxb-", "xoxp-", "xoxa-", "xoxs-", "xoxr-", "xoxe-", "xapp-",
                                          "ghp_",  "gho_",  "ghu_",  "ghs_",  "ghr_",  "github_pat_",
                                          "glpat-", "sk-",  "sk_live_", "rk_live_", "AKIA", "ASIA", "AIza"};
  for (const char* p : kPrefixes) {
    if (StartsWith(t, p) && t.size() >= std::strlen(p) + 12) return true;
  }
  // A JSON Web Token: three base64url parts, the first a JSON header.
  if (StartsWith(t, "eyJ") && std::count(t.begin(), t.end(), '.') == 2 && t.size() >= 30) return true;
  if (t.size() < 24 || t.find("://") != std::string::npos) return false;
  size_t lower = 0, upper = 0, digit = 0, other = 0, hex = 0;
  for (unsigned char c : t) {
    if (c >= 'a' && c <= 'z') lower++;
    else if (c >= 'A' && c <= 'Z') upper++;
    else if (c >= '0' && c <= '9') digit++;
    else if (c == '-' || c == '_' || c == '+' || c == '/' || c == '=' || c == '.') other++;
    else return false;  // anything else: not a token
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) hex++;
  }
  if (hex == t.size() && t.size() >= 32 && digit > 0) return true;  // hex keys and digests
  int classes = (lower > 0) + (upper > 0) + (digit > 0);
  return classes >= 3 || (classes == 2 && digit >= 4 && t.size() >= 32);
}

bool IsSecretKeyWord(std::string w) {
  for (char& c : w) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!w.empty() && (w.back() == ':' || w.back() == '=')) w.pop_back();
  static const char* const kWords[] = {"bearer", "token", "password", "passwd", "pwd", "secret", "apikey",
                                       "api_key", "api-key", "authorization", "pass"};
  for (const char* k : kWords) {
    if (w == k) return true;
  }
  return false;
}

}  // namespace

std::string RedactSecrets(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool redact_next = false;
  size_t i = 0;
  while (i < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[i]))) {
      out += text[i++];
      continue;
    }
    size_t end = i;
    while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end]))) end++;
    std::string word = text.substr(i, end - i);
    i = end;
    // Keep the punctuation around a token: "(ghp_...)," stays "([redacted]),".
    size_t a = 0, b = word.size();
    while (a < b && std::strchr("\"'([{<,;", word[a])) a++;
    while (b > a && std::strchr("\"')]}>,;.!?", word[b - 1])) b--;
    std::string core = word.substr(a, b - a);
    // "token=abc..." and "password:abc...": the value after the key.
    size_t eq = core.find_first_of("=:");
    bool keyed = eq != std::string::npos && eq + 1 < core.size() && IsSecretKeyWord(core.substr(0, eq + 1));
    if (redact_next && !core.empty()) {
      out += word.substr(0, a) + "[redacted]" + word.substr(b);
      redact_next = false;
    } else if (keyed) {
      out += word.substr(0, a) + core.substr(0, eq + 1) + "[redacted]" + word.substr(b);
    } else if (LooksLikeSecret(core)) {
      out += word.substr(0, a) + "[redacted]" + word.substr(b);
    } else {
      out += word;
      redact_next = IsSecretKeyWord(core) && (core.back() == ':' || core.back() == '=' ||
                                              core == "Bearer" || core == "bearer");
    }
  }
  return out;
}

}  // namespace adapters
