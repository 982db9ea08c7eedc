#include "app/service.h"

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <spdlog/spdlog.h>

#include "adapters/chat/registry.h"

namespace adapters {

namespace {

const char* const kOutcomeNames[] = {"answered", "declined", "smalltalk", "failed"};

}  // namespace

AnswerMetrics::AnswerMetrics() : latency_(metrics::LatencyBuckets()) {
  channels_ = {"http", "web"};
  for (std::string& name : chat::PlatformNames()) channels_.push_back(std::move(name));
  channels_.push_back("cli");
  channels_.push_back("other");  // last: any channel not named above
  counts_ = std::make_unique<std::atomic<uint64_t>[]>(channels_.size() * kOutcomes);
  for (size_t i = 0; i < channels_.size() * kOutcomes; i++) counts_[i].store(0, std::memory_order_relaxed);
}

void AnswerMetrics::Record(const std::string& channel, Outcome outcome, double seconds) {
  size_t c = channels_.size() - 1;
  for (size_t i = 0; i + 1 < channels_.size(); i++) {
    if (channel == channels_[i]) c = i;
  }
  counts_[c * kOutcomes + outcome].fetch_add(1, std::memory_order_relaxed);
  latency_.Observe(seconds);
}

void AnswerMetrics::Render(std::string* out) const {
  metrics::AppendHeader(out, "careerbot_answers_total", "counter",
                        "Questions answered by Service::Ask, by channel and outcome (answered from the knowledge "
                        "base, declined, small talk, failed).");
  for (size_t c = 0; c < channels_.size(); c++) {
    for (size_t o = 0; o < kOutcomes; o++) {
      *out += "careerbot_answers_total{channel=\"" + channels_[c] + "\",outcome=\"" + kOutcomeNames[o] + "\"} " +
              std::to_string(counts_[c * kOutcomes + o].load(std::memory_order_relaxed)) + "\n";
    }
  }
  metrics::AppendHeader(out, "careerbot_answer_duration_seconds", "histogram",
                        "Time Service::Ask takes to answer, every channel, without HTTP.");
  latency_.Render("careerbot_answer_duration_seconds", "", out);
}

Service::Service(knowledge::Store* store, bot::AnswererOptions options, bot::Clock* clock, bot::IdGenerator* ids)
    : Service(std::make_shared<knowledge::StoreHandle>(std::shared_ptr<knowledge::Store>(store, [](knowledge::Store*) {})),
              nullptr, options, clock, ids) {}

Service::Service(std::shared_ptr<knowledge::StoreHandle> knowledge, std::shared_ptr<knowledge::Store> log_store,
                 bot::AnswererOptions options, bot::Clock* clock, bot::IdGenerator* ids, int log_retention_days)
    : knowledge_(std::move(knowledge)),
      log_store_(std::move(log_store)),
      clock_(clock),
      answerer_(knowledge_.get(), options, clock, ids),
      retention_days_(log_retention_days) {
  auto pruned = PruneLog();
  if (!pruned.ok()) spdlog::warn("question log: {}", pruned.status().ToString());
  if (knowledge::QuestionLogQueue* queue = LogStore()->question_log_queue()) {
    queue->set_on_error([](const bot::Status& s) { spdlog::warn("question log: {}", s.ToString()); });
  }
}

bot::Result<int64_t> Service::PruneLog() {
  int64_t now = clock_->NowSeconds();
  last_prune_ = now;
  int days = retention_days_;
  if (days <= 0) return int64_t{0};
  auto pruned = LogStore()->PruneQuestionLog(now - static_cast<int64_t>(days) * 86400);
  if (pruned.ok() && *pruned > 0) spdlog::info("question log: deleted {} lines older than {} days", *pruned, days);
  return pruned;
}

bot::Result<bot::Answer> Service::Ask(const bot::Question& question) {
  // The store logged to: the one served as the question comes in (the
  // answer itself is from one view of the knowledge, taken by Ask).
  const std::shared_ptr<knowledge::Store> store = LogStore();
  auto started = std::chrono::steady_clock::now();
  auto answer = answerer_.Ask(question);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  AnswerMetrics::Outcome outcome = !answer.ok()                ? AnswerMetrics::kFailed
                                   : answer->kind == "smalltalk" ? AnswerMetrics::kSmallTalk
                                   : answer->answered            ? AnswerMetrics::kAnswered
                                                                 : AnswerMetrics::kDeclined;
  metrics_.Record(question.channel, outcome, seconds);
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
    auto lexicon = knowledge_->GetLexicon();
    q.normalized = lexicon.ok() ? (*lexicon)->normalizer.IndexText(q.question) : "";
  }
  q.answered = answer->answered;
  q.kind = answer->kind;
  if (!answer->clarified_question.empty()) {
    // A choice among a clarification's options: logged as the question that
    // needed it, resolved with the entry chosen (kb gaps shows it).
    q.kind = "clarified";
    q.question = RedactSecrets(answer->clarified_question);
    q.normalized = answer->clarified_normalized;
    if (q.question != answer->clarified_question) {
      auto lexicon = knowledge_->GetLexicon();
      q.normalized = lexicon.ok() ? (*lexicon)->normalizer.IndexText(q.question) : "";
    }
  }
  q.confidence = answer->confidence;
  q.entry_id = answer->entry_id;
  if (answer->kind == "clarify") {
    for (const bot::ClarifyOption& o : answer->options) q.offered += (q.offered.empty() ? "" : " ") + o.entry_id;
  }
  // A choice names the clarification it answers (from the conversation, or
  // claimed by the option's button): the log checks it as it writes the line.
  if (bot::IsWellFormedAnswerId(answer->clarification_id)) q.clarifies = answer->clarification_id;
  // To the writer through the shared log too (queued there, never waited for).
  if (shared_log_) shared_log_->Append(q);
  // Queued, never waited for: losing a log line must not lose (or delay) the answer.
  if (!store->EnqueueQuestion(std::move(q))) {
    uint64_t dropped = log_dropped_.fetch_add(1, std::memory_order_relaxed) + 1;
    // Once, then every 10,000th: a full queue must not flood the log too.
    if (dropped % 10000 == 1) {
      spdlog::warn("question log: the write queue is full; {} lines dropped so far", dropped);
    }
  }
  return answer;
}

