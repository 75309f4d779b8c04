// The settings table (src/core/settings.*): the only place that reads the environment, the
// same list in `vmlab --help` and the README, and the accessors' fallbacks.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/settings.hpp"

namespace fs = std::filesystem;
using namespace vmlab;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The Markdown table rows of the README's "## Environment" section.
std::string readme_environment_table() {
  std::istringstream in(slurp(fs::path(VMLAB_SOURCE_DIR) / "README.md"));
  std::string out, line;
  bool in_section = false;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) in_section = line == "## Environment";
    if (in_section && line.rfind("|", 0) == 0) out += line + "\n";
  }
  return out;
}

// Every C++ source of the binary (not the tests), relative to the source dir.
std::vector<fs::path> program_sources() {
  std::vector<fs::path> out;
  for (const char* dir : {"src", "providers", "provisioners"})
    for (const auto& e : fs::recursive_directory_iterator(fs::path(VMLAB_SOURCE_DIR) / dir)) {
      const auto ext = e.path().extension();
      if (e.is_regular_file() && (ext == ".cpp" || ext == ".hpp" || ext == ".h"))
        out.push_back(fs::relative(e.path(), VMLAB_SOURCE_DIR));
    }
  return out;
}

// Sets (or unsets, with nullptr) a variable for one test and restores it afterwards.
class EnvVar {
 public:
  EnvVar(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    value ? setenv(name, value, 1) : unsetenv(name);
  }
  ~EnvVar() { old_ ? setenv(name_, old_->c_str(), 1) : unsetenv(name_); }
  EnvVar(const EnvVar&) = delete;
  EnvVar& operator=(const EnvVar&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("the README's Environment section lists exactly the settings table") {
  const std::string readme = readme_environment_table();
  INFO("paste this into README.md under '## Environment':\n" << settings::markdown_table());
  CHECK(readme == settings::markdown_table());
}

TEST_CASE("vmlab --help lists every setting with its default and meaning") {
  const std::string help = settings::help_text();
  for (const auto& s : settings::table()) {
    CAPTURE(s.name);
    CHECK(help.find("  " + std::string(s.name) + " ") != std::string::npos);
    CHECK(!s.meaning.empty());
    CHECK(!s.shown_default().empty());
  }
  CHECK(help.find('`') == std::string::npos);
}

TEST_CASE("no getenv outside src/core/settings.cpp, and every setting is read somewhere") {
  std::set<std::string> used;
  for (const auto& rel : program_sources()) {
    if (rel == fs::path("src/core/settings.cpp")) continue;
    const std::string text = slurp(fs::path(VMLAB_SOURCE_DIR) / rel);
    CAPTURE(rel.string());
    CHECK(text.find("getenv(") == std::string::npos);
    for (const auto& s : settings::table())
      if (text.find("\"" + std::string(s.name) + "\"") != std::string::npos)
        used.insert(std::string(s.name));
  }
  for (const auto& s : settings::table()) {
    CAPTURE(s.name);
    CHECK(used.count(std::string(s.name)) == 1);
  }
}

TEST_CASE("setting names are unique; an unknown name is a programming error") {
  std::set<std::string_view> names;
  for (const auto& s : settings::table()) CHECK(names.insert(s.name).second);
  CHECK_THROWS_AS(settings::find("VMLAB_NO_SUCH_THING"), std::logic_error);
}

TEST_CASE("seconds: strtol reading, values below the minimum give the table's default") {
  {
    EnvVar v("VMLAB_BOOT_TIMEOUT", nullptr);
    CHECK(settings::seconds("VMLAB_BOOT_TIMEOUT") == std::chrono::seconds(300));
  }
  {
    EnvVar v("VMLAB_BOOT_TIMEOUT", "42");
    CHECK(settings::seconds("VMLAB_BOOT_TIMEOUT") == std::chrono::seconds(42));
  }
  for (const char* bad : {"0", "-5", "", "soon"}) {
    EnvVar v("VMLAB_BOOT_TIMEOUT", bad);
    CAPTURE(bad);
    CHECK(settings::seconds("VMLAB_BOOT_TIMEOUT") == std::chrono::seconds(300));
  }
  {
    EnvVar v("VMLAB_CONNECT_TIMEOUT", nullptr);
    CHECK(settings::seconds("VMLAB_CONNECT_TIMEOUT") == std::chrono::seconds(60));
  }
  {  // HALT_TIMEOUT accepts 0 (power off at once), as before the table
    EnvVar v("VMLAB_HALT_TIMEOUT", "0");
    CHECK(settings::seconds("VMLAB_HALT_TIMEOUT", 0) == std::chrono::seconds(0));
  }
  {
    EnvVar v("VMLAB_HALT_TIMEOUT", "-1");
    CHECK(settings::seconds("VMLAB_HALT_TIMEOUT", 0) == std::chrono::seconds(60));
  }
}

TEST_CASE("count, text, value, flag") {
  {
    EnvVar v("VMLAB_PARALLEL", "0");
    CHECK(settings::count("VMLAB_PARALLEL") == 4);
  }
  {
    EnvVar v("VMLAB_PARALLEL", "7");
    CHECK(settings::count("VMLAB_PARALLEL") == 7);
  }
  {
    EnvVar v("VMLAB_LIBVIRT_URI", "");
    CHECK(settings::text("VMLAB_LIBVIRT_URI") == "qemu:///system");
    CHECK(settings::raw("VMLAB_LIBVIRT_URI") == std::optional<std::string>(""));
    CHECK_FALSE(settings::value("VMLAB_LIBVIRT_URI"));
  }
  {
    EnvVar v("VMLAB_LIBVIRT_URI", "test:///default");
    CHECK(settings::text("VMLAB_LIBVIRT_URI") == "test:///default");
  }
  {
    EnvVar v("NO_COLOR", nullptr);
    CHECK_FALSE(settings::raw("NO_COLOR"));
  }
  for (auto [in, out] : {std::pair<const char*, std::optional<bool>>{nullptr, std::nullopt},
                         {"", std::nullopt},
                         {"1", true},
                         {"0", false},
                         {"yes", false}}) {
    EnvVar v("VMLAB_VBOX_HOSTONLYNET", in);
    CHECK(settings::flag("VMLAB_VBOX_HOSTONLYNET") == out);
  }
}
