#include <doctest/doctest.h>

#include "communicator/command.hpp"
#include "communicator/failure.hpp"
#include "communicator/ssh_target.hpp"
#include "core/error.hpp"

using namespace vmlab::communicator;

TEST_CASE("shell_quote") {
  CHECK(shell_quote("abc") == "'abc'");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  CHECK(shell_quote("") == "''");
}

TEST_CASE("compose_command: env prefix, sudo wrapping unless root") {
  ExecOptions o;
  CHECK(compose_command("uname -a", o, "vmlab") == "uname -a");
  o.sudo = true;
  CHECK(compose_command("echo 'hi'", o, "vmlab") == "sudo -n -E -- sh -c 'echo '\\''hi'\\'''");
  CHECK(compose_command("echo hi", o, "root") == "echo hi");
  o.env = {{"A", "1"}, {"B", "x y"}};
  CHECK(compose_command("env", o, "vmlab") ==
        "export A='1'; export B='x y'; sudo -n -E -- sh -c 'env'");
  o.env = {{"1BAD", "x"}};
  CHECK_THROWS_AS(compose_command("env", o, "vmlab"), vmlab::SshError);
}

TEST_CASE("display_command redacts secrets") {
  ExecOptions o;
  o.env = {{"TOKEN", "s3cr3t"}, {"USER_NAME", "bob"}};
  o.secret_env = {"TOKEN"};
  CHECK(display_command("login", o, "vmlab") == "export TOKEN='***'; export USER_NAME='bob'; login");
  o.secret = true;
  o.sudo = true;
  CHECK(display_command("kubeadm join --token abc", o, "vmlab") ==
        "export TOKEN='***'; export USER_NAME='bob'; sudo -n -E -- sh -c <secret command>");
}

TEST_CASE("LineSplitter splits, strips CR, flushes the tail") {
  std::vector<std::string> lines;
  LineSplitter s([&](std::string_view l) { lines.emplace_back(l); });
  s.feed("a\r\nb");
  s.feed("c\n\nd");
  CHECK(lines == std::vector<std::string>{"a", "bc", ""});
  s.flush();
  CHECK(lines.back() == "d");
  s.flush();
  CHECK(lines.size() == 4);
}

TEST_CASE("failure texts") {
  SshTarget t{"127.0.0.1", 2201, "vmlab", "/p/.vmlab/keys/id_ed25519", "", "m-k8s"};
  CHECK(describe(t) == "m-k8s (127.0.0.1:2201)");
  SshTarget anon = t;
  anon.label = "";
  CHECK(describe(anon) == "127.0.0.1:2201");
  CHECK(msg::connection_refused(t) == "cannot connect to m-k8s (127.0.0.1:2201): connection refused");
  CHECK(msg::connect_timeout(t, 3) == "cannot connect to m-k8s (127.0.0.1:2201): timed out after 3s");
  CHECK(msg::auth_failed(t) ==
        "authentication failed for m-k8s (127.0.0.1:2201): user vmlab with key "
        "/p/.vmlab/keys/id_ed25519 was refused");
  CHECK(msg::host_key_mismatch(t, "SHA256:aaa", "SHA256:bbb") ==
        "host key mismatch for m-k8s (127.0.0.1:2201): expected SHA256:aaa, got SHA256:bbb");
  CHECK(msg::channel_failed(t, "exec request failed: x") ==
        "cannot run a command on m-k8s (127.0.0.1:2201): exec request failed: x");
  CHECK(msg::sftp_failed(t, "cannot open for writing", "/etc/x", sftp_status_name(3)) ==
        "SFTP upload to m-k8s (127.0.0.1:2201) failed: cannot open for writing /etc/x: "
        "PERMISSION_DENIED");
  CHECK(msg::not_ready(t, 240, FailureKind::AuthFailed, "x") ==
        "m-k8s (127.0.0.1:2201) not reachable over SSH within 240s; last failure (authentication "
        "failed): x");
  CHECK(sftp_status_name(2) == "NO_SUCH_FILE");
  CHECK(sftp_status_name(99) == "status 99");
  CHECK_FALSE(is_retriable(FailureKind::HostKeyMismatch));
  CHECK(is_retriable(FailureKind::ConnectionRefused));
}
