package io.cartosecrets.testkit.vault;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.cartosecrets.testkit.canary.StandInTraffic;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import javax.net.ssl.SSLSocketFactory;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import io.cartosecrets.testkit.NoDelayServerSockets;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.HttpUrl;
import okio.ByteString;

/**
 * A stateful stand-in for HashiCorp Vault that speaks its HTTP API on a loopback port, for driving
 * real Vault clients in tests.
 *
 * <p>What it models:
 *
 * <ul>
 *   <li>KV version 1 and 2 mounts at any depth ({@code kv/team/carto}): read, write (with
 *       check-and-set), list, delete; for KV v2 also versions, {@code ?version=N} reads, soft delete,
 *       undelete, destroy and metadata, answering a deleted or destroyed version with 404 and its
 *       metadata as Vault does, and a v1-style path on a v2 mount with Vault's warning.
 *   <li>Mount discovery: {@code GET sys/mounts} (needs {@code read} on {@code sys/mounts}, as in Vault)
 *       and {@code GET sys/internal/ui/mounts/<path>} (what the Vault CLI uses; allowed when the token
 *       has any capability under the mount, 403 otherwise).
 *   <li>Tokens with TTL, maximum TTL and renewability, on an injectable clock: {@code lookup-self},
 *       {@code renew-self} (capped at the maximum TTL with Vault's warning; 400 when not renewable);
 *       an expired, revoked or unknown token gets 403 with {@code permission denied} and {@code
 *       invalid token}; a valid one without a matching policy gets 403 {@code permission denied}.
 *   <li>ACL policies as path globs (exact or trailing {@code *}) with capabilities; the most specific
 *       match decides, as in Vault.
 *   <li>AppRole and Kubernetes logins at any auth mount; Enterprise namespaces selected by the
 *       {@code X-Vault-Namespace} header (tokens are valid only in the namespace that issued them).
 *   <li>Sealed mode (503 {@code Vault is sealed}) and injected failures (any status, N times).
 * </ul>
 *
 * <p>Every request is recorded ({@link #requests()}) without its secrets: the token is identified by
 * its accessor, the body by its field names. Tokens, secret ids and service account JWTs are minted
 * with {@code TestTokens}, so they are canaries. Thread-safe.
 */
public final class FakeVault implements AutoCloseable {
  private final MockWebServer server;
  private final VaultState state;
  private final String address;
  // Appended by MockWebServer's threads, read by tests: a copy-on-write list needs no locking.
  private final List<RecordedVaultRequest> requests = new CopyOnWriteArrayList<>();

  private FakeVault(Clock clock, SSLSocketFactory tls) {
    this.state = new VaultState(clock);
    this.server = new MockWebServer();
    server.setServerSocketFactory(NoDelayServerSockets.factory());
    server.setDispatcher(StandInTraffic.recording("FakeVault", new VaultDispatcher()::dispatch));
    if (tls != null) {
      server.useHttps(tls);
    }
    InetAddress loopback = InetAddress.getLoopbackAddress();
    try {
      server.start(loopback, 0);
    } catch (IOException e) {
      throw new UncheckedIOException("could not start the Vault stand-in", e);
    }
    String host = loopback.getHostAddress();
    this.address = (tls == null ? "http://" : "https://")
        + (host.contains(":") ? "[" + host + "]" : host) + ":" + server.getPort();
  }

  /** A stand-in on plain HTTP with the system clock. */
  public static FakeVault start() {
    return new FakeVault(Clock.systemUTC(), null);
  }

  /** A stand-in on plain HTTP whose token TTLs follow {@code clock} (a {@code FakeClock} in tests). */
  public static FakeVault start(Clock clock) {
    return new FakeVault(Objects.requireNonNull(clock, "clock"), null);
  }

  /** A stand-in on HTTPS, serving the certificate behind {@code tls}. */
  public static FakeVault startHttps(Clock clock, SSLSocketFactory tls) {
    return new FakeVault(Objects.requireNonNull(clock, "clock"), Objects.requireNonNull(tls, "tls"));
  }

  /** The address to give a client, like {@code VAULT_ADDR}: {@code http://127.0.0.1:PORT}. */
  public String address() {
    return address;
  }

  /** A root token of the root namespace: every capability, no expiry. */
  public String rootToken() {
    return state.rootToken();
  }

  /** The root namespace. */
  public Namespace root() {
    return new Namespace("");
  }

  /** The Enterprise namespace at {@code path} (e.g. {@code team-a} or {@code org/team-a}), created if new. */
  public Namespace namespace(String path) {
    String p = VaultState.trimSlashes(path);
    if (p.isEmpty()) {
      return root();
    }
    state.createNamespace(p);
    return new Namespace(p);
  }

  /** Mounts a KV engine at {@code path} in the root namespace; see {@link Namespace#mountKv}. */
  public FakeVault mountKv(String path, int version) {
    root().mountKv(path, version);
    return this;
  }

