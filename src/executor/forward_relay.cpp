// The lab's port forwarder itself (`vmlab __forwarder`, executor/forwards.hpp): binds the
// rules of .vmlab/forwards.json and relays TCP and UDP with Boost.Asio until SIGTERM. What
// starts, checks and stops it is forwards.cpp.
#include "executor/forwards.hpp"

// clang-format off
#include <utility>  // before Boost.Asio: its awaitable.hpp uses std::exchange
// clang-format on

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>

#include "core/host_probe.hpp"
#include "executor/forwards_files.hpp"
#include "state/state.hpp"

namespace vmlab::executor {
namespace fs = std::filesystem;
namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;
using asio::ip::udp;
using forward_files::pid_file;
using forward_files::read_rules;
using forward_files::rules_file;

namespace {

std::string describe(const ForwardRule& r) {
  return fmt::format("{}:{}/{} -> {} {}", r.bind_ip, r.bind_port, r.protocol, r.node,
                     r.target_port);
}

void log_line(const std::string& line) {
  // The forwarder's stderr is its log file.
  auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char ts[32];
  std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  fmt::print(stderr, "{} {}\n", ts, line);
  std::fflush(stderr);
}

struct TcpPair {
  tcp::socket a, b;
  explicit TcpPair(asio::io_context& io) : a(io), b(io) {}
};

awaitable<void> copy_one_way(std::shared_ptr<TcpPair> p, bool a_to_b) {
  tcp::socket& from = a_to_b ? p->a : p->b;
  tcp::socket& to = a_to_b ? p->b : p->a;
  std::array<char, 16384> buf;
  boost::system::error_code ec;
  for (;;) {
    std::size_t n =
        co_await from.async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
    if (ec) break;
    co_await asio::async_write(to, asio::buffer(buf.data(), n),
                               asio::redirect_error(use_awaitable, ec));
    if (ec) break;
  }
  boost::system::error_code ignore;
  if (ec == asio::error::eof) {
    to.shutdown(tcp::socket::shutdown_send, ignore);  // pass the half-close on
  } else {
    from.close(ignore);
    to.close(ignore);
  }
}

awaitable<void> tcp_session(std::shared_ptr<TcpPair> p, tcp::endpoint target) {
  boost::system::error_code ec;
  co_await p->b.async_connect(target, asio::redirect_error(use_awaitable, ec));
  if (ec) {
    log_line(fmt::format("connect {}:{}: {}", target.address().to_string(), target.port(),
                         ec.message()));
    co_return;
  }
  p->a.set_option(tcp::no_delay(true), ec);
  p->b.set_option(tcp::no_delay(true), ec);
  auto ex = co_await asio::this_coro::executor;
  asio::co_spawn(ex, copy_one_way(p, true), asio::detached);
  asio::co_spawn(ex, copy_one_way(p, false), asio::detached);
}

awaitable<void> tcp_accept(asio::io_context& io, std::shared_ptr<tcp::acceptor> acc,
                           tcp::endpoint target) {
  for (;;) {
    auto p = std::make_shared<TcpPair>(io);
    boost::system::error_code ec;
    co_await acc->async_accept(p->a, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      log_line(fmt::format("accept: {}", ec.message()));
      continue;
    }
    asio::co_spawn(io, tcp_session(p, target), asio::detached);
  }
}

// UDP: each client address gets its own socket towards the guest, so replies find their way
// back; one quiet for a minute is closed.
struct UdpPeer {
  udp::socket up;
  udp::endpoint client;
  std::chrono::steady_clock::time_point last;
  UdpPeer(asio::io_context& io, udp::endpoint c) : up(io), client(c) {}
};

struct UdpRelay {
  udp::socket down;
  udp::endpoint target;
  std::map<udp::endpoint, std::shared_ptr<UdpPeer>> peers;
  UdpRelay(asio::io_context& io) : down(io) {}
};

awaitable<void> udp_back(std::shared_ptr<UdpRelay> r, std::shared_ptr<UdpPeer> peer) {
  std::array<char, 65536> buf;
  boost::system::error_code ec;
  for (;;) {
    std::size_t n =
        co_await peer->up.async_receive(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;  // closed when idle
    peer->last = std::chrono::steady_clock::now();
    co_await r->down.async_send_to(asio::buffer(buf.data(), n), peer->client,
                                   asio::redirect_error(use_awaitable, ec));
  }
}

awaitable<void> udp_serve(asio::io_context& io, std::shared_ptr<UdpRelay> r) {
  std::array<char, 65536> buf;
  for (;;) {
    udp::endpoint from;
    boost::system::error_code ec;
    std::size_t n = co_await r->down.async_receive_from(asio::buffer(buf), from,
                                                        asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      continue;
    }
    auto& peer = r->peers[from];
    if (!peer) {
      peer = std::make_shared<UdpPeer>(io, from);
      peer->up.connect(r->target, ec);
      if (ec) {
        log_line(fmt::format("udp connect {}:{}: {}", r->target.address().to_string(),
                             r->target.port(), ec.message()));
        r->peers.erase(from);
        continue;
      }
      asio::co_spawn(io, udp_back(r, peer), asio::detached);
    }
    peer->last = std::chrono::steady_clock::now();
    co_await peer->up.async_send(asio::buffer(buf.data(), n),
                                 asio::redirect_error(use_awaitable, ec));
  }
}

awaitable<void> udp_sweep(asio::io_context& io, std::vector<std::shared_ptr<UdpRelay>> relays) {
  asio::steady_timer t(io);
  for (;;) {
    t.expires_after(std::chrono::seconds(30));
    boost::system::error_code ec;
    co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    const auto now = std::chrono::steady_clock::now();
    for (auto& r : relays)
      for (auto it = r->peers.begin(); it != r->peers.end();) {
        if (now - it->second->last > std::chrono::seconds(60)) {
          it->second->up.close(ec);
          it = r->peers.erase(it);
        } else {
          ++it;
        }
      }
  }
}

void write_all(int fd, const std::string& s) {
  const char* p = s.data();
  std::size_t left = s.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace

int run_forwarder(const fs::path& project, int ready_fd) {
  const auto rules = read_rules(project);
  asio::io_context io;
  std::vector<std::shared_ptr<UdpRelay>> udp_relays;
  auto fail = [&](const std::string& msg) {
    log_line("error: " + msg);
    write_all(ready_fd, "error: " + msg + "\n");
    ::close(ready_fd);
    return 1;
  };
  if (rules.empty()) return fail("no forwards in " + rules_file(project).string());
  std::vector<std::shared_ptr<tcp::acceptor>> acceptors;
  for (const auto& r : rules) {
    boost::system::error_code ec;
    auto bind_addr = asio::ip::make_address_v4(r.bind_ip, ec);
    boost::system::error_code ec2;
    auto target_addr = asio::ip::make_address_v4(r.target_ip, ec2);
    if (ec || ec2) return fail(fmt::format("{}: bad address", describe(r)));
    if (r.protocol == "tcp") {
      auto acc = std::make_shared<tcp::acceptor>(io);
      tcp::endpoint ep(bind_addr, static_cast<unsigned short>(r.bind_port));
      acc->open(ep.protocol(), ec);
      if (!ec) acc->set_option(tcp::acceptor::reuse_address(true), ec);
      if (!ec) acc->bind(ep, ec);
      if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
      if (ec)
        return fail(fmt::format("{}:{}/tcp: {}{}", r.bind_ip, r.bind_port, ec.message(), [&] {
          std::string h = port_holder(r.bind_port, "tcp");
          return h.empty() ? "" : " (held by " + h + ")";
        }()));
      asio::co_spawn(
          io,
          tcp_accept(io, acc,
                     tcp::endpoint(target_addr, static_cast<unsigned short>(r.target_port))),
          asio::detached);
      acceptors.push_back(acc);
    } else {
      auto relay = std::make_shared<UdpRelay>(io);
      udp::endpoint ep(bind_addr, static_cast<unsigned short>(r.bind_port));
      relay->target = udp::endpoint(target_addr, static_cast<unsigned short>(r.target_port));
      relay->down.open(ep.protocol(), ec);
      if (!ec) relay->down.bind(ep, ec);
      if (ec) return fail(fmt::format("{}:{}/udp: {}", r.bind_ip, r.bind_port, ec.message()));
      asio::co_spawn(io, udp_serve(io, relay), asio::detached);
      udp_relays.push_back(relay);
    }
    log_line("forwarding " + describe(r) + " (" + r.target_ip + ")");
  }
  if (!udp_relays.empty()) asio::co_spawn(io, udp_sweep(io, udp_relays), asio::detached);
  try {
    state::write_file_atomic(pid_file(project), std::to_string(::getpid()) + "\n", 0644);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  write_all(ready_fd, "ok\n");
  ::close(ready_fd);
  asio::signal_set stop(io, SIGTERM, SIGINT, SIGHUP);
  stop.async_wait([&](const boost::system::error_code&, int sig) {
    log_line(fmt::format("signal {}: stopping", sig));
    io.stop();
  });
  ::signal(SIGPIPE, SIG_IGN);
  io.run();
  // The pid file is ours only while it names us (a successor may have written its own).
  if (auto text = host::read_text(pid_file(project));
      text && text->rfind(std::to_string(::getpid()) + "\n", 0) == 0) {
    std::error_code ec;
    fs::remove(pid_file(project), ec);
  }
  return 0;
}

}  // namespace vmlab::executor
