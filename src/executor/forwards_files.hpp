#pragma once
// What the lab's port forwarder and the `up` that starts it share (executor/forwards.hpp):
// its files in .vmlab/. Only forwards.cpp and forward_relay.cpp include this.
#include <filesystem>
#include <vector>

#include "executor/forwards.hpp"

namespace vmlab::executor::forward_files {

std::filesystem::path rules_file(const std::filesystem::path& project);  // forwards.json
std::filesystem::path pid_file(const std::filesystem::path& project);    // forwarder.pid
// The rules in forwards.json; empty when it is missing or unreadable.
std::vector<ForwardRule> read_rules(const std::filesystem::path& project);

}  // namespace vmlab::executor::forward_files
