#include "bot/words.h"

#include <algorithm>
#include <string>
#include <vector>

#include "embedded.h"

namespace careerbot {
extern const EmbeddedFile kWordFiles[];
}

namespace bot {
namespace {

std::vector<std::string> LoadWords() {
  std::vector<std::string> words;
  for (const careerbot::EmbeddedFile* f = careerbot::kWordFiles; f->path; f++) {
    std::string_view data(reinterpret_cast<const char*>(f->data), f->size);
    size_t start = 0;
    while (start < data.size()) {
      size_t end = data.find('\n', start);
      if (end == std::string_view::npos) end = data.size();
      std::string w(data.substr(start, end - start));
      start = end + 1;
      if (w.empty() || w.find('\'') != std::string::npos) continue;  // "teacher's"
      for (char& c : w) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
      }
      words.push_back(std::move(w));
    }
  }
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  return words;
}

}  // namespace

bool IsEnglishWord(std::string_view word) {
  static const std::vector<std::string>* words = new std::vector<std::string>(LoadWords());
  return std::binary_search(words->begin(), words->end(), word,
                            [](std::string_view a, std::string_view b) { return a < b; });
}

}  // namespace bot
