#!/usr/bin/env bash
# Builds the benchmarks and runs all five (about 7 minutes on 2 cores), with only JDK 17 and Maven.
# Results: benchmarks/target/results/ (jmh.txt and jmh.json, the full JMH output; summary-jmh.txt,
# rotation.txt, storm.txt, coldstart.txt, machine.txt). docs/BENCHMARKS.md explains them.
set -euo pipefail
cd "$(dirname "$0")/.."
out=benchmarks/target/results
jar=benchmarks/target/benchmarks.jar

# A reactor build of the modules the benchmarks need; nothing is installed into ~/.m2.
mvn -B -ntp -q -Pbenchmarks -pl benchmarks -am package -DskipTests
mkdir -p "$out"

machine() {
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "java: $(java -version 2>&1 | head -n 2 | tail -n 1)"
  echo "os: $(uname -sr)"
}
{ machine; echo "before: $(uptime)"; } | tee "$out/machine.txt"

# 1 and 2: JMH, with the GC profiler for bytes per operation.
java -jar "$jar" -prof gc -rf json -rff "$out/jmh.json" 'TokenReadBenchmark|SqlQueryBenchmark' > "$out/jmh.txt"
tail -n 60 "$out/jmh.txt"
java -cp "$jar" io.cartosecrets.benchmarks.JmhSummary "$out/jmh.json" | tee "$out/summary-jmh.txt"
# 3, 4 and 5: load scenarios, each a plain main in the same jar.
java -cp "$jar" io.cartosecrets.benchmarks.RotationUnderLoad | tee "$out/rotation.txt"
java -cp "$jar" io.cartosecrets.benchmarks.UnauthorizedStorm | tee "$out/storm.txt"
java -cp "$jar" io.cartosecrets.benchmarks.ColdStart | tee "$out/coldstart.txt"

echo "after: $(uptime)" | tee -a "$out/machine.txt"
