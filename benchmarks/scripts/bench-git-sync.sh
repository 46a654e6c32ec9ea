#!/bin/sh
# Git source benchmark (not part of the test run): 1,000 templates served by git daemon on 127.0.0.1;
# first sync vs `git clone --mirror`, and a no-op re-sync. Needs git on PATH; takes about a minute.
# Usage: benchmarks/scripts/bench-git-sync.sh   (from anywhere; pass -o to Maven via MVN_FLAGS). The benchmark
# class stays in vboxmcp-git's tests (it uses that module's git daemon fixture).
set -eu
module="$(cd "$(dirname "$0")/../.." && pwd)/vboxmcp-git"
cd "$module"
mvn -q ${MVN_FLAGS:--o} test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test
exec java -cp "target/test-classes:target/classes:$(cat target/bench.cp)" io.vboxmcp.git.internal.GitSyncBenchmark
