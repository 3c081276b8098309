package io.cartosecrets.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Reads JMH's JSON result (benchmarks 1 and 2) and prints the comparisons the docs report: the
 * token read against the volatile field, and the SDK against raw OkHttp as ratios, both overall
 * and per measurement iteration (the two ran side by side in each iteration, so each iteration is
 * a fair pair even when other processes load the machine).
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.cartosecrets.benchmarks.JmhSummary benchmarks/target/results/jmh.json</pre>
 */
public final class JmhSummary {
  private static final String PREFIX = "io.cartosecrets.benchmarks.";

  private final JsonNode results;

  private JmhSummary(JsonNode results) {
    this.results = results;
  }

  public static void main(String[] args) throws IOException {
    JmhSummary s = new JmhSummary(new ObjectMapper().readTree(Path.of(args[0]).toFile()));
    System.out.println("== 1. Token read: the cache and a volatile field, each alone; A = the cache beside B = the clock read");
    for (String m : List.of("cache", "volatileField")) {
      JsonNode b = s.benchmark("TokenReadBenchmark." + m);
      System.out.printf(Locale.ROOT, "  %-22s %7.2f ± %.2f ns/op (iterations: median %.2f, %s), %.4f B/op%n", m + " alone",
          b.at("/primaryMetric/score").asDouble(), b.at("/primaryMetric/scoreError").asDouble(),
          median(b.at("/primaryMetric/rawData")), range(b.at("/primaryMetric/rawData")),
          b.at("/secondaryMetrics/gc.alloc.rate.norm/score").asDouble());
    }
    JsonNode c = s.benchmark("TokenReadBenchmark.vsClockRead").get("secondaryMetrics");
    s.pair("cache vs clock (ns/op)", c.get("cacheBesideClock"), c.get("clockRead"));

    System.out.println("== 2. SQL query: A = CartoClient (SDK), B = bare OkHttp (raw), side by side");
    JsonNode t = s.benchmark("SqlQueryBenchmark.throughput").get("secondaryMetrics");
    s.pair("throughput (ops/s)", t.get("cartoClientThroughput"), t.get("rawOkHttpThroughput"));
    JsonNode l = s.benchmark("SqlQueryBenchmark.latency").get("secondaryMetrics");
    s.pair("mean latency (us)", l.get("cartoClientLatency"), l.get("rawOkHttpLatency"));
    for (String p : List.of("p0.50", "p0.99", "p0.999")) {
      s.pair(p + " latency (us)", l.get("cartoClientLatency:" + p), l.get("rawOkHttpLatency:" + p));
    }
    JsonNode sdkAlone = s.benchmark("SqlQueryBenchmark.cartoClientAlone");
    JsonNode rawAlone = s.benchmark("SqlQueryBenchmark.rawOkHttpAlone");
    double sdkBytes = sdkAlone.at("/secondaryMetrics/gc.alloc.rate.norm/score").asDouble();
    double rawBytes = rawAlone.at("/secondaryMetrics/gc.alloc.rate.norm/score").asDouble();
    System.out.printf(Locale.ROOT, "  %-22s A %10.0f   B %10.0f   A/B %.3f (each alone: %.1f vs %.1f us/op)%n",
        "bytes per request", sdkBytes, rawBytes, sdkBytes / rawBytes,
        sdkAlone.at("/primaryMetric/score").asDouble(), rawAlone.at("/primaryMetric/score").asDouble());
  }

  private static List<Double> values(JsonNode forks) {
    List<Double> all = new ArrayList<>();
    forks.forEach(fork -> fork.forEach(v -> all.add(v.asDouble())));
    Collections.sort(all);
    return all;
  }

  private static double median(JsonNode forks) {
    List<Double> all = values(forks);
    return all.get(all.size() / 2);
  }

  private static String range(JsonNode forks) {
    List<Double> all = values(forks);
    return String.format(Locale.ROOT, "%.2f-%.2f, n=%d", all.get(0), all.get(all.size() - 1), all.size());
  }

  private JsonNode benchmark(String name) {
    for (JsonNode b : results) {
      if (b.get("benchmark").asText().equals(PREFIX + name)) {
        return b;
      }
    }
    throw new IllegalArgumentException("no result for " + name + " in the JMH output");
  }

  /** Prints both scores, their ratio, and the spread of the ratio over paired iterations. */
  private void pair(String what, JsonNode sdk, JsonNode raw) {
    double ratio = sdk.get("score").asDouble() / raw.get("score").asDouble();
    List<Double> perIteration = new ArrayList<>();
    JsonNode sdkForks = sdk.get("rawData");
    JsonNode rawForks = raw.get("rawData");
    for (int f = 0; f < sdkForks.size(); f++) {
      for (int i = 0; i < sdkForks.get(f).size(); i++) {
        perIteration.add(sdkForks.get(f).get(i).asDouble() / rawForks.get(f).get(i).asDouble());
      }
    }
    Collections.sort(perIteration);
    System.out.printf(Locale.ROOT, "  %-22s A %10.2f   B %10.2f   A/B %.3f (paired iterations: median %.3f, %.3f-%.3f, n=%d)%n",
        what, sdk.get("score").asDouble(), raw.get("score").asDouble(), ratio, perIteration.get(perIteration.size() / 2),
        perIteration.get(0), perIteration.get(perIteration.size() - 1), perIteration.size());
  }
}
