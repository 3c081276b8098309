package io.cartosecrets.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cartosecrets.CartoClient;
import io.cartosecrets.SecretProvider;
import io.cartosecrets.SecretProviders;
import io.cartosecrets.aws.AwsSecretsManagerProvider;
import io.cartosecrets.testkit.FakeCartoServer;
import io.cartosecrets.testkit.aws.FakeSecretsManager;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * Benchmark 5: cold start, the time from building the client to its first answer, in a JVM that
 * has loaded nothing yet. This process runs the stand-ins (CARTO, and Secrets Manager as the
 * stand-in store) and starts a fresh {@code java} process for every sample, so that no class of
 * OkHttp, Jackson or the AWS SDK is loaded before the clock starts.
 *
 * <p>Variants: the file provider ({@code file:} reference through {@code SecretProviders}), AWS
 * Secrets Manager ({@code AwsSecretsManagerProvider} against the stand-in), and the raw
 * alternative: read the same file with {@code Files.readString}, one bare OkHttp request with the
 * header, parse the JSON. Samples of the variants are interleaved so that machine noise spreads
 * over all of them.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.cartosecrets.benchmarks.ColdStart [samples]</pre>
 */
public final class ColdStart {
  private static final String SQL = "SELECT name FROM cities ORDER BY population DESC LIMIT 1";
  private static final String SECRET_NAME = "prod/carto";
  private static final List<String> VARIANTS = List.of("file", "aws-sm", "raw");

  private ColdStart() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--child")) {
      child(args[1], args[2], args[3], args[4], args[5]);
      return;
    }
    int samples = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    System.out.printf(Locale.ROOT, "== 5. Cold start: client built -> first answer, fresh JVM per sample, %d samples each%n", samples);
    try (FakeCartoServer carto = FakeCartoServer.start(); FakeSecretsManager aws = FakeSecretsManager.start()) {
      String token = carto.mintToken();
      TokenFile file = TokenFile.create(token);
      aws.createSecret(SECRET_NAME, "{\"api_token\":\"" + token + "\"}");
      Map<String, long[][]> results = new LinkedHashMap<>();
      VARIANTS.forEach(v -> results.put(v, new long[3][samples]));
      for (int i = 0; i < samples; i++) {
        for (String v : VARIANTS) {
          long[] phases = runChild(v, carto.baseUrl(), file.path(), aws);
          for (int p = 0; p < 3; p++) {
            results.get(v)[p][i] = phases[p];
          }
        }
      }
      System.out.println("  from before the provider is built:");
      for (Map.Entry<String, long[][]> e : results.entrySet()) {
        long[][] phases = e.getValue();
        System.out.printf(Locale.ROOT, "  %-7s first answer %s | client built %s, token loaded %s | %s%n", e.getKey(),
            Latencies.medianRange(phases[2]), Latencies.medianRange(phases[0]), Latencies.medianRange(phases[1]),
            describe(e.getKey()));
      }
      file.close();
    }
  }

  private static String describe(String variant) {
    switch (variant) {
      case "file":
        return "CartoClient, SecretProviders.fromUri(\"file:...\")";
      case "aws-sm":
        return "CartoClient, AwsSecretsManagerProvider on the Secrets Manager stand-in";
      default:
        return "bare OkHttp built, Files.readString, one request, Jackson";
    }
  }

  /** Runs one sample in a new JVM; returns nanoseconds to client built, token loaded, first answer. */
  private static long[] runChild(String variant, String baseUrl, Path file, FakeSecretsManager aws)
      throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        ColdStart.class.getName(), "--child", variant, baseUrl, file.toString(), aws.endpoint().toString(), aws.region());
    // The stand-in's credentials go by environment, not on the command line.
    pb.environment().put("AWS_ACCESS_KEY_ID", aws.accessKeyId());
    pb.environment().put("AWS_SECRET_ACCESS_KEY", aws.secretAccessKey());
    pb.redirectErrorStream(true);
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    Process p = pb.start();
    List<String> out = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        out.add(line);
      }
    }
    int exit = p.waitFor();
    String last = out.isEmpty() ? "" : out.get(out.size() - 1);
    if (exit != 0 || !last.startsWith("micros=")) {
      throw new IllegalStateException("cold-start child " + variant + " failed (exit " + exit + "): " + String.join("\n", out));
    }
    return Arrays.stream(last.substring("micros=".length()).split(",")).mapToLong(us -> Long.parseLong(us) * 1000).toArray();
  }

  /**
   * In the fresh JVM: one client, one query, timed from before the provider is built. Prints the
   * time at which the client was built, the token was loaded, and the first answer was parsed.
   */
  private static void child(String variant, String baseUrl, String file, String awsEndpoint, String region)
      throws IOException {
    long start = System.nanoTime();
    long[] at = new long[3];
    int rows;
    if (variant.equals("raw")) {
      rows = raw(baseUrl, Path.of(file), start, at);
    } else {
      SecretProvider source = variant.equals("file")
          ? SecretProviders.fromUri("file:" + file)
          : AwsSecretsManagerProvider.builder()
              .secretId(SECRET_NAME)
              .field("api_token")
              .endpointOverride(URI.create(awsEndpoint))
              .region(region)
              .credentialsProvider(StaticCredentialsProvider.create(
                  AwsBasicCredentials.create(System.getenv("AWS_ACCESS_KEY_ID"), System.getenv("AWS_SECRET_ACCESS_KEY"))))
              .build();
      try (CartoClient client = CartoClient.builder().baseUrl(baseUrl).secretProvider(source).build()) {
        at[0] = System.nanoTime() - start;
        // What the first query does first anyway; called here only to time it apart.
        client.tokenProvider().currentToken();
        at[1] = System.nanoTime() - start;
        rows = client.sql(FakeCartoServer.DEFAULT_CONNECTION).query(SQL).rowCount();
        at[2] = System.nanoTime() - start;
      }
    }
    if (rows != 1) {
      throw new IllegalStateException("expected one row, got " + rows);
    }
    System.out.println("micros=" + at[0] / 1000 + "," + at[1] / 1000 + "," + at[2] / 1000);
    System.exit(0);
  }

  private static int raw(String baseUrl, Path file, long start, long[] at) throws IOException {
    OkHttpClient http = new OkHttpClient();
    at[0] = System.nanoTime() - start;
    String token = Files.readString(file).strip();
    at[1] = System.nanoTime() - start;
    HttpUrl url = HttpUrl.get(baseUrl).newBuilder()
        .addPathSegments("v3/sql/" + FakeCartoServer.DEFAULT_CONNECTION + "/query")
        .addQueryParameter("q", SQL)
        .build();
    Request request = new Request.Builder().url(url).header("Authorization", "Bearer " + token).build();
    try (Response response = http.newCall(request).execute()) {
      if (!response.isSuccessful()) {
        throw new IOException("HTTP " + response.code());
      }
      int rows = new ObjectMapper().readTree(response.body().string()).get("rows").size();
      at[2] = System.nanoTime() - start;
      return rows;
    }
  }
}
