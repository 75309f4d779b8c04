// `vmlab box add NAME PATH|URL [--sha256 HEX] | list [--json] | remove NAME [--force]`: the
// user's box store (src/boxes). PATH is a box directory, a qcow2 image, a tar(.gz) of a box
// directory, or an http(s):// / file:// URL (then --sha256 is required: the download is
// checked against it before it is installed). `remove` refuses a box a lab on this host still
// uses (executor/box_users.hpp) unless --force, and runs every provider's box hook (libvirt:
// the box's pool volumes), where the provider's backend is reachable.
#include <fmt/format.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "boxes/box.hpp"
#include "boxes/install.hpp"
#include "boxes/meter.hpp"
#include "cli/command.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/sha256.hpp"
#include "executor/box_users.hpp"
#include "providers/registry/registry.hpp"

namespace vmlab::cli {
namespace {

struct BoxOpts {
  std::string name;
  std::string path;
  std::string sha256;
  bool json = false;
  bool force = false;
};

std::string short_digest(const std::string& d) {
  return d.empty() ? "-" : "sha256:" + d.substr(0, 12);
}

void print_list(bool json) {
  auto all = boxes::list_boxes();
  if (json) {
    auto arr = nlohmann::json::array();
    for (const auto& b : all)
      arr.push_back(
          {{"name", b.name},
           {"dir", b.dir.string()},
           {"format", b.format},
           {"user", b.user},
           {"seed", b.seed},
           {"kernel_boot", !b.kernel.empty()},
           {"size_bytes", b.size_bytes},
           {"virtual_size_mib", b.virtual_size_mib},
           {"source", b.source.empty() ? nlohmann::json(nullptr) : nlohmann::json(b.source)},
           {"sha256", b.sha256.empty() ? nlohmann::json(nullptr) : nlohmann::json(b.sha256)}});
    fmt::print("{}\n", arr.dump(2));
    return;
  }
  if (all.empty()) {
    fmt::print("no boxes installed (add one with: vmlab box add NAME PATH|URL)\n");
    return;
  }
  fmt::print("{:<20} {:<6} {:<6} {:>10} {:>10} {:<19} {}\n", "NAME", "FORMAT", "BOOT", "SIZE",
             "VIRTUAL", "DIGEST", "SOURCE");
  for (const auto& b : all)
    fmt::print("{:<20} {:<6} {:<6} {:>10} {:>10} {:<19} {}\n", b.name, b.format,
               b.kernel.empty() ? "disk" : "kernel", boxes::byte_count(b.size_bytes),
               b.virtual_size_mib ? fmt::format("{} MiB", b.virtual_size_mib) : "?",
               short_digest(b.sha256), b.source.empty() ? "-" : b.source);
}

void add(const BoxOpts& o) {
  boxes::Box b;
  if (boxes::is_box_url(o.path)) {
    if (o.sha256.empty())
      throw UsageError(
          fmt::format("a URL needs --sha256 HEX: the digest the download must have (e.g. from the "
                      "publisher's SHA256SUMS); got none for {}",
                      o.path));
    boxes::DownloadMeter meter(
        o.name, isatty(STDERR_FILENO), [](const std::string& l) { fmt::print(stderr, "{}\n", l); },
        [](const std::string& t) {
          fmt::print(stderr, "{}", t);
          std::fflush(stderr);
        });
    boxes::FetchOptions fo;
    fo.progress = meter.callback();
    try {
      b = boxes::add_box_from_url(o.name, o.path, o.sha256, fo);
    } catch (...) {
      meter.finish();
      throw;
    }
    meter.finish();
  } else {
    if (o.path.find("://") != std::string::npos)
      throw UsageError(fmt::format(
          "unsupported URL \"{}\": vmlab downloads http://, https:// and file:// URLs", o.path));
    boxes::BoxOrigin origin;
    if (!o.sha256.empty()) {  // a local file checked like a download
      origin.sha256 = boxes::normalize_sha256(o.sha256);
      if (origin.sha256.empty())
        throw UsageError(fmt::format("invalid --sha256 \"{}\": {}", o.sha256, boxes::kSha256Rule));
      if (std::filesystem::is_directory(o.path))
        throw UsageError(fmt::format("--sha256 checks a file; {} is a directory", o.path));
      const auto got = util::sha256_file_hex(o.path).value_or("");
      if (got != origin.sha256)
        throw UsageError(fmt::format("{} does not match --sha256: expected {}, got {}", o.path,
                                     origin.sha256, got.empty() ? "an unreadable file" : got));
    }
    b = boxes::install_box(o.name, o.path, origin);
  }
  fmt::print("box \"{}\" added ({})\n", b.name, b.dir.string());
}

void remove(const BoxOpts& o) {
  if (!boxes::find_box(o.name))
    throw UsageError(fmt::format("box \"{}\" is not installed", o.name));
  const auto labs = executor::find_host_labs();
  for (const auto& u : labs.unreachable)
    fmt::print(stderr, "vmlab: note: {} did not answer, so its labs are not checked: {}\n",
               u.provider, u.error);
  const auto users = executor::box_users(o.name, labs);
  if (!users.empty() && !o.force) {
    std::string lines;
    for (const auto& u : users) lines += "\n  " + executor::describe(u);
    throw UsageError(fmt::format(
        "box \"{}\" is used by {} on this host:{}\ndestroy {} first, or remove it anyway with "
        "--force (machines made from it may not start again)",
        o.name, users.size() == 1 ? "a lab" : fmt::format("{} labs", users.size()), lines,
        users.size() == 1 ? "that lab" : "those labs"));
  }
  for (const auto& u : users)
    fmt::print(stderr, "vmlab: warning: removing box \"{}\" still used by {}\n", o.name,
               executor::describe(u));
  boxes::remove_box(o.name);
  fmt::print("box \"{}\" removed\n", o.name);
  for (const auto& p : providers::provider_table()) {
    if (!p.forget_box) continue;
    try {
      if (auto line = p.forget_box(o.name); !line.empty()) fmt::print("{}\n", line);
    } catch (const Error& e) {
      log::debug("box", "{}: box \"{}\" not cleaned: {}", p.name, o.name, e.what());
    }
  }
}

}  // namespace

void add_box(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("box", "Manage boxes (base images): add, list, remove");
  cmd->require_subcommand(1);
  auto o = std::make_shared<BoxOpts>();

  auto* add_cmd = cmd->add_subcommand(
      "add", "Install a box from a directory, a qcow2 image, a tar(.gz) of a box, or a URL");
  add_cmd->add_option("NAME", o->name, "box name")->required();
  add_cmd
      ->add_option("PATH", o->path,
                   "box directory (box.qcow2 + box.json), .qcow2 file, .tar(.gz) of a box "
                   "directory, or http(s):// / file:// URL of one")
      ->required();
  add_cmd->add_option("--sha256", o->sha256,
                      "SHA-256 the file must have (required for a URL; checked before use)");
  add_cmd->callback([o] { add(*o); });

  auto* list = cmd->add_subcommand("list", "List installed boxes");
  list->add_flag("--json", o->json, "machine-readable JSON");
  list->callback([o, &g] { print_list(o->json || g.json); });

  auto* rm = cmd->add_subcommand("remove", "Remove an installed box (not one a lab still uses)");
  rm->add_option("NAME", o->name, "box name")->required()->type_name("BOX");
  rm->add_flag("--force", o->force, "remove it even if a lab on this host uses it");
  rm->callback([o] { remove(*o); });
}

}  // namespace vmlab::cli
