#include "providers/virtualbox/vboxmanage.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <chrono>
#include <cstdlib>
#include <future>
#include <thread>

#include "core/children.hpp"
#include "core/log.hpp"
#include "core/settings.hpp"

namespace vmlab::vbox {
namespace bp = boost::process;

namespace {

std::string join(const std::vector<std::string>& args) {
  std::string s;
  for (const auto& a : args) {
    bool quote = a.empty() || a.find_first_of(" \t\"'") != std::string::npos;
    s += (s.empty() ? "" : " ") + (quote ? "'" + a + "'" : a);
  }
  return s;
}

// The "VBoxManage: error:" lines of stderr without the prefix, joined; else trimmed stderr.
std::string error_text(const std::string& err) {
  std::string out;
  size_t pos = 0;
  const std::string prefix = "VBoxManage: error: ";
  while (pos < err.size()) {
    size_t eol = err.find('\n', pos);
    std::string line = err.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
    if (line.rfind(prefix, 0) == 0) out += (out.empty() ? "" : "; ") + line.substr(prefix.size());
    if (eol == std::string::npos) break;
    pos = eol + 1;
  }
  if (out.empty()) {
    out = err;
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  }
  return out;
}

}  // namespace

Result<CallOutput> run_program(const std::string& program, const std::vector<std::string>& args) {
  try {
    boost::filesystem::path exe = program;
    if (program.find('/') == std::string::npos) exe = bp::search_path(program);
    if (exe.empty()) return Result<CallOutput>::failure(program + ": not found on PATH");
    auto env = boost::this_process::environment();
    env["LANG"] = "C";
    env["LC_ALL"] = "C";
    boost::asio::io_context ioc;
    std::future<std::string> out, err;
    // Its own process group: the terminal's Ctrl-C reaches vmlab, which lets the call finish.
    bp::child child(exe, bp::args(args), bp::std_in.close(), bp::std_out > out, bp::std_err > err,
                    env, ioc,
                    bp::extend::on_exec_setup([](auto&) { children::become_group_leader(); }));
    children::Registered registered(child.id());
    ioc.run();
    child.wait();
    return CallOutput{child.exit_code(), out.get(), err.get()};
  } catch (const std::exception& e) {
    return Result<CallOutput>::failure(fmt::format("cannot run {}: {}", program, e.what()));
  }
}

bool is_lock_busy(const std::string& err) {
  return err.find("VBOX_E_INVALID_OBJECT_STATE") != std::string::npos &&
         (err.find("is already locked for a session") != std::string::npos ||
          err.find("being unlocked") != std::string::npos);
}

VBoxManage::VBoxManage() {
  program_ = settings::text("VMLAB_VBOXMANAGE");
}

Result<CallOutput> VBoxManage::run(const std::vector<std::string>& args) const {
  auto delay = std::chrono::milliseconds(100);
  for (int attempt = 1;; ++attempt) {
    log::debug("vbox", "VBoxManage {}", join(args));
    auto r = run_program(program_, args);
    if (!r) return r;
    const CallOutput& o = r.value();
    bool failed = o.exit_code != 0 || o.err.find("VBoxManage: error:") != std::string::npos;
    if (!failed) return r;
    if (is_lock_busy(o.err) && attempt < kMaxTries) {
      log::debug("vbox", "machine locked (try {} of {}), retrying in {} ms", attempt, kMaxTries,
                 delay.count());
      std::this_thread::sleep_for(delay);
      delay *= 2;
      continue;
    }
    return Result<CallOutput>::failure(fmt::format("VBoxManage {} failed (exit code {}): {}",
                                                   join(args), o.exit_code, error_text(o.err)));
  }
}

Result<std::string> VBoxManage::out(const std::vector<std::string>& args) const {
  auto r = run(args);
  if (!r) return Result<std::string>::failure(r.error());
  return r.value().out;
}

Result<Version> VBoxManage::version() {
  std::lock_guard lock(mu_);
  if (!version_) {
    auto r = out({"--version"});
    if (!r) {
      version_ = Result<Version>::failure(
          fmt::format("VirtualBox is not usable: {} (install VirtualBox, or set "
                      "VMLAB_VBOXMANAGE to the VBoxManage program)",
                      r.error()));
    } else if (auto v = parse_version(r.value())) {
      version_ = *v;
    } else {
      version_ = Result<Version>::failure(fmt::format(
          "cannot read the VirtualBox version from `{} --version`: \"{}\"", program_, r.value()));
    }
  }
  return *version_;
}

Status VBoxManage::check_version() {
  auto v = version();
  if (!v) return Status::failure(v.error());
  if (v.value() < minimum())
    return Status::failure(fmt::format("VirtualBox {} is too old: vmlab needs {} or newer",
                                       v.value().text, minimum().text));
  return ok_status();
}

}  // namespace vmlab::vbox
