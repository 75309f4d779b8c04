#include "providers/virtualbox/vbox_parse.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <sstream>

namespace vmlab::vbox {
namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string unquote(const std::string& s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::optional<int> to_int(const std::string& s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<Version> parse_version(const std::string& out) {
  std::optional<Version> found;
  for (const auto& raw : lines_of(out)) {
    std::string line = trim(raw);
    if (line.empty() || !std::isdigit(static_cast<unsigned char>(line[0]))) continue;
    Version v;
    v.text = line;
    int* parts[] = {&v.major, &v.minor, &v.patch};
    size_t i = 0;
    for (int k = 0; k < 3 && i < line.size(); ++k) {
      size_t j = i;
      while (j < line.size() && std::isdigit(static_cast<unsigned char>(line[j]))) ++j;
      if (j == i) break;
      *parts[k] = std::stoi(line.substr(i, j - i));
      if (j >= line.size() || line[j] != '.') break;
      i = j + 1;
    }
    found = v;
  }
  return found;
}

std::map<std::string, std::string> parse_machinereadable(const std::string& text) {
  std::map<std::string, std::string> out;
  for (const auto& raw : lines_of(text)) {
    std::string line = trim(raw);
    size_t eq = std::string::npos;
    if (!line.empty() && line[0] == '"') {  // "SATA-1-0"="..."
      size_t close = line.find('"', 1);
      if (close != std::string::npos && close + 1 < line.size() && line[close + 1] == '=')
        eq = close + 1;
    } else {
      eq = line.find('=');
    }
    if (eq == std::string::npos || eq == 0) continue;
    out[unquote(line.substr(0, eq))] = unquote(line.substr(eq + 1));
  }
  return out;
}

std::vector<VmEntry> parse_list_vms(const std::string& text) {
  std::vector<VmEntry> out;
  for (const auto& raw : lines_of(text)) {
    std::string line = trim(raw);
    size_t open = line.rfind(" {");
    if (line.size() < 5 || line[0] != '"' || open == std::string::npos || line.back() != '}' ||
        line[open - 1] != '"')
      continue;
    out.push_back({line.substr(1, open - 2), line.substr(open + 2, line.size() - open - 3)});
  }
  return out;
}

std::vector<std::map<std::string, std::string>> parse_blocks(const std::string& text) {
  std::vector<std::map<std::string, std::string>> out;
  std::map<std::string, std::string> cur;
  for (const auto& raw : lines_of(text)) {
    std::string line = trim(raw);
    size_t colon = line.find(':');
    if (line.empty() || colon == std::string::npos) {
      continue;
    }
    std::string key = line.substr(0, colon);
    // "Name:" starts a new block (also copes with missing blank separators).
    if ((key == "Name" || key == "NetworkName") && !cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
    cur[key] = trim(line.substr(colon + 1));
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

std::vector<HostOnlyIf> parse_hostonlyifs(const std::string& text) {
  std::vector<HostOnlyIf> out;
  for (auto& b : parse_blocks(text))
    if (b.count("Name")) out.push_back({b["Name"], b["IPAddress"], b["NetworkMask"]});
  return out;
}

std::optional<std::string> parse_created_interface(const std::string& out) {
  const std::string key = "Interface '";
  size_t b = out.find(key);
  if (b == std::string::npos) return std::nullopt;
  b += key.size();
  size_t e = out.find("' was successfully created", b);
  if (e == std::string::npos) return std::nullopt;
  return out.substr(b, e - b);
}

std::string NatRule::to_string() const {
  return fmt::format("{},{},{},{},{},{}", name, protocol, host_ip, host_port, guest_ip, guest_port);
}

std::optional<NatRule> parse_nat_rule(const std::string& text) {
  std::vector<std::string> f;
  std::string cur;
  for (char c : text) {
    if (c == ',') {
      f.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  f.push_back(cur);
  if (f.size() != 6 || f[0].empty() || (f[1] != "tcp" && f[1] != "udp")) return std::nullopt;
  auto hp = to_int(f[3]);
  auto gp = to_int(f[5]);
  if (!hp || !gp) return std::nullopt;
  return NatRule{f[0], f[1], f[2], *hp, f[4], *gp};
}

std::vector<NatRule> forwarding_rules(const std::map<std::string, std::string>& info) {
  std::vector<NatRule> out;
  for (int i = 0;; ++i) {
    auto it = info.find(fmt::format("Forwarding({})", i));
    if (it == info.end()) break;
    if (auto r = parse_nat_rule(it->second)) out.push_back(*r);
  }
  return out;
}

std::optional<int> nat_redirect_failure_port(const std::string& stderr_text) {
  if (stderr_text.find("VERR_NAT_REDIR_SETUP") == std::string::npos) return std::nullopt;
  const std::string key = "redirection of ";
  size_t b = stderr_text.find(key);
  if (b == std::string::npos) return std::nullopt;
  b += key.size();
  size_t e = stderr_text.find(' ', b);
  return to_int(stderr_text.substr(b, e - b));
}

std::string parse_extradata_value(const std::string& text) {
  if (text.rfind("Value: ", 0) != 0) return "";
  std::string v = text.substr(7);
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
  return v;
}

}  // namespace vmlab::vbox
