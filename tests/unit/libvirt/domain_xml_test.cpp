// Domain XML text and the metadata read back from it.
#include "providers/libvirt/domain_xml.hpp"

#include <doctest/doctest.h>

#include "providers/libvirt/xml.hpp"

using namespace vmlab::providers::libvirt;

namespace {

DomainDef kernel_boot_node() {
  DomainDef d;
  d.name = "vmlab-k8s-a1b2c3-m-k8s";
  d.type = "qemu";
  d.lab_id = "k8s-a1b2c3";
  d.node = "m-k8s";
  d.vcpus = 2;
  d.memory_mib = 3072;
  d.kernel = "/var/lib/libvirt/images/vmlab/box-tiny-0a1b2c3d-kernel";
  d.initrd = "/var/lib/libvirt/images/vmlab/box-tiny-0a1b2c3d-initrd";
  d.cmdline = "console=ttyS0 root=/dev/vda quiet";
  d.pool = "vmlab";
  d.disk_volume = "vmlab-k8s-a1b2c3-m-k8s.qcow2";
  d.seed_volume = "vmlab-k8s-a1b2c3-m-k8s-seed.iso";
  d.disk_cache = "writeback";
  d.nics = {{"52:54:00:aa:bb:01", "vmlab-k8s-a1b2c3-mgmt"},
            {"52:54:00:aa:bb:02", "vmlab-k8s-a1b2c3-lab"}};
  d.console_log = "/var/log/libvirt/qemu/vmlab-k8s-a1b2c3-m-k8s-console.log";
  d.ssh_host = "10.251.7.10";
  return d;
}

bool has(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("domain XML: TCG, q35, kernel boot, overlay, seed cdrom, two NICs, console log") {
  auto x = domain_xml(kernel_boot_node());
  CHECK(x.rfind("<domain type='qemu'>\n  <name>vmlab-k8s-a1b2c3-m-k8s</name>\n", 0) == 0);
  CHECK(has(x, "<memory unit='MiB'>3072</memory>\n  <vcpu>2</vcpu>\n"));
  CHECK(has(x, "<type arch='x86_64' machine='q35'>hvm</type>"));
  CHECK(has(x, "<kernel>/var/lib/libvirt/images/vmlab/box-tiny-0a1b2c3d-kernel</kernel>"));
  CHECK(has(x, "<initrd>/var/lib/libvirt/images/vmlab/box-tiny-0a1b2c3d-initrd</initrd>"));
  CHECK(has(x, "<cmdline>console=ttyS0 root=/dev/vda quiet</cmdline>"));
  CHECK_FALSE(has(x, "<boot dev="));
  CHECK(has(x, "<cpu mode='maximum'/>"));
  CHECK(has(x,
            "<driver name='qemu' type='qcow2' cache='writeback' discard='unmap'/>\n"
            "      <source pool='vmlab' volume='vmlab-k8s-a1b2c3-m-k8s.qcow2'/>\n"
            "      <target dev='vda' bus='virtio'/>"));
  CHECK(has(x,
            "<disk type='volume' device='cdrom'>\n      <driver name='qemu' type='raw'/>\n"
            "      <source pool='vmlab' volume='vmlab-k8s-a1b2c3-m-k8s-seed.iso'/>\n"
            "      <target dev='sda' bus='sata'/>\n      <readonly/>"));
  auto mgmt =
      x.find("<mac address='52:54:00:aa:bb:01'/>\n      <source network='vmlab-k8s-a1b2c3-mgmt'/>");
  auto lab =
      x.find("<mac address='52:54:00:aa:bb:02'/>\n      <source network='vmlab-k8s-a1b2c3-lab'/>");
  REQUIRE(mgmt != std::string::npos);
  REQUIRE(lab != std::string::npos);
  CHECK(mgmt < lab);  // management NIC first
  CHECK(xml::elements(x, "model").size() == 2);
  CHECK(has(x,
            "<log file='/var/log/libvirt/qemu/vmlab-k8s-a1b2c3-m-k8s-console.log' append='off'/>"));
  CHECK(has(x, "<console type='pty'>"));
  CHECK(has(x, "<rng model='virtio'>"));
  CHECK(has(x, "<memballoon model='none'/>"));
  CHECK(has(x, "<on_poweroff>destroy</on_poweroff>"));
  CHECK(has(x, "<vmlab:machine xmlns:vmlab='https://vmlab.dev/xmlns/libvirt/1'>"));
}

TEST_CASE("domain XML: KVM uses host-passthrough; no kernel boots from disk") {
  auto d = kernel_boot_node();
  d.type = "kvm";
  d.kernel.clear();
  d.initrd.clear();
  auto x = domain_xml(d);
  CHECK(x.rfind("<domain type='kvm'>", 0) == 0);
  CHECK(has(x, "<cpu mode='host-passthrough'/>"));
  CHECK(has(x, "<boot dev='hd'/>"));
  CHECK_FALSE(has(x, "<kernel>"));
}

TEST_CASE("domain XML: a disk-booting box without seed (Vagrant) has no cmdline and no cdrom") {
  auto d = kernel_boot_node();
  d.kernel.clear();
  d.initrd.clear();
  d.cmdline = "console=ttyS0";  // a box.json cmdline means nothing without a kernel
  d.seed_volume.clear();
  auto x = domain_xml(d);
  CHECK(has(x, "<boot dev='hd'/>"));
  CHECK_FALSE(has(x, "<cmdline>"));
  CHECK_FALSE(has(x, "device='cdrom'"));
  CHECK(has(x, "<target dev='vda' bus='virtio'/>"));
}

TEST_CASE("domain XML escapes every string") {
  auto d = kernel_boot_node();
  d.cmdline = "a=<b> & c='d' \"e\"";
  d.node = "n<1>";
  auto x = domain_xml(d);
  CHECK(has(x, "<cmdline>a=&lt;b&gt; &amp; c=&apos;d&apos; &quot;e&quot;</cmdline>"));
  CHECK(has(x, "<vmlab:node>n&lt;1&gt;</vmlab:node>"));
}

TEST_CASE("metadata round-trips through the form libvirt returns") {
  // virDomainGetMetadata returns the element re-serialised, with or without the prefix.
  auto m = parse_metadata(
      "<machine>\n  <lab>k8s-a1b2c3</lab>\n  <node>m-k8s</node>\n"
      "  <ssh host=\"10.251.7.10\" port=\"22\"/>\n</machine>");
  REQUIRE(m);
  CHECK(m->lab_id == "k8s-a1b2c3");
  CHECK(m->node == "m-k8s");
  CHECK(m->ssh_host == "10.251.7.10");
  CHECK(m->ssh_port == 22);
  CHECK(m->project_dir.empty());  // a domain defined before the project was recorded
  auto d = kernel_boot_node();
  d.project_dir = "/home/u/labs/k&8s";
  auto x = domain_xml(d);
  CHECK(has(x, "<vmlab:project>/home/u/labs/k&amp;8s</vmlab:project>"));
  auto start = x.find("<vmlab:machine");
  auto end = x.find("</vmlab:machine>");
  auto m2 = parse_metadata(x.substr(start, end - start + 16));
  REQUIRE(m2);
  CHECK(m2->node == "m-k8s");
  CHECK(m2->project_dir == "/home/u/labs/k&8s");
  CHECK_FALSE(parse_metadata("<other/>"));
}

TEST_CASE("xml helpers: escape, attributes, text") {
  CHECK(xml::escape("<a href='x'>&\"") == "&lt;a href=&apos;x&apos;&gt;&amp;&quot;");
  auto els = xml::elements(
      "<r><ip address='10.0.0.1' prefix=\"24\"/><ipv6/><ip family='ipv6'/></r>", "ip");
  REQUIRE(els.size() == 2);
  CHECK(els[0]["address"] == "10.0.0.1");
  CHECK(els[0]["prefix"] == "24");
  CHECK(els[1]["family"] == "ipv6");
  CHECK(xml::text("<a><b>x &amp; y</b></a>", "b") == "x & y");
  CHECK_FALSE(xml::text("<a/>", "b"));
}

TEST_CASE("domain XML: a mount synced folder is a virtio-9p filesystem with accessmode squash") {
  DomainDef d = kernel_boot_node();
  d.filesystems = {{"/home/me/lab & co", sync_tag(0)}, {"/srv/data", sync_tag(2)}};
  const std::string x = domain_xml(d);
  CHECK(has(x,
            "    <filesystem type='mount' accessmode='squash'>\n"
            "      <source dir='/home/me/lab &amp; co'/>\n"
            "      <target dir='vmlab0'/>\n    </filesystem>\n"
            "    <filesystem type='mount' accessmode='squash'>\n"
            "      <source dir='/srv/data'/>\n"
            "      <target dir='vmlab2'/>\n    </filesystem>\n    <serial type='pty'>\n"));
  CHECK(!has(domain_xml(kernel_boot_node()), "<filesystem"));
}
