#include "providers/libvirt/xml.hpp"

#include <cctype>

#include "core/text_util.hpp"

namespace vmlab::providers::libvirt::xml {
namespace {

std::string unescape(const std::string& s) {
  static const std::pair<const char*, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&apos;", '\''}, {"&quot;", '"'}};
  std::string out;
  for (size_t i = 0; i < s.size();) {
    bool matched = false;
    if (s[i] == '&') {
      for (auto [ent, ch] : kEntities) {
        if (s.compare(i, std::char_traits<char>::length(ent), ent) == 0) {
          out += ch;
          i += std::char_traits<char>::length(ent);
          matched = true;
          break;
        }
      }
    }
    if (!matched) out += s[i++];
  }
  return out;
}

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':' ||
         c == '.';
}

}  // namespace

std::string escape(const std::string& s) {
  return util::xml_escape(s);
}

std::vector<std::map<std::string, std::string>> elements(const std::string& doc,
                                                         const std::string& tag) {
  std::vector<std::map<std::string, std::string>> out;
  std::string open = "<" + tag;
  for (size_t pos = doc.find(open); pos != std::string::npos; pos = doc.find(open, pos + 1)) {
    size_t i = pos + open.size();
    if (i >= doc.size() || is_name_char(doc[i])) continue;  // <ipv6 when looking for <ip
    std::map<std::string, std::string> attrs;
    while (i < doc.size() && doc[i] != '>' && doc[i] != '/') {
      while (i < doc.size() && std::isspace(static_cast<unsigned char>(doc[i]))) ++i;
      size_t name_start = i;
      while (i < doc.size() && is_name_char(doc[i])) ++i;
      std::string name = doc.substr(name_start, i - name_start);
      if (name.empty()) break;
      while (i < doc.size() && (std::isspace(static_cast<unsigned char>(doc[i])) || doc[i] == '='))
        ++i;
      if (i >= doc.size() || (doc[i] != '\'' && doc[i] != '"')) break;
      char quote = doc[i++];
      size_t end = doc.find(quote, i);
      if (end == std::string::npos) break;
      attrs[name] = unescape(doc.substr(i, end - i));
      i = end + 1;
    }
    out.push_back(std::move(attrs));
  }
  return out;
}

std::optional<std::string> text(const std::string& doc, const std::string& tag) {
  std::string open = "<" + tag + ">";
  size_t start = doc.find(open);
  if (start == std::string::npos) return std::nullopt;
  start += open.size();
  size_t end = doc.find("</" + tag + ">", start);
  if (end == std::string::npos) return std::nullopt;
  return unescape(doc.substr(start, end - start));
}

}  // namespace vmlab::providers::libvirt::xml
