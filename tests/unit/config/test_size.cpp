// Size parsing table: accepted spellings and their MiB, and the rejected ones.
#include <doctest/doctest.h>

#include "config/size.hpp"

using vmlab::config::format_size;
using vmlab::config::parse_size;

TEST_CASE("sizes that parse, in MiB") {
  struct Row {
    const char* text;
    std::uint64_t mib;
  };
  const Row rows[] = {
      {"512MiB", 512},  {"512M", 512},     {"512MB", 512},  {"512mib", 512},   {"2048", 2048},
      {"2GiB", 2048},   {"2G", 2048},      {"2GB", 2048},   {"2g", 2048},      {"1.5GiB", 1536},
      {"2.5G", 2560},   {"0.5GiB", 512},   {"20GB", 20480}, {"1TiB", 1048576}, {"1T", 1048576},
      {"1.0GiB", 1024}, {"1.25GiB", 1280},
  };
  for (const Row& r : rows) {
    CAPTURE(r.text);
    const auto s = parse_size(r.text);
    CHECK(s.error == "");
    CHECK(s.mib == r.mib);
  }
}

TEST_CASE("sizes that are rejected, with their message") {
  const std::string units =
      ": use a number with MiB, GiB or TiB (e.g. \"512MiB\", \"2GiB\"); a "
      "bare integer means MiB";
  struct Row {
    const char* text;
    std::string error;
  };
  const Row rows[] = {
      {"2 gigs", "invalid size \"2 gigs\"" + units},
      {"2KiB", "invalid size \"2KiB\"" + units},
      {"GiB", "invalid size \"GiB\"" + units},
      {"", "invalid size \"\"" + units},
      {"2.GiB", "invalid size \"2.GiB\"" + units},
      {"1..5G", "invalid size \"1..5G\"" + units},
      {"2GiB ", "invalid size \"2GiB \"" + units},
      {"0", "invalid size \"0\": must be greater than zero"},
      {"0.0GiB", "invalid size \"0.0GiB\": must be greater than zero"},
      {"-512", "invalid size \"-512\": must be greater than zero"},
      {"1.3GiB", "invalid size \"1.3GiB\": not a whole number of MiB"},
      {"0.5", "invalid size \"0.5\": not a whole number of MiB"},
      {"99999999999TiB", "invalid size \"99999999999TiB\": too large"},
  };
  for (const Row& r : rows) {
    CAPTURE(r.text);
    CHECK(parse_size(r.text).error == r.error);
  }
}

TEST_CASE("format_size picks the shortest exact spelling") {
  CHECK(format_size(512) == "512MiB");
  CHECK(format_size(1024) == "1GiB");
  CHECK(format_size(2560) == "2.5GiB");
  CHECK(format_size(1280) == "1280MiB");
  CHECK(format_size(1048576) == "1TiB");
}
