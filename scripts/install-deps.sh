#!/usr/bin/env bash
# Installs the Debian packages that building and testing vboxmcp needs. Run as root (or with sudo).
# The guest images are built from downloaded .deb files (scripts/build-test-image.sh, scripts/build-debian-image.sh),
# not from these: mmdebstrap, syslinux, mtools and dosfstools only assemble the Debian image; ovmf boots images
# under UEFI; fdisk (sfdisk), dosfstools, mtools, syslinux-efi also let the QEMU tests turn the test image into a
# UEFI-only GPT disk (no loop mounts); apt-utils (apt-ftparchive) builds the test apt mirror
# (scripts/build-apt-mirror.sh); python3 + python3-pip serve and check the test pip index (and the quick start's
# servers); iproute2 (ss) lets PythonDevOnDebianTest see the ports a VM holds; genisoimage (isoinfo) and busybox
# (blkid) read back the cloud-init seed core writes, as the guests' probes do; docker-registry (the CNCF
# distribution registry 2.8, run as a plain process on 127.0.0.1, never as a service) and apache2-utils (htpasswd)
# let vboxmcp-oci test publish and install against a real registry; nodejs + npm run the MCP Inspector
# against `vboxmcp mcp` (scripts/mcp-inspector-check.sh).
# libvirt-daemon-system,
# libvirt-clients (virsh) and virtinst (virt-install, the libvirt benchmark's baseline) run the libvirt driver's
# tests against a real libvirtd; openssh-server gives them an sshd on loopback for qemu+ssh://. Without systemd the
# daemons are started by scripts/start-libvirtd.sh (run at the end here, and again by the tests if they are down).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends \
  openjdk-17-jdk-headless maven \
  qemu-system-x86 qemu-utils ovmf \
  fdisk dosfstools mtools syslinux syslinux-efi syslinux-common mmdebstrap apt-utils \
  e2fsprogs cpio genisoimage xz-utils zstd ca-certificates \
  openssh-client gnupg git openssl \
  python3 python3-pip \
  tmux procps iproute2 busybox \
  socat docker-registry apache2-utils \
  libvirt-daemon-system libvirt-clients virtinst openssh-server
# node and npm for the MCP Inspector: Debian's packages unless a node is there already (NodeSource's nodejs
# bundles npm and conflicts with Debian's npm package)
if ! command -v node >/dev/null 2>&1; then
  apt-get install -y -q --no-install-recommends nodejs
fi
if ! command -v npm >/dev/null 2>&1; then
  apt-get install -y -q --no-install-recommends npm
fi
bash "$(dirname "$0")/start-libvirtd.sh"
