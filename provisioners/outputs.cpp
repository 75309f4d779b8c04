#include "provisioners/outputs.hpp"

namespace vmlab::provisioners {

std::string StepOutputs::key(const std::string& node, const std::string& step,
                             const std::string& name) {
  std::string k = node;
  k += '\0';
  k += step;
  k += '\0';
  k += name;
  return k;
}

void StepOutputs::put(const std::string& node, const std::string& step, const std::string& name,
                      std::string value, bool secret) {
  std::lock_guard lock(mu_);
  if (secret && value.size() >= 4) secrets_.insert(value);
  values_[key(node, step, name)] = Entry{std::move(value), secret};
}

std::optional<std::string> StepOutputs::get(const std::string& node, const std::string& step,
                                            const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = values_.find(key(node, step, name));
  if (it == values_.end()) return std::nullopt;
  return it->second.value;
}

std::map<std::string, std::string> StepOutputs::public_values(const std::string& node,
                                                              const std::string& step) const {
  std::lock_guard lock(mu_);
  std::map<std::string, std::string> out;
  const std::string prefix = key(node, step, "");
  for (auto it = values_.lower_bound(prefix);
       it != values_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
    if (!it->second.secret) out[it->first.substr(prefix.size())] = it->second.value;
  return out;
}

void StepOutputs::restore(const std::string& node, const std::string& step,
                          const std::map<std::string, std::string>& values) {
  std::lock_guard lock(mu_);
  for (const auto& [name, value] : values)
    values_.emplace(key(node, step, name), Entry{value, false});
}

std::string StepOutputs::redact(std::string_view text) const {
  std::lock_guard lock(mu_);
  std::string out(text);
  for (const std::string& s : secrets_)
    for (auto at = out.find(s); at != std::string::npos; at = out.find(s, at + 10))
      out.replace(at, s.size(), "<redacted>");
  return out;
}

}  // namespace vmlab::provisioners
