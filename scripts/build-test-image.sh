#!/usr/bin/env bash
# Builds the vboxmcp test guest image from Debian packages and prints the path of its catalog JSON.
#
#   scripts/build-test-image.sh [--print-dir]
#
# What it makes (see docs/qemu.md): a Debian kernel (linux-image-*-amd64), an initramfs that loads the
# virtio/ext4 modules, and a qcow2 ext4 root disk with busybox (static), dropbear, glibc, users root and
# developer (uid 1000), a NoCloud cloud-init subset and the `tpkg` package manager. Everything inside the
# guest comes from Debian packages fetched with `apt-get download` and unpacked with `dpkg-deb -x`, so the
# result does not depend on what the host has installed. Host tools used: apt-get, apt-cache, dpkg-deb,
# mke2fs (-d, no loop mounts, no root needed), qemu-img, cpio, gzip, sha256sum.
#
# Cached by content: the output folder is named by a hash of this script, scripts/guest/* and the resolved
# package versions, under ${VBOXMCP_IMAGE_CACHE:-$HOME/.cache/vboxmcp/images}. A second run prints the
# cached catalog at once. Concurrent runs are serialised by a lock (flock). After a build, older builds of the
# same reference unused for ${VBOXMCP_IMAGE_KEEP_MINUTES:-60} minutes are deleted (the newest is always kept).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
guest=$here/guest
cache=${VBOXMCP_IMAGE_CACHE:-$HOME/.cache/vboxmcp/images}
reference=${VBOXMCP_IMAGE_REFERENCE:-vboxmcp-test:1}
disk_mb=${VBOXMCP_IMAGE_DISK_MB:-256}
print_dir=false
[ "${1:-}" = "--print-dir" ] && print_dir=true

log() { echo "build-test-image: $*" >&2; }
die() { log "$*"; exit 1; }

for tool in apt-get apt-cache dpkg-deb mke2fs qemu-img cpio gzip sha256sum flock; do
  command -v "$tool" >/dev/null || die "missing host tool: $tool"
done


