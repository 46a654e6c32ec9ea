#!/usr/bin/env bash
# Builds a signed apt repository (Debian bookworm, amd64, component main) on disk, for tests that prove
# air-gapped installs: serve OUT_DIR on 127.0.0.1 and point a guest's apt at it.
#
#   scripts/build-apt-mirror.sh OUT_DIR PACKAGE...
#
# OUT_DIR gets pool/main/*.deb (the named packages and their whole Depends/Pre-Depends closure, so a guest
# installs whatever it lacks), dists/bookworm/main/binary-amd64/Packages(.gz), dists/bookworm/Release,
# InRelease and Release.gpg, and the public key as mirror-key.asc (armored) and mirror-key.gpg (binary, for
# `deb [signed-by=/etc/apt/keyrings/mirror.gpg] http://10.0.2.2:PORT/ bookworm main`).
#
# Signing key: VBOXMCP_MIRROR_GNUPGHOME names a GnuPG home whose secret key signs (VBOXMCP_MIRROR_KEY picks one
# by id/fingerprint if it holds several). Without it a fresh ed25519 key is made in a temporary GnuPG home and
# thrown away after signing, so no secret key ever lies in the folder that is served.
#
# Versions and dependencies come from the host's apt (its package lists must be bookworm amd64). Downloads are
# cached by content under ${VBOXMCP_IMAGE_CACHE:-$HOME/.cache/vboxmcp/images}/mirrors/<key>, key = hash of
# this script and the resolved package versions; a second run with the same packages downloads nothing.
set -euo pipefail

log() { echo "build-apt-mirror: $*" >&2; }
die() { log "$*"; exit 1; }

[ $# -ge 2 ] || { echo "usage: $0 OUT_DIR PACKAGE..." >&2; exit 2; }
out=$1; shift
for p in "$@"; do
  [[ $p =~ ^[a-z0-9][a-z0-9+.-]*$ ]] || die "not a Debian package name: '$p'"
done
for tool in apt-get apt-cache apt-ftparchive gpg gzip sha256sum flock; do
  command -v "$tool" >/dev/null || die "missing host tool: $tool (run scripts/install-deps.sh)"
done
[ "$(dpkg --print-architecture)" = amd64 ] || die "the host's apt must be amd64"
cache=${VBOXMCP_IMAGE_CACHE:-$HOME/.cache/vboxmcp/images}/mirrors

# Refuse to overwrite a folder this script did not make.
if [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ] && [ ! -f "$out/.vboxmcp-apt-mirror" ]; then
  die "$out exists, is not empty and is not a mirror made by this script"
fi

# Dependency closure (Depends and Pre-Depends only, as apt installs without Recommends). Virtual packages
# show as <name> and are dropped: their providers appear in the closure themselves.
closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
            --no-enhances "$@" 2>/dev/null | grep -v '^ ' | grep -v '^<' | sed 's/:amd64$//' | grep -v ':' | LC_ALL=C sort -u) \
  || die "apt cannot resolve $*; run 'apt-get update' first"
# one apt-cache call for all versions
resolved=$(apt-cache policy $closure 2>/dev/null | awk '/^[^ ].*:$/ { p = substr($0, 1, length($0) - 1) }
  /^  Candidate:/ { if ($2 != "(none)") print p "=" $2 }' | LC_ALL=C sort)
for p in "$@"; do
  printf '%s\n' "$resolved" | grep -q "^$p=" || die "no candidate version for $p"
done

key=$( { cat "$0"; echo "$resolved"; } | sha256sum | cut -c1-16)
debs=$cache/$key
mkdir -p "$cache"
exec 9>"$cache/.mirror.lock"
flock 9
if [ ! -f "$debs/.complete" ]; then
  log "downloading $(printf '%s\n' "$resolved" | wc -l) packages into $debs"
  rm -rf "$debs.tmp"; mkdir -p "$debs.tmp"
  (cd "$debs.tmp" && apt-get download $resolved >/dev/null 2>"$debs.tmp/.apt.log") \
    || { cat "$debs.tmp/.apt.log" >&2; rm -rf "$debs.tmp"; die "apt-get download failed"; }
  rm -f "$debs.tmp/.apt.log"
  touch "$debs.tmp/.complete"
  rm -rf "$debs"; mv "$debs.tmp" "$debs"
fi
flock -u 9

# --- repository --------------------------------------------------------------------------------------------
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out/pool" "$out/dists" "$out/mirror-key.asc" "$out/mirror-key.gpg"
touch "$out/.vboxmcp-apt-mirror"
mkdir -p "$out/pool/main" "$out/dists/bookworm/main/binary-amd64"
cp -l "$debs"/*.deb "$out/pool/main/" 2>/dev/null || cp "$debs"/*.deb "$out/pool/main/"
(cd "$out" && apt-ftparchive packages pool > dists/bookworm/main/binary-amd64/Packages) 2>/dev/null
gzip -9nk "$out/dists/bookworm/main/binary-amd64/Packages"
(cd "$out/dists/bookworm" && apt-ftparchive \
   -o APT::FTPArchive::Release::Origin=vboxmcp -o APT::FTPArchive::Release::Label=vboxmcp-test-mirror \
   -o APT::FTPArchive::Release::Suite=bookworm -o APT::FTPArchive::Release::Codename=bookworm \
   -o APT::FTPArchive::Release::Architectures=amd64 -o APT::FTPArchive::Release::Components=main \
   release . > "$out/Release.tmp")
mv "$out/Release.tmp" "$out/dists/bookworm/Release"

# --- signature ---------------------------------------------------------------------------------------------
ephemeral=
if [ -n "${VBOXMCP_MIRROR_GNUPGHOME:-}" ]; then
  export GNUPGHOME=$VBOXMCP_MIRROR_GNUPGHOME
else
  ephemeral=$(mktemp -d "${TMPDIR:-/tmp}/vboxmcp-mirror-gpg.XXXXXX")
  export GNUPGHOME=$ephemeral
  trap 'gpgconf --kill gpg-agent 2>/dev/null || true; rm -rf "$ephemeral"' EXIT
  gpg --batch --quiet --passphrase '' --quick-gen-key 'vboxmcp test apt mirror <mirror@vboxmcp.invalid>' \
    ed25519 sign 1y 2>/dev/null
fi
signer=${VBOXMCP_MIRROR_KEY:-$(gpg --batch --with-colons --list-secret-keys 2>/dev/null | awk -F: '/^fpr:/ { print $10; exit }')}
[ -n "$signer" ] || die "no secret key in $GNUPGHOME"
sign() { gpg --batch --yes --quiet --pinentry-mode loopback --passphrase '' --local-user "$signer" "$@"; }
sign --clearsign -o "$out/dists/bookworm/InRelease" "$out/dists/bookworm/Release"
sign --armor --detach-sign -o "$out/dists/bookworm/Release.gpg" "$out/dists/bookworm/Release"
gpg --batch --armor --export "$signer" > "$out/mirror-key.asc"
gpg --batch --export "$signer" > "$out/mirror-key.gpg"
# prove the repository verifies with the exported key alone, as apt's gpgv will
gpgv --keyring "$out/mirror-key.gpg" "$out/dists/bookworm/InRelease" 2>/dev/null || die "InRelease does not verify"
log "$(ls "$out/pool/main" | wc -l) packages in $out, signed by $signer"
echo "$out"
