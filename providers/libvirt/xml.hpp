#pragma once
// Minimal XML helpers for the libvirt provider: escaping for the documents we write, and
// attribute/text extraction for the canonical XML libvirt hands back (no DTDs, no CDATA).
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vmlab::providers::libvirt::xml {

// Escapes &, <, >, ' and " for use in text and in single- or double-quoted attributes.
std::string escape(const std::string& s);

// The attributes of every start tag named `tag` (e.g. "ip", "host"), in document order.
std::vector<std::map<std::string, std::string>> elements(const std::string& doc,
                                                         const std::string& tag);

// The unescaped text of the first <tag>...</tag> (written exactly so, e.g. "vmlab:node");
// nullopt if absent.
std::optional<std::string> text(const std::string& doc, const std::string& tag);

}  // namespace vmlab::providers::libvirt::xml
