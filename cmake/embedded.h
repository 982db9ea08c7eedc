// A file carried inside the binary (see cmake/embed.cc).
#pragma once

#include <cstddef>

namespace careerbot {

struct EmbeddedFile {
  const char* path;  // relative to the embedded folder, e.g. "entries/01-role.md"; nullptr ends a list
  const unsigned char* data;
  size_t size;
};

}  // namespace careerbot
