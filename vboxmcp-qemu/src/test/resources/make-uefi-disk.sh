#!/usr/bin/env bash
# Test helper: turns the busybox test image (kernel, initrd, ext4 root disk) into a disk that boots only under
# UEFI, like a cloud image with its own boot loader: GPT, partition 1 an EFI system partition (FAT) holding
# syslinux.efi as the removable-media loader EFI/BOOT/BOOTX64.EFI with the kernel, initrd and a syslinux.cfg,
# partition 2 the ext4 root. Needs sfdisk (util-linux), mkfs.vfat (dosfstools), mcopy (mtools), syslinux-efi,
# qemu-img. No loop mounts, no root.
#
#   make-uefi-disk.sh <vmlinuz> <initrd> <root.qcow2> <kernel args without root=> <out.qcow2>
set -euo pipefail
kernel=$1 initrd=$2 rootdisk=$3 args=$4 out=$5
efi=${SYSLINUX_EFI:-/usr/lib/SYSLINUX.EFI/efi64/syslinux.efi}
ldlinux=${SYSLINUX_LDLINUX:-/usr/lib/syslinux/modules/efi64/ldlinux.e64}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

qemu-img convert -O raw "$rootdisk" "$work/root.raw"
root_sectors=$(( ($(stat -c %s "$work/root.raw") + 511) / 512 ))
esp_mb=40
esp_sectors=$(( esp_mb * 2048 ))

# the ESP as a file of its own, filled with mtools
mkfs.vfat -F 32 -n ESP -C "$work/esp.img" $(( esp_mb * 1024 )) >/dev/null
printf 'DEFAULT linux\nPROMPT 0\nTIMEOUT 0\nLABEL linux\n  KERNEL /vmlinuz\n  INITRD /initrd.img\n  APPEND root=/dev/vda2 %s\n' \
  "$args" > "$work/syslinux.cfg"
mmd -i "$work/esp.img" ::/EFI ::/EFI/BOOT
mcopy -i "$work/esp.img" "$efi" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$work/esp.img" "$ldlinux" ::/EFI/BOOT/ldlinux.e64
mcopy -i "$work/esp.img" "$work/syslinux.cfg" ::/EFI/BOOT/syslinux.cfg
mcopy -i "$work/esp.img" "$kernel" ::/vmlinuz
mcopy -i "$work/esp.img" "$initrd" ::/initrd.img

# GPT: 1 MiB in, the ESP, then the root; 1 MiB spare at the end for the backup table
total=$(( 2048 + esp_sectors + root_sectors + 2048 ))
truncate -s $(( total * 512 )) "$work/disk.raw"
sfdisk -q "$work/disk.raw" <<PT
label: gpt
start=2048, size=$esp_sectors, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=esp
start=$(( 2048 + esp_sectors )), size=$root_sectors, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=root
PT
dd if="$work/esp.img" of="$work/disk.raw" bs=512 seek=2048 conv=notrunc status=none
dd if="$work/root.raw" of="$work/disk.raw" bs=512 seek=$(( 2048 + esp_sectors )) conv=notrunc status=none
qemu-img convert -O qcow2 "$work/disk.raw" "$out.tmp"
mv "$out.tmp" "$out"
