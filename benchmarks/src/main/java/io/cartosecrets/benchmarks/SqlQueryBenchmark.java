package io.cartosecrets.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.cartosecrets.CartoClient;
import io.cartosecrets.SecretProviders;
import io.cartosecrets.SqlResult;
import io.cartosecrets.testkit.FakeCartoServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Benchmark 2: one SQL query through {@link CartoClient} (token from a secret file through the
 * refreshing cache, the default setup) against the same request through a bare {@link
 * OkHttpClient} with a constant {@code Authorization} header, both parsing the JSON answer.
 *
 * <p>The server is the JDK's HTTP server on loopback serving, for the right Bearer token only, the
 * very answer {@link FakeCartoServer} gives to the query (fetched once at set-up). It is kept this
 * lean on purpose: the less time the server takes, the larger the client's share of each request,
 * so the ratio is a conservative bound on what the SDK adds in front of a real CARTO, whose answers
 * take milliseconds.
 *
 * <p>Throughput: two SDK threads and two raw threads at once. Latency percentiles (SampleTime):
 * one SDK thread and one raw thread at once. Bytes per request: each alone, in turn.
 */
@State(Scope.Benchmark)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
// The whole HTTP stack takes about 15 s to reach its plateau on 2 shared cores.
@Warmup(iterations = 8, time = 2)
@Measurement(iterations = 5, time = 2)
// Without TCP_NODELAY the JDK server's separate header and body writes meet the client's delayed
// ACK, and every request waits 40 ms.
@Fork(value = 3, jvmArgsAppend = "-Dsun.net.httpserver.nodelay=true")
public class SqlQueryBenchmark {
  static final String SQL = "SELECT name, country, population FROM cities ORDER BY population DESC LIMIT 5";
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private HttpServer server;
  private ExecutorService serverThreads;
  private TokenFile tokenFile;
  private CartoClient carto;
  private OkHttpClient raw;
  private HttpUrl rawBase;
  private String authorization;

  @Setup
  public void setUp() throws IOException {
    String token;
    byte[] answer;
    try (FakeCartoServer fake = FakeCartoServer.start()) {
      token = fake.mintToken();
      authorization = "Bearer " + token;
      raw = new OkHttpClient();
      answer = get(HttpUrl.get(fake.baseUrl())).getBytes(StandardCharsets.UTF_8);
    }
    String expected = authorization;
    byte[] unauthorized = "{\"error\":\"Unauthorized\"}".getBytes(StandardCharsets.UTF_8);
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
    serverThreads = Executors.newFixedThreadPool(4);
    server.setExecutor(serverThreads);
    server.createContext("/v3/sql/", exchange -> {
      boolean ok = expected.equals(exchange.getRequestHeaders().getFirst("Authorization"));
      reply(exchange, ok ? 200 : 401, ok ? answer : unauthorized);
    });
    server.start();
    String base = "http://127.0.0.1:" + server.getAddress().getPort();
    rawBase = HttpUrl.get(base);

    tokenFile = TokenFile.create(token);
    carto = CartoClient.builder().baseUrl(base).secretProvider(SecretProviders.fromUri(tokenFile.reference())).build();
    // Both paths must work before anything is measured.
    if (carto.sql(FakeCartoServer.DEFAULT_CONNECTION).query(SQL).rowCount() != 5 || rawOkHttp(rawBase).size() != 5) {
      throw new IllegalStateException("the benchmark server does not answer as expected");
    }
  }

  @TearDown
  public void tearDown() {
    carto.close();
    raw.dispatcher().executorService().shutdown();
    raw.connectionPool().evictAll();
    server.stop(0);
    serverThreads.shutdownNow();
    tokenFile.close();
  }

  // Each group runs the SDK and the raw client side by side, in the same iterations, so that the
  // load of other processes on a shared machine falls on both alike and their ratio stays fair.

  @Benchmark
  @Group("throughput")
  @GroupThreads(2)
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public SqlResult cartoClientThroughput() {
    return cartoClient();
  }

  @Benchmark
  @Group("throughput")
  @GroupThreads(2)
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public JsonNode rawOkHttpThroughput() throws IOException {
    return rawOkHttp(rawBase);
  }

  @Benchmark
  @Group("latency")
  @BenchmarkMode(Mode.SampleTime)
  public SqlResult cartoClientLatency() {
    return cartoClient();
  }

  @Benchmark
  @Group("latency")
  @BenchmarkMode(Mode.SampleTime)
  public JsonNode rawOkHttpLatency() throws IOException {
    return rawOkHttp(rawBase);
  }

  // One thread each, one after the other: what each request allocates (run with -prof gc).

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @Fork(value = 1, jvmArgsAppend = "-Dsun.net.httpserver.nodelay=true")
  @Measurement(iterations = 3, time = 2)
  public SqlResult cartoClientAlone() {
    return cartoClient();
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @Fork(value = 1, jvmArgsAppend = "-Dsun.net.httpserver.nodelay=true")
  @Measurement(iterations = 3, time = 2)
  public JsonNode rawOkHttpAlone() throws IOException {
    return rawOkHttp(rawBase);
  }

  private SqlResult cartoClient() {
    return carto.sql(FakeCartoServer.DEFAULT_CONNECTION).query(SQL);
  }

  /** What CartoClient sends, by hand: the same URL, a constant header; the rows of the answer. */
  private JsonNode rawOkHttp(HttpUrl base) throws IOException {
    return MAPPER.readTree(get(base)).get("rows");
  }

  private String get(HttpUrl base) throws IOException {
    HttpUrl url = base.newBuilder()
        .addPathSegments("v3/sql")
        .addPathSegment(FakeCartoServer.DEFAULT_CONNECTION)
        .addPathSegment("query")
        .addQueryParameter("q", SQL)
        .addQueryParameter("client", "carto-secrets")
        .build();
    Request request = new Request.Builder().url(url).header("Authorization", authorization).build();
    try (Response response = raw.newCall(request).execute()) {
      if (!response.isSuccessful()) {
        throw new IOException("HTTP " + response.code());
      }
      return response.body().string();
    }
  }

  private static void reply(HttpExchange exchange, int status, byte[] body) throws IOException {
    try (InputStream in = exchange.getRequestBody(); OutputStream out = exchange.getResponseBody()) {
      in.readAllBytes();
      exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
      exchange.sendResponseHeaders(status, body.length);
      out.write(body);
    }
  }
}
