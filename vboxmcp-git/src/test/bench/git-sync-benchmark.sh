#!/bin/sh
# Git source benchmark (not part of the test run): 1,000 templates served by git daemon on 127.0.0.1;
# first sync vs `git clone --mirror`, and a no-op re-sync. Needs git on PATH; takes about a minute.
# Usage: vboxmcp-git/src/test/bench/git-sync-benchmark.sh   (from anywhere; pass -o to Maven via MVN_FLAGS)
set -eu
module="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$module"
mvn -q ${MVN_FLAGS:--o} test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test
exec java -cp "target/test-classes:target/classes:$(cat target/bench.cp)" io.vboxmcp.git.internal.GitSyncBenchmark
