#pragma once
// Every environment variable vmlab reads, in one table (name, default, meaning). Code reads the
// environment only through the accessors below (a unit test pins that no other getenv call
// exists); `vmlab --help` and the README's "Environment" section print the same table.
//
// Contract: accessors read the environment on every call (no caching), so a test may setenv()
// between calls. A name that is not in the table is a programming error (std::logic_error).
// Accessors never throw for bad values: a value they cannot use falls back to the default.
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace vmlab::settings {

struct Setting {
  std::string_view name;
  // The value used when the variable is unset or empty; "" when the caller computes the
  // default itself (then `shown` says what it is).
  std::string_view fallback;
  // The default as documented; "" means "same as fallback".
  std::string_view shown;
  std::string_view meaning;

  std::string_view shown_default() const { return shown.empty() ? fallback : shown; }
};

// The table, in the order --help and the README list it.
std::span<const Setting> table();
const Setting& find(std::string_view name);

// The raw value: nullopt when unset (an empty value is returned as "").
std::optional<std::string> raw(std::string_view name);
// The value when set and non-empty, else nullopt.
std::optional<std::string> value(std::string_view name);
// The value when set and non-empty, else the table's fallback.
std::string text(std::string_view name);
// A whole number of seconds, read as strtol does ("" and junk read as 0). Values below
// `min` give the table's fallback. HALT_TIMEOUT accepts 0 (min 0); the others need >= 1.
std::chrono::seconds seconds(std::string_view name, long min = 1);
// A positive count (strtol); anything else gives the table's fallback.
long count(std::string_view name);
// A switch: nullopt when unset or empty, true for "1", false for anything else.
std::optional<bool> flag(std::string_view name);

// The table as text for `vmlab --help` (an "Environment:" block).
std::string help_text();
// The table as Markdown rows, exactly as the README's "Environment" section lists them.
std::string markdown_table();

}  // namespace vmlab::settings