void Service::FlushLog() {
  LogStore()->FlushQuestionLog();
}

knowledge::QuestionLogQueue::Stats Service::LogStats() {
  const std::shared_ptr<knowledge::Store> store = LogStore();
  knowledge::QuestionLogQueue* queue = store->question_log_queue();
  return queue ? queue->stats() : knowledge::QuestionLogQueue::Stats{};
}

bot::Status Service::Feedback(const std::string& answer_id, bool helpful, const std::string& comment) {
  // A comment is free text like a question: no credential is stored either.
  const std::string redacted = RedactSecrets(comment);
  const int64_t now = clock_->NowSeconds();
  bot::Status local = LogStore()->RecordFeedback(answer_id, helpful, redacted, now);
  if (shared_log_ == nullptr) return local;
  if (!local.ok()) {
    // Not one of this replica's answers (or it keeps no log): any replica's,
    // as long as it is known where they all are.
    auto known = shared_log_->AnswerKnown(answer_id);
    if (!known.ok()) {
      shared_feedback_refused_.fetch_add(1, std::memory_order_relaxed);
      return bot::Status::Unavailable(
          "feedback on an answer from another replica cannot be checked while the shared store (Redis) is down; "
          "try again shortly");
    }
    if (!*known) {
      return local.code() == bot::Status::Code::kNotFound ? local
                                                          : bot::Status::NotFound("no answer with id '" + answer_id + "'");
    }
  }
  // Recorded by the writer (once: it sets the answer's one line).
  if (!shared_log_->AppendFeedback(answer_id, helpful, redacted, now)) {
    return local.ok() ? local : bot::Status::Unavailable("the shared question log's buffer is full; try again shortly");
  }
  return bot::Status::Ok();
}

bot::Status Service::WriteSharedLines(const std::vector<knowledge::LoggedQuestion>& lines) {
  const std::shared_ptr<knowledge::Store> store = LogStore();
  if (!store->writable()) return bot::Status::Unavailable("this process keeps no question log");
  return store->LogQuestions(lines);
}

bot::Status Service::WriteSharedFeedback(const std::string& answer_id, bool helpful, const std::string& comment,
                                         int64_t at) {
  const std::shared_ptr<knowledge::Store> store = LogStore();
  if (!store->writable()) return bot::Status::Unavailable("this process keeps no question log");
  return store->RecordFeedback(answer_id, helpful, comment, at);
}

bool Service::log_writable() {
  return LogStore()->writable();
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
    std::string lower = core;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (redact_next && (lower == "bearer" || lower == "basic" || lower == "token")) {
      out += word;  // "Authorization: Bearer xyz": the secret is the word after the scheme
    } else if (redact_next && !core.empty()) {
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
