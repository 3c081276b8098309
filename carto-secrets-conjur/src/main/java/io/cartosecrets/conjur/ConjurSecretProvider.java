package io.cartosecrets.conjur;

import io.cartosecrets.spi.SecretFiles;
import io.cartosecrets.ConfigurationException;
import io.cartosecrets.Secret;
import io.cartosecrets.SecretFormatException;
import io.cartosecrets.SecretProvider;
import io.cartosecrets.spi.JsonFields;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads a secret (the CARTO token) from a CyberArk Conjur variable, on Conjur Open Source,
 * Enterprise or Cloud. Thread-safe.
 *
 * <pre>{@code
 * SecretProvider token = ConjurSecretProvider.builder()
 *     .applianceUrl("https://conjur.example.com")
 *     .account("myorg")
 *     .login("host/apps/carto-reporter")
 *     .apiKey(SecretProviders.fromUri("file:/run/secrets/conjur-api-key"))
 *     .certFile(Path.of("/etc/conjur/conjur.pem"))
 *     .variable("prod/carto/api-token")
 *     .build();
 * }</pre>
 *
 * <p>It authenticates in one of three ways: a login and its <b>API key</b> ({@code authn}), a
 * <b>JWT</b> from a file ({@code authn-jwt}, for Kubernetes service accounts and CI platforms), or
 * an <b>access token file</b> that a sidecar keeps fresh ({@code authn-k8s}). Whatever is not set
 * explicitly can come from Conjur's usual environment variables, see {@link
 * Builder#environment(Map)}.
 *
 * <p>Conjur access tokens live 8 minutes. The provider keeps its own, renews it half way through
 * its life, measured on this host's clock, and, when Conjur answers 401 (a token revoked early, a
 * sidecar's token gone stale), obtains another one (re-reading the token file) and tries once more.
 *
 * <p>Failures are typed: {@link io.cartosecrets.SecretAccessDeniedException} for a wrong API key,
 * login or JWT and for a missing {@code execute} privilege; {@link
 * io.cartosecrets.SecretNotFoundException} for a variable that does not exist, is not visible or
 * has no value; {@link SecretFormatException} for an empty or unusable value; {@link
 * io.cartosecrets.SecretUnavailableException} (retryable) when Conjur cannot be reached or answers
 * 5xx. No message contains a value, an API key or a token.
 */
public final class ConjurSecretProvider implements SecretProvider {
  private static final Logger LOG = LoggerFactory.getLogger(ConjurSecretProvider.class);

  private final String description;
  private final String account;
  private final String variableId;
  private final String field;
  private final String appliance;
  private final ConjurHttp http;
  private final Credentials credentials;
  private final AccessTokenCache tokens;
  private final AtomicBoolean closed = new AtomicBoolean();

