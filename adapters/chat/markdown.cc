#include "adapters/chat/markdown.h"

#include <cctype>

namespace adapters {
namespace {

bool IsWordByte(unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; }

bool IsAlnumAscii(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// The UTF-16 length of the UTF-8 sequence starting with byte `lead`.
size_t Units(unsigned char lead) { return lead >= 0xF0 ? 2 : 1; }

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

constexpr char kZeroWidthSpace[] = "\xE2\x80\x8B";
constexpr char kEllipsis[] = "\xE2\x80\xA6";

}  // namespace

std::string EscapeMarkdown(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8 + 8);
  bool line_start = true;
  for (size_t i = 0; i < text.size(); i++) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      out += '\n';
      line_start = true;
      continue;
    }
    if (line_start && (c == ' ' || c == '\t')) {
      out += static_cast<char>(c);
      continue;
    }
    if (line_start) {
      line_start = false;
      if (c == '#' || c == '-' || c == '+') {
        out += '\\';
        out += static_cast<char>(c);
        continue;
      }
      if (c >= '0' && c <= '9') {
        size_t j = i;
        while (j < text.size() && text[j] >= '0' && text[j] <= '9') j++;
        out.append(text.substr(i, j - i));
        if (j < text.size() && (text[j] == '.' || text[j] == ')')) {
          out += '\\';
          out += text[j];
          j++;
        }
        i = j - 1;
        continue;
      }
    }
    switch (c) {
      case '\\':
      case '*':
      case '_':
      case '~':
      case '`':
      case '|':
      case '<':
      case '>':
      case '[':
      case ']':
      case '(':
      case ')':
        out += '\\';
        out += static_cast<char>(c);
        break;
      case '@': {
        bool word_start = i == 0 || !IsWordByte(static_cast<unsigned char>(text[i - 1]));
        bool before_name = i + 1 < text.size() && IsAlnumAscii(static_cast<unsigned char>(text[i + 1]));
        out += '@';
        if (word_start && before_name) out += kZeroWidthSpace;
        break;
      }
      default:
        out += static_cast<char>(c);
    }
  }
  return out;
}

size_t Utf16Length(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text) {
    if (!IsContinuation(c)) n += Units(c);
  }
  return n;
}

std::string CutAtSentence(std::string_view text, size_t max_units) {
  if (Utf16Length(text) <= max_units) return std::string(text);
  if (max_units == 0) return "";
  size_t budget = max_units - 1;  // room for the ellipsis
  // The longest prefix [0, end) within the budget, ending on a character boundary.
  size_t end = 0, units = 0;
  while (end < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[end]);
    size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (units + Units(c) > budget) break;
    units += Units(c);
    end += len;
  }
  if (end > text.size()) end = text.size();
  // Prefer the last sentence end in the second half of the budget.
  for (size_t i = end; i > end / 2; i--) {
    char c = text[i - 1];
    bool boundary = i == text.size() || text[i] == ' ' || text[i] == '\n';
    if (((c == '.' || c == '!' || c == '?') && boundary) || c == '\n') {
      std::string out(text.substr(0, i));
      while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
      return out;
    }
  }
  size_t cut = end;
  size_t space = text.substr(0, end).find_last_of(" \n");
  if (space != std::string_view::npos && space > end / 2) cut = space;
  // Never leave half of a backslash escape at the end.
  size_t slashes = 0;
  while (slashes < cut && text[cut - 1 - slashes] == '\\') slashes++;
  if (slashes % 2 == 1) cut--;
  std::string out(text.substr(0, cut));
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out + kEllipsis;
}

std::string MarkdownLinkUrl(std::string_view url) {
  if (url.compare(0, 8, "https://") != 0 && url.compare(0, 7, "http://") != 0) return "";
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7F || c == '(' || c == ')' || c == '<' || c == '>' || c == '|' || c == '"' || c == '\\') {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace adapters
