"""Simulated guests of the VBoxManage SIMULATOR (vmlab test double -- NOT VirtualBox).

The simulator runs no virtual machine. To let vmlab's readiness wait, host-key pinning and
`vmssh -c` run for real, `startvm` starts a stand-in for the guest's SSH server, as a real
VirtualBox guest would have it after cloud-init read its NoCloud seed:

  - condition: the VM has a DVD whose ISO is a NoCloud seed (volume label "cidata") and a NIC 1
    NAT rule named "ssh" bound to 127.0.0.1:PORT;
  - the "guest" is a real OpenSSH sshd ON THE HOST (`sshd -D -e -f CONFIG`, a background
    process in its own session) listening ONLY on 127.0.0.1:PORT, with the seed's
    vmlab/ssh_host_ed25519_key as HostKey and vmlab/authorized_keys as AuthorizedKeysFile;
    only the seed's login user (vmlab/user) may log in, and commands run ON THE HOST as that
    user (the e2e test box's user is root; use harmless commands only);
  - its files (extracted seed, sshd_config, sshd.log, sshd.pid) live in the VM's folder
    <dir of $VBOXSIM_STATE>/machines/<vm>/guest; its PID is recorded in the VM's state
    ("guest": {"pid", "port", "config", "dir"});
  - `controlvm acpipowerbutton|poweroff` and `unregistervm` stop it by that PID (its process
    group), after checking that the PID still runs that sshd_config -- never by name.
$VBOXSIM_SSHD overrides /usr/sbin/sshd; VBOXSIM_GUESTS=0 starts no guest at all.
Notes go to stderr prefixed "VBoxManage simulator:" (never "VBoxManage: error:", so they are
not failures: a real startvm does not know whether the guest's SSH comes up either).
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

SSHD = os.environ.get("VBOXSIM_SSHD", "/usr/sbin/sshd")
XORRISO = "xorriso"
READY_SECONDS = 5.0


def note(text):
    print(f"VBoxManage simulator: {text}", file=sys.stderr)


def is_cidata_iso(path):
    """True when `path` is an ISO9660 image whose volume label is "cidata" (NoCloud seed)."""
    try:
        with open(path, "rb") as f:
            f.seek(16 * 2048)  # primary volume descriptor
            pvd = f.read(2048)
    except OSError:
        return False
    return pvd[1:6] == b"CD001" and pvd[40:72].strip().lower() == b"cidata"


def seed_of(v):
    for ports in v["storage"].values():
        for medium in ports.values():
            if medium.lower().endswith(".iso") and is_cidata_iso(medium):
                return medium
    return None


def ssh_port_of(v):
    """(host ip, host port) of NIC 1's NAT rule named "ssh", or None."""
    nic = v["nics"].get("1")
    if not nic or nic["type"] != "nat":
        return None
    for r in nic["rules"]:
        p = r.split(",")
        if p[0] == "ssh" and p[1] == "tcp" and p[3].isdigit():
            return p[2], int(p[3])
    return None


def sshd_config(seed, guest_dir, port, user):
    return "\n".join([
        "# sshd of a simulated guest (VBoxManage simulator, vmlab test double; not VirtualBox)",
        "ListenAddress 127.0.0.1",
        f"Port {port}",
        "AddressFamily inet",
        f"HostKey {seed}/vmlab/ssh_host_ed25519_key",
        f"AuthorizedKeysFile {seed}/vmlab/authorized_keys",
        f"AllowUsers {user}",
        "PermitRootLogin prohibit-password",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes no",
        "PrintMotd no",
        f"PidFile {guest_dir}/sshd.pid",
        "Subsystem sftp internal-sftp",
        "",
    ])


def make_writable(top):
    for root, dirs, files in os.walk(top):
        for n in dirs:
            os.chmod(os.path.join(root, n), 0o700)
        for n in files:
            os.chmod(os.path.join(root, n), 0o600)


