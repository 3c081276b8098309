package io.cartosecrets;

import io.cartosecrets.internal.BearerAuthInterceptor;
import io.cartosecrets.internal.RedactingHttpLogger;
import io.cartosecrets.internal.Urls;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;
import java.util.function.Function;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;

/**
 * A client for the CARTO 3 APIs that gets its token from a {@link TokenProvider} on every request.
 * Thread-safe; build one per application and share it.
 *
 * <pre>{@code
 * try (CartoClient carto = CartoClient.fromProvider(SecretProviders.fromUri("file:/run/secrets/carto_token"))) {
 *   SqlResult result = carto.sql("carto_dw").query("SELECT * FROM cities LIMIT 10");
 * }
 * }</pre>
 *
 * <p>The token travels only in the {@code Authorization: Bearer} header, added by an OkHttp
 * application interceptor for requests to the API base URL's origin; it is never put in a URL, and
 * a redirect to another host, port or scheme does not carry it (one from https to http is not
 * followed at all: it comes back as a {@link CartoApiException} with the 3xx). On a 401 the client
 * reports the token as rejected, and retries once if the provider then has a different token. The
 * client keeps no copy of the token.
 */
public final class CartoClient implements AutoCloseable {
  /** CARTO's US region, the default base URL of CARTO's own SDKs. */
  public static final String DEFAULT_BASE_URL = "https://gcp-us-east1.api.carto.com";