  /** Writes a secret in the root namespace; see {@link Namespace#write}. */
  public int write(String fullPath, Map<String, ?> data) {
    return root().write(fullPath, data);
  }

  /** Adds a policy rule in the root namespace; see {@link Namespace#policy}. */
  public FakeVault policy(String name, String pathGlob, String... capabilities) {
    root().policy(name, pathGlob, capabilities);
    return this;
  }

  /** Issues a token in the root namespace; see {@link Namespace#createToken}. */
  public String createToken(VaultTokenSpec spec) {
    return root().createToken(spec);
  }

  /** An AppRole role at {@code auth/approle} in the root namespace. */
  public AppRole appRole(String name, VaultTokenSpec spec) {
    return root().appRole("approle", name, spec);
  }

  /** A Kubernetes role at {@code auth/kubernetes} in the root namespace. */
  public KubernetesRole kubernetesRole(String name, VaultTokenSpec spec) {
    return root().kubernetesRole("kubernetes", name, spec);
  }

  /** Soft-deletes versions of a KV v2 secret in the root namespace (none given: the latest). */
  public void softDelete(String fullPath, int... versions) {
    root().softDelete(fullPath, versions);
  }

  /** Undeletes soft-deleted versions of a KV v2 secret in the root namespace. */
  public void undelete(String fullPath, int... versions) {
    root().undelete(fullPath, versions);
  }

  /** Destroys versions of a KV v2 secret in the root namespace (none given: the latest). */
  public void destroy(String fullPath, int... versions) {
    root().destroy(fullPath, versions);
  }

  /** Revokes a token: every later use of it gets 403 {@code invalid token}. */
  public void revokeToken(String token) {
    state.revoke(token);
  }

  /**
   * Revokes the token with this accessor, as {@code vault token revoke -accessor} does: how a test
   * revokes a token it never saw (one issued by a login).
   *
   * @throws IllegalArgumentException if no token has that accessor
   */
  public void revokeAccessor(String accessor) {
    if (!state.revokeAccessor(accessor)) {
      throw new IllegalArgumentException("no token with accessor " + accessor);
    }
  }

  /** The accessor of a token this Vault issued: a safe name for it in assertions. */
  public Optional<String> accessorOf(String token) {
    return state.accessorOf(token);
  }

  /** How long a token has left, or empty if it never expires or is unknown. */
  public Optional<Duration> remainingTtl(String token) {
    return state.remainingTtl(token);
  }

  /** Seals Vault: every request but {@code sys/health} and {@code sys/seal-status} gets 503. */
  public void seal() {
    state.seal(true);
  }

  public void unseal() {
    state.seal(false);
  }

  /** Answers the next {@code count} requests with {@code status} (e.g. 500, 503) and no effect. */
  public void failNext(int count, int status) {
    state.failNext(count, status);
  }

  /**
   * Answers the next request whose API path ends with {@code pathSuffix} (e.g. {@code data/prod})
   * with {@code status} and {@code jsonBody} byte for byte, instead of the stand-in's own answer: for
   * hostile or malformed answers (odd metadata, odd field types). Once per call; in call order.
   */
  public void answerNextRaw(String pathSuffix, int status, String jsonBody) {
    rawAnswers.add(new String[] {java.util.Objects.requireNonNull(pathSuffix, "pathSuffix"), Integer.toString(status),
        java.util.Objects.requireNonNull(jsonBody, "jsonBody")});
  }

  private final java.util.concurrent.ConcurrentLinkedQueue<String[]> rawAnswers = new java.util.concurrent.ConcurrentLinkedQueue<>();

  private String[] takeRawAnswer(String path) {
    for (String[] a : rawAnswers) {
      if (path.endsWith(a[0]) && rawAnswers.remove(a)) {
        return a;
      }
    }
    return null;
  }

  /** Every request answered so far, oldest first. */
  public List<RecordedVaultRequest> requests() {
    return Collections.unmodifiableList(new ArrayList<>(requests));
  }

  /** The requests answered so far that match {@code filter}. */
  public List<RecordedVaultRequest> requests(Predicate<RecordedVaultRequest> filter) {
    List<RecordedVaultRequest> out = new ArrayList<>();
    for (RecordedVaultRequest r : requests) {
      if (filter.test(r)) {
        out.add(r);
      }
    }
    return out;
  }

  /** The requests to paths ending with {@code suffix} (e.g. {@code /login}, {@code renew-self}). */
  public List<RecordedVaultRequest> requestsTo(String suffix) {
    return requests(r -> r.path().endsWith(suffix));
  }

  public void clearRequests() {
    requests.clear();
  }

  @Override
  public void close() {
    server.close();
  }

  @Override
  public String toString() {
    return "FakeVault[" + address + "]";
  }

  /** One namespace of the stand-in ({@code ""} is the root namespace). */
  public final class Namespace {
    private final String path;

    private Namespace(String path) {
      this.path = path;
    }

    /** The namespace path, empty for the root namespace. */
    public String path() {
      return path;
    }

