#!/usr/bin/env bash
# Installs the Debian packages that building and testing vboxmcp needs. Run as root (or with sudo).
# The guest images are built from downloaded .deb files (scripts/build-test-image.sh, scripts/build-debian-image.sh),
# not from these; mmdebstrap, syslinux, mtools and dosfstools only assemble the Debian image, ovmf boots it under UEFI,
# apt-utils (apt-ftparchive) builds the test apt mirror (scripts/build-apt-mirror.sh).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends \
  openjdk-17-jdk-headless maven \
  qemu-system-x86 qemu-utils \
  e2fsprogs cpio genisoimage xz-utils zstd ca-certificates \
  openssh-client gnupg git \
  mmdebstrap syslinux syslinux-common syslinux-efi mtools dosfstools fdisk ovmf apt-utils python3 \
  tmux procps
