#pragma once
// Ctrl-C handling for long commands: the first SIGINT/SIGTERM sets a flag that workers check
// at safe points (between machine operations, between SSH attempts, between steps), so the
// state record stays consistent and the next `up` finishes the job. A second SIGINT exits at
// once (exit code 130).
namespace vmlab::executor {

// Installs the handlers (idempotent).
void install_cancel_handlers();
bool cancelled();
// What the first Ctrl-C does, without the message (tests; a caller that wants to stop).
void request_cancel();
// Forgets a request (tests run several commands in one process).
void reset_cancel();
// Throws vmlab::Interrupted if cancelled().
void check_cancel();

}  // namespace vmlab::executor
