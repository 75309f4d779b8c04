#pragma once
// Small text helpers for diagnostics and names.
#include <string>
#include <string_view>
#include <vector>

namespace vmlab::config {

// Optimal-string-alignment distance (a swap of two neighbours counts 1: "memroy" -> "memory").
int edit_distance(std::string_view a, std::string_view b);

// The closest candidate when it is close enough to be a typo (distance <= max(1, len/3)),
// else "".
std::string did_you_mean(std::string_view given, const std::vector<std::string>& candidates);

// "a, b, c"
std::string join(const std::vector<std::string>& items, std::string_view sep = ", ");

// RFC 1123 label, lowercase: 1-63 of [a-z0-9-], not starting or ending with '-'.
bool valid_hostname(std::string_view name);
extern const char* const kHostnameRule;  // the rule as users read it in diagnostics

// A directory name turned into a valid lab name: lowercase, other characters -> '-', "lab"
// when nothing is left.
std::string sanitize_name(std::string_view dir_name);

}  // namespace vmlab::config
