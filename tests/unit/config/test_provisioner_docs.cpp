// The provisioner table and docs/provisioners.md list the same types, and every key a type
// declares is documented in that type's section (and nothing else is documented as a type).
#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "provisioners/provisioner.hpp"

namespace {

std::string read_docs() {
  std::ifstream in(std::string(VMLAB_SOURCE_DIR) + "/docs/provisioners.md");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "### `shell`" headings -> the text of each section.
std::map<std::string, std::string> sections(const std::string& doc) {
  std::map<std::string, std::string> out;
  const std::string mark = "\n### `";
  for (auto at = doc.find(mark); at != std::string::npos;) {
    const auto name_end = doc.find('`', at + mark.size());
    const std::string name = doc.substr(at + mark.size(), name_end - at - mark.size());
    const auto next = doc.find("\n#", name_end);
    out[name] =
        doc.substr(name_end, next == std::string::npos ? std::string::npos : next - name_end);
    at = next == std::string::npos ? next : doc.find(mark, next);
  }
  return out;
}

}  // namespace

TEST_CASE("docs/provisioners.md documents exactly the types and keys of the provisioner table") {
  const auto doc = sections(read_docs());
  std::set<std::string> documented, table;
  for (const auto& [name, text] : doc) documented.insert(name);
  for (const auto& e : vmlab::provisioners::provisioner_table()) {
    table.insert(e.name());
    auto it = doc.find(e.name());
    REQUIRE_MESSAGE(it != doc.end(), "no section for type ", e.name());
    for (const auto& k : e.spec.keys)
      CHECK_MESSAGE(it->second.find("| `" + k.name + "` |") != std::string::npos, "key ", k.name,
                    " of ", e.name(), " is not in its docs table");
    const bool says_missing = it->second.find("Not implemented") != std::string::npos;
    CHECK_MESSAGE(says_missing == (e.make == nullptr), e.name(),
                  ": the docs and the table disagree on whether it is implemented");
    CHECK_MESSAGE(e.spec.implemented == (e.make != nullptr), e.name());
  }
  CHECK(documented == table);
}
