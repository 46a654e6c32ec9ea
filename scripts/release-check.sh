#!/usr/bin/env bash
# The release, rehearsed (CI runs it after `mvn verify`; docs/release.md): deploys the project with the release
# profile to a local file repository, exactly as `mvn -P release deploy` would to a staging repository, and checks
# that a user could consume what was deployed:
#   1. every published module has its POM, main jar (not for POMs), sources and Javadoc jars, each with a .asc
#      signature that gpg verifies and .md5/.sha1 checksums that match; every POM carries (itself or through the
#      deployed parent) what Maven Central requires: name, description, url, licenses, developers, scm;
#      the BOM lists exactly the deployed modules and has no parent; every jar names its JPMS module;
#   2. reproducible builds: the deploy builds a fresh copy of the sources in another folder, and its jars must be
#      byte-identical to the ones the earlier build left in the working tree (skipped, with a note, without them);
#   3. an outside Maven project (scripts/release-sample) resolves the BOM, core and qemu from that repository only
#      (a fresh local repository; other libraries from a view of ~/.m2 without io/vboxmcp), compiles, and creates
#      and destroys a real VM from examples/templates/web-demo on the busybox test image.
# The signing key is a throwaway one made here. Options: --no-vm skips the VM of step 3 (it still compiles).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RUN_VM=1
[ "${1:-}" = --no-vm ] && RUN_VM=0
# REUSE=<work folder of an earlier run kept with KEEP=1> skips the key and the deploy (for working on the checks)
WORK="${REUSE:-$(mktemp -d /tmp/vboxmcp-release-check.XXXXXX)}"
cleanup() { [ -n "${KEEP:-}${REUSE:-}" ] || rm -rf "$WORK"; }
trap cleanup EXIT
log() { printf 'release-check: %s\n' "$*"; }
die() { printf 'release-check: FAILED: %s\n' "$*" >&2; exit 1; }
t0=$SECONDS

# --- a throwaway signing key ------------------------------------------------------------------------------------
export GNUPGHOME="$WORK/gnupg"
[ -n "${REUSE:-}" ] || mkdir -m 700 "$GNUPGHOME"
[ -n "${REUSE:-}" ] || gpg --batch --quiet --passphrase '' --quick-gen-key 'vboxmcp release check <release-check@vboxmcp.invalid>' \
  ed25519 sign 1d 2>/dev/null