  static final String USER_AGENT = "carto-secrets-java/" + version();
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CartoClient.class);

  private final HttpUrl baseUrl;
  private final TokenProvider tokenProvider;
  private final OkHttpClient http;
  private final boolean ownsHttp;
  private final ApiCaller caller;

  private CartoClient(Builder b, TokenProvider tokenProvider) {
    this.baseUrl = b.baseUrl;
    this.tokenProvider = tokenProvider;
    OkHttpClient base = b.okHttpClient;
    this.ownsHttp = base == null;
    // Never from https to http, whoever built the OkHttpClient (OkHttp's default follows): plain http
    // is refused for the base URL off loopback, and a downgraded hop would carry the query in clear.
    OkHttpClient.Builder hb = (base == null ? new OkHttpClient.Builder() : base.newBuilder()).followSslRedirects(false);
    if (b.connectTimeout != null) {
      hb.connectTimeout(b.connectTimeout);
    }
    if (b.readTimeout != null) {
      hb.readTimeout(b.readTimeout);
    }
    if (b.callTimeout != null) {
      hb.callTimeout(b.callTimeout);
    }
    String userAgent = b.userAgent == null ? USER_AGENT : b.userAgent + " " + USER_AGENT;
    hb.addInterceptor(
        chain -> chain.proceed(chain.request().newBuilder().header("User-Agent", userAgent).build()));
    hb.addInterceptor(new BearerAuthInterceptor(tokenProvider, baseUrl));
    if (b.httpLogLevel != HttpLogLevel.NONE) {
      // A network interceptor sees each hop as sent; it only reads and masks, it adds nothing.
      hb.addNetworkInterceptor(new RedactingHttpLogger(b.httpLogLevel));
    }
    this.http = hb.build();
    this.caller =
        new ApiCaller(
            http, tokenProvider, baseUrl.toString(), b.maxRetries, b.retryBase, b.retryMax, b.maxRetryAfter, b.sleeper);
  }

  /**
   * A client on the default base URL whose token comes from {@code source} through a {@link
   * RefreshingTokenProvider} with default settings.
   */
  public static CartoClient fromProvider(SecretProvider source) {
    return builder().secretProvider(source).build();
  }

  /** A client on the default base URL whose token comes from {@code provider} as it is. */
  public static CartoClient fromProvider(TokenProvider provider) {
    return builder().tokenProvider(provider).build();
  }

  /**
   * A client configured from the process environment: the token source reference in {@code
   * CARTO_TOKEN_SOURCE} (for example {@code file:/run/secrets/carto_token}); when that is not set
   * but {@code CARTO_CLIENT_ID} is, M2M OAuth with the client id and secret in {@code
   * CARTO_CLIENT_ID} and {@code CARTO_CLIENT_SECRET} (token endpoint in {@code
   * CARTO_OAUTH_TOKEN_URL} for self-hosted CARTO); otherwise {@code env:CARTO_API_TOKEN}. The base
   * URL comes from {@code CARTO_API_BASE_URL} (default {@link #DEFAULT_BASE_URL}).
   *
   * @throws ConfigurationException if a setting is invalid, holds a token value instead of a
   *     reference, or names a scheme whose module is not on the class path
   */
  public static CartoClient fromEnvironment() {
    return fromEnvironment(System::getenv);
  }

  static CartoClient fromEnvironment(Function<String, String> env) {
    Builder b = builder();
    String base = trimToNull(env.apply("CARTO_API_BASE_URL"));
    if (base != null) {
      b.baseUrl(base);
    }
    String reference = trimToNull(env.apply("CARTO_TOKEN_SOURCE"));
    if (reference == null && trimToNull(env.apply("CARTO_CLIENT_ID")) != null) {
      if (trimToNull(env.apply("CARTO_CLIENT_SECRET")) == null) {
        // Fail at start-up, not at the first query, and with advice that fits a client secret.
        throw new ConfigurationException(
            "CARTO_CLIENT_ID is set but CARTO_CLIENT_SECRET is not: M2M OAuth needs both. Set"
                + " CARTO_CLIENT_SECRET, or set CARTO_TOKEN_SOURCE to a carto-oauth: reference that reads"
                + " the client secret from a file or a store (carto-oauth:?client_id=env:CARTO_CLIENT_ID"
                + "&client_secret=file:/run/secrets/carto_client_secret)");
      }
      CartoOAuthProvider.Builder oauth =
          CartoOAuthProvider.builder()
              .clientId(SecretProviders.fromUri("env:CARTO_CLIENT_ID"))
              .clientSecret(SecretProviders.fromUri("env:CARTO_CLIENT_SECRET"));
      String tokenUrl = trimToNull(env.apply("CARTO_OAUTH_TOKEN_URL"));
      if (tokenUrl != null) {
        oauth.tokenUrl(tokenUrl);
      }
      return b.secretProvider(oauth.build()).build();
    }
    if (reference == null && env.apply("CARTO_API_TOKEN") == null) {
      // Fail here, at start-up, rather than at the first query.
      throw new ConfigurationException(
          "no CARTO credentials in the environment: set CARTO_TOKEN_SOURCE to a reference (e.g."
              + " file:/run/secrets/carto_token or aws-sm:prod/carto#api_token), or CARTO_CLIENT_ID and"
              + " CARTO_CLIENT_SECRET for M2M OAuth, or CARTO_API_TOKEN");
    }
    if (reference != null && env.apply("CARTO_API_TOKEN") != null) {
      LOG.info("CARTO_TOKEN_SOURCE is set, so CARTO_API_TOKEN is not used");
    }
    return b.secretProvider(SecretProviders.fromUri(reference == null ? "env:CARTO_API_TOKEN" : reference)).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The SQL API v3 for {@code connection} (a connection name from CARTO Workspace). */
  public SqlApi sql(String connection) {
    Objects.requireNonNull(connection, "connection");
    if (connection.isBlank()) {
      throw new IllegalArgumentException("connection name is blank");
    }
    return new SqlApi(caller, baseUrl, connection);
  }

  /**
   * The Tokens API (create, list, get, update, delete API Access Tokens). Needs a client whose token
   * is an OAuth access token, i.e. one built on {@link CartoOAuthProvider}.
   */
  public TokensApi tokens() {
    return new TokensApi(caller, tokenProvider, baseUrl);
  }

  /** The API base URL, e.g. {@code https://gcp-us-east1.api.carto.com}. */
  public String baseUrl() {
    return baseUrl.toString();
  }

  /** Where the client's token comes from. */
  public TokenProvider tokenProvider() {
    return tokenProvider;
  }

  /**
   * Closes the token provider (stopping its background refresh) and, if the client built its own
   * OkHttp client, releases its threads and connections. An injected {@code OkHttpClient} is left
   * as it is.
   */
  @Override
  public void close() {
    tokenProvider.close();
    if (ownsHttp) {
      http.dispatcher().executorService().shutdown();
      http.connectionPool().evictAll();
    }
  }

  @Override
  public String toString() {
    return "CartoClient[baseUrl=" + baseUrl + ", tokens=" + tokenProvider.description() + "]";
  }

  OkHttpClient httpClient() {
    return http;
  }

  private static String trimToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  private static String version() {
    try (InputStream in = CartoClient.class.getResourceAsStream("carto-secrets.properties")) {
      Properties p = new Properties();
      if (in != null) {
        p.load(in);
      }
      String v = p.getProperty("version", "dev");
      return v.startsWith("${") ? "dev" : v;
    } catch (IOException e) {
      return "dev";
    }
  }

  /** Configures a {@link CartoClient}. A token source is required; everything else has a default. */
  public static final class Builder {
    private HttpUrl baseUrl = HttpUrl.get(DEFAULT_BASE_URL);
    private TokenProvider tokenProvider;
    private SecretProvider secretSource;
    private OkHttpClient okHttpClient;
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration readTimeout = Duration.ofSeconds(75);
    private Duration callTimeout;
    private String userAgent;
    private int maxRetries = 2;
    private Duration retryBase = Duration.ofMillis(500);
    private Duration retryMax = Duration.ofSeconds(10);
    private Duration maxRetryAfter = Duration.ofSeconds(60);
    private ApiCaller.Sleeper sleeper = d -> Thread.sleep(d.toMillis());
    private HttpLogLevel httpLogLevel = HttpLogLevel.NONE;

    private Builder() {}

    /**
     * The API base URL of the account's region or self-hosted tenant. A path prefix is kept
     * ({@code https://carto.example.com/api}). Must be https, except for loopback addresses.
     *
     * @throws ConfigurationException if the URL is malformed or plain http to a remote host
     */
    public Builder baseUrl(String url) {
      Objects.requireNonNull(url, "url");
      HttpUrl parsed = Urls.requireSecure(url, "the CARTO API base URL");
      String path = parsed.encodedPath();
      if (path.matches(".*/v3(/.*)?$")) {
        // An endpoint pasted from the docs (.../v3/sql/carto_dw/query) would become .../v3/.../v3/...
        throw new ConfigurationException(
            "the CARTO API base URL " + (path.matches(".*/v3/?$") ? "ends in /v3" : "contains an API path (/v3/…)")
                + ", which the client adds itself; drop it (e.g. "
                + parsed.newBuilder().encodedPath(path.replaceAll("/v3(/.*)?$", "/")).query(null).build() + ")");
      }
      if (!path.endsWith("/")) {
        parsed = parsed.newBuilder().encodedPath(path + "/").build();
      }
      this.baseUrl = parsed;
      return this;
    }

    /** The token source, used as it is. */
    public Builder tokenProvider(TokenProvider provider) {
      this.tokenProvider = Objects.requireNonNull(provider, "provider");
      this.secretSource = null;
      return this;
    }

    /**
     * The token source, wrapped in a {@link RefreshingTokenProvider} with default settings. A
     * {@link CartoOAuthProvider} given here has its token exchange logged at this client's {@link
     * #httpLogging} level.
     */
    public Builder secretProvider(SecretProvider source) {
      this.secretSource = Objects.requireNonNull(source, "source");
      this.tokenProvider = null;
      return this;
    }

    /**
     * An OkHttp client to build on (shares its connection pool and dispatcher). The client adds
     * its own application interceptors to a derived copy; the given client is not changed.
     */
    public Builder okHttpClient(OkHttpClient client) {
      this.okHttpClient = Objects.requireNonNull(client, "client");
      return this;
    }

    /** Default 10 seconds. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** Default 75 seconds: CARTO ends synchronous queries after 1 minute. */
    public Builder readTimeout(Duration timeout) {
      this.readTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** A bound on a whole call including retries of one attempt's redirects; none by default. */
    public Builder callTimeout(Duration timeout) {
      this.callTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** Your application's name and version, sent before this SDK's in {@code User-Agent}. */
    public Builder userAgent(String userAgent) {
      Objects.requireNonNull(userAgent, "userAgent");
      for (int i = 0; i < userAgent.length(); i++) {
        char c = userAgent.charAt(i);
        if (c < 0x20 || c > 0x7e) {
          throw new IllegalArgumentException("userAgent has a character not allowed in a header at " + i);
        }
      }
      this.userAgent = userAgent;
      return this;
    }

    /**
     * How many times an idempotent call (GET) is retried after 429, 5xx or an I/O error. Default
     * 2; 0 disables retries.
     */
    public Builder maxRetries(int maxRetries) {
      if (maxRetries < 0) {
        throw new IllegalArgumentException("maxRetries must not be negative, was " + maxRetries);
      }
      this.maxRetries = maxRetries;
      return this;
    }

    /**
     * Retry backoff: {@code base} doubling per attempt up to {@code max}, with jitter; a 429's
     * {@code Retry-After} wins when sent, unless it exceeds {@code maxRetryAfter} (then the 429 is
     * thrown at once). Defaults 500 ms, 10 s, 60 s.
     */
    public Builder retryBackoff(Duration base, Duration max, Duration maxRetryAfter) {
      this.retryBase = Objects.requireNonNull(base, "base");
      this.retryMax = Objects.requireNonNull(max, "max");
      this.maxRetryAfter = Objects.requireNonNull(maxRetryAfter, "maxRetryAfter");
      return this;
    }

    /**
     * Logs each HTTP exchange for debugging, with credentials masked; see {@link HttpLogLevel}.
     * Off by default. This includes the OAuth token exchange when the source given to {@link
     * #secretProvider} is a {@link CartoOAuthProvider} (one used through {@link #tokenProvider} logs
     * as its own builder says).
     */
    public Builder httpLogging(HttpLogLevel level) {
      this.httpLogLevel = Objects.requireNonNull(level, "level");
      return this;
    }

    Builder sleeper(ApiCaller.Sleeper sleeper) {
      this.sleeper = sleeper;
      return this;
    }

    /**
     * @throws ConfigurationException if no token source was given
     */
    public CartoClient build() {
      if (tokenProvider == null && secretSource == null) {
        throw new ConfigurationException(
            "CartoClient needs a token source: tokenProvider(...) or secretProvider(...),"
                + " e.g. secretProvider(SecretProviders.fromUri(\"env:CARTO_API_TOKEN\"))");
      }
      if (tokenProvider != null) {
        return new CartoClient(this, tokenProvider);
      }
      // Wrapped here, not in secretProvider(...), so that an OAuth exchange logs at the level set
      // by httpLogging(...) whichever of the two was called first.
      SecretProvider source =
          secretSource instanceof CartoOAuthProvider oauth ? oauth.withHttpLogging(httpLogLevel) : secretSource;
      return new CartoClient(this, RefreshingTokenProvider.create(source));
    }
  }
}
