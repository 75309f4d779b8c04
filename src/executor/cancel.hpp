#pragma once
// Ctrl-C handling for long commands: the first SIGINT/SIGTERM sets a flag that workers check
// at safe points (between machine operations, between SSH attempts, between steps), so the
// state record stays consistent and the next `up` finishes the job. Child processes run in
// their own process groups (core/children.hpp), so the terminal's Ctrl-C does not reach them:
// a running tool finishes and the safe point follows. A second signal stops at once: the
// children are sent SIGTERM and vmlab exits 130; the state record is written atomically, so
// the next `up` finishes what was cut short and `destroy` removes it.
// `vmlab ci` escalates instead of exiting (AbortPolicy::Escalate): the second signal kills
// the children (its command) and sets hard_abort(), the teardown still runs; a third exits.
namespace vmlab::executor {

enum class AbortPolicy { Exit, Escalate };

// Installs the handlers (idempotent).
void install_cancel_handlers();
void set_abort_policy(AbortPolicy p);
bool cancelled();
// A second signal arrived (AbortPolicy::Escalate): do only what must be done (teardown).
bool hard_abort();
// The first signal that arrived (SIGINT, SIGTERM), 0 if none or only request_cancel().
int cancel_signal();
// What the first Ctrl-C does, without the message (tests; a caller that wants to stop).
void request_cancel();
// Forgets a request (tests run several commands in one process).
void reset_cancel();
// Throws vmlab::Interrupted if cancelled().
void check_cancel();

}  // namespace vmlab::executor
