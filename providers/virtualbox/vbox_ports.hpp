#pragma once
// Host ports for the SSH port forward (127.0.0.1:PORT -> guest 22).
#include <mutex>
#include <set>

namespace vmlab::vbox {

// True when a TCP socket can bind 127.0.0.1:port right now.
bool port_bindable(int port);

// Hands out distinct free ports from [first, last]: never one handed out before by this
// allocator or reserved, and only ports that bind on 127.0.0.1. Thread-safe.
class PortAllocator {
 public:
  PortAllocator(int first = 2200, int last = 2999) : first_(first), last_(last) {}
  void reserve(int port);
  // The next free port; 0 when the range is exhausted.
  int allocate();

 private:
  int first_, last_;
  std::mutex mu_;
  std::set<int> used_;
};

}  // namespace vmlab::vbox
