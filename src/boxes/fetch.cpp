// Box downloads with libcurl: one easy handle per transfer (RAII), the response written to
// sha256-<hex>.part and hashed as it arrives, continued with a Range request when a part is
// there, renamed to sha256-<hex> only once the digest matched.
#include "boxes/fetch.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>

#include "boxes/meter.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/sha256.hpp"
#include "state/filenames.hpp"

namespace vmlab::boxes {
namespace fs = std::filesystem;

const char* const kSha256Rule = "expected 64 hex digits (optionally prefixed \"sha256:\")";

std::string normalize_sha256(std::string_view t) {
  if (t.size() > 7 && std::equal(t.begin(), t.begin() + 7, "sha256:", [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == b;
      }))
    t.remove_prefix(7);
  if (t.size() != 64) return "";
  std::string out;
  for (char c : t) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return "";
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool is_box_url(std::string_view t) {
  for (std::string_view s : {"http://", "https://", "file://"})
    if (t.size() > s.size() && t.substr(0, s.size()) == s) return true;
  return false;
}

fs::path download_path(const std::string& sha256) {
  return filenames::downloads_dir() / ("sha256-" + sha256);
}

namespace {

using Clock = std::chrono::steady_clock;

// An open file descriptor, closed at scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Exclusive flock on a file for a scope: one download per digest at a time on this host.
class FileLock {
 public:
  explicit FileLock(const fs::path& p)
      : fd_(::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_.get() < 0)
      throw Error(fmt::format("cannot open {}: {}", p.string(), std::strerror(errno)));
    while (::flock(fd_.get(), LOCK_EX) != 0)
      if (errno != EINTR)
        throw Error(fmt::format("cannot lock {}: {}", p.string(), std::strerror(errno)));
  }

 private:
  Fd fd_;
};

void curl_init_once() {
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK) throw Error(fmt::format("libcurl: {}", curl_easy_strerror(rc)));
}

using Easy = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;

// SHA-256 of the first bytes of a part, to continue hashing where it ends.
util::Sha256 hash_prefix(const fs::path& p, std::uint64_t& size) {
  util::Sha256 h;
  size = 0;
  std::ifstream in(p, std::ios::binary);
  char buf[1 << 16];
  while (in) {
    in.read(buf, sizeof buf);
    h.update(buf, static_cast<std::size_t>(in.gcount()));
    size += static_cast<std::uint64_t>(in.gcount());
  }
  return h;
}

// One transfer into the part file.
struct Transfer {
  CURL* curl = nullptr;
  int fd = -1;
  util::Sha256 hash;
  FetchProgress prog;
  bool decided = false;     // the first body byte was seen (status known)
  std::string status_line;  // last "HTTP/1.1 404 Not Found" seen
  std::string write_error;
  const FetchOptions* opts = nullptr;
  Clock::time_point last_report{};
  bool aborted = false;

  bool report(bool force) {
    if (!opts->progress) return true;
    const auto now = Clock::now();
    if (!force && now - last_report < std::chrono::milliseconds(250)) return true;
    last_report = now;
    if (!opts->progress(prog)) return aborted = true, false;
    return true;
  }
};

size_t on_header(char* p, size_t size, size_t n, void* ud) {
  auto& t = *static_cast<Transfer*>(ud);
  std::string_view line(p, size * n);
  if (line.substr(0, 5) == "HTTP/") {
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
    t.status_line = std::string(line);
  }
  return size * n;
}

size_t on_body(char* p, size_t size, size_t n, void* ud) {
  auto& t = *static_cast<Transfer*>(ud);
  const size_t len = size * n;
  if (!t.decided) {
    t.decided = true;
    long code = 0;
    curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &code);
    if (t.prog.done > 0 && code == 200) {  // the server ignored the range: start over
      log::info("boxes", "the server sent the whole file again; discarding {} bytes of part",
                t.prog.done);
      if (::ftruncate(t.fd, 0) != 0 || ::lseek(t.fd, 0, SEEK_SET) != 0) {
        t.write_error = std::strerror(errno);
        return 0;
      }
      t.hash = util::Sha256();
      t.prog.done = t.prog.resumed_from = 0;
    }
  }
  for (size_t off = 0; off < len;) {
    const ssize_t w = ::write(t.fd, p + off, len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      t.write_error = std::strerror(errno);
      return 0;
    }
    off += static_cast<size_t>(w);
  }
  t.hash.update(p, len);
  t.prog.done += len;
  return len;
}

int on_progress(void* ud, curl_off_t dltotal, curl_off_t, curl_off_t, curl_off_t) {
  auto& t = *static_cast<Transfer*>(ud);
  if (dltotal > 0) t.prog.total = t.prog.resumed_from + static_cast<std::uint64_t>(dltotal);
  return t.report(false) ? 0 : 1;
}

enum class Outcome { Done, RangeNotSatisfiable };

