#!/usr/bin/env bash
# JMH benchmarks (module jllm-bench): builds jllm-bench/target/benchmarks.jar when it is missing or
# older than any source it is made of, then runs it with the project's JVM flags. Arguments go to
# JMH, e.g.
#   scripts/bench-jmh.sh -l                                   # list the benchmarks
#   scripts/bench-jmh.sh MatVecBench -p format=Q4_0,Q8_0 -wi 3 -i 5 -w 1s -r 1s
#   scripts/bench-jmh.sh 'EncodeBench.(jllm|jtokkit)$' -p tokenizer=cl100k_base
# Each benchmark class forks one JVM per parameter combination (one kernel per JVM) and passes the
# flags to it with @Fork(jvmArgsAppend). Measure while holding the build lock so that no build runs
# beside it:  flock /tmp/jllm-build.lock scripts/bench-jmh.sh ...   (the script does not take it
# itself, so a caller already holding it does not deadlock).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/find-jdk.sh
jar=jllm-bench/target/benchmarks.jar
stale=0
if [ ! -f "$jar" ]; then
  stale=1
elif [ -n "$(find pom.xml jllm-bench/pom.xml jllm-bench/src jllm-tensor jllm-gguf jllm-tokenizer jllm-model \
        -path '*/target' -prune -o -path '*/src/test' -prune -o -type f -newer "$jar" -print -quit)" ]; then
  stale=1
fi
if [ "$stale" = 1 ]; then
  echo "bench-jmh: building $jar" >&2
  ./build -q -B -Pbench -pl jllm-bench -am package -DskipTests >&2
fi
# The forks get their flags from @Fork(jvmArgsAppend); these are for the host JVM that lists and
# launches them (and are inherited by the forks, so -jvmArgs on the command line can replace them).
exec "$JAVA_HOME/bin/java" --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -jar "$jar" "$@"
