#include "communicator/ssh_pool.hpp"

#include "communicator/command.hpp"
#include "communicator/detail/run.hpp"
#include "core/error.hpp"

namespace vmlab::communicator {
namespace {

using detail::Task;
using Clock = std::chrono::steady_clock;

Task<void> run_job(boost::asio::io_context& io, const Job& job, JobResult& res) {
  const auto start = Clock::now();
  ExecOptions opts = job.options;
  opts.on_stdout_line = [&res, &job](std::string_view l) {
    res.lines.push_back({false, std::string(l)});
    if (job.options.on_stdout_line) job.options.on_stdout_line(l);
  };
  opts.on_stderr_line = [&res, &job](std::string_view l) {
    res.lines.push_back({true, std::string(l)});
    if (job.options.on_stderr_line) job.options.on_stderr_line(l);
  };
  std::string wire, shown;
  try {
    wire = compose_command(job.command, job.options, job.target.user);
    shown = display_command(job.command, job.options, job.target.user);
  } catch (const Error& e) {
    res.error = e.what();
    co_return;
  }
  detail::AsyncSession s(io, job.target);
  if (auto f = co_await s.connect(job.connect_timeout)) {
    res.error = f->message;
  } else {
    auto r = co_await s.exec(std::move(wire), std::move(shown), std::move(opts));
    if (r.ok()) {
      res.ok = true;
      res.exit_status = *r.value;
    } else {
      res.error = r.failure.message;
    }
    co_await s.disconnect();
  }
  res.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

// A worker takes the next job until none is left (bounded parallelism without a semaphore).
Task<void> worker(boost::asio::io_context& io, const std::vector<Job>& jobs,
                  std::vector<JobResult>& results, std::size_t& next) {
  while (next < jobs.size()) {
    std::size_t i = next++;
    co_await run_job(io, jobs[i], results[i]);
  }
}

}  // namespace

std::vector<JobResult> run_parallel(const std::vector<Job>& jobs, std::size_t max_parallel) {
  std::vector<JobResult> results(jobs.size());
  boost::asio::io_context io;
  std::size_t next = 0;
  std::size_t workers = max_parallel == 0 ? jobs.size() : std::min(max_parallel, jobs.size());
  std::exception_ptr error;
  for (std::size_t w = 0; w < workers; ++w)
    boost::asio::co_spawn(io, worker(io, jobs, results, next), [&](std::exception_ptr e) {
      if (e && !error) error = e;
    });
  io.run();
  if (error) std::rethrow_exception(error);  // only a throwing user callback gets here
  return results;
}

std::vector<ReadyResult> wait_ready_all(const std::vector<SshTarget>& targets,
                                        Clock::time_point deadline, const AttemptFn& on_attempt) {
  std::vector<ReadyResult> results(targets.size());
  boost::asio::io_context io;
  std::exception_ptr error;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    auto one = [](boost::asio::io_context& ctx, SshTarget t, Clock::time_point d, AttemptFn fn,
                  ReadyResult& res) -> Task<void> {
      auto r = co_await detail::wait_ready_async(ctx, std::move(t), d, std::move(fn));
      if (r.ok()) {
        res.ok = true;
        co_await (*r.value)->disconnect();
      } else {
        res.error = r.failure.message;
      }
    };
    boost::asio::co_spawn(io, one(io, targets[i], deadline, on_attempt, results[i]),
                          [&](std::exception_ptr e) {
                            if (e && !error) error = e;
                          });
  }
  io.run();
  if (error) std::rethrow_exception(error);
  return results;
}

}  // namespace vmlab::communicator
