#include "provisioners/file/file_spec.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "config/json.hpp"

namespace vmlab::provisioners {
namespace {

std::shared_ptr<const config::StepSettings> resolve(const config::StepInput& in) {
  auto s = std::make_shared<FileSettings>();
  for (const char* key : {"source", "destination"})
    if (!in.has(key) && !in.tainted(key))
      in.error_at_step(fmt::format("a file step needs \"{}\"", key));
  if (const config::Value* src = in.get("source")) s->source = in.existing_path(*src, "source");
  if (const config::Value* dst = in.get("destination")) {
    s->destination = dst->text;
    if (s->destination.empty() || s->destination.front() != '/')
      in.error(*dst, fmt::format("destination must be an absolute path in the guest, got \"{}\"",
                                 s->destination));
  }
  return s;
}

}  // namespace

void FileSettings::to_json(nlohmann::json& j, const std::filesystem::path& project) const {
  j["source"] = config::shown_path(source, project);
  j["destination"] = destination;
}

void FileSettings::digest(config::DigestBuilder& d) const {
  d.add_content(source);  // every file of a directory source, names, modes and content
  d.add(destination);
  d.add(privileged);
}

const config::StepType& file_step_type() {
  static const config::StepType kType{
      "file",
      "copy a file or directory tree from the project to the guest",
      {
          {"source",
           config::KeyType::String,
           {},
           "",
           "a file or directory, relative to the Vmfile (required)"},
          {"destination", config::KeyType::String, {}, "", "absolute path in the guest (required)"},
      },
      &resolve,
  };
  return kType;
}

}  // namespace vmlab::provisioners
