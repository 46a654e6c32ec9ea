#!/usr/bin/env bash
# Installs the Debian packages that building and testing vboxmcp needs. Run as root (or with sudo).
# The guest image itself is built from downloaded .deb files by scripts/build-test-image.sh, not from these.
# ovmf: UEFI firmware for images that boot only with UEFI. fdisk (sfdisk), dosfstools, mtools, syslinux-efi: the
# QEMU tests turn the test image into a UEFI-only GPT disk with an EFI system partition (no loop mounts).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends \
  openjdk-17-jdk-headless maven \
  qemu-system-x86 qemu-utils ovmf \
  fdisk dosfstools mtools syslinux-efi syslinux-common \
  e2fsprogs cpio genisoimage xz-utils zstd ca-certificates \
  openssh-client gnupg git \
  tmux procps \
  python3 python3-pip