// One attempt: appends to the part from its current end. Throws Error on failure.
Outcome transfer(const std::string& url, const fs::path& part, util::Sha256& hash,
                 std::uint64_t& size, const FetchOptions& opts) {
  Fd fd(::open(part.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (fd.get() < 0)
    throw Error(fmt::format("cannot write {}: {}", part.string(), std::strerror(errno)));
  Easy easy(curl_easy_init(), &curl_easy_cleanup);
  if (!easy) throw Error("libcurl: cannot create a transfer");
  CURL* c = easy.get();
  Transfer t;
  t.curl = c;
  t.fd = fd.get();
  t.hash = hash;
  t.prog.done = t.prog.resumed_from = size;
  t.opts = &opts;
  char errbuf[CURL_ERROR_SIZE] = {};
  const std::string range = fmt::format("{}-", size);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "vmlab/" VMLAB_VERSION);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, opts.connect_timeout_s);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, opts.stall_timeout_s);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  if (size > 0) curl_easy_setopt(c, CURLOPT_RANGE, range.c_str());
  log::debug("boxes", "GET {}{}", url, size > 0 ? fmt::format(" (Range: bytes={})", range) : "");

  const CURLcode rc = curl_easy_perform(c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  hash = t.hash;
  size = t.prog.done;
  if (rc == CURLE_OK) {
    if (t.prog.total == 0) t.prog.total = t.prog.done;
    if (::fsync(fd.get()) != 0)
      throw Error(fmt::format("cannot write {}: {}", part.string(), std::strerror(errno)));
    t.report(true);
    return Outcome::Done;
  }
  const std::string what = errbuf[0] ? errbuf : curl_easy_strerror(rc);
  log::debug("boxes", "{}: curl error {} ({}), HTTP {}", url, static_cast<int>(rc), what, code);
  if (rc == CURLE_HTTP_RETURNED_ERROR && code == 416 && t.prog.resumed_from > 0)
    return Outcome::RangeNotSatisfiable;
  if (rc == CURLE_HTTP_RETURNED_ERROR) {
    std::string status = t.status_line;
    if (auto sp = status.find(' '); sp != std::string::npos) status = status.substr(sp + 1);
    throw Error(fmt::format("cannot download {}: HTTP {}", url,
                            status.empty() ? std::to_string(code) : status));
  }
  if (rc == CURLE_WRITE_ERROR && !t.write_error.empty())
    throw Error(fmt::format("cannot write {}: {}", part.string(), t.write_error));
  const std::string kept =
      size > 0
          ? fmt::format("; the {} that arrived are kept, and the next try continues from there",
                        byte_count(size))
          : "";
  if (rc == CURLE_ABORTED_BY_CALLBACK || t.aborted) throw Interrupted();
  if (rc == CURLE_PARTIAL_FILE)
    throw Error(fmt::format("cannot download {}: the connection closed after {} of {}{}", url,
                            byte_count(size), byte_count(t.prog.total), kept));
  throw Error(fmt::format("cannot download {}: {}{}", url, what, kept));
}

// The digest of a file against the expected one; deletes the file when it differs.
void verify_or_delete(const fs::path& file, const std::string& url, const std::string& want,
                      const std::string& got, std::uint64_t size) {
  if (got == want) return;
  std::error_code ec;
  fs::remove(file, ec);
  throw Error(
      fmt::format("the download of {} does not match its sha256: expected {}, got {} ({} "
                  "received); it was deleted and nothing was installed",
                  url, want, got, byte_count(size)));
}

}  // namespace

fs::path fetch_verified(const std::string& url, const std::string& sha256_text,
                        const FetchOptions& opts) {
  const std::string want = normalize_sha256(sha256_text);
  if (want.empty())
    throw UsageError(fmt::format("invalid sha256 \"{}\": {}", sha256_text, kSha256Rule));
  if (!is_box_url(url))
    throw UsageError(fmt::format("invalid URL \"{}\": expected http://, https:// or file://", url));
  curl_init_once();
  const fs::path dir = filenames::downloads_dir();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  const fs::path done = download_path(want);
  const fs::path part = done.string() + ".part";
  FileLock lock(done.string() + ".lock");

  if (fs::exists(done)) {  // verified once; checked again before it is used
    std::uint64_t size = 0;
    auto h = hash_prefix(done, size);
    if (util::to_hex(h.finish()) == want) {
      log::info("boxes", "{}: using the verified download {}", url, done.string());
      return done;
    }
    log::warn("boxes", "{} does not match its name any more; downloading again", done.string());
    fs::remove(done, ec);
  }
  std::uint64_t size = 0;
  util::Sha256 hash = hash_prefix(part, size);  // an empty hash of nothing without a part
  if (size > 0) log::info("boxes", "{}: continuing a download at {} bytes", url, size);
  for (int attempt = 0;; ++attempt) {
    Outcome o;
    try {
      o = transfer(url, part, hash, size, opts);
    } catch (...) {
      if (size == 0) fs::remove(part, ec);  // nothing arrived: no part to continue
      throw;
    }
    if (o == Outcome::Done) break;
    // 416: the part is as long as the file (or longer): it is complete, or it is not this file.
    util::Sha256 copy = hash;
    if (util::to_hex(copy.finish()) == want) break;
    fs::remove(part, ec);
    if (attempt > 0) throw Error(fmt::format("cannot download {}: the server refuses ranges", url));
    hash = util::Sha256();
    size = 0;
  }
  verify_or_delete(part, url, want, util::to_hex(hash.finish()), size);
  fs::rename(part, done, ec);
  if (ec) throw Error(fmt::format("cannot rename {}: {}", part.string(), ec.message()));
  log::info("boxes", "{}: {} bytes, sha256 {} verified", url, size, want);
  return done;
}

}  // namespace vmlab::boxes
