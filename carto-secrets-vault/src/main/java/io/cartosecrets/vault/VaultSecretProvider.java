package io.cartosecrets.vault;

import io.cartosecrets.spi.SecretFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cartosecrets.ConfigurationException;
import io.cartosecrets.Secret;
import io.cartosecrets.SecretAccessDeniedException;
import io.cartosecrets.SecretException;
import io.cartosecrets.SecretFormatException;
import io.cartosecrets.SecretNotFoundException;
import io.cartosecrets.SecretProvider;
import io.cartosecrets.SecretProviders;
import io.cartosecrets.SecretUnavailableException;
import io.cartosecrets.spi.JsonFields;
import io.cartosecrets.spi.SecretUri;
import io.github.jopenlibs.vault.EnvironmentLoader;
import io.github.jopenlibs.vault.Vault;
import io.github.jopenlibs.vault.VaultConfig;
import io.github.jopenlibs.vault.VaultException;
import io.github.jopenlibs.vault.json.JsonObject;
import io.github.jopenlibs.vault.json.JsonValue;
import io.github.jopenlibs.vault.response.AuthResponse;
import io.github.jopenlibs.vault.response.LogicalResponse;
import io.github.jopenlibs.vault.response.LookupResponse;
import io.github.jopenlibs.vault.rest.RestResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads a CARTO token from a HashiCorp Vault KV secret, with the {@code vault-java-driver}.
 *
 * <pre>{@code
 * SecretProvider provider = VaultSecretProvider.builder("kv/team/carto/prod")
 *     .field("api_token")                       // default "token"
 *     .auth(VaultAuth.kubernetes("carto-app"))  // default: VAULT_TOKEN
 *     .build();                                 // address from VAULT_ADDR
 * CartoClient client = CartoClient.fromProvider(provider);
 * }</pre>
 *
 * or by reference: {@code SecretProviders.fromUri("vault:kv/team/carto/prod#api_token?kv=2")}.
 *
 * <h2>Where the secret is</h2>
 *
 * The path names the mount and the secret together ({@code kv/team/carto/prod}). KV version 1 or 2
 * and the mount ({@code kv/team/carto}, which may be nested) are given with {@link
 * Builder#kvVersion(int)} and {@link Builder#mount(String)}, or detected on first use from {@code
 * sys/internal/ui/mounts/<path>}, as the Vault CLI does, which any token with access to the secret
 * may read. For KV v2 the {@code data/} segment then goes right after the mount
 * ({@code kv/team/carto/data/prod}), and a {@link Builder#version(int) version} may be pinned. The
 * token is the string field {@link Builder#field(String)} (default {@code token}; dots walk into
 * nested objects) of the secret's data.
 *
 * <h2>Change detection</h2>
 *
 * Each {@link Secret} carries a version: the KV v2 {@code metadata.version}, or for KV v1 a hash of
 * the value. {@link #refresh(Secret)} reads the secret (one GET, which needs only {@code read} on the
 * one path) and returns the current secret itself when neither version nor value changed.
 *
 * <h2>Errors</h2>
 *
 * The driver hands back 403 and 404 as ordinary responses with empty data; this provider turns every
 * non-success into a typed exception naming the path: {@link SecretAccessDeniedException} (with the
 * policy the path needs), {@link SecretNotFoundException} (no secret, no such version, a version
 * soft-deleted or destroyed), {@link SecretFormatException} (no data, missing or non-string field),
 * {@link SecretUnavailableException} for transient failures (connection refused, timeouts, 5xx, a
 * sealed Vault's 503), which the refreshing cache retries. No message contains a secret or a
 * response body.
 *
 * <h2>Tokens and threads</h2>
 *
 * See {@link VaultAuth} for how the Vault token is obtained, renewed and replaced. Renewal happens on
 * the first read inside the renewal window (by default the last third of the token's TTL), so a
 * {@code RefreshingTokenProvider} refreshing more often than that keeps the token alive; a token that
 * expired while nobody read is replaced by a new login. Reads run concurrently without locks; login,
 * renewal and mount detection run once at a time and every waiting reader uses their result. Each
 * token gets its own driver configuration, built once and never changed afterwards.
 */
public final class VaultSecretProvider implements SecretProvider {
  /** A KV v2 version as Vault sends it; anything else from an answer is not shown. */
  private static final java.util.regex.Pattern VERSION_SHAPE = java.util.regex.Pattern.compile("[0-9]{1,19}");
  /** An RFC 3339 time as Vault sends it. */
  private static final java.util.regex.Pattern TIME_SHAPE = java.util.regex.Pattern.compile("[0-9T:.+Z-]{1,40}");

  private static final Logger LOG = LoggerFactory.getLogger(VaultSecretProvider.class);
  private static final ObjectMapper MAPPER = new ObjectMapper();
  /** A token this close to its expiry is treated as expired: renewing it would race the expiry. */
  static final Duration EXPIRY_SKEW = Duration.ofSeconds(5);
  /** How long to wait before trying again after a renewal failed transiently. */
  static final Duration RENEW_RETRY = Duration.ofSeconds(10);

  private final String path;
  private final String field;
  private final Integer pinnedVersion;
  private final String explicitMount;
  private final Integer explicitKv;
  private final String namespace;
  private final URI address;
  private final int connectTimeoutSeconds;
  private final int readTimeoutSeconds;
  private final HttpClient http;
  private final VaultAuth auth;
  private final SecretProvider tokenSource;
  private final Clock clock;
  private final Duration renewBefore;
  private final String description;
  /** Token-less driver instance for logins; its configuration is never changed after build. */
  private final Vault loginVault;

  /** Serialises login, renewal and mount detection (single flight); reads never take it. */
  private final ReentrantLock authLock = new ReentrantLock();

  /** The token in use with its driver instance; replaced, never mutated, under {@link #authLock}. */
  private volatile Session session;

  /** The KV layout once known; written once under {@link #authLock}. */
  private volatile KvLayout layout;

  private volatile boolean closed;

  private VaultSecretProvider(Builder b, Function<String, String> env) {
    this.path = b.path;
    this.field = b.field;
    this.pinnedVersion = b.version;
    this.explicitMount = b.mount;
    this.explicitKv = b.kvVersion;
    this.namespace = b.namespace != null ? b.namespace : blankToNull(trimSlashes(env.apply("VAULT_NAMESPACE")));
    String addr = b.address != null ? b.address : env.apply("VAULT_ADDR");
    if (addr == null || addr.isBlank()) {
      throw new ConfigurationException(
          "no Vault address for vault:" + path + ": set VAULT_ADDR or call address(...)");
    }
    this.address = VaultHttp.checkAddress(addr, b.allowPlainHttp);
    Duration connect = b.connectTimeout != null ? b.connectTimeout
        : envDuration(env, "VAULT_OPEN_TIMEOUT").orElse(Duration.ofSeconds(10));
    Duration read = b.readTimeout != null ? b.readTimeout
        : envDuration(env, "VAULT_CLIENT_TIMEOUT")
            .or(() -> envDuration(env, "VAULT_READ_TIMEOUT"))
            .orElse(Duration.ofSeconds(30));
    this.connectTimeoutSeconds = seconds(connect);
    this.readTimeoutSeconds = seconds(read);
    Path ca = b.caCertificate;
    if (ca == null && env.apply("VAULT_CACERT") != null && !env.apply("VAULT_CACERT").isBlank()) {
      ca = Path.of(env.apply("VAULT_CACERT").trim());
    }
    boolean skip = b.skipTlsVerification != null ? b.skipTlsVerification
        : isTrue(env.apply("VAULT_SKIP_VERIFY"));
    this.http = VaultHttp.client(address, ca, skip, connect);
    this.auth = b.auth != null ? b.auth : VaultAuth.token();
    this.tokenSource =
        auth.kind == VaultAuth.Kind.TOKEN || auth.kind == VaultAuth.Kind.TOKEN_FILE
            ? auth.tokenSource(env)
            : null;
    this.clock = b.clock;
    this.renewBefore = b.renewBefore;
    this.description = describe();
    if (explicitKv != null && explicitKv == 1 && pinnedVersion != null) {
      throw new ConfigurationException(description + ": a version can be pinned only on KV v2");
    }
    if (explicitKv != null && (explicitKv == 1 || explicitMount != null)) {
      this.layout = new KvLayout(explicitKv == 1 ? null : explicitMount, explicitKv);
    }
    this.loginVault = driver(null, null);
  }

  /** Starts a provider for the secret at {@code path}, mount included ({@code kv/team/carto/prod}). */
  public static Builder builder(String path) {
    return new Builder(path);
  }

  /** The provider for a {@code vault:} reference; see {@link VaultSecretProviderFactory}. */
  static VaultSecretProvider fromUri(SecretUri uri, Function<String, String> env) {
    uri.requireOnlyParams(
        "kv", "mount", "version", "namespace", "addr", "cacert", "auth", "auth_mount", "token",
        "token_file", "role_id", "role_id_file", "secret_id", "secret_id_file", "role", "jwt_file");
    Builder b = builder(uri.path());
    uri.field().ifPresent(b::field);
    uri.param("kv").filter(v -> !v.equals("auto")).ifPresent(v -> b.kvVersion(intParam(uri, "kv", v)));
    uri.param("mount").ifPresent(b::mount);
    uri.param("version").ifPresent(v -> b.version(intParam(uri, "version", v)));
    uri.param("namespace").ifPresent(b::namespace);
    uri.param("addr").ifPresent(b::address);
    uri.param("cacert").ifPresent(v -> b.caCertificate(Path.of(v)));
    String method = uri.param("auth").orElseGet(() -> {
      if (uri.param("role_id").isPresent() || uri.param("role_id_file").isPresent()) {
        return "approle";
      }
      return uri.param("role").isPresent() || uri.param("jwt_file").isPresent() ? "kubernetes" : "token";
    });
    VaultAuth a;
    switch (method) {
      case "token":
        if (uri.param("token_file").isPresent()) {
          a = VaultAuth.tokenFile(Path.of(uri.param("token_file").get()));
        } else {
          a = uri.param("token").map(r -> VaultAuth.token(SecretProviders.fromUri(r))).orElseGet(VaultAuth::token);
        }
        break;
      case "approle": {
        SecretProvider roleId = uri.param("role_id_file").<SecretProvider>map(f -> SecretFiles.provider(Path.of(f)))
            .or(() -> uri.param("role_id").map(r -> FixedValue.of(r, "approle role id")))
            .orElseThrow(() -> new ConfigurationException(
                "secret reference " + uri.scheme() + ":" + uri.path() + " uses AppRole but gives no role_id or role_id_file"));
        SecretProvider secretId = uri.param("secret_id_file").<SecretProvider>map(f -> SecretFiles.provider(Path.of(f)))
            .or(() -> uri.param("secret_id").map(SecretProviders::fromUri))
            .orElseThrow(() -> new ConfigurationException(
                "secret reference " + uri.scheme() + ":" + uri.path() + " uses AppRole but gives no secret_id"
                    + " (a reference such as env:VAULT_SECRET_ID) or secret_id_file"));
        a = VaultAuth.appRole(roleId, secretId);
        break;
      }
      case "kubernetes": {
        String role = uri.param("role").orElseThrow(() -> new ConfigurationException(
            "secret reference " + uri.scheme() + ":" + uri.path() + " uses Kubernetes auth but gives no role"));
        a = VaultAuth.kubernetes(role, uri.param("jwt_file").map(Path::of).orElse(VaultAuth.DEFAULT_KUBERNETES_JWT));
        break;
      }
      default:
        throw new ConfigurationException("secret reference " + uri.scheme() + ":" + uri.path()
            + " has unknown auth '" + method + "'; known: token, approle, kubernetes");
    }
    if (uri.param("auth_mount").isPresent()) {
      a = a.atMount(uri.param("auth_mount").get());
    }
    return b.auth(a).build(env);
  }

  @Override
  public Secret fetch() {
    checkOpen();
    return withToken("reading the secret", this::read);
  }

  /** Reads the secret again; returns {@code current} itself if its version and value are unchanged. */
  @Override
  public Secret refresh(Secret current) {
    Secret next = fetch();
    if (next.version().equals(current.version()) && next.sameValueAs(current)) {
      LOG.trace("{}: unchanged at version {}", description, next.version().orElse("?"));
      return current;
    }
    return next;
  }

  /** E.g. {@code vault:kv/team/carto/prod#api_token?namespace=team-a&version=3}; never a value. */
  @Override
  public String description() {
    return description;
  }

  /** Forgets the token and closes the providers its {@link VaultAuth} was given. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    session = null;
    auth.close();
    if (tokenSource != null) {
      tokenSource.close();
    }
  }

  @Override
  public String toString() {
    return "VaultSecretProvider[" + description + ", address=" + address + ", auth=" + auth + "]";
  }

  // ---------------------------------------------------------------------------------------------
  // Reading.

  private Secret read(Session s) {
    KvLayout l = s.layout;
    LogicalResponse r;
    try {
      // read(path, true, version) is the driver's read without retries: passing false there makes
      // it retry once. Retries are the refreshing cache's job, with backoff.
      r = pinnedVersion != null
          ? s.vault.logical().read(path, true, pinnedVersion)
          : s.vault.logical().read(path);
    } catch (VaultException e) {
      throw unavailable("reading " + l.apiPath(path), e);
    }
    RestResponse rest = r.getRestResponse();
    int status = rest.getStatus();
    String apiPath = l.apiPath(path);
    if (status == 403) {
      throw denied(s, rest, "read", apiPath);
    }
    if (status == 404) {
      throw notFound(r, l, apiPath);
    }
    if (status == 412 || status == 429) {
      throw new SecretUnavailableException(description, "Vault answered " + status + " to the read of "
          + apiPath + (status == 429 ? " (rate limited)" : " (a standby has not caught up yet)"),
          Integer.toString(status), null);
    }
    if (status != 200) {
      throw new SecretNotFoundException(description, "Vault refused the read of " + apiPath + " with status "
          + status + kvHint(l), Integer.toString(status), null);
    }
    JsonObject data = r.getDataObject();
    if (data == null || data.isEmpty()) {
      throw new SecretFormatException(description, field, "the secret at " + apiPath + " has no data", null);
    }
    String value = JsonFields.extract(data.toString(), field, description);
    Secret secret = Secret.of(value, description);
    String version;
    if (l.version == 2) {
      String v = r.getDataMetadata().getMetadataMap().get("version");
      // From the answer, and shown by Secret.toString() and the log: KV v2 versions are numbers, so
      // anything else (a broken or hostile server could put the secret there) is replaced by the
      // value's hash, as for KV v1.
      version = v == null || v.isEmpty() ? null : VERSION_SHAPE.matcher(v).matches() ? v : "sha256:" + secret.fingerprint();
    } else {
      // KV v1 has no versions: a hash of the value stands in, so that the cache sees changes.
      version = "sha256:" + secret.fingerprint();
    }
    secret = secret.toBuilder().version(version).build();
    LOG.debug("{}: read {} at version {}", description, secret.fingerprint(), version);
    return secret;
  }

  private SecretException notFound(LogicalResponse r, KvLayout l, String apiPath) {
    String pinned = pinnedVersion == null ? "" : " version " + pinnedVersion + " of";
    if (l.version == 2) {
      Map<String, String> md = r.getDataMetadata().getMetadataMap();
      String v = md.getOrDefault("version", pinnedVersion == null ? "?" : pinnedVersion.toString());
      if (!VERSION_SHAPE.matcher(v).matches()) {
        v = "?";
      }
      if ("true".equals(md.get("destroyed"))) {
        return new SecretNotFoundException(description, "version " + v + " of " + apiPath
            + " was destroyed; write a new version" + (pinnedVersion == null ? "" : " or pin another one"),
            "404", null);
      }
      String deleted = md.get("deletion_time");
      if (deleted != null && !TIME_SHAPE.matcher(deleted).matches()) {
        deleted = "an unreadable time";
      }
      if (deleted != null && !deleted.isEmpty()) {
        return new SecretNotFoundException(description, "version " + v + " of " + apiPath + " was deleted at "
            + deleted + "; undelete it (vault kv undelete -versions=" + v + ") or write a new version", "404", null);
      }
    }
    if (warnings(r.getRestResponse()).contains("Invalid path for a versioned K/V")) {
      return new SecretNotFoundException(description, "no secret at " + apiPath
          + ": the mount is KV v2, so the provider must be configured for KV v2 (kv=2, or leave it out to detect)",
          "404", null);
    }
    return new SecretNotFoundException(description, "no secret at" + pinned + " " + apiPath + kvHint(l), "404", null);
  }

  private String kvHint(KvLayout l) {
    if (explicitKv == null) {
      return "";
    }
    return l.version == 2
        ? " (read as KV v2 as configured; if the mount is KV v1, set kv=1)"
        : " (read as KV v1 as configured; if the mount is KV v2, set kv=2)";
  }

  /**
   * A 403: a token Vault no longer accepts (expired, revoked) becomes a {@link TokenRejected} so the
   * caller can obtain a new one; anything else is a missing policy.
   */
  private RuntimeException denied(Session s, RestResponse rest, String capability, String apiPath) {
    if (tokenInvalid(s, rest)) {
      return new TokenRejected();
    }
    return new SecretAccessDeniedException(description, "Vault denied " + capability + " on " + apiPath
        + inNamespace() + " (403 permission denied). The token's policies need: path \"" + apiPath
        + "\" { capabilities = [\"" + capability + "\"] }", "403", null);
  }

  private boolean tokenInvalid(Session s, RestResponse rest) {
    if (errors(rest).contains("invalid token")) {
      return true;
    }
    if (s.expiresAt != null && !clock.instant().isBefore(s.expiresAt)) {
      return true;
    }
    // Older Vaults say only "permission denied" for an expired token too; lookup-self tells them
    // apart, as every token may look itself up unless its policies were stripped of "default".
    try {
      s.vault.auth().lookupSelf();
      return false;
    } catch (VaultException e) {
      return e.getHttpStatusCode() == 403;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Tokens: login, renewal, replacement.

  /** Runs {@code call} with the current token; if Vault rejects that token, once more with a new one. */
  private <T> T withToken(String action, Function<Session, T> call) {
    Session s = ready();
    try {
      return call.apply(s);
    } catch (TokenRejected e) {
      if (!auth.canObtainNewToken()) {
        throw new SecretAccessDeniedException(description, "Vault rejected the token from "
            + tokenSource.description() + " while " + action + ": it has expired, was revoked"
            + (namespace == null ? "" : " or is not valid in namespace " + namespace)
            + "; this provider cannot obtain another one");
      }
      LOG.info("{}: Vault rejected token {} (expired or revoked); obtaining a new one", description,
          s.token.fingerprint());
      Session fresh = replace(s);
      try {
        return call.apply(fresh);
      } catch (TokenRejected again) {
        throw new SecretAccessDeniedException(description, "Vault rejected a newly obtained token ("
            + auth + ") while " + action + inNamespace() + "; check that the auth method issues tokens"
            + " valid in this namespace");
      }
    }
  }

  /** The current session, logged in, renewed if due, and with the KV layout known. */
  private Session ready() {
    Session s = session;
    if (s != null && s.layout != null && !s.needsAttention(clock.instant())) {
      return s;
    }
    authLock.lock();
    try {
      checkOpen();
      s = session;
      Instant now = clock.instant();
      if (s == null) {
        s = obtain(null, false);
      } else if (s.needsAttention(now)) {
        s = maintain(s, now);
      }
      session = s;
      if (s.layout == null) {
        KvLayout l = layout;
        if (l == null) {
          l = detect(s);
          layout = l;
        }
        s = s.with(l, driver(s.token, l));
        session = s;
      }
      return s;
    } finally {
      authLock.unlock();
    }
  }

  /** Replaces {@code rejected} with a new token, unless another thread already did. */
  private Session replace(Session rejected) {
    authLock.lock();
    try {
      checkOpen();
      Session current = session;
      if (current != null && current != rejected && !current.token.sameValueAs(rejected.token)) {
        return ready();
      }
      session = obtain(rejected, true);
      return ready();
    } finally {
      authLock.unlock();
    }
  }

  /** Renews {@code s} if it can be, else logs in again; {@code s} is inside its renewal window. */
  private Session maintain(Session s, Instant now) {
    boolean expired = s.expiresAt != null && !now.isBefore(s.expiresAt.minus(EXPIRY_SKEW));
    if (!expired && s.renewable && auth.providerRenews()) {
      Session renewed;
      try {
        renewed = renew(s, now);
      } catch (SecretUnavailableException e) {
        // Keep the token, which is still valid, and try again shortly rather than on every read.
        LOG.warn("{}: renewing Vault token {} failed ({}); will try again", description,
            s.token.fingerprint(), e.getMessage());
        Instant retry = now.plus(RENEW_RETRY);
        return s.attentionAt(retry.isBefore(s.expiresAt) ? retry : s.expiresAt);
      }
      if (renewed != null) {
        if (!renewed.needsAttention(now)) {
          return renewed;
        }
        LOG.info("{}: Vault token {} cannot be renewed past its maximum TTL ({} left)", description,
            s.token.fingerprint(), Duration.between(now, renewed.expiresAt));
        s = renewed;
      }
    }
    if (auth.canObtainNewToken()) {
      return obtain(s, false);
    }
    // A fixed token that can be neither renewed nor replaced: use it until Vault says no.
    return s.attentionAt(null);
  }

  /** Renews the token; null if Vault refuses (not renewable, or no longer valid). */
  private Session renew(Session s, Instant now) {
    long increment = s.loginTtl.toSeconds();
    AuthResponse r;
    try {
      r = s.vault.auth().renewSelf(increment);
    } catch (VaultException e) {
      int status = e.getHttpStatusCode();
      if (status == 400 || status == 403) {
        LOG.info("{}: Vault refused to renew token {} ({})", description, s.token.fingerprint(), status);
        return null;
      }
      throw unavailable("renewing the Vault token", e);
    }
    Duration granted = Duration.ofSeconds(r.getAuthLeaseDuration());
    boolean capped = granted.toSeconds() < increment;
    Session renewed = s.renewed(now, granted, r.isAuthRenewable() && !capped);
    LOG.debug("{}: renewed Vault token {}; ttl {}{}", description, s.token.fingerprint(), granted,
        capped ? " (capped by its maximum TTL)" : "");
    return renewed;
  }

  /**
   * A new token from the auth method. {@code previous} is the one it replaces, if any, and {@code
   * rejected} says whether Vault rejected it (or it is merely due for replacement).
   */
  private Session obtain(Session previous, boolean rejected) {
    Instant now = clock.instant();
    switch (auth.kind) {
      case TOKEN:
      case TOKEN_FILE: {
        Secret token = tokenSource.fetch();
        if (previous != null && token.sameValueAs(previous.token)) {
          if (!rejected) {
            // Still the same, still valid: use it until Vault says no, then look at the source again.
            return previous.attentionAt(null);
          }
          throw new SecretAccessDeniedException(description, "Vault rejected the token from "
              + tokenSource.description() + ": it has expired or was revoked, and the source still"
              + " holds the same token");
        }
        if (!auth.providerRenews()) {
          LOG.info("{}: using Vault token {} from {}", description, token.fingerprint(), tokenSource.description());
          return Session.of(token, driver(token, layout), layout, now, null, null, false, null);
        }
        return lookUp(token, now);
      }
      case APPROLE: {
        String roleId = auth.roleId().fetch().reveal();
        String secretId = auth.secretId().fetch().reveal();
        return loggedIn(now, "AppRole login at auth/" + auth.mount,
            () -> loginVault.auth().loginByAppRole(auth.mount, roleId, secretId),
            "check the role id and secret id (a secret id may have expired or reached its use limit)");
      }
      default: {
        String jwt = auth.jwt().fetch().reveal();
        return loggedIn(now, "Kubernetes login as role " + auth.role + " at auth/" + auth.mount,
            () -> loginVault.auth().loginByKubernetes(auth.role, jwt, "auth/" + auth.mount),
            "check that the role exists and is bound to this pod's service account and namespace");
      }
    }
  }

  private interface Login {
    AuthResponse run() throws VaultException;
  }

  private Session loggedIn(Instant now, String what, Login login, String hint) {
    AuthResponse r;
    try {
      r = login.run();
    } catch (VaultException e) {
      int status = e.getHttpStatusCode();
      if (status == 400 || status == 401 || status == 403) {
        throw new SecretAccessDeniedException(description, "Vault rejected the " + what + inNamespace()
            + " (" + status + "); " + hint, Integer.toString(status), null);
      }
      if (status == 404) {
        throw new SecretNotFoundException(description, "no auth method is mounted for the " + what
            + inNamespace() + " (404)", "404", null);
      }
      throw unavailable(what, e);
    }
    String clientToken = r.getAuthClientToken();
    if (clientToken == null || clientToken.isEmpty()) {
      throw new SecretUnavailableException(description, "Vault answered the " + what + " without a token");
    }
    Secret token = Secret.of(clientToken, "vault token for " + description);
    Duration ttl = Duration.ofSeconds(r.getAuthLeaseDuration());
    boolean renewable = r.isAuthRenewable();
    LOG.info("{}: {} succeeded; Vault token {}, ttl {}, renewable {}", description, what,
        token.fingerprint(), ttl, renewable);
    return Session.of(token, driver(token, layout), layout, now,
        ttl.isZero() ? null : now.plus(ttl), ttl, renewable, renewBefore);
  }

  /** A fixed token's TTL, from {@code lookup-self}, so that it can be renewed in time. */
  private Session lookUp(Secret token, Instant now) {
    Vault v = driver(token, layout);
    LookupResponse r;
    try {
      r = v.auth().lookupSelf();
    } catch (VaultException e) {
      if (e.getHttpStatusCode() == 403) {
        // Either the token is invalid or its policies do not include lookup-self: the read will say.
        LOG.debug("{}: Vault token {} cannot look itself up; its TTL is unknown", description, token.fingerprint());
        return Session.of(token, v, layout, now, null, null, false, null);
      }
      throw unavailable("looking up the Vault token", e);
    }
    Duration ttl = Duration.ofSeconds(r.getTTL());
    Duration creationTtl = Duration.ofSeconds(r.getCreationTTL());
    LOG.info("{}: using Vault token {} from {}; ttl {}, renewable {}", description, token.fingerprint(),
        tokenSource.description(), ttl, r.isRenewable());
    if (ttl.isZero()) {
      return Session.of(token, v, layout, now, null, null, false, null);
    }
    return Session.of(token, v, layout, now, now.plus(ttl),
        creationTtl.isZero() ? ttl : creationTtl, r.isRenewable(), renewBefore);
  }

  // ---------------------------------------------------------------------------------------------
  // KV layout.

  private KvLayout detect(Session s) {
    LogicalResponse r;
    try {
      r = s.vault.logical().read("sys/internal/ui/mounts/" + path);
    } catch (VaultException e) {
      throw unavailable("detecting the KV mount of " + path, e);
    }
    RestResponse rest = r.getRestResponse();
    int status = rest.getStatus();
    if (status == 403) {
      if (tokenInvalid(s, rest)) {
        throw new TokenRejected();
      }
      throw new SecretAccessDeniedException(description, "Vault will not say which mount holds " + path
          + inNamespace() + " (403): the token has no capability under it. Grant read on the secret, or"
          + " set the mount and KV version explicitly (mount=..., kv=...)", "403", null);
    }
    if (status != 200) {
      throw new SecretNotFoundException(description, "Vault could not tell which mount holds " + path
          + inNamespace() + " (status " + status + "); set the mount and KV version explicitly (mount=..., kv=...)");
    }
    JsonObject data = r.getDataObject();
    String type = data == null ? "" : data.getString("type", "");
    String mount = data == null ? "" : trimSlashes(data.getString("path", ""));
    if (!type.equals("kv") && !type.equals("generic")) {
      throw new SecretNotFoundException(description, path + " is on a " + (type.isEmpty() ? "unknown" : type)
          + " mount, not a KV secrets engine");
    }
    int version = 1;
    JsonValue options = data.get("options");
    if (options != null && options.isObject()) {
      String v = options.asObject().getString("version", "1");
      version = "2".equals(v) ? 2 : 1;
    }
    if (explicitMount != null) {
      mount = explicitMount;
    }
    if (explicitKv != null && explicitKv != version) {
      LOG.warn("{}: configured for KV v{} but Vault reports KV v{} at {}/; using the configuration",
          description, explicitKv, version, mount);
      version = explicitKv;
    }
    if (version == 2 && (mount.isEmpty() || !path.startsWith(mount + "/"))) {
      throw new SecretNotFoundException(description, "Vault reports the mount " + mount + "/, which does not"
          + " contain " + path + "; set the mount explicitly (mount=...)");
    }
    if (version == 1 && pinnedVersion != null) {
      throw new SecretNotFoundException(description, path + " is on a KV v1 mount, which has no versions;"
          + " remove the version pin");
    }
    KvLayout l = new KvLayout(version == 2 ? mount : null, version);
    LOG.debug("{}: {} detected", description, l);
    return l;
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers.

  /**
   * A driver instance for one token and layout. {@code VaultConfig} is mutable and shared by every
   * operation of the instance, so each token gets its own, configured once here and never touched
   * again; all use the provider's one {@link HttpClient}.
   */
  private Vault driver(Secret token, KvLayout l) {
    try {
      VaultConfig c = new VaultConfig()
          .environmentLoader(NoEnvironment.INSTANCE)
          .address(address.toString())
          .httpClient(http)
          .openTimeout(connectTimeoutSeconds)
          .readTimeout(readTimeoutSeconds);
      if (token != null) {
        c.token(token.reveal());
      }
      if (namespace != null) {
        c.nameSpace(namespace);
      }
      int engine = 1;
      if (l != null && l.version == 2) {
        c.prefixPathDepth(l.depth());
        engine = 2;
      }
      return Vault.create(c.build(), engine);
    } catch (VaultException e) {
      throw new IllegalStateException("the Vault driver rejected a complete configuration", e);
    }
  }

  private SecretUnavailableException unavailable(String action, VaultException e) {
    int status = e.getHttpStatusCode();
    // The driver's message holds the response body; it is never passed on.
    if (status == 503) {
      return new SecretUnavailableException(description, action + ": Vault answered 503 (sealed, or a"
          + " standby without an active node)", "503", null);
    }
    if (status > 0) {
      return new SecretUnavailableException(description, action + ": Vault answered " + status,
          Integer.toString(status), null);
    }
    // The driver wraps I/O failures twice (VaultException, RestException); the first I/O exception
    // in the chain names the failure best (SSLHandshakeException, not the CertificateException in it).
    Throwable root = e;
    IOException io = null;
    for (Throwable c = e; c != null && c.getCause() != c; c = c.getCause()) {
      if (c instanceof InterruptedException) {
        Thread.currentThread().interrupt();
        return new SecretUnavailableException(description, action + ": interrupted");
      }
      if (io == null && c instanceof IOException) {
        io = (IOException) c;
      }
      root = c;
    }
    if (io != null) {
      String msg = io.getMessage();
      return new SecretUnavailableException(description, action + ": could not reach Vault at " + address
          + " (" + io.getClass().getSimpleName() + (msg == null || msg.length() > 200 ? "" : ": " + msg)
          + ")", io);
    }
    return new SecretUnavailableException(description, action + ": unexpected answer from Vault ("
        + root.getClass().getSimpleName() + ")");
  }

  /** The {@code errors} of an error body, joined; empty if there are none or it is not JSON. */
  private static String errors(RestResponse rest) {
    return joined(rest, "errors");
  }

  private static String warnings(RestResponse rest) {
    return joined(rest, "warnings");
  }

  private static String joined(RestResponse rest, String name) {
    try {
      byte[] body = rest.getBody();
      if (body == null || body.length == 0) {
        return "";
      }
      JsonNode node = MAPPER.readTree(body).get(name);
      if (node == null || !node.isArray()) {
        return "";
      }
      StringBuilder sb = new StringBuilder();
      node.forEach(n -> sb.append(n.asText()).append('\n'));
      return sb.toString();
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  private String inNamespace() {
    return namespace == null ? "" : " in namespace " + namespace;
  }

  private String describe() {
    StringBuilder sb = new StringBuilder("vault:").append(path).append('#').append(field);
    String sep = "?";
    if (namespace != null) {
      sb.append(sep).append("namespace=").append(namespace);
      sep = "&";
    }
    if (pinnedVersion != null) {
      sb.append(sep).append("version=").append(pinnedVersion);
    }
    return sb.toString();
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException(description + ": the provider is closed");
    }
  }

  /** Whole seconds, rounded up, as the driver takes timeouts. */
  private static int seconds(Duration d) {
    long s = d.toSeconds() + (d.toNanosPart() > 0 ? 1 : 0);
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, s));
  }

  private static final Pattern GO_DURATION = Pattern.compile("(\\d+)(ms|s|m|h)?");

  private static Optional<Duration> envDuration(Function<String, String> env, String name) {
    String v = env.apply(name);
    if (v == null || v.isBlank()) {
      return Optional.empty();
    }
    Matcher m = GO_DURATION.matcher(v.trim());
    if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
      throw new ConfigurationException(name + " must be a positive number of seconds or a duration such"
          + " as 30s or 2m");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2);
    switch (unit) {
      case "ms":
        return Optional.of(Duration.ofMillis(n));
      case "m":
        return Optional.of(Duration.ofMinutes(n));
      case "h":
        return Optional.of(Duration.ofHours(n));
      default:
        return Optional.of(Duration.ofSeconds(n));
    }
  }

  private static int intParam(SecretUri uri, String name, String value) {
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new ConfigurationException("secret reference " + uri.scheme() + ":" + uri.path() + " has a"
          + " non-numeric " + name + " parameter");
    }
  }

  private static boolean isTrue(String v) {
    return v != null && (v.trim().equalsIgnoreCase("true") || v.trim().equals("1"));
  }

  static String trimSlashes(String s) {
    if (s == null) {
      return null;
    }
    String t = s.trim();
    while (t.startsWith("/")) {
      t = t.substring(1);
    }
    while (t.endsWith("/")) {
      t = t.substring(0, t.length() - 1);
    }
    return t;
  }

  private static String blankToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  /** Vault said the token is no longer valid; never leaves this class. */
  private static final class TokenRejected extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TokenRejected() {
      super("token rejected", null, false, false);
    }
  }

  /**
   * Keeps the driver from reading {@code VAULT_TOKEN}, {@code ~/.vault-token} or other variables on
   * its own: this provider resolves its settings itself, through an environment tests can replace.
   */
  private static final class NoEnvironment extends EnvironmentLoader {
    private static final long serialVersionUID = 1L;
    static final NoEnvironment INSTANCE = new NoEnvironment();

    @Override
    public String loadVariable(String name) {
      return null;
    }
  }

  /** Configures a {@link VaultSecretProvider}. */
  public static final class Builder {
    private final String path;
    private String field = "token";
    private String mount;
    private Integer kvVersion;
    private Integer version;
    private String namespace;
    private String address;
    private VaultAuth auth;
    private Path caCertificate;
    private Boolean skipTlsVerification;
    private boolean allowPlainHttp;
    private Duration connectTimeout;
    private Duration readTimeout;
    private Duration renewBefore;
    private Clock clock = Clock.systemUTC();

    private Builder(String path) {
      Objects.requireNonNull(path, "path");
      String p = trimSlashes(path);
      if (p.isEmpty() || !p.contains("/")) {
        // The value is not repeated: a token pasted here by mistake must not reach a log.
        throw new ConfigurationException("a Vault secret path names the mount and the secret, e.g."
            + " kv/team/carto/prod; the path given (" + p.length() + " characters) has no '/'");
      }
      for (String segment : p.split("/", -1)) {
        if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
          throw new ConfigurationException("the Vault secret path " + p + " has an empty, '.' or '..' segment");
        }
      }
      this.path = p;
    }

    /** The field of the secret's data that holds the token (default {@code token}). */
    public Builder field(String field) {
      Objects.requireNonNull(field, "field");
      if (field.isBlank()) {
        throw new ConfigurationException("the field of vault:" + path + " is empty");
      }
      this.field = field.trim();
      return this;
    }

    /**
     * The mount the secret is under, e.g. {@code kv/team/carto} for {@code kv/team/carto/prod};
     * detected when not given.
     */
    public Builder mount(String mount) {
      Objects.requireNonNull(mount, "mount");
      String m = trimSlashes(mount);
      if (m.isEmpty() || !path.startsWith(m + "/")) {
        throw new ConfigurationException("the mount '" + m + "' is not a leading part of the path " + path);
      }
      this.mount = m;
      return this;
    }

    /** KV version 1 or 2; detected from the mount when not given. */
    public Builder kvVersion(int kvVersion) {
      if (kvVersion != 1 && kvVersion != 2) {
        throw new ConfigurationException("the KV version of vault:" + path + " must be 1 or 2, was " + kvVersion);
      }
      this.kvVersion = kvVersion;
      return this;
    }

    /** Reads this KV v2 version instead of the latest. */
    public Builder version(int version) {
      if (version < 1) {
        throw new ConfigurationException("the version of vault:" + path + " must be 1 or more, was " + version);
      }
      this.version = version;
      return this;
    }

    /** The Vault Enterprise namespace (default: {@code VAULT_NAMESPACE}, else the root namespace). */
    public Builder namespace(String namespace) {
      Objects.requireNonNull(namespace, "namespace");
      this.namespace = blankToNull(trimSlashes(namespace));
      return this;
    }

    /** Vault's address, e.g. {@code https://vault.example.com:8200} (default: {@code VAULT_ADDR}). */
    public Builder address(String address) {
      this.address = Objects.requireNonNull(address, "address");
      return this;
    }

    /** How to authenticate (default: {@link VaultAuth#token()}, the {@code VAULT_TOKEN} variable). */
    public Builder auth(VaultAuth auth) {
      this.auth = Objects.requireNonNull(auth, "auth");
      return this;
    }

    /** A PEM file of the CA certificates to trust for Vault's TLS (default: {@code VAULT_CACERT}). */
    public Builder caCertificate(Path pemFile) {
      this.caCertificate = Objects.requireNonNull(pemFile, "pemFile");
      return this;
    }

    /**
     * Accepts any certificate, for a development Vault on this machine only: {@link #build()} fails
     * for any address that is not loopback (default: {@code VAULT_SKIP_VERIFY}).
     */
    public Builder skipTlsVerification(boolean skip) {
      this.skipTlsVerification = skip;
      return this;
    }

    /**
     * Accepts a plain {@code http://} address of another host. Off by default, because the Vault
     * token would cross the network unencrypted; loopback addresses are always accepted.
     */
    public Builder allowPlainHttp(boolean allow) {
      this.allowPlainHttp = allow;
      return this;
    }

    /** Connection timeout (default: {@code VAULT_OPEN_TIMEOUT}, else 10 seconds). */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    /**
     * Timeout for each request, in whole seconds as the driver takes it (default: {@code
     * VAULT_CLIENT_TIMEOUT}, else {@code VAULT_READ_TIMEOUT}, else 30 seconds).
     */
    public Builder readTimeout(Duration timeout) {
      this.readTimeout = positive(timeout, "readTimeout");
      return this;
    }

    /**
     * Renew (or log in again) once a token has less than this left, capped at half its TTL
     * (default: a third of its TTL).
     */
    public Builder renewBefore(Duration margin) {
      this.renewBefore = positive(margin, "renewBefore");
      return this;
    }

    /** The clock token lifetimes are measured with (default: the system clock). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * The provider. Nothing is sent to Vault until the first {@link VaultSecretProvider#fetch()}.
     *
     * @throws ConfigurationException if no address is known, the address is unusable, TLS
     *     verification is skipped for a non-loopback address, or the options contradict each other
     */
    public VaultSecretProvider build() {
      return build(System::getenv);
    }

    VaultSecretProvider build(Function<String, String> environment) {
      if (mount != null && kvVersion != null && kvVersion == 1) {
        throw new ConfigurationException("vault:" + path + ": a mount is needed only for KV v2");
      }
      return new VaultSecretProvider(this, Objects.requireNonNull(environment, "environment"));
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new ConfigurationException(name + " must be positive, was " + d);
      }
      return d;
    }
  }
}