    /** Mounts a KV engine, version 1 or 2, at {@code path}, which may be nested ({@code kv/team/carto}). */
    public Namespace mountKv(String mountPath, int version) {
      state.mountKv(path, mountPath, version);
      return this;
    }

    /**
     * Writes {@code data} at {@code fullPath} (mount and secret path, e.g. {@code kv/team/carto/prod}),
     * as a new version on KV v2.
     *
     * @return the new version on KV v2, 0 on KV v1
     */
    public int write(String fullPath, Map<String, ?> data) {
      return state.write(path, fullPath, new LinkedHashMap<>(data));
    }

    /** The current (latest) version of a KV v2 secret. */
    public int currentVersion(String fullPath) {
      return state.currentVersion(path, fullPath);
    }

    public void softDelete(String fullPath, int... versions) {
      state.softDelete(path, fullPath, versions);
    }

    public void undelete(String fullPath, int... versions) {
      state.undelete(path, fullPath, versions);
    }

    public void destroy(String fullPath, int... versions) {
      state.destroy(path, fullPath, versions);
    }

    /**
     * Adds a rule to policy {@code name}: capabilities ({@code read}, {@code list}, {@code create},
     * {@code update}, {@code delete}, {@code deny}) on an API path such as
     * {@code kv/team/carto/data/prod} or a glob such as {@code kv/team/*}.
     */
    public Namespace policy(String name, String pathGlob, String... capabilities) {
      state.policy(path, name, pathGlob, capabilities);
      return this;
    }

    /** Issues a token valid in this namespace. */
    public String createToken(VaultTokenSpec spec) {
      return state.createToken(path, spec);
    }

    /** Creates an AppRole role at {@code auth/<authMount>} whose logins issue tokens per {@code spec}. */
    public AppRole appRole(String authMount, String name, VaultTokenSpec spec) {
      String mount = VaultState.trimSlashes(authMount);
      return new AppRole(state, path, mount, name, state.appRole(path, mount, name, spec));
    }

    /** Creates a Kubernetes role at {@code auth/<authMount>} whose logins issue tokens per {@code spec}. */
    public KubernetesRole kubernetesRole(String authMount, String name, VaultTokenSpec spec) {
      String mount = VaultState.trimSlashes(authMount);
      state.kubernetesRole(path, mount, name, spec);
      return new KubernetesRole(state, path, mount, name);
    }

    @Override
    public String toString() {
      return "FakeVault.Namespace[" + (path.isEmpty() ? "root" : path) + "]";
    }
  }

  private final class VaultDispatcher extends Dispatcher {
    @Override
    public MockResponse dispatch(RecordedRequest request) {
      HttpUrl url = request.getUrl();
      List<String> segments = url.pathSegments();
      String method = request.getMethod() == null ? "" : request.getMethod();
      if (segments.isEmpty() || !segments.get(0).equals("v1")) {
        return json(404, "{\"errors\":[]}");
      }
      String path = String.join("/", segments.subList(1, segments.size()));
      Map<String, String> query = new LinkedHashMap<>();
      for (String name : url.queryParameterNames()) {
        String v = url.queryParameter(name);
        query.put(name, v == null ? "" : v);
      }
      String ns = request.getHeaders().get("X-Vault-Namespace");
      ns = ns == null ? "" : VaultState.trimSlashes(ns.trim());
      String token = request.getHeaders().get("X-Vault-Token");
      ByteString raw = request.getBody();
      JsonNode body = null;
      Set<String> fields = Set.of();
      VaultState.Answer answer = null;
      if (raw != null && raw.size() > 0) {
        try {
          body = VaultState.MAPPER.readTree(raw.utf8());
          if (body != null && body.isObject()) {
            Set<String> names = new java.util.TreeSet<>();
            body.fieldNames().forEachRemaining(names::add);
            fields = names;
          }
        } catch (JsonProcessingException e) {
          answer = new VaultState.Answer(400, VaultState.MAPPER.createObjectNode()
              .set("errors", VaultState.MAPPER.createArrayNode().add("failed to parse JSON input")));
        }
      }
      String[] rawAnswer = answer == null ? takeRawAnswer(path) : null;
      if (rawAnswer != null) {
        answer = new VaultState.Answer(Integer.parseInt(rawAnswer[1]), null);
      }
      if (answer == null) {
        answer = state.handle(method, path, query, ns, token, body);
      }
      requests.add(new RecordedVaultRequest(
          method, path, query, ns, token != null && !token.isEmpty(), state.accessorFor(token),
          "true".equals(request.getHeaders().get("X-Vault-Request")), fields, answer.status));
      if (rawAnswer != null) {
        return json(answer.status, rawAnswer[2]);
      }
      return answer.body == null ? new MockResponse.Builder().code(answer.status).build()
          : json(answer.status, answer.body);
    }

    private MockResponse json(int status, String body) {
      // Exactly "application/json": the Java driver compares the MIME type as a whole string.
      return new MockResponse.Builder().code(status).setHeader("Content-Type", "application/json")
          .body(body).build();
    }
  }
}
