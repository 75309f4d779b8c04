#pragma once
// Hand-written YAML emission helpers for the cloud-init seed: every string goes through one of
// these so no value can change the document's structure.
#include <string>

namespace vmlab::seed::yaml {

// A double-quoted YAML scalar: backslash, quote and control characters escaped.
std::string quote(const std::string& s);

// A value for `key: <value>` at indentation `indent` (spaces of the key): a literal block
// ("|" / "|-") when `s` is multi-line text that a block represents exactly, else quote(s).
std::string text(const std::string& s, int indent);

}  // namespace vmlab::seed::yaml
