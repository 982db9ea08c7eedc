// The Porter (1980) stemmer for lower-case ASCII English words. Pure function;
// thread-safe. Words with non-ASCII bytes or shorter than three letters are
// returned unchanged.
#pragma once

#include <string>
#include <string_view>

namespace bot {

std::string PorterStem(std::string_view word);

}  // namespace bot
