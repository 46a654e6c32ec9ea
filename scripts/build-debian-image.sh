#!/usr/bin/env bash
# Builds the vboxmcp Debian 12 guest image (reference vboxmcp-debian:12) and prints the path of its catalog JSON.
#
#   scripts/build-debian-image.sh [--print-dir]
#
# What it makes (see docs/images.md): a bootable qcow2 disk with an MBR partition table, partition 1 a FAT boot
# partition (syslinux for legacy BIOS, syslinux.efi as EFI/BOOT/BOOTX64.EFI for UEFI, the Debian kernel and
# initrd) and partition 2 an ext4 root file system made by `mmdebstrap --variant=minbase` with systemd, udev,
# openssh-server, cloud-init (NoCloud only), sudo, python3, python3-venv, ifupdown + isc-dhcp-client and
# cloud-guest-utils (growpart). git, curl and python3-pip are left out on purpose: templates install them.
# It boots with its own boot loader under both SeaBIOS and OVMF, so the catalog says "firmware": "any".
#
# Nothing is mounted (no loop devices): the file systems are made from directories/files with `mke2fs -d` and
# `mkfs.vfat` + mtools, the boot loader is installed with the mtools-based `syslinux`, the partitions are
# placed into one raw disk with sfdisk + dd. Needs root (mmdebstrap chroot mode, and mke2fs must read every
# file of the root tree). Everything inside the guest comes from Debian packages (deb.debian.org).
#
# Cached by content: the output folder is named by a hash of this script, scripts/debian-image/* and the
# resolved package versions, under ${VBOXMCP_IMAGE_CACHE:-$HOME/.cache/vboxmcp/images}. A second run prints the
# cached catalog at once. Concurrent builds are serialised by a lock (flock).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
helpers=$here/debian-image
cache=${VBOXMCP_IMAGE_CACHE:-$HOME/.cache/vboxmcp/images}
reference=${VBOXMCP_IMAGE_REFERENCE:-vboxmcp-debian:12}
disk_mb=${VBOXMCP_IMAGE_DISK_MB:-2048}   # whole disk; cloud-init grows the root partition to the VM's disk
boot_mb=64
mirror=${VBOXMCP_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${VBOXMCP_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
print_dir=false
[ "${1:-}" = "--print-dir" ] && print_dir=true

log() { echo "build-debian-image: $*" >&2; }
die() { log "$*"; exit 1; }

for tool in mmdebstrap apt-cache mke2fs mkfs.vfat mcopy mmd syslinux sfdisk qemu-img sha256sum flock; do
  command -v "$tool" >/dev/null || die "missing host tool: $tool (run scripts/install-deps.sh)"
done
syslinux_mbr=/usr/lib/SYSLINUX/mbr.bin
syslinux_efi=/usr/lib/SYSLINUX.EFI/efi64/syslinux.efi
ldlinux_e64=/usr/lib/syslinux/modules/efi64/ldlinux.e64
for f in "$syslinux_mbr" "$syslinux_efi" "$ldlinux_e64"; do
  [ -f "$f" ] || die "missing $f (packages syslinux-common, syslinux-efi)"
done

# Kept small on purpose: what vboxmcp needs to log in and provision, nothing a template can install itself.
packages="systemd-sysv udev dbus linux-image-amd64 initramfs-tools openssh-server cloud-init cloud-guest-utils fdisk
  e2fsprogs sudo python3 python3-venv ca-certificates ifupdown isc-dhcp-client iproute2 netbase"
packages=$(echo $packages)

# The meta-package names the current kernel; resolve it to the real package so the key changes with it.
kernel_pkg() { apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: *\(linux-image-[0-9].*-amd64\)$/\1/p' | head -n 1; }
kernel_pkg=$(kernel_pkg)
if [ -z "$kernel_pkg" ] && [ "$(id -u)" = 0 ]; then
  log "apt has no package lists; running apt-get update"
  apt-get update -qq >&2 || true
  kernel_pkg=$(kernel_pkg)
fi
[ -n "$kernel_pkg" ] || die "apt cannot resolve linux-image-amd64; run 'apt-get update' first"
# one apt-cache call for all versions (each call loads the whole package cache)
resolved=$(apt-cache policy $packages $kernel_pkg 2>/dev/null | awk '/^[^ ].*:$/ { p = substr($0, 1, length($0) - 1) }
  /^  Candidate:/ { if ($2 != "(none)") print p "=" $2 }')
for p in $packages $kernel_pkg; do
  printf '%s\n' "$resolved" | grep -q "^$p=" || die "no candidate version for $p; run 'apt-get update' first"
done

key=$( { cat "$0"; for f in "$helpers"/*; do echo "== $(basename "$f")"; cat "$f"; done;
         echo "$resolved"; echo "ref=$reference disk=$disk_mb mirror=$mirror $security_mirror"; } | sha256sum | cut -c1-16)
out=$cache/$key

finish() {
  if $print_dir; then echo "$out"; else echo "$out/catalog.json"; fi
}

mkdir -p "$cache"
if [ -f "$out/catalog.json" ]; then finish; exit 0; fi
[ "$(id -u)" = 0 ] || die "building needs root (mmdebstrap chroot, mke2fs -d reading every file); run once as root"

exec 9>"$cache/.build.lock"
flock 9
if [ -f "$out/catalog.json" ]; then finish; exit 0; fi

work=$(mktemp -d "$cache/.build-debian-$key.XXXXXX")
trap 'rm -rf "$work"' EXIT
log "building $reference into $out"
started=$SECONDS

# Stable identifiers derived from the key: the same build gives the same disk.
disk_id=${key:0:8}
h=$(echo "$key root" | sha256sum)
root_uuid="${h:0:8}-${h:8:4}-4${h:13:3}-8${h:17:3}-${h:20:12}"
kernel_args="root=PARTUUID=$disk_id-02 ro console=tty0 console=ttyS0,115200n8 quiet loglevel=3 systemd.show_status=auto"

# --- root file system -------------------------------------------------------------------------------------
root=$work/rootfs
# dpkg path excludes (man pages, docs, translations) stay in the image, as in Debian's container images.
mmdebstrap --variant=minbase --include="$(echo "$packages" | tr ' ' ',')" \
  --aptopt='Acquire::Languages "none"' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-include=/usr/share/locale/locale.alias' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/info/*' \
  --setup-hook='mkdir -p "$1/usr/share/initramfs-tools/modules.d" "$1/etc/initramfs-tools/conf.d"' \
  --setup-hook="cp '$helpers/initramfs-modules' \"\$1/usr/share/initramfs-tools/modules.d/vboxmcp\"" \
  --setup-hook='printf "MODULES=list\nCOMPRESS=zstd\n" > "$1/etc/initramfs-tools/conf.d/vboxmcp"' \
  bookworm "$root" \
  "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
  "deb $security_mirror bookworm-security main" >"$work/mmdebstrap.log" 2>&1 \
  || { tail -n 40 "$work/mmdebstrap.log" >&2; die "mmdebstrap failed (log above)"; }
log "root file system made in $((SECONDS - started)) s"

kver=$(ls "$root/lib/modules" | head -n 1)
[ -f "$root/boot/vmlinuz-$kver" ] && [ -f "$root/boot/initrd.img-$kver" ] || die "no kernel/initrd for $kver in the root tree"

# users' default sources; an air-gapped mirror setting replaces them at provisioning
cat > "$root/etc/apt/sources.list" <<EOF
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
rm -f "$root/etc/apt/apt.conf.d/99mmdebstrap"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb

install -m 0644 "$helpers/cloud.cfg" "$root/etc/cloud/cloud.cfg.d/99-vboxmcp.cfg"
cat > "$root/etc/fstab" <<EOF
# <file system>          <mount point> <type> <options>          <dump> <pass>
UUID=$root_uuid  /  ext4  errors=remount-ro  0  1
EOF
echo localhost > "$root/etc/hostname"
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
printf 'auto lo\niface lo inet loopback\n\nsource /etc/network/interfaces.d/*\n' > "$root/etc/network/interfaces"
# Each VM gets its own identity: systemd makes the machine id on first boot, cloud-init the SSH host keys.
: > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id" "$root"/etc/ssh/ssh_host_*
# A safety net if cloud-init made no host keys (e.g. no seed at all): sshd would refuse to start without any.
mkdir -p "$root/etc/systemd/system/ssh.service.d"
printf '%s\n' '[Service]' 'ExecStartPre=/bin/sh -c "ls /etc/ssh/ssh_host_*_key >/dev/null 2>&1 || ssh-keygen -A"' \
  > "$root/etc/systemd/system/ssh.service.d/vboxmcp-hostkeys.conf"
# Only the key types cloud-init makes (an RSA key takes seconds to generate under TCG, and nothing needs it).
printf 'HostKey /etc/ssh/ssh_host_ed25519_key\nHostKey /etc/ssh/ssh_host_ecdsa_key\n' > "$root/etc/ssh/sshd_config.d/vboxmcp.conf"
# Fast boot under TCG: no periodic maintenance a short-lived VM never needs, short stop timeouts.
mkdir -p "$root/etc/systemd/system.conf.d"
printf '[Manager]\nDefaultTimeoutStartSec=45s\nDefaultTimeoutStopSec=10s\n' > "$root/etc/systemd/system.conf.d/vboxmcp.conf"
cut_units="apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer
  man-db.timer dpkg-db-backup.timer getty@tty1.service systemd-pstore.service modprobe@drm.service
  modprobe@dm_mod.service"
for u in $cut_units; do ln -sf /dev/null "$root/etc/systemd/system/$u"; done
# DHCP on QEMU/VirtualBox NAT answers at once; do not hang the boot for a minute when there is no server.
sed -i 's/^#\?timeout .*/timeout 20;/' "$root/etc/dhcp/dhclient.conf"
grep -q '^timeout ' "$root/etc/dhcp/dhclient.conf" || echo 'timeout 20;' >> "$root/etc/dhcp/dhclient.conf"
installed=$(chroot "$root" dpkg-query -W -f '${Package}=${Version}\n' | LC_ALL=C sort)
echo "$reference built $(date -u +%Y-%m-%dT%H:%M:%SZ) from Debian bookworm, kernel $kver" > "$root/etc/vboxmcp-image"

# --- boot partition (FAT): syslinux for BIOS, syslinux.efi for UEFI, kernel + initrd ----------------------
fat=$work/boot.vfat
sed "s|@KERNEL_ARGS@|$kernel_args|" "$helpers/syslinux.cfg" > "$work/syslinux.cfg"
# -h: hidden sectors = the partition's start, so the boot sector's own arithmetic is right too.
mkfs.vfat -C -n VBOXMCPBOOT -h 2048 "$fat" $((boot_mb * 1024)) >/dev/null
export MTOOLS_SKIP_CHECK=1
mcopy -i "$fat" "$root/boot/vmlinuz-$kver" ::/vmlinuz
mcopy -i "$fat" "$root/boot/initrd.img-$kver" ::/initrd.img
mcopy -i "$fat" "$work/syslinux.cfg" ::/syslinux.cfg
mmd -i "$fat" ::/EFI ::/EFI/BOOT
mcopy -i "$fat" "$syslinux_efi" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$fat" "$ldlinux_e64" ::/EFI/BOOT/ldlinux.e64
mcopy -i "$fat" "$work/syslinux.cfg" ::/EFI/BOOT/syslinux.cfg
syslinux --install "$fat"

# --- root partition (ext4, from the tree) -----------------------------------------------------------------
root_start=$(( (1 + boot_mb) * 2048 ))          # sectors
root_sectors=$(( disk_mb * 2048 - root_start ))
ext=$work/root.ext4
mke2fs -q -F -t ext4 -L vboxmcp-root -U "$root_uuid" -E root_owner=0:0 -d "$root" "$ext" "$((root_sectors / 2))k" >/dev/null 2>&1 \
  || die "mke2fs failed"

# --- whole disk: MBR (syslinux mbr.bin), partition 1 FAT active (type EFI system), partition 2 Linux -------
raw=$work/disk.raw
truncate -s "${disk_mb}M" "$raw"
sfdisk -q "$raw" >/dev/null <<EOF
label: dos
label-id: 0x$disk_id
start=2048, size=$((boot_mb * 2048)), type=ef, bootable
start=$root_start, size=$root_sectors, type=83
EOF
dd if="$syslinux_mbr" of="$raw" bs=440 count=1 conv=notrunc status=none
dd if="$fat" of="$raw" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$ext" of="$raw" bs=1M seek=$((1 + boot_mb)) conv=notrunc,sparse status=none
rm -f "$ext" "$fat"
qemu-img convert -q -f raw -O qcow2 "$raw" "$work/disk.qcow2"
rm -f "$raw"
rm -rf "$root"

# --- catalog ----------------------------------------------------------------------------------------------
digest() { sha256sum "$1" | cut -d ' ' -f 1; }
size() { stat -c %s "$1"; }
cat > "$work/catalog.json" <<EOF
{
  "catalogVersion": 1,
  "images": [
    {
      "reference": "$reference",
      "description": "vboxmcp Debian 12 (bookworm) guest: systemd, cloud-init (NoCloud), openssh-server, python3, kernel $kver; boots with syslinux under BIOS or UEFI",
      "disk": { "url": "disk.qcow2", "format": "qcow2", "sha256": "$(digest "$work/disk.qcow2")", "size": $(size "$work/disk.qcow2") },
      "firmware": "any"
    }
  ]
}
EOF
printf '%s\n' "$installed" > "$work/packages.txt"
rm -rf "$out.tmp"; mkdir -p "$out.tmp"
mv "$work/disk.qcow2" "$work/catalog.json" "$work/packages.txt" "$out.tmp/"
rm -rf "$out"
mv "$out.tmp" "$out"
log "done in $((SECONDS - started)) s: $(du -sh "$out" | cut -f1) in $out"
finish
