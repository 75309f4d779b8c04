#include "communicator/run_tool.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <future>
#include <utility>  // Boost 1.74 Asio needs std::exchange declared first (GCC 12)

#include "core/children.hpp"
#include "core/log.hpp"

namespace vmlab::communicator {
namespace bp = boost::process;

ToolResult run_tool(const std::string& program, const std::vector<std::string>& args) {
  std::string shown = program;
  for (const auto& a : args) shown += " " + (a.empty() ? std::string("''") : a);
  log::debug("ssh", "run: {}", shown);
  ToolResult r;
  boost::filesystem::path exe =
      program.find('/') != std::string::npos ? boost::filesystem::path(program)
                                             : bp::search_path(program);
  if (exe.empty()) {
    r.err = program + ": not found in PATH";
    return r;
  }
  try {
    boost::asio::io_context io;
    std::future<std::string> out, err;
    // Its own process group: the terminal's Ctrl-C reaches vmlab, which lets the tool finish.
    bp::child child(exe, bp::args(args), bp::std_in<bp::null, bp::std_out> out, bp::std_err > err,
                    io, bp::extend::on_exec_setup([](auto&) { children::become_group_leader(); }));
    children::Registered registered(child.id());
    io.run();
    child.wait();
    r.exit_code = child.exit_code();
    r.out = out.get();
    r.err = err.get();
  } catch (const std::exception& e) {
    r.exit_code = -1;
    r.err = std::string(program) + ": " + e.what();
  }
  log::debug("ssh", "{} exited {}", program, r.exit_code);
  return r;
}

}  // namespace vmlab::communicator
