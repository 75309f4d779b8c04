#!/usr/bin/env bash
# Installs everything vmlab needs to build, test and run its labs, from Debian's archive.
# Idempotent: packages already present are skipped by apt; nothing else is changed.
set -euo pipefail

BUILD_PKGS=(
  build-essential cmake ninja-build ccache pkg-config git dpkg-dev  # dpkg-dev: cpack's shlibdeps
  libtomlplusplus-dev libfmt-dev libboost-dev libboost-filesystem-dev
  libssh2-1-dev libssl-dev libvirt-dev doctest-dev libcli11-dev nlohmann-json3-dev libisofs-dev
  libcurl4-openssl-dev libarchive-dev  # box downloads (src/boxes/fetch.cpp), box archives
  # tests/fuzz: clang++ (Debian 12: 14) and its sanitizer + libFuzzer runtimes, which clang
  # only recommends (and apt-get here installs no recommends)
  clang libclang-rt-14-dev
)
RUN_PKGS=(
  libvirt-daemon-system libvirt-clients dnsmasq-base iptables qemu-system-x86 qemu-utils
  openssh-client openssh-server iproute2 socat xorriso python3 slirp4netns
  ansible-core  # the e2e runs a real ansible-playbook with `vmlab inventory`
  rsync         # and a real `rsync -e "ssh -F <vmlab ssh-config>"`
  zsh  # the unit test of the generated zsh completion
)
BOX_PKGS=(
  busybox-static dropbear-bin openssh-sftp-server linux-image-amd64 cpio gzip kmod e2fsprogs
  debootstrap bc
  grub-pc-bin fdisk  # build-disk-image.sh: GRUB boot.img/core.img, sfdisk
)

# kubectl for the k8s tier and `vmlab kubeconfig` checks: Debian's kubernetes-client (1.20.2, the
# cluster's own version) unless some kubectl is already installed. Google's `kubectl` package
# owns /usr/bin/kubectl too, and dpkg refuses to install both (seen on CI machines).
if ! command -v kubectl >/dev/null 2>&1; then
  RUN_PKGS+=(kubernetes-client)
fi

want=()
for p in "${BUILD_PKGS[@]}" "${RUN_PKGS[@]}" "${BOX_PKGS[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || want+=("$p")
done
if ((${#want[@]})); then
  echo "install-deps: installing ${want[*]}"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
else
  echo "install-deps: all packages present"
fi
