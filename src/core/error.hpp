#pragma once
// Error policy (two sentences): below the provider/SSH boundary, functions return result
// values (vmlab::Result); above it, failures are exceptions derived from vmlab::Error, caught
// once in main(), printed as "vmlab: error: ..." and mapped to an exit code.
#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <variant>

namespace vmlab {

enum class ExitCode : int { Ok = 0, Failure = 1, Usage = 2, Interrupted = 130 };

// Base of every user-visible failure. what() is the complete message, without the
// "vmlab: error: " prefix that main() adds.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg, ExitCode code = ExitCode::Failure)
      : std::runtime_error(msg), code_(code) {}
  template <typename... Args>
  explicit Error(fmt::format_string<Args...> f, Args&&... args)
      : std::runtime_error(fmt::format(f, std::forward<Args>(args)...)), code_(ExitCode::Failure) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

// Bad input or usage: exit code 2, nothing was created.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& msg) : Error(msg, ExitCode::Usage) {}
};

// A provider (hypervisor) operation failed.
class ProviderError : public Error {
 public:
  using Error::Error;
};

// An SSH connection, command or transfer failed.
class SshError : public Error {
 public:
  using Error::Error;
};

// The user pressed Ctrl-C (or SIGTERM arrived); work stopped at a safe point.
class Interrupted : public Error {
 public:
  Interrupted() : Error("interrupted", ExitCode::Interrupted) {}
};

// Result value used below the provider/SSH boundary: either a T or an error message.
// [[nodiscard]]: dropping one would drop its error; check it, or pass it on.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T v) : v_(std::move(v)) {}  // NOLINT(google-explicit-constructor)
  static Result failure(std::string msg) { return Result(Fail{std::move(msg)}); }
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  const std::string& error() const { return std::get<1>(v_).msg; }
  // Converts to the exception world at the boundary.
  template <typename E = Error>
  T& value_or_throw() {
    if (!ok()) throw E(error());
    return value();
  }

 private:
  struct Fail {
    std::string msg;
  };
  explicit Result(Fail f) : v_(std::move(f)) {}
  std::variant<T, Fail> v_;
};

struct Unit {};
using Status = Result<Unit>;
inline Status ok_status() { return Unit{}; }

}  // namespace vmlab