# The meta-package names the current kernel; resolve it to the real package so the key changes with it.
kernel_pkg() { apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: *\(linux-image-[0-9].*-amd64\)$/\1/p' | head -n 1; }
kernel_pkg=$(kernel_pkg)
if [ -z "$kernel_pkg" ] && [ "$(id -u)" = 0 ]; then
  # a fresh machine has no package lists yet
  log "apt has no package lists; running apt-get update"
  apt-get update -qq >&2 || true
  kernel_pkg=$(kernel_pkg)
fi
if [ -z "$kernel_pkg" ]; then
  die "apt cannot resolve linux-image-amd64; run 'apt-get update' first"
fi
packages="$kernel_pkg busybox-static dropbear-bin libc6 libcrypt1 libtomcrypt1 libtommath1 libgmp10 zlib1g"
# one apt-cache call for all versions (each call loads the whole package cache)
resolved=$(apt-cache policy $packages 2>/dev/null | awk '/^[^ ].*:$/ { p = substr($0, 1, length($0) - 1) }
  /^  Candidate:/ { if ($2 != "(none)") print p "=" $2 }')
for p in $packages; do
  printf '%s\n' "$resolved" | grep -q "^$p=" || die "no candidate version for $p; run 'apt-get update' first"
done
resolved="$resolved"$'\n'

key=$( { cat "$0"; for f in "$guest"/*; do echo "== $(basename "$f")"; cat "$f"; done;
         echo "$resolved"; echo "ref=$reference disk=$disk_mb"; } | sha256sum | cut -c1-16)
out=$cache/$key

finish() {
  # mark the build as used: prune_old_builds keeps builds used recently (another checkout may be using it)
  touch "$out/catalog.json" 2>/dev/null || true
  if $print_dir; then echo "$out"; else echo "$out/catalog.json"; fi
}

# Deletes older builds of this reference (folders under $cache whose catalog.json names it) not used for
# ${VBOXMCP_IMAGE_KEEP_MINUTES:-60} minutes, and work folders of runs killed more than a day ago. The grace period
# protects a build that another checkout (another version of this script) is using right now. Builds of other
# references (scripts/build-debian-image.sh writes into the same cache) are never touched.
prune_old_builds() {
  local keep_minutes=${VBOXMCP_IMAGE_KEEP_MINUTES:-60} d
  for d in "$cache"/.build-*; do
    if [ -d "$d" ] && [ ! -L "$d" ] && [ "$d" != "${work:-}" ] && [ -n "$(find "$d" -maxdepth 0 -mmin +1440)" ]; then
      rm -rf -- "$d"
    fi
  done
  for d in "$cache"/*; do
    [ -d "$d" ] && [ ! -L "$d" ] && [ -f "$d/catalog.json" ] || continue
    [[ "$(basename "$d")" =~ ^[0-9a-f]{16}$ ]] && [ "$(basename "$d")" != "$key" ] || continue
    grep -q "\"reference\": \"$reference\"" "$d/catalog.json" || continue
    [ -n "$(find "$d/catalog.json" -mmin +"$keep_minutes")" ] || continue
    log "deleting older build $d ($(du -sh "$d" | cut -f1))"
    rm -rf -- "$d"
  done
}

mkdir -p "$cache"
if [ -f "$out/catalog.json" ]; then finish; exit 0; fi

exec 9>"$cache/.build.lock"
flock 9
if [ -f "$out/catalog.json" ]; then finish; exit 0; fi

work=$(mktemp -d "$cache/.build-$key.XXXXXX")
trap 'rm -rf "$work"' EXIT
log "building $reference into $out (packages: $(echo $packages))"

mkdir -p "$work/debs"
(cd "$work/debs" && apt-get download $(printf '%s' "$resolved" | tr '\n' ' ') >/dev/null 2>"$work/apt.log") \
  || { cat "$work/apt.log" >&2; die "apt-get download failed"; }

x() { dpkg-deb -x "$work/debs/$1"_*.deb "$2"; }
kpkg=$work/kernel
mkdir -p "$kpkg"
x "$kernel_pkg" "$kpkg"
kver=${kernel_pkg#linux-image-}
[ -d "$kpkg/lib/modules/$kver" ] || die "kernel package has no modules for $kver"
x busybox-static "$work/bb"
bb=$work/bb/bin/busybox
[ -x "$bb" ] || die "busybox-static has no /bin/busybox"

# Module closure: busybox depmod over the whole tree, then the dependencies of what we load.
"$bb" depmod -b "$kpkg" "$kver"
modules="virtio_pci virtio_blk virtio_net virtio-rng crc32c_generic ext4 isofs 9pnet_virtio 9p button evdev"
moddep=$kpkg/lib/modules/$kver/modules.dep
closure() {
  local m path
  for m in $modules; do
    path=$(grep -E "^(.*/)?$(echo "$m" | sed 's/[-_]/[-_]/g')\.ko:" "$moddep" | head -n 1) \
      || die "module $m not in $kernel_pkg"
    echo "$path" | tr -d ':' | tr ' ' '\n'
  done | sed '/^$/d' | sort -u
}
modfiles=$(closure)

install_modules() { # destination root
  local dst=$1/lib/modules/$kver f
  mkdir -p "$dst"
  for f in $modfiles; do
    mkdir -p "$dst/$(dirname "$f")"
    cp "$kpkg/lib/modules/$kver/$f" "$dst/$f"
  done
  "$bb" depmod -b "$1" "$kver"
  printf '%s\n' $modules > "$1/etc/modules"
}

busybox_into() { # destination root
  mkdir -p "$1/bin" "$1/sbin" "$1/usr/bin" "$1/usr/sbin"
  cp "$bb" "$1/bin/busybox"
  local a
  for a in $("$bb" --list-full); do
    [ "$a" = bin/busybox ] && continue
    [ -e "$1/$a" ] || ln -s /bin/busybox "$1/$a"
  done
}

# --- initramfs -------------------------------------------------------------------------------------------
ird=$work/initramfs
mkdir -p "$ird"/{dev,proc,sys,newroot,etc}
busybox_into "$ird"
install_modules "$ird"
install -m 0755 "$guest/initramfs-init" "$ird/init"
(cd "$ird" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet --owner=0:0 | gzip -1 -n) > "$work/initrd.img"
cp "$kpkg/boot/vmlinuz-$kver" "$work/vmlinuz"

# --- root filesystem --------------------------------------------------------------------------------------
root=$work/rootfs
mkdir -p "$root"/{dev,proc,sys,run,tmp,root,home/developer,etc/dropbear,etc/init.d,etc/tpkg,etc/acpi/PWRF,var/lib/cloud,var/lib/tpkg,var/log,mnt,usr/share/udhcpc}
for p in libc6 libcrypt1 libtomcrypt1 libtommath1 libgmp10 zlib1g dropbear-bin; do x "$p" "$root"; done
rm -rf "$root"/usr/share/doc "$root"/usr/share/man "$root"/usr/share/lintian "$root"/usr/lib/x86_64-linux-gnu/gconv \
       "$root"/usr/share/locale "$root"/etc/init.d/dropbear "$root"/usr/share/initramfs-tools
busybox_into "$root"
install_modules "$root"
# glibc looks here first; keep it so the loader needs no ld.so.cache
printf '/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n' > "$root/etc/ld.so.conf"
install -m 0644 "$guest/inittab" "$root/etc/inittab"
install -m 0755 "$guest/rcS" "$root/etc/init.d/rcS"
install -m 0755 "$guest/cloud-init" "$root/sbin/vboxmcp-cloud-init"
install -m 0755 "$guest/tpkg" "$root/usr/sbin/tpkg"
install -m 0755 "$guest/udhcpc.script" "$root/usr/share/udhcpc/default.script"
install -m 0755 "$guest/acpi-power" "$root/etc/acpi/PWRF/00000080"
cat > "$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
developer:x:1000:1000:developer:/home/developer:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
# '*' (not '!'): no password login, but the accounts are not locked, so key authentication works.
cat > "$root/etc/shadow" <<'EOF'
root:*:19000:0:99999:7:::
developer:*:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
EOF
chmod 0600 "$root/etc/shadow"
cat > "$root/etc/group" <<'EOF'
root:x:0:
tty:x:5:
developer:x:1000:
nogroup:x:65534:
EOF
printf '/bin/sh\n/bin/ash\n' > "$root/etc/shells"
printf '127.0.0.1 localhost\n' > "$root/etc/hosts"
echo vboxmcp-guest > "$root/etc/hostname"
printf 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n[ -r /etc/environment ] && . /etc/environment\nfor f in /etc/profile.d/*.sh; do [ -r "$f" ] && . "$f"; done\n' > "$root/etc/profile"
mkdir -p "$root/etc/profile.d"
: > "$root/etc/environment"
: > "$root/etc/machine-id"
echo "$reference built $(date -u +%Y-%m-%dT%H:%M:%SZ) from $kernel_pkg" > "$root/etc/vboxmcp-image"
chmod 0700 "$root/root"
chmod 1777 "$root/tmp"
# su must work for non-root callers too
chmod 4755 "$root/bin/busybox"
chown -R 0:0 "$root" 2>/dev/null || true
chown -R 1000:1000 "$root/home/developer" 2>/dev/null || true

raw=$work/root.ext4
mke2fs -q -F -t ext4 -L vboxmcp-root -E root_owner=0:0 -O ^has_journal -d "$root" "$raw" "${disk_mb}M" >&2
qemu-img convert -q -f raw -O qcow2 "$raw" "$work/disk.qcow2"
rm -f "$raw"

# --- catalog ----------------------------------------------------------------------------------------------
digest() { sha256sum "$1" | cut -d ' ' -f 1; }
size() { stat -c %s "$1"; }
kargs="console=ttyS0 root=/dev/vda rw quiet loglevel=3 panic=-1 tsc=reliable no_timer_check"
cat > "$work/catalog.json" <<EOF
{
  "catalogVersion": 1,
  "images": [
    {
      "reference": "$reference",
      "description": "vboxmcp test image: Debian $kernel_pkg, busybox, dropbear, cloud-init NoCloud subset, tpkg",
      "disk":   { "url": "disk.qcow2", "format": "qcow2", "sha256": "$(digest "$work/disk.qcow2")", "size": $(size "$work/disk.qcow2") },
      "kernel": { "url": "vmlinuz", "sha256": "$(digest "$work/vmlinuz")", "size": $(size "$work/vmlinuz") },
      "initrd": { "url": "initrd.img", "sha256": "$(digest "$work/initrd.img")", "size": $(size "$work/initrd.img") },
      "kernelArgs": "$kargs",
      "packages": [$(printf '%s' "$resolved" | sed '/^$/d; s/.*/"&"/' | paste -sd, -)]
    }
  ]
}
EOF
rm -rf "$out.tmp"; mkdir -p "$out.tmp"
mv "$work/vmlinuz" "$work/initrd.img" "$work/disk.qcow2" "$out.tmp/"
mv "$work/catalog.json" "$out.tmp/catalog.json"
rm -rf "$out"
mv "$out.tmp" "$out"
log "done: $(du -sh "$out" | cut -f1) in $out"
prune_old_builds
finish
