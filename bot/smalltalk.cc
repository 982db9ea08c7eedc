#include "bot/smalltalk.h"

#include <algorithm>
#include <string>
#include <vector>

#include "bot/text.h"

namespace bot {

const char kTopicsSentence[] =
    "I can answer questions about backend-developer careers: what the job is, the skills and "
    "languages to learn, databases, frameworks, APIs, cloud and DevOps, pay, demand, job titles, "
    "career paths, learning paths, interviews and remote work.";

namespace {

struct Phrase {
  std::vector<std::string> words;
  SmallTalkIntent intent;
};

std::vector<Phrase> BuildPhrases() {
  const std::vector<std::pair<SmallTalkIntent, std::vector<const char*>>> table = {
      {SmallTalkIntent::kHelp,
       {"help", "what can you do", "what can i ask", "what can i ask you", "what do you know",
        "what do you know about", "what topics", "what topics do you cover", "what do you cover",
        "how do you work", "how does this work", "what are you for", "what can you help with",
        "what can you help me with", "what should i ask", "how can you help", "how do i use this",
        "what questions can you answer", "what can you answer", "what can you tell me about",
        "menu", "commands", "usage", "can you help", "can you help me"}},
      {SmallTalkIntent::kSource,
       {"source", "sources", "whats the source", "what is the source", "whats your source",
        "what is your source", "what are your sources", "what are the sources", "where does that come from",
        "where does it come from", "where is that from", "where did you get that", "where did you get that from",
        "how do you know", "how do you know that", "citation", "citations", "reference", "references",
        "any source", "any sources", "source please", "link", "any link", "says who", "according to whom",
        "who says", "is that true", "is it true"}},
      {SmallTalkIntent::kIdentity,
       {"who are you", "what are you", "are you a bot", "are you human", "are you real",
        "are you a robot", "are you an ai", "are you a person", "whats your name",
        "what is your name", "who made you", "who built you", "who created you",
        "introduce yourself", "tell me about yourself", "your name"}},
      {SmallTalkIntent::kThanks,
       {"thanks", "thank", "thank you", "thx", "ty", "cheers", "much appreciated", "appreciate it",
        "appreciated", "great", "awesome", "cool", "nice", "perfect", "got it", "ok", "okay",
        "helpful", "that helps", "that was helpful", "very helpful", "good answer", "good bot",
        "thanks a lot", "many thanks", "brilliant", "excellent"}},
      {SmallTalkIntent::kGoodbye,
       {"bye", "goodbye", "bye bye", "see you", "see ya", "later", "good night", "cya",
        "have a nice day", "have a good day", "talk later", "farewell"}},
      {SmallTalkIntent::kGreeting,
       {"hi", "hello", "hey", "hiya", "howdy", "yo", "greetings", "good morning", "good afternoon",
        "good evening", "good day", "sup", "whats up", "what is up", "hola", "how are you",
        "how are you doing", "hows it going", "how is it going", "nice to meet you", "heya",
        "hey hey", "morning", "evening"}},
  };
  std::vector<Phrase> phrases;
  for (const auto& [intent, list] : table) {
    for (const char* p : list) phrases.push_back({Tokenize(p), intent});
  }
  // Longest first so "thank you" wins over "thank".
  std::stable_sort(phrases.begin(), phrases.end(),
                   [](const Phrase& a, const Phrase& b) { return a.words.size() > b.words.size(); });
  return phrases;
}

bool IsFiller(const std::string& w) {
  static const char* const kFillers[] = {"there", "bot", "careerbot", "so", "very", "much", "a",
                                         "lot", "please", "again", "you", "too", "and", "all",
                                         "man", "friend", "folks", "guys", "everyone", "me",
                                         "just", "really", "oh", "well", "the", "for", "that",
                                         "this", "it", "dear", "mate", "buddy", "again", "then",
                                         "now", "ok", "um", "uh", "hmm", "sir"};
  for (const char* f : kFillers) {
    if (w == f) return true;
  }
  return false;
}

int Priority(SmallTalkIntent intent) {
  switch (intent) {
    case SmallTalkIntent::kSource: return 6;
    case SmallTalkIntent::kHelp: return 5;
    case SmallTalkIntent::kIdentity: return 4;
    case SmallTalkIntent::kThanks: return 3;
    case SmallTalkIntent::kGoodbye: return 2;
    case SmallTalkIntent::kGreeting: return 1;
  }
  return 0;
}

}  // namespace

std::optional<SmallTalkIntent> DetectSmallTalk(std::string_view text) {
  static const std::vector<Phrase>* phrases = new std::vector<Phrase>(BuildPhrases());
  // Small talk is short; a long message is a question even if it starts with "hi".
  if (text.size() > 120) return std::nullopt;
  std::vector<std::string> words = Tokenize(text);
  if (words.empty()) return std::nullopt;
  std::optional<SmallTalkIntent> best;
  size_t i = 0;
  while (i < words.size()) {
    const Phrase* match = nullptr;
    for (const Phrase& p : *phrases) {
      if (i + p.words.size() <= words.size() &&
          std::equal(p.words.begin(), p.words.end(), words.begin() + static_cast<std::ptrdiff_t>(i))) {
        match = &p;
        break;
      }
    }
    if (match) {
      if (!best || Priority(match->intent) > Priority(*best)) best = match->intent;
      i += match->words.size();
    } else if (IsFiller(words[i])) {
      i++;
    } else {
      return std::nullopt;
    }
  }
  return best;
}

std::string SmallTalkReply(SmallTalkIntent intent) {
  switch (intent) {
    case SmallTalkIntent::kGreeting:
      return std::string("Hi! I'm careerbot. ") + kTopicsSentence + " What would you like to know?";
    case SmallTalkIntent::kThanks:
      return "You're welcome! Ask me anything else about backend-developer careers.";
    case SmallTalkIntent::kGoodbye:
      return "Goodbye, and good luck with your backend career!";
    case SmallTalkIntent::kIdentity:
      return "I'm careerbot, a retrieval bot: I search a curated knowledge base about "
             "backend-developer careers and answer with its sources. When the knowledge base "
             "does not cover a question, I say so instead of guessing.";
    case SmallTalkIntent::kSource:
      return "Every answer I give names its sources. Ask me a question first, then ask where the answer "
             "comes from.";
    case SmallTalkIntent::kHelp:
      return std::string(kTopicsSentence) +
             " Ask in your own words, for example \"What does a backend developer do?\" or "
             "\"How much do backend developers earn?\".";
  }
  return "";
}

const char* SmallTalkName(SmallTalkIntent intent) {
  switch (intent) {
    case SmallTalkIntent::kGreeting: return "greeting";
    case SmallTalkIntent::kThanks: return "thanks";
    case SmallTalkIntent::kGoodbye: return "goodbye";
    case SmallTalkIntent::kIdentity: return "identity";
    case SmallTalkIntent::kHelp: return "help";
    case SmallTalkIntent::kSource: return "source";
  }
  return "";
}

}  // namespace bot
