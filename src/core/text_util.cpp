#include "core/text_util.hpp"

#include <deque>
#include <fstream>

namespace vmlab::util {

std::string tail_lines(const std::filesystem::path& file, int lines) {
  std::ifstream f(file);
  std::deque<std::string> tail;
  for (std::string line; std::getline(f, line);) {
    tail.push_back(line);
    if (static_cast<int>(tail.size()) > lines) tail.pop_front();
  }
  std::string out;
  for (const auto& l : tail) out += l + "\n";
  return out;
}

}  // namespace vmlab::util