KEY=$(gpg --batch --list-keys --with-colons 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')

# --- 1. deploy a fresh copy of the sources --------------------------------------------------------------------------
REPO="$WORK/repo"
version=$(sed -n 's|^  <version>\(.*\)</version>|\1|p' "$ROOT/pom.xml" | head -1)
if [ -z "${REUSE:-}" ]; then
mkdir -p "$WORK/src"
(cd "$ROOT" && tar --exclude=./.git --exclude='*/target' --exclude=./target --exclude=./build --exclude=./.cache -cf - .) | tar -xf - -C "$WORK/src"
log "deploying $version with -P release to file:$REPO (signing key $KEY)"
# the modules that are not published (the CLI application, examples, benchmarks) are left out: they would only
# cost time (the CLI's shaded jar and AppCDS training run, JMH's annotation processing)
(cd "$WORK/src" && mvn -B -ntp -P release -Dmaven.test.skip=true -Dgpg.keyname="$KEY" \
   -pl '!vboxmcp-cli,!examples,!benchmarks' -DaltDeploymentRepository="check::file://$REPO" deploy) > "$WORK/deploy.log" 2>&1 \
  || { tail -60 "$WORK/deploy.log"; die "the release deploy failed (log above)"; }
fi
t_deploy=$((SECONDS - t0))

# --- 1. what was deployed -----------------------------------------------------------------------------------------
G="$REPO/io/vboxmcp"
# the file name stem of the version in the repository: X.Y.Z, or X.Y.Z-<timestamp>-<build> for a SNAPSHOT
stem() { # artifactId
  local dir="$G/$1/$version"
  [ -d "$dir" ] || return 1
  if [[ $version == *-SNAPSHOT ]]; then
    local ts bn
    ts=$(sed -n 's|.*<timestamp>\(.*\)</timestamp>.*|\1|p' "$dir/maven-metadata.xml" | head -1)
    bn=$(sed -n 's|.*<buildNumber>\(.*\)</buildNumber>.*|\1|p' "$dir/maven-metadata.xml" | head -1)
    echo "$dir/$1-${version%-SNAPSHOT}-$ts-$bn"
  else
    echo "$dir/$1-$version"
  fi
}
check_file() { # path: exists, signed (gpg verifies), checksummed (md5 and sha1 match)
  local f=$1
  [ -s "$f" ] || die "missing $(basename "$f")"
  [ -s "$f.asc" ] || die "missing signature $(basename "$f").asc"
  gpg --batch --quiet --verify "$f.asc" "$f" 2>/dev/null || die "signature of $(basename "$f") does not verify"
  [ "$(cat "$f.sha1")" = "$(sha1sum "$f" | cut -d' ' -f1)" ] || die "sha1 of $(basename "$f") does not match"
  [ "$(cat "$f.md5")" = "$(md5sum "$f" | cut -d' ' -f1)" ] || die "md5 of $(basename "$f") does not match"
}
has() { grep -qE "<$2[ >]" "$1"; }
parent_pom="$(stem vboxmcp-parent).pom" || die "the parent POM was not deployed"
check_file "$parent_pom"
for e in name description url licenses developers scm; do has "$parent_pom" "$e" || die "parent POM has no <$e>"; done

bom_pom="$(stem vboxmcp-bom).pom" || die "the BOM was not deployed"
check_file "$bom_pom"
grep -q '<parent>' "$bom_pom" && die "the deployed BOM has a parent (its dependencyManagement would leak into users' builds)"
for e in name description url licenses developers scm; do has "$bom_pom" "$e" || die "BOM has no <$e>"; done
bom_modules=$(sed -n 's|.*<artifactId>\(vboxmcp-[a-z0-9-]*\)</artifactId>.*|\1|p' "$bom_pom" | grep -v '^vboxmcp-bom$' | sort -u)
deployed=$(cd "$G" && ls -d vboxmcp-* | grep -vxE 'vboxmcp-(parent|bom)' | sort)
[ "$bom_modules" = "$deployed" ] || die "the BOM lists [$(echo $bom_modules)] but [$(echo $deployed)] were deployed"

count=0
for a in $deployed; do
  s=$(stem "$a") || die "$a was not deployed"
  for f in "$s.pom" "$s.jar" "$s-sources.jar" "$s-javadoc.jar"; do check_file "$f"; done
  for e in name description; do has "$s.pom" "$e" || die "$a POM has no <$e>"; done
  grep -q '<artifactId>vboxmcp-parent</artifactId>' "$s.pom" || die "$a POM does not inherit the metadata of vboxmcp-parent"
  # listings into variables first: `unzip | grep -q` fails under pipefail when grep stops reading early
  listing=$(unzip -l "$s-javadoc.jar"); grep -q 'index.html' <<<"$listing" || die "$a Javadoc jar has no index.html"
  listing=$(unzip -l "$s-sources.jar"); grep -q '\.java$' <<<"$listing" || die "$a sources jar has no sources"
  listing=$(unzip -l "$s.jar")
  if grep -q ' module-info.class$' <<<"$listing"; then
    name=$(unzip -p "$s.jar" module-info.class > "$WORK/mi.class" && javap "$WORK/mi.class" | sed -n 's/^module \([^ @]*\).*/\1/p')
  else
    name=$(unzip -p "$s.jar" META-INF/MANIFEST.MF | tr -d '\r' | sed -n 's/^Automatic-Module-Name: //p')
  fi
  [[ $name =~ ^io\.vboxmcp\.[a-z][a-z0-9.]*$ ]] || die "$a jar names no JPMS module (got '$name')"
  log "  $a: pom, jar, sources, javadoc, signatures, checksums ok; module $name"
  count=$((count + 1))
done
log "1. $count modules + parent + BOM deployed complete ($t_deploy s)"

# --- 2. reproducible builds -----------------------------------------------------------------------------------------
compared=0
while IFS= read -r j; do
  [ -f "$WORK/src/$j" ] || continue  # a module the fresh build left out
  cmp -s "$ROOT/$j" "$WORK/src/$j" \
    || die "$j differs between two builds of the same sources (not reproducible): $(diff <(unzip -lv "$ROOT/$j") <(unzip -lv "$WORK/src/$j") | head -6)"
  compared=$((compared + 1))
done < <(cd "$ROOT" && find . -mindepth 3 -maxdepth 3 -path "./*/target/*-$version.jar" | sed 's|^\./||' | sort)
if [ $compared -eq 0 ]; then
  log "2. no jars of an earlier build in $ROOT to compare with (run mvn package first): reproducibility NOT checked"
else
  [ $compared -ge $count ] || die "only $compared jars to compare for $count published modules"
  log "2. $compared jars byte-identical between two builds of the same sources in different folders"
fi

# --- 3. an outside project, from the deployment only ----------------------------------------------------------------
# the rest of the world (plugins, Jackson, BouncyCastle ...) from the local cache, without any vboxmcp artifact
CENTRAL="$WORK/central"
rm -rf "$CENTRAL" "$WORK/m2" "$WORK/sample" "$WORK/home"
mkdir -p "$CENTRAL/io"
for d in "$HOME"/.m2/repository/*; do [ "$(basename "$d")" = io ] || ln -s "$d" "$CENTRAL/"; done
for d in "$HOME"/.m2/repository/io/*; do [ "$(basename "$d")" = vboxmcp ] || ln -s "$d" "$CENTRAL/io/"; done
cat > "$WORK/settings.xml" <<EOF
<settings>
  <localRepository>$WORK/m2</localRepository>
  <mirrors><mirror><id>cache</id><mirrorOf>*,!staging</mirrorOf><url>file://$CENTRAL</url></mirror></mirrors>
  <profiles><profile><id>staging</id>
    <repositories><repository><id>staging</id><url>file://$REPO</url><snapshots><enabled>true</enabled></snapshots></repository></repositories>
  </profile></profiles>
  <activeProfiles><activeProfile>staging</activeProfile></activeProfiles>
</settings>
EOF
cp -r "$ROOT/scripts/release-sample" "$WORK/sample"
(cd "$WORK/sample" && mvn -B -ntp -s "$WORK/settings.xml" -Dvboxmcp.version="$version" compile \
   dependency:build-classpath -Dmdep.outputFile=cp.txt) > "$WORK/sample.log" 2>&1 \
  || { tail -40 "$WORK/sample.log"; die "the outside project did not build against the deployment"; }
for a in vboxmcp-parent vboxmcp-bom vboxmcp-api vboxmcp-core vboxmcp-qemu; do
  rr=$(ls "$WORK/m2/io/vboxmcp/$a/$version/"_remote.repositories 2>/dev/null) || die "the sample did not resolve $a"
  grep -v '^#' "$rr" | grep -qv '>staging=$' && die "$a came from somewhere else than the deployment: $(cat "$rr")"
done
log "3. the outside project resolved the BOM, api, core and qemu from the deployment only and compiled"
if [ $RUN_VM -eq 1 ]; then
  catalog=$("$ROOT/scripts/build-test-image.sh" | tail -1)
  (cd "$WORK/sample" && timeout 600 java -Dvboxmcp.image.catalog="file://$catalog" -cp "target/classes:$(cat cp.txt)" \
     com.example.vboxmcpsample.CreateVm "$ROOT/examples/templates/web-demo" "$WORK/home") > "$WORK/vm.log" 2>&1 \
    || { tail -30 "$WORK/vm.log"; die "the outside project could not create a VM"; }
  grep -q '^sample: sample-vm RUNNING, guest says Linux (exit 0)$' "$WORK/vm.log" || { cat "$WORK/vm.log"; die "unexpected output"; }
  grep -q '^sample: destroyed, VMs left: 0$' "$WORK/vm.log" || { cat "$WORK/vm.log"; die "the VM was not destroyed"; }
  log "3. it created a VM ($(grep '^sample: sample-vm' "$WORK/vm.log" | cut -c9-)) and destroyed it"
fi
log "passed in $((SECONDS - t0)) s"
checks=3; [ $RUN_VM -eq 1 ] && checks=4
echo "release-check: $checks passed, 0 failed"
