// English words: a plain word list (Debian's wamerican, compiled into the
// binary) that tells a misspelling from a real word the knowledge base simply
// does not know ("pyhton" is a typo; "lawyer" is a word, not "layer").
// Thread-safe; the list is read once on first use.
#pragma once

#include <string_view>

namespace bot {

// True when `word` (lower-case) is in the English word list.
bool IsEnglishWord(std::string_view word);

}  // namespace bot
