// The docker provisioner's pure parts: the probe's parser, daemon.json merging, the digests
// that decide whether an image or container is current, and the docker run command line.
#include <doctest/doctest.h>

#include "communicator/digest.hpp"
#include "core/error.hpp"
#include "provisioners/docker/docker.hpp"
#include "testutil.hpp"

using namespace vmlab;
using namespace vmlab::provisioners;

TEST_CASE("the docker probe's output is parsed part by part") {
  const std::string daemon = communicator::base64_encode("{\"debug\": true}\n");
  const auto g = parse_docker_probe(
      "os Debian GNU/Linux 12 (bookworm)\napt\nnopkg apparmor\ndaemon " + daemon +
      "\ncached abc\nengine 20.10.24+dfsg1\nuser vmlab\n"
      "image sha256:11 [\"lab/web:1\",\"node1:5000/lab/web:1\"] {\"vmlab.source\":\"s1\"}\n"
      "image sha256:22 [\"lab/base:1\"] null\n"
      "container /web true sha256:11 {\"vmlab.spec\":\"p1\",\"x\":\"y z\"}\n"
      "container /old false sha256:33 null\nloaded ffee\n");
  CHECK(g.os == "Debian GNU/Linux 12 (bookworm)");
  CHECK(g.apt);
  CHECK(g.missing_packages == std::set<std::string>{"apparmor"});
  CHECK(g.has_daemon_file);
  CHECK(g.daemon_file == "{\"debug\": true}\n");
  CHECK(g.engine == "20.10.24+dfsg1");
  CHECK(g.users.count("vmlab"));
  CHECK(g.images.at("lab/web:1").id == "sha256:11");
  CHECK(g.images.at("lab/web:1").source == "s1");
  CHECK(g.images.at("lab/base:1").source == "");
  CHECK(g.images.at("node1:5000/lab/web:1").id == "sha256:11");
  CHECK(image_key("debian") == "debian:latest");
  CHECK(image_key("docker.io/library/debian:12") == "debian:12");
  CHECK(image_key("node1:5000/lab/web") == "node1:5000/lab/web:latest");
  CHECK(image_key("node1:5000/lab/web:1") == "node1:5000/lab/web:1");
  CHECK(g.containers.at("web").running);
  CHECK(g.containers.at("web").spec == "p1");
  CHECK_FALSE(g.containers.at("old").running);
  CHECK(g.loaded.count("ffee"));
  CHECK(g.cached.count("abc"));
  CHECK(parse_docker_probe("os Alpine Linux v3.19\n").apt == false);
}

TEST_CASE("daemon.json: merged with what is there, unchanged means nothing to write") {
  CHECK(merged_daemon_json("", "{\"debug\":true}") == "{\n  \"debug\": true\n}\n");
  CHECK(merged_daemon_json("{\"debug\": true}", "{\"debug\":true}") == "");
  CHECK(merged_daemon_json("{\"a\": 1, \"debug\": false}", "{\"debug\":true}") ==
        "{\n  \"a\": 1,\n  \"debug\": true\n}\n");
  CHECK_THROWS_WITH_AS(merged_daemon_json("{oops", "{}"),
                       doctest::Contains("/etc/docker/daemon.json in the guest is not valid JSON"),
                       Error);
}

TEST_CASE("a container's spec changes with its arguments, not with another container's") {
  DockerRun a{"web", "lab/web:1", {"-p", "80:8080"}, {}, "unless-stopped", {}, ""};
  DockerRun b = a;
  b.args = {"-p", "81:8080"};
  CHECK(run_spec(a) != run_spec(b));
  DockerRun c = a;
  c.args = {"-p 80:8080"};  // field boundaries count
  CHECK(run_spec(a) != run_spec(c));
  CHECK(run_spec(a) == run_spec(DockerRun(a)));
  CHECK(run_command(a, "S") ==
        "docker run -d --name 'web' --restart 'unless-stopped' --label vmlab.spec=S '-p' "
        "'80:8080' 'lab/web:1'");
  a.command = {"httpd", "-f"};
  CHECK(run_command(a, "S").find("'lab/web:1' 'httpd' '-f'") != std::string::npos);
}

TEST_CASE("a build context's digest covers names and contents; an import's its changes") {
  test::TempDir dir;
  dir.write("ctx/Dockerfile", "FROM a\n");
  const std::string one = context_sha(dir / "ctx");
  CHECK(one.size() == 64);
  dir.write("ctx/index.html", "hi");
  const std::string two = context_sha(dir / "ctx");
  CHECK(two != one);
  dir.write("ctx/index.html", "ho");
  CHECK(context_sha(dir / "ctx") != two);
  DockerBuild b{"x", dir / "ctx", "", {}};
  DockerBuild b2 = b;
  b2.args = {{"V", "2"}};
  CHECK(build_source(b, one) != build_source(b2, one));
  DockerImport im{"x", "r.tar", {}};
  DockerImport im2{"x", "r.tar", {"CMD [\"sh\"]"}};
  CHECK(import_source(im, "h") != import_source(im2, "h"));
}

TEST_CASE(
    "the probe script asks for each package, user, image and container; the install needs apt") {
  const std::string s =
      docker_probe_script(engine_packages("docker.io"), {"vmlab"}, {"lab/web:1"}, {"web"});
  CHECK(s.find("for p in 'docker.io' 'apparmor'") != std::string::npos);
  CHECK(s.find("for u in 'vmlab'") != std::string::npos);
  CHECK(s.find("{{json .Config.Labels}}' 'lab/web:1' \\\n") != std::string::npos);
  CHECK(s.find("{{json .Config.Labels}}' 'web' \\\n") != std::string::npos);
  CHECK(engine_install_script("docker.io")
            .find("install --no-install-recommends 'docker.io' 'apparmor'") != std::string::npos);
  CHECK(engine_install_script("docker-ce").find("download.docker.com") != std::string::npos);
}