def remove_tree(path):
    if os.path.isdir(path):
        make_writable(path)
        shutil.rmtree(path, ignore_errors=True)


def start(v, vm_dir):
    """Starts the guest sshd of a VM that just started; returns its record or None (with a
    note on stderr saying why there is no guest)."""
    if os.environ.get("VBOXSIM_GUESTS") == "0":
        return None
    seed, fwd = seed_of(v), ssh_port_of(v)
    if not seed or not fwd:
        return None  # not a vmlab machine with a seed: a guest without SSH
    name = v["name"]
    if fwd[0] != "127.0.0.1":
        note(f"no guest SSH for '{name}': its ssh rule binds '{fwd[0]}', not 127.0.0.1")
        return None
    if not os.access(SSHD, os.X_OK):
        note(f"no guest SSH for '{name}': {SSHD} is not installed (apt-get install "
             "openssh-server), so the simulated guest cannot answer SSH")
        return None
    if not shutil.which(XORRISO):
        note(f"no guest SSH for '{name}': xorriso is not installed, so the seed cannot be read")
        return None
    guest_dir = os.path.join(vm_dir, "guest")
    remove_tree(guest_dir)
    os.makedirs(guest_dir, mode=0o700)
    seed_dir = os.path.join(guest_dir, "seed")
    x = subprocess.run([XORRISO, "-osirrox", "on", "-indev", seed, "-extract", "/", seed_dir],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True)
    key = os.path.join(seed_dir, "vmlab", "ssh_host_ed25519_key")
    if x.returncode != 0 or not os.path.exists(key):
        note(f"no guest SSH for '{name}': cannot extract the seed {seed} with xorriso: "
             + (x.stderr.strip().splitlines() or ["no vmlab/ssh_host_ed25519_key in it"])[-1])
        return None
    make_writable(seed_dir)  # sshd refuses a host key readable by others
    try:
        with open(os.path.join(seed_dir, "vmlab", "user")) as f:
            user = f.read().strip() or "root"
    except OSError:
        user = "root"
    config = os.path.join(guest_dir, "sshd_config")
    with open(config, "w") as f:
        f.write(sshd_config(seed_dir, guest_dir, fwd[1], user))
    log_path = os.path.join(guest_dir, "sshd.log")
    with open(log_path, "ab") as log:
        p = subprocess.Popen([SSHD, "-D", "-e", "-f", config], stdin=subprocess.DEVNULL,
                             stdout=log, stderr=log, start_new_session=True, close_fds=True)
    deadline = time.time() + READY_SECONDS
    while time.time() < deadline:
        if p.poll() is not None:
            with open(log_path, errors="replace") as f:
                last = (f.read().strip().splitlines() or ["(no output)"])[-1]
            note(f"no guest SSH for '{name}': sshd exited with code {p.returncode}: {last}")
            return None
        try:
            socket.create_connection(("127.0.0.1", fwd[1]), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.05)
    return {"pid": p.pid, "port": fwd[1], "config": config, "dir": guest_dir, "user": user}


def _runs_config(pid, config):
    """True while `pid` is alive (not a zombie) and runs sshd with `config` (sshd rewrites its
    argv to "sshd: /usr/sbin/sshd -D -e -f CONFIG [listener] ...", so look for the path)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                return False
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return config.encode() in f.read()
    except (OSError, IndexError):
        return False


def stop(v):
    """Stops the VM's guest sshd (by its recorded PID, as a process group) and forgets it."""
    g = v.pop("guest", None)
    if not g:
        return
    pid = g["pid"]
    if not _runs_config(pid, g["config"]):
        return  # already gone (or the PID now belongs to someone else: leave it alone)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)  # its own session: sshd and its per-connection children
        except OSError:
            try:
                os.kill(pid, sig)
            except OSError:
                return
        end = time.time() + 2.0
        while time.time() < end:
            if not _runs_config(pid, g["config"]):
                return
            time.sleep(0.05)
