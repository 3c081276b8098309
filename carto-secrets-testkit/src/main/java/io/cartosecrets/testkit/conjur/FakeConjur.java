package io.cartosecrets.testkit.conjur;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cartosecrets.testkit.Canaries;
import io.cartosecrets.testkit.NoDelayServerSockets;
import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.canary.StandInTraffic;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.HttpUrl;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;

/**
 * A stateful stand-in for a CyberArk Conjur appliance that speaks Conjur's REST API over HTTPS on
 * loopback, for tests that drive a real client over the wire.
 *
 * <p>It keeps accounts, roles (users and hosts) with API keys, variables with up to 20 versions and
 * an optional {@code conjur/mime_type} annotation, privileges ({@code read}, {@code execute},
 * {@code update}), authn-jwt services and the access tokens it issued, which expire by the injected
 * {@link Clock} (8 minutes by default). It answers like Conjur:
 *
 * <ul>
 *   <li>{@code POST /authn/{account}/{login}/authenticate}, body the API key: 200 with the access
 *       token, a JSON object {@code {protected, payload, signature}}; base64-encoded as
 *       {@code text/plain} with {@code Content-Encoding: base64} when the request says {@code
 *       Accept-Encoding: base64}. 401 with an empty body for a wrong key, login or account.
 *   <li>{@code POST /authn-jwt/{service-id}/{account}[/{host-id}]/authenticate}, form body {@code
 *       jwt=...}: the same, for a JWT registered with {@link #trustJwt}; 401 otherwise.
 *   <li>{@code GET /secrets/{account}/variable/{id}[?version=N]} with {@code Authorization: Token
 *       token="<base64 token>"}: the value, as {@code application/octet-stream} or its mime type.
 *       401 for a missing, unknown or expired token; 404 ({@code CONJ00076E}, JSON body) when the
 *       variable does not exist, is not visible to the role (no privilege at all) or has no value;
 *       403 with an empty body when the role may see it but lacks {@code execute}.
 *   <li>{@code POST /secrets/{account}/variable/{id}}, body the new value: 201 and a new version;
 *       403 without {@code update}; 422 for an empty value.
 * </ul>
 *
 * Path segments are percent-decoded as Rails does ({@code +} stays a plus sign) and the identifier is
 * the rest of the path, so {@code prod%2Fcarto} and {@code prod/carto} name the same variable, as in
 * Conjur. Every request is recorded with its raw target so a test can check the wire encoding.
 *
 * <p>API keys, JWTs it is given and access tokens it issues are registered with {@link Canaries}.
 * Thread-safe: all state is guarded by this object's monitor.
 */
public final class FakeConjur implements AutoCloseable {
  /** Conjur's access token lifetime. */
  public static final Duration DEFAULT_TOKEN_LIFETIME = Duration.ofMinutes(8);

  private static final int MAX_VERSIONS = 20;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern TOKEN_HEADER = Pattern.compile("^Token token=\"([^\"]+)\"$");
  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

  private final MockWebServer server = new MockWebServer();
  private final HeldCertificate ca;
  private final Clock clock;

  // Everything below is guarded by "this".
  private final Map<String, Account> accounts = new HashMap<>();
  private final Map<String, Issued> tokensBySignature = new HashMap<>();
  private final Deque<Integer> forcedStatuses = new ArrayDeque<>();
  private final List<Call> calls = new ArrayList<>();
  private Duration tokenLifetime = DEFAULT_TOKEN_LIFETIME;
  private int authentications;
  private int secretReads;
  private int unauthorized;

  private FakeConjur(Clock clock) {
    this.clock = clock;
    Certificates certs = Certificates.get();
    this.ca = certs.ca;
    try {
      server.setServerSocketFactory(NoDelayServerSockets.factory());
      server.useHttps(certs.server.sslSocketFactory());
      server.setDispatcher(StandInTraffic.recording("FakeConjur", new ConjurDispatcher()::dispatch));
      server.start(InetAddress.getByName("localhost"), 0);
    } catch (IOException e) {
      throw new UncheckedIOException("FakeConjur could not start", e);
    }
  }

  /** Starts a stand-in whose tokens expire by the system clock. */
  public static FakeConjur start() {
    return new FakeConjur(Clock.systemUTC());
  }

  /** Starts a stand-in whose tokens are issued and expire by {@code clock}. */
  public static FakeConjur start(Clock clock) {
    return new FakeConjur(clock);
  }

  /** The appliance URL, {@code https://localhost:<port>}, without a trailing slash. */
  public String applianceUrl() {
    String url = server.url("/").toString();
    return url.substring(0, url.length() - 1);
  }

