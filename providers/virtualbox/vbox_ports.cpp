#include "providers/virtualbox/vbox_ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace vmlab::vbox {

bool port_bindable(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

void PortAllocator::reserve(int port) {
  std::lock_guard lock(mu_);
  used_.insert(port);
}

int PortAllocator::allocate() {
  std::lock_guard lock(mu_);
  for (int p = first_; p <= last_; ++p) {
    if (used_.count(p) || !port_bindable(p)) continue;
    used_.insert(p);
    return p;
  }
  return 0;
}

}  // namespace vmlab::vbox
