#include "seed/yaml.hpp"

#include <fmt/format.h>

namespace vmlab::seed::yaml {

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f)
          out += fmt::format("\\x{:02x}", c);
        else
          out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

namespace {

// A literal block keeps every character only for printable text whose first line does not
// start with a space (the indentation would be ambiguous) and that ends with at most one "\n".
bool block_safe(const std::string& s) {
  if (s.find('\n') == std::string::npos || s.empty()) return false;
  if (s[0] == ' ' || s[0] == '\n') return false;
  if (s.size() >= 2 && s.compare(s.size() - 2, 2, "\n\n") == 0) return false;
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\n') || c == 0x7f) return false;
  // Trailing spaces on a line survive in a block, but a line of only spaces would not.
  size_t start = 0;
  while (start < s.size()) {
    size_t end = s.find('\n', start);
    if (end == std::string::npos) end = s.size();
    std::string line = s.substr(start, end - start);
    if (!line.empty() && line.find_first_not_of(' ') == std::string::npos) return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

std::string text(const std::string& s, int indent) {
  if (!block_safe(s)) return quote(s);
  bool final_newline = s.back() == '\n';
  std::string body = final_newline ? s.substr(0, s.size() - 1) : s;
  std::string pad(indent + 2, ' ');
  std::string out = final_newline ? "|" : "|-";
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find('\n', start);
    if (end == std::string::npos) end = body.size();
    std::string line = body.substr(start, end - start);
    out += "\n";
    if (!line.empty()) out += pad + line;
    start = end + 1;
  }
  return out;
}

}  // namespace vmlab::seed::yaml