  /** The PEM of the CA that signed the server certificate: what {@code CONJUR_CERT_FILE} holds. */
  public String caCertificatePem() {
    return ca.certificatePem();
  }

  /** Writes {@link #caCertificatePem()} to {@code file} and returns it. */
  public Path writeCaCertificate(Path file) {
    try {
      Files.writeString(file, caCertificatePem(), StandardCharsets.US_ASCII);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Creates {@code account} if it does not exist yet. */
  public synchronized FakeConjur account(String account) {
    accounts.computeIfAbsent(account, a -> new Account());
    return this;
  }

  /**
   * Adds a host ({@code host/<hostId>}) with a new API key, creating the account if needed, and
   * returns the API key.
   */
  public String addHost(String account, String hostId) {
    return addRole(account, "host/" + hostId);
  }

  /** Adds a user with a new API key, creating the account if needed, and returns the API key. */
  public String addUser(String account, String userId) {
    return addRole(account, userId);
  }

  /** Gives {@code login} a new API key (as {@code PUT /authn/{account}/api_key} does); returns it. */
  public synchronized String rotateApiKey(String account, String login) {
    Role role = role(account, login);
    role.apiKey = TestTokens.secret();
    return role.apiKey;
  }

  /**
   * Adds a version holding {@code value} to the variable, creating it if needed: a rotation. Unlike
   * the REST API this accepts an empty value, to model stores that hold one.
   */
  public synchronized FakeConjur setValue(String account, String variableId, String value) {
    Variable v = variable(account, variableId);
    v.versions.add(value);
    while (v.versions.size() > MAX_VERSIONS) {
      v.versions.remove(0);
      v.dropped++;
    }
    return this;
  }

  /** Declares the variable, with no value yet. */
  public synchronized FakeConjur addVariable(String account, String variableId) {
    variable(account, variableId);
    return this;
  }

  /** Sets the {@code conjur/mime_type} annotation, the Content-Type of the variable's value. */
  public synchronized FakeConjur mimeType(String account, String variableId, String mimeType) {
    variable(account, variableId).mimeType = mimeType;
    return this;
  }

  /** The latest value of the variable, if it has one. */
  public synchronized Optional<String> currentValue(String account, String variableId) {
    Account a = accounts.get(account);
    Variable v = a == null ? null : a.variables.get(variableId);
    return v == null || v.versions.isEmpty()
        ? Optional.empty()
        : Optional.of(v.versions.get(v.versions.size() - 1));
  }

  /**
   * Grants {@code login} privileges ({@code read}, {@code execute}, {@code update}) on a variable,
   * as a {@code !permit} in policy would. Any privilege makes the variable visible to the role.
   */
  public synchronized FakeConjur permit(String account, String login, String variableId, String... privileges) {
    role(account, login);
    variable(account, variableId);
    Set<String> granted =
        accounts.get(account).privileges.computeIfAbsent(login + "\n" + variableId, k -> new HashSet<>());
    for (String p : privileges) {
      if (!Set.of("read", "execute", "update").contains(p)) {
        throw new IllegalArgumentException("unknown privilege " + p);
      }
      granted.add(p);
    }
    return this;
  }

  /** Withdraws privileges from {@code login} on a variable. */
  public synchronized FakeConjur deny(String account, String login, String variableId, String... privileges) {
    Set<String> granted = accounts.get(account).privileges.get(login + "\n" + variableId);
    if (granted != null) {
      granted.removeAll(List.of(privileges));
    }
    return this;
  }

  /** Enables the authn-jwt service {@code serviceId} in {@code account}. */
  public synchronized FakeConjur enableJwt(String account, String serviceId) {
    account(account);
    accounts.get(account).jwtServices.computeIfAbsent(serviceId, s -> new HashMap<>());
    return this;
  }

  /**
   * Makes {@code jwt} authenticate as {@code login} (a {@code host/...}) through the authn-jwt
   * service: a stand-in for validating the JWT against the service's JWKS and mapping its claims.
   */
  public synchronized FakeConjur trustJwt(String account, String serviceId, String jwt, String login) {
    enableJwt(account, serviceId);
    role(account, login);
    Canaries.register(jwt);
    accounts.get(account).jwtServices.get(serviceId).put(jwt, login);
    return this;
  }

  /** Stops accepting {@code jwt}, as when it expires or its signing key is rotated. */
  public synchronized FakeConjur distrustJwt(String account, String serviceId, String jwt) {
    Map<String, String> service = accounts.get(account).jwtServices.get(serviceId);
    if (service != null) {
      service.remove(jwt);
    }
    return this;
  }

  /** How long access tokens issued from now on live. Default 8 minutes. */
  public synchronized FakeConjur tokenLifetime(Duration lifetime) {
    this.tokenLifetime = lifetime;
    return this;
  }

  /**
   * Issues an access token for {@code login} without an authentication request, as Conjur does for
   * the authn-k8s sidecar, and returns its JSON, which the sidecar writes to a file.
   */
  public synchronized String issueAccessToken(String account, String login) {
    role(account, login);
    return issue(account, login);
  }

  /** Invalidates every access token issued so far, as a restart with new signing keys would. */
  public synchronized FakeConjur revokeAccessTokens() {
    tokensBySignature.clear();
    return this;
  }

  /** Answers the next {@code count} requests, whatever they are, with {@code status} and no body. */
  public synchronized FakeConjur failNext(int count, int status) {
    for (int i = 0; i < count; i++) {
      forcedStatuses.add(status);
    }
    return this;
  }

  /** Drops the failures {@link #failNext} still had queued: the appliance is back. */
  public synchronized FakeConjur recover() {
    forcedStatuses.clear();
    return this;
  }

  /** Every request so far, in order. */
  public synchronized List<Call> calls() {
    return List.copyOf(calls);
  }

  /** Successful authentications (API key or JWT) so far. */
  public synchronized int authentications() {
    return authentications;
  }

  /** Successful reads of a variable's value so far. */
  public synchronized int secretReads() {
    return secretReads;
  }

  /** Requests answered 401 so far. */
  public synchronized int unauthorizedResponses() {
    return unauthorized;
  }

  @Override
  public void close() {
    server.close();
  }

  @Override
  public String toString() {
    return "FakeConjur[" + applianceUrl() + "]";
  }

  /**
   * A request as the stand-in saw it: method, the raw request target (still percent-encoded), the
   * role the token authenticated (if any) and the status answered.
   */
  public record Call(String method, String target, Optional<String> login, int status) {
    /** The raw path of the target, without the query. */
    public String path() {
      int q = target.indexOf('?');
      return q < 0 ? target : target.substring(0, q);
    }
  }

  private String addRole(String account, String login) {
    synchronized (this) {
      account(account);
      Role role = accounts.get(account).roles.computeIfAbsent(login, l -> new Role());
      role.apiKey = TestTokens.secret();
      return role.apiKey;
    }
  }

  private Role role(String account, String login) {
    account(account);
    return accounts.get(account).roles.computeIfAbsent(login, l -> new Role());
  }

  private Variable variable(String account, String variableId) {
    account(account);
    return accounts.get(account).variables.computeIfAbsent(variableId, id -> new Variable());
  }

  // Mints a token shaped like Conjur's (slosilo v2): the signature is random and is what identifies
  // it here; protected and payload are base64url JSON.
  private String issue(String account, String login) {
    Instant now = clock.instant();
    ObjectNode header = JSON.createObjectNode().put("alg", "conjur.org/slosilo/v2").put("kid", "fake-" + account);
    ObjectNode claims =
        JSON.createObjectNode()
            .put("sub", login)
            .put("iat", now.getEpochSecond())
            .put("exp", now.plus(tokenLifetime).getEpochSecond());
    String signature = TestTokens.secret();
    ObjectNode token =
        JSON.createObjectNode()
            .put("protected", b64url(header))
            .put("payload", b64url(claims))
            .put("signature", signature);
    String json = token.toString();
    Canaries.register(json);
    Canaries.register(Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8)));
    tokensBySignature.put(signature, new Issued(account, login, now.plus(tokenLifetime)));
    return json;
  }

