#include "providers/libvirt/domain_xml.hpp"

#include <fmt/format.h>

#include "providers/libvirt/xml.hpp"

namespace vmlab::providers::libvirt {

std::string sync_tag(std::size_t index) {
  return fmt::format("vmlab{}", index);
}

std::string domain_xml(const DomainDef& d) {
  using xml::escape;
  std::string x =
      fmt::format("<domain type='{}'>\n  <name>{}</name>\n", escape(d.type), escape(d.name));
  x += "  <metadata>\n";
  x += fmt::format("    <vmlab:machine xmlns:vmlab='{}'>\n", kMetadataNs);
  x += fmt::format("      <vmlab:lab>{}</vmlab:lab>\n", escape(d.lab_id));
  x += fmt::format("      <vmlab:node>{}</vmlab:node>\n", escape(d.node));
  x += fmt::format("      <vmlab:ssh host='{}' port='{}'/>\n", escape(d.ssh_host), d.ssh_port);
  if (!d.project_dir.empty())
    x += fmt::format("      <vmlab:project>{}</vmlab:project>\n", escape(d.project_dir));
  x += "    </vmlab:machine>\n  </metadata>\n";
  x += fmt::format("  <memory unit='MiB'>{}</memory>\n  <vcpu>{}</vcpu>\n", d.memory_mib, d.vcpus);
  x += "  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n";
  if (!d.kernel.empty()) {
    x += fmt::format("    <kernel>{}</kernel>\n", escape(d.kernel));
    if (!d.initrd.empty()) x += fmt::format("    <initrd>{}</initrd>\n", escape(d.initrd));
    if (!d.cmdline.empty()) x += fmt::format("    <cmdline>{}</cmdline>\n", escape(d.cmdline));
  } else {
    x += "    <boot dev='hd'/>\n";
  }
  x += "  </os>\n  <features>\n    <acpi/>\n    <apic/>\n  </features>\n";
  x += d.type == "kvm" ? "  <cpu mode='host-passthrough'/>\n" : "  <cpu mode='maximum'/>\n";
  x += "  <clock offset='utc'/>\n";
  x += "  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>restart</on_reboot>\n"
       "  <on_crash>destroy</on_crash>\n";
  x += "  <devices>\n";
  x += fmt::format(
      "    <disk type='volume' device='disk'>\n"
      "      <driver name='qemu' type='qcow2' cache='{}' discard='unmap'/>\n"
      "      <source pool='{}' volume='{}'/>\n"
      "      <target dev='vda' bus='virtio'/>\n    </disk>\n",
      escape(d.disk_cache), escape(d.pool), escape(d.disk_volume));
  if (!d.seed_volume.empty())
    x += fmt::format(
        "    <disk type='volume' device='cdrom'>\n"
        "      <driver name='qemu' type='raw'/>\n"
        "      <source pool='{}' volume='{}'/>\n"
        "      <target dev='sda' bus='sata'/>\n      <readonly/>\n    </disk>\n",
        escape(d.pool), escape(d.seed_volume));
  for (const auto& n : d.nics)
    x += fmt::format(
        "    <interface type='network'>\n      <mac address='{}'/>\n"
        "      <source network='{}'/>\n      <model type='virtio'/>\n    </interface>\n",
        escape(n.mac), escape(n.network));
  // squash: QEMU (often a non-root user) creates files as itself and ignores the guest's
  // chown instead of failing it; see docs/libvirt.md, "Synced folders".
  for (const auto& f : d.filesystems)
    x += fmt::format(
        "    <filesystem type='mount' accessmode='squash'>\n      <source dir='{}'/>\n"
        "      <target dir='{}'/>\n    </filesystem>\n",
        escape(f.source_dir), escape(f.tag));
  x += "    <serial type='pty'>\n";
  if (!d.console_log.empty())
    x += fmt::format("      <log file='{}' append='off'/>\n", escape(d.console_log));
  x += "      <target port='0'/>\n    </serial>\n";
  x += "    <console type='pty'>\n      <target type='serial' port='0'/>\n    </console>\n";
  x += "    <rng model='virtio'>\n      <backend model='random'>/dev/urandom</backend>\n"
       "    </rng>\n";
  x += "    <memballoon model='none'/>\n  </devices>\n</domain>\n";
  return x;
}

std::optional<DomainMeta> parse_metadata(const std::string& element) {
  // virDomainGetMetadata may return the element with or without the namespace prefix.
  for (std::string p : {"", "vmlab:"}) {
    auto lab = xml::text(element, p + "lab");
    auto node = xml::text(element, p + "node");
    if (!lab || !node) continue;
    DomainMeta m{*lab, *node, "", 22, xml::text(element, p + "project").value_or("")};
    auto ssh = xml::elements(element, p + "ssh");
    if (!ssh.empty()) {
      m.ssh_host = ssh.front()["host"];
      try {
        m.ssh_port = std::stoi(ssh.front()["port"]);
      } catch (...) {
        m.ssh_port = 22;
      }
    }
    return m;
  }
  return std::nullopt;
}

}  // namespace vmlab::providers::libvirt