  private ConjurSecretProvider(Resolved r) {
    this.account = r.account;
    this.variableId = r.variableId;
    this.field = r.field;
    String base = r.url.toString();
    this.appliance = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    this.description = describe(r.account, r.variableId, r.field);
    OkHttpClient.Builder client =
        new OkHttpClient.Builder()
            // A token or an API key must never follow a redirect to another place.
            .followRedirects(false)
            .followSslRedirects(false)
            .connectTimeout(Math.min(r.timeout.toMillis(), 10_000), TimeUnit.MILLISECONDS)
            .callTimeout(r.timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (r.certFile != null) {
      TrustedCertificates.apply(client, r.certFile);
    }
    this.http = new ConjurHttp(appliance, client.build());
    switch (r.mode) {
      case TOKEN_FILE:
        this.credentials = new Credentials.TokenFile(r.tokenFile, r.clock, description);
        break;
      case JWT:
        this.credentials =
            new Credentials.Jwt(http, r.account, r.jwtServiceId, r.jwtFile, r.jwtHostId, r.clock, description);
        break;
      default:
        this.credentials = new Credentials.ApiKey(http, r.account, r.login, r.apiKey, r.clock, description);
    }
    this.tokens = new AccessTokenCache(credentials, r.clock, description);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * A provider for {@code variableId} configured entirely from Conjur's environment variables; see
   * {@link Builder#environment(Map)}.
   *
   * @throws ConfigurationException if they are incomplete or invalid
   */
  public static ConjurSecretProvider fromEnvironment(String variableId) {
    return builder().environment(System.getenv()).variable(variableId).build();
  }

  /**
   * Authenticates if needed, reads the variable, and retries once with a new access token if Conjur
   * answered 401.
   */
  @Override
  public Secret fetch() {
    if (closed.get()) {
      throw new IllegalStateException(description + ": the provider is closed");
    }
    AccessToken token = tokens.token();
    ConjurHttp.Reply reply = read(token);
    if (reply.status == 401) {
      tokens.rejected(token);
      AccessToken next = tokens.token();
      if (next.sameAs(token)) {
        throw credentials.rejectedAgain();
      }
      reply = read(next);
    }
    if (reply.status != 200) {
      throw Failures.read(description, credentials.who(), account, variableId, reply.status);
    }
    Secret secret = toSecret(reply);
    LOG.debug("{}: read from Conjur, fp={}", description, secret.fingerprint());
    return secret;
  }

  /** {@code conjur:<account>:variable:<id>[#field]}, Conjur's resource id; never a value. */
  @Override
  public String description() {
    return description;
  }

  /** Closes the HTTP client and the API key's provider. Idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      credentials.close();
      http.close();
    }
  }

  @Override
  public String toString() {
    return "ConjurSecretProvider[" + description + ", appliance=" + appliance + ", authn=" + credentials.who() + "]";
  }

  /** For tests that check how the SDK client is configured. */
  ConjurHttp http() {
    return http;
  }

  private ConjurHttp.Reply read(AccessToken token) {
    try {
      return http.readVariable(account, variableId, token);
    } catch (IOException e) {
      throw Failures.unreachable(description, "read variable '" + variableId + "'", e);
    }
  }

  private Secret toSecret(ConjurHttp.Reply reply) {
    if (reply.tooLarge()) {
      throw new SecretFormatException(
          description, "the value is larger than " + ConjurHttp.MAX_BODY_BYTES + " bytes: not a CARTO token");
    }
    if (reply.body.length == 0) {
      throw new SecretFormatException(description, "the variable's value is empty");
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(reply.body))
          .toString();
    } catch (CharacterCodingException e) {
      throw new SecretFormatException(description, "the value is binary, not UTF-8 text");
    }
    if (field != null) {
      return Secret.of(JsonFields.extract(text, field, description), description);
    }
    return Secret.of(SecretFiles.trimOneNewline(text), description);
  }

  private static String describe(String account, String variableId, String field) {
    return "conjur:" + account + ":variable:" + variableId + (field == null ? "" : "#" + field);
  }

  /**
   * Configures a {@link ConjurSecretProvider}. Explicit settings win over the {@linkplain
   * #environment(Map) environment}, whatever the order of the calls. Exactly one way to
   * authenticate must result: {@link #login}/{@link #apiKey}/{@link #apiKeyFile}, or {@link
   * #jwtServiceId}/{@link #jwtFile}/{@link #jwtHostId}, or {@link #accessTokenFile}.
   */
  public static final class Builder {
    private String applianceUrl;
    private String account;
    private String variableId;
    private String field;
    private String login;
    private SecretProvider apiKey;
    private Path apiKeyFile;
    private String jwtServiceId;
    private Path jwtFile;
    private String jwtHostId;
    private Path tokenFile;
    private Path certFile;
    private Duration timeout = Duration.ofSeconds(30);
    private Clock clock = Clock.systemUTC();
    private Map<String, String> env = Map.of();

    private Builder() {}

    /** Conjur's URL ({@code CONJUR_APPLIANCE_URL}), https, e.g. {@code https://conjur.example.com}. */
    public Builder applianceUrl(String url) {
      this.applianceUrl = Objects.requireNonNull(url, "url");
      return this;
    }

    /** The Conjur account, the organization name given when Conjur was set up ({@code CONJUR_ACCOUNT}). */
    public Builder account(String account) {
      this.account = Objects.requireNonNull(account, "account");
      return this;
    }

    /** The variable's id, e.g. {@code prod/carto/api-token}; any characters, sent percent-encoded. */
    public Builder variable(String variableId) {
      this.variableId = Objects.requireNonNull(variableId, "variableId");
      return this;
    }

    /** For a variable that holds JSON: the (dotted) field that holds the secret. */
    public Builder field(String field) {
      this.field = Objects.requireNonNull(field, "field");
      return this;
    }

    /** The login to authenticate with its API key: a user, or {@code host/<host-id>} ({@code CONJUR_AUTHN_LOGIN}). */
    public Builder login(String login) {
      this.login = Objects.requireNonNull(login, "login");
      return this;
    }

    /**
     * Where the login's API key is kept, e.g. {@code SecretProviders.fromUri("vault:...")}. It is
     * read at each authentication, so rotating it needs no restart; it is closed with this provider.
     */
    public Builder apiKey(SecretProvider apiKey) {
      this.apiKey = Objects.requireNonNull(apiKey, "apiKey");
      return this;
    }

    /** A file holding the login's API key (one trailing line break is ignored). */
    public Builder apiKeyFile(Path file) {
      this.apiKeyFile = Objects.requireNonNull(file, "file");
      return this;
    }

    /** The authn-jwt service id, e.g. {@code k8s-cluster} ({@code CONJUR_AUTHN_JWT_SERVICE_ID}). */
    public Builder jwtServiceId(String serviceId) {
      this.jwtServiceId = Objects.requireNonNull(serviceId, "serviceId");
      return this;
    }

    /**
     * The file holding the JWT ({@code JWT_TOKEN_PATH}), re-read at each authentication; default
     * the Kubernetes service account token, {@code /var/run/secrets/kubernetes.io/serviceaccount/token}.
     */
    public Builder jwtFile(Path file) {
      this.jwtFile = Objects.requireNonNull(file, "file");
      return this;
    }

    /** The host id to authenticate as with authn-jwt, when the service does not derive it from the JWT ({@code CONJUR_AUTHN_JWT_HOST_ID}). */
    public Builder jwtHostId(String hostId) {
      this.jwtHostId = Objects.requireNonNull(hostId, "hostId");
      return this;
    }

    /** A file where a sidecar (the authn-k8s client) keeps an access token ({@code CONJUR_AUTHN_TOKEN_FILE}). */
    public Builder accessTokenFile(Path file) {
      this.tokenFile = Objects.requireNonNull(file, "file");
      return this;
    }

    /** A PEM file with the certificate(s) to trust for the appliance, and only those ({@code CONJUR_CERT_FILE}). */
    public Builder certFile(Path pemFile) {
      this.certFile = Objects.requireNonNull(pemFile, "pemFile");
      return this;
    }

    /** The longest an HTTP exchange with Conjur may take. Default 30 seconds. */
    public Builder timeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new ConfigurationException("the Conjur timeout must be positive, not " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    /** The clock that times access tokens; inject one in tests. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Takes every setting not given explicitly from these variables (usually {@code System.getenv()}):
     * {@code CONJUR_APPLIANCE_URL}, {@code CONJUR_ACCOUNT}, {@code CONJUR_CERT_FILE}, and to
     * authenticate, in this order of precedence, {@code CONJUR_AUTHN_TOKEN_FILE}; or {@code
     * CONJUR_AUTHN_JWT_SERVICE_ID}, {@code JWT_TOKEN_PATH} and {@code CONJUR_AUTHN_JWT_HOST_ID};
     * or {@code CONJUR_AUTHN_LOGIN} and {@code CONJUR_AUTHN_API_KEY}. The map is copied.
     */
    public Builder environment(Map<String, String> environment) {
      this.env = Map.copyOf(Objects.requireNonNull(environment, "environment"));
      return this;
    }

    /**
     * @throws ConfigurationException if a setting is missing, invalid or conflicting; the message
     *     names it and never repeats a credential
     */
    public ConjurSecretProvider build() {
      return new ConjurSecretProvider(resolve());
    }

    private Resolved resolve() {
      Resolved r = new Resolved();
      String url = first(applianceUrl, "CONJUR_APPLIANCE_URL");
      require(url, "the Conjur appliance URL", "applianceUrl(...)", "CONJUR_APPLIANCE_URL");
      r.url = parseUrl(url);
      r.account = first(account, "CONJUR_ACCOUNT");
      require(r.account, "the Conjur account", "account(...)", "CONJUR_ACCOUNT");
      checkName(r.account, "account");
      if (variableId == null) {
        throw new ConfigurationException("the Conjur variable id is required: variable(...)");
      }
      checkName(variableId, "variable id");
      if (variableId.equals(".") || variableId.equals("..")) {
        throw new ConfigurationException(
            "the Conjur variable id '" + variableId + "' cannot be sent: HTTP clients resolve it as a dot segment");
      }
      r.variableId = variableId;
      r.field = field;
      String cert = first(certFile == null ? null : certFile.toString(), "CONJUR_CERT_FILE");
      r.certFile = cert == null || cert.isBlank() ? null : Path.of(cert);
      r.timeout = timeout;
      r.clock = clock;
      resolveAuthn(r);
      return r;
    }

    private void resolveAuthn(Resolved r) {
      List<String> explicit = new ArrayList<>();
      if (tokenFile != null) {
        explicit.add("access token file");
      }
      if (jwtServiceId != null || jwtFile != null || jwtHostId != null) {
        explicit.add("authn-jwt");
      }
      if (login != null || apiKey != null || apiKeyFile != null) {
        explicit.add("API key");
      }
      if (explicit.size() > 1) {
        throw new ConfigurationException(
            "configure one way to authenticate to Conjur, not " + String.join(" and ", explicit));
      }
      if (apiKey != null && apiKeyFile != null) {
        throw new ConfigurationException("give the Conjur API key once: apiKey(...) or apiKeyFile(...), not both");
      }
      String how = explicit.isEmpty() ? null : explicit.get(0);
      if (how == null) {
        how = present("CONJUR_AUTHN_TOKEN_FILE") ? "access token file"
            : present("CONJUR_AUTHN_JWT_SERVICE_ID") ? "authn-jwt"
            : present("CONJUR_AUTHN_LOGIN") || present("CONJUR_AUTHN_API_KEY") ? "API key"
            : null;
      }
      if (how == null) {
        throw new ConfigurationException(
            "no way to authenticate to Conjur is configured: give login(...) with apiKey(...) or"
                + " apiKeyFile(...), jwtServiceId(...) with jwtFile(...), or accessTokenFile(...);"
                + " or set CONJUR_AUTHN_LOGIN and CONJUR_AUTHN_API_KEY, CONJUR_AUTHN_JWT_SERVICE_ID,"
                + " or CONJUR_AUTHN_TOKEN_FILE");
      }
      switch (how) {
        case "access token file":
          r.mode = Mode.TOKEN_FILE;
          r.tokenFile = tokenFile != null ? tokenFile : Path.of(env.get("CONJUR_AUTHN_TOKEN_FILE"));
          break;
        case "authn-jwt":
          r.mode = Mode.JWT;
          r.jwtServiceId = first(jwtServiceId, "CONJUR_AUTHN_JWT_SERVICE_ID");
          require(r.jwtServiceId, "the authn-jwt service id", "jwtServiceId(...)", "CONJUR_AUTHN_JWT_SERVICE_ID");
          checkName(r.jwtServiceId, "authn-jwt service id");
          String path = first(jwtFile == null ? null : jwtFile.toString(), "JWT_TOKEN_PATH");
          r.jwtFile = Path.of(path == null || path.isBlank() ? "/var/run/secrets/kubernetes.io/serviceaccount/token" : path);
          r.jwtHostId = first(jwtHostId, "CONJUR_AUTHN_JWT_HOST_ID");
          if (r.jwtHostId != null && r.jwtHostId.isBlank()) {
            r.jwtHostId = null;
          }
          if (r.jwtHostId != null) {
            checkName(r.jwtHostId, "authn-jwt host id");
          }
          break;
        default:
          r.mode = Mode.API_KEY;
          r.login = first(login, "CONJUR_AUTHN_LOGIN");
          require(r.login, "the Conjur login", "login(...)", "CONJUR_AUTHN_LOGIN");
          checkName(r.login, "login");
          if (apiKey != null) {
            r.apiKey = apiKey;
          } else if (apiKeyFile != null) {
            r.apiKey = LocalSecrets.file(apiKeyFile);
          } else if (present("CONJUR_AUTHN_API_KEY")) {
            r.apiKey = LocalSecrets.environment("CONJUR_AUTHN_API_KEY", env.get("CONJUR_AUTHN_API_KEY"));
          } else {
            throw new ConfigurationException(
                "the API key of Conjur login '" + r.login + "' is not configured: give apiKey(...)"
                    + " or apiKeyFile(...), or set CONJUR_AUTHN_API_KEY");
          }
      }
    }

    private String first(String explicit, String variable) {
      return explicit != null ? explicit : env.get(variable);
    }

    private boolean present(String variable) {
      String v = env.get(variable);
      return v != null && !v.isBlank();
    }

    private static void require(String value, String what, String method, String variable) {
      if (value == null || value.isBlank()) {
        throw new ConfigurationException(what + " is required: " + method + " or " + variable);
      }
    }

    private static void checkName(String value, String what) {
      if (value.isBlank()) {
        throw new ConfigurationException("the Conjur " + what + " is blank");
      }
      for (int i = 0; i < value.length(); i++) {
        if (Character.isISOControl(value.charAt(i))) {
          throw new ConfigurationException(
              "the Conjur " + what + " has a control character at position " + i);
        }
      }
    }

    private static HttpUrl parseUrl(String url) {
      HttpUrl parsed = HttpUrl.parse(url.trim());
      if (parsed == null) {
        // Not echoed: a misplaced credential is a likelier mistake than a typo worth showing.
        throw new ConfigurationException(
            "the Conjur appliance URL is not an http(s) URL (" + url.length() + " characters, not shown)");
      }
      if (!parsed.username().isEmpty() || !parsed.password().isEmpty()) {
        throw new ConfigurationException(
            "the Conjur appliance URL must not carry a user name or password (URL not shown)");
      }
      if (!parsed.isHttps()) {
        throw new ConfigurationException(
            "the Conjur appliance URL must use https, not http (" + parsed.host() + ":" + parsed.port()
                + "): access tokens and API keys would travel in clear");
      }
      if (parsed.query() != null || parsed.fragment() != null) {
        throw new ConfigurationException("the Conjur appliance URL must not have a query or a fragment");
      }
      return parsed;
    }
  }

  private enum Mode {
    API_KEY,
    JWT,
    TOKEN_FILE
  }

  /** The configuration after explicit settings and the environment are merged and checked. */
  private static final class Resolved {
    HttpUrl url;
    String account;
    String variableId;
    String field;
    Path certFile;
    Duration timeout;
    Clock clock;
    Mode mode;
    String login;
    SecretProvider apiKey;
    String jwtServiceId;
    Path jwtFile;
    String jwtHostId;
    Path tokenFile;
  }
}