  private static String b64url(ObjectNode node) {
    return B64URL.encodeToString(node.toString().getBytes(StandardCharsets.UTF_8));
  }

  private final class ConjurDispatcher extends Dispatcher {
    @Override
    public MockResponse dispatch(RecordedRequest request) {
      synchronized (FakeConjur.this) {
        Answer answer = answer(request);
        calls.add(new Call(request.getMethod(), request.getTarget(), Optional.ofNullable(answer.login), answer.code));
        if (answer.code == 401) {
          unauthorized++;
        }
        MockResponse.Builder b = new MockResponse.Builder().code(answer.code);
        answer.headers.forEach(b::setHeader);
        if (answer.body != null) {
          b.body(answer.body);
        }
        return b.build();
      }
    }

    private Answer answer(RecordedRequest request) {
      Integer forced = forcedStatuses.poll();
      if (forced != null) {
        return new Answer(forced);
      }
      HttpUrl url = request.getUrl();
      List<String> segments = url.pathSegments();
      String method = request.getMethod();
      if (segments.size() == 4 && segments.get(0).equals("authn") && "POST".equals(method)
          && segments.get(3).equals("authenticate")) {
        return authenticate(request, segments.get(1), segments.get(2));
      }
      if ((segments.size() == 4 || segments.size() == 5) && segments.get(0).equals("authn-jwt")
          && "POST".equals(method) && segments.get(segments.size() - 1).equals("authenticate")) {
        return authenticateJwt(
            request, segments.get(1), segments.get(2), segments.size() == 5 ? segments.get(3) : null);
      }
      if (segments.size() >= 4 && segments.get(0).equals("secrets")) {
        String account = segments.get(1);
        String kind = segments.get(2);
        String id = String.join("/", segments.subList(3, segments.size()));
        if ("GET".equals(method)) {
          return readSecret(request, account, kind, id, url.queryParameter("version"));
        }
        if ("POST".equals(method)) {
          return addSecret(request, account, kind, id);
        }
      }
      return notFound("no route matches " + method + " " + url.encodedPath());
    }

    private Answer authenticate(RecordedRequest request, String account, String login) {
      Account a = accounts.get(account);
      Role role = a == null ? null : a.roles.get(login);
      String given = request.getBody() == null ? "" : request.getBody().utf8();
      if (role == null || role.apiKey == null || !role.apiKey.equals(given)) {
        return new Answer(401);
      }
      authentications++;
      return tokenAnswer(request, account, login);
    }

    private Answer authenticateJwt(RecordedRequest request, String serviceId, String account, String hostId) {
      Account a = accounts.get(account);
      Map<String, String> service = a == null ? null : a.jwtServices.get(serviceId);
      String jwt = formField(request, "jwt");
      String login = service == null || jwt == null ? null : service.get(jwt);
      if (login == null || (hostId != null && !hostId.equals(login))) {
        return new Answer(401);
      }
      authentications++;
      return tokenAnswer(request, account, login);
    }

    private Answer tokenAnswer(RecordedRequest request, String account, String login) {
      String json = issue(account, login);
      String acceptEncoding = request.getHeaders().get("Accept-Encoding");
      boolean base64 = false;
      if (acceptEncoding != null) {
        for (String e : acceptEncoding.split(",")) {
          base64 |= e.trim().equalsIgnoreCase("base64");
        }
      }
      Answer ok = new Answer(200);
      ok.login = login;
      if (base64) {
        ok.body = Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
        ok.headers.put("Content-Type", "text/plain; charset=utf-8");
        ok.headers.put("Content-Encoding", "base64");
      } else {
        ok.body = json;
        ok.headers.put("Content-Type", "application/json; charset=utf-8");
      }
      return ok;
    }

    private Answer readSecret(RecordedRequest request, String account, String kind, String id, String version) {
      Issued caller = caller(request);
      if (caller == null) {
        return new Answer(401);
      }
      Account a = accounts.get(account);
      Variable v = a == null || !"variable".equals(kind) ? null : a.variables.get(id);
      Set<String> granted = v == null ? Set.of() : privileges(a, caller.login, id);
      String resourceId = account + ":" + kind + ":" + id;
      if (v == null || granted.isEmpty() || !caller.account.equals(account)) {
        return missingValue(resourceId, caller.login);
      }
      if (!granted.contains("execute")) {
        return withLogin(new Answer(403), caller.login);
      }
      String value;
      if (version == null) {
        value = v.versions.isEmpty() ? null : v.versions.get(v.versions.size() - 1);
      } else {
        int n;
        try {
          n = Integer.parseInt(version);
        } catch (NumberFormatException e) {
          return withLogin(unprocessable("version must be an integer"), caller.login);
        }
        int first = v.firstVersion();
        value = n < first || n > first + v.versions.size() - 1 ? null : v.versions.get(n - first);
      }
      if (value == null) {
        return missingValue(resourceId, caller.login);
      }
      secretReads++;
      Answer ok = withLogin(new Answer(200), caller.login);
      ok.body = value;
      ok.headers.put("Content-Type", v.mimeType == null ? "application/octet-stream" : v.mimeType);
      return ok;
    }

    private Answer addSecret(RecordedRequest request, String account, String kind, String id) {
      Issued caller = caller(request);
      if (caller == null) {
        return new Answer(401);
      }
      Account a = accounts.get(account);
      Variable v = a == null || !"variable".equals(kind) ? null : a.variables.get(id);
      Set<String> granted = v == null ? Set.of() : privileges(a, caller.login, id);
      if (v == null || granted.isEmpty() || !caller.account.equals(account)) {
        return withLogin(notFound("Variable '" + id + "' not found in account '" + account + "'"), caller.login);
      }
      if (!granted.contains("update")) {
        return withLogin(new Answer(403), caller.login);
      }
      String value = request.getBody() == null ? "" : request.getBody().utf8();
      if (value.isBlank()) {
        return withLogin(unprocessable("'value' may not be empty"), caller.login);
      }
      if (!value.equals(v.versions.isEmpty() ? null : v.versions.get(v.versions.size() - 1))) {
        setValue(account, id, value);
      }
      return withLogin(new Answer(201), caller.login);
    }

    private Issued caller(RecordedRequest request) {
      String header = request.getHeaders().get("Authorization");
      Matcher m = header == null ? null : TOKEN_HEADER.matcher(header);
      if (m == null || !m.matches()) {
        return null;
      }
      try {
        JsonNode token = JSON.readTree(Base64.getDecoder().decode(m.group(1)));
        JsonNode signature = token == null ? null : token.get("signature");
        Issued issued = signature == null ? null : tokensBySignature.get(signature.asText());
        if (issued == null || !clock.instant().isBefore(issued.expiresAt)) {
          return null;
        }
        return issued;
      } catch (IOException | IllegalArgumentException e) {
        return null;
      }
    }

    private Set<String> privileges(Account a, String login, String variableId) {
      return a.privileges.getOrDefault(login + "\n" + variableId, Set.of());
    }

    private String formField(RecordedRequest request, String name) {
      if (request.getBody() == null) {
        return null;
      }
      HttpUrl parsed = HttpUrl.parse("https://form.invalid/?" + request.getBody().utf8());
      return parsed == null ? null : parsed.queryParameter(name);
    }

    private Answer missingValue(String resourceId, String login) {
      Answer a = notFound("CONJ00076E Variable " + resourceId + " is empty or not found.");
      a.login = login;
      return a;
    }

    private Answer notFound(String message) {
      return error(404, "not_found", message);
    }

    private Answer unprocessable(String message) {
      return error(422, "argument_error", message);
    }

    private Answer error(int code, String errorCode, String message) {
      Answer a = new Answer(code);
      ObjectNode body = JSON.createObjectNode();
      body.putObject("error").put("code", errorCode).put("message", message);
      a.body = body.toString();
      a.headers.put("Content-Type", "application/json; charset=utf-8");
      return a;
    }

    private Answer withLogin(Answer a, String login) {
      a.login = login;
      return a;
    }
  }

  private static final class Answer {
    final int code;
    final Map<String, String> headers = new LinkedHashMap<>();
    String body;
    String login;

    Answer(int code) {
      this.code = code;
    }
  }

  private static final class Account {
    final Map<String, Role> roles = new HashMap<>();
    final Map<String, Variable> variables = new HashMap<>();
    final Map<String, Set<String>> privileges = new HashMap<>();
    final Map<String, Map<String, String>> jwtServices = new HashMap<>();
  }

  private static final class Role {
    String apiKey;
  }

  private static final class Variable {
    // Oldest first; Conjur keeps the last 20. Versions are numbered from 1 over the whole history.
    final List<String> versions = new ArrayList<>();
    int dropped;
    String mimeType;

    int firstVersion() {
      return dropped + 1;
    }
  }

  private record Issued(String account, String login, Instant expiresAt) {}

  /** One CA and server certificate per JVM: generating them for every test would be slow. */
  private static final class Certificates {
    private static volatile Certificates instance;

    final HeldCertificate ca;
    final HandshakeCertificates server;

    private Certificates() throws IOException {
      String localhost = InetAddress.getByName("localhost").getCanonicalHostName();
      ca = new HeldCertificate.Builder().certificateAuthority(0).commonName("FakeConjur test CA").build();
      HeldCertificate serverCert =
          new HeldCertificate.Builder()
              .commonName("localhost")
              .addSubjectAlternativeName("localhost")
              .addSubjectAlternativeName(localhost)
              .addSubjectAlternativeName("127.0.0.1")
              .signedBy(ca)
              .build();
      server = new HandshakeCertificates.Builder().heldCertificate(serverCert, ca.certificate()).build();
    }

    static Certificates get() {
      Certificates c = instance;
      if (c == null) {
        synchronized (Certificates.class) {
          if (instance == null) {
            try {
              instance = new Certificates();
            } catch (IOException e) {
              throw new UncheckedIOException("FakeConjur could not make its certificates", e);
            }
          }
          c = instance;
        }
      }
      return c;
    }
  }
}
