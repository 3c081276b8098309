package io.cartosecrets;

import com.fasterxml.jackson.databind.JsonNode;
import io.cartosecrets.internal.RedactingHttpLogger;
import io.cartosecrets.internal.Redactor;
import io.cartosecrets.internal.Urls;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import okhttp3.FormBody;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * CARTO machine-to-machine OAuth: exchanges a client id and client secret, each loaded through any
 * {@link SecretProvider} (env, file, AWS, Vault, Conjur), for an OAuth access token at CARTO's token
 * endpoint ({@code POST https://auth.carto.com/oauth/token}, form body, {@code
 * grant_type=client_credentials}, {@code audience=carto-cloud-native-api}). The token expires
 * ({@code expires_in}, about 24 hours), so put this provider behind a {@link
 * RefreshingTokenProvider} (as {@code CartoClient.fromProvider} does): it exchanges once, well
 * before expiry, however many threads ask, and backs off when the endpoint answers 429.
 *
 * <p>The client id and secret are read again for every exchange, so a client secret rotated in its
 * store is used on the next one. The secret travels only in the form body over https; it never
 * appears in a URL, a log line or an exception.
 *
 * <p>Errors: {@code invalid_client}, {@code access_denied} and other 4xx answers become {@link
 * SecretAccessDeniedException} with the OAuth error code in {@link SecretException#errorCode()};
 * 429, 5xx and I/O errors become {@link SecretUnavailableException} (retried with backoff).
 */
public final class CartoOAuthProvider implements SecretProvider {
  public static final String DEFAULT_TOKEN_URL = "https://auth.carto.com/oauth/token";
  public static final String DEFAULT_AUDIENCE = "carto-cloud-native-api";
  private static final long MAX_EXPIRES_IN = 10L * 366 * 24 * 3600;

  private final SecretProvider clientId;
  private final SecretProvider clientSecret;
  private final HttpUrl tokenUrl;
  private final String audience;
  private final OkHttpClient http;
  /** Whether {@link #http} was built here (then {@link #close()} releases it) or injected. */
  private final boolean ownsHttp;
  private final Clock clock;
  private final String description;
  private final Builder settings;

  private CartoOAuthProvider(Builder b) {
    this.settings = b.copy();
    this.clientId = b.clientId;
    this.clientSecret = b.clientSecret;
    this.tokenUrl = b.tokenUrl;
    this.audience = b.audience;
    // Closed by close() only when built here: an injected client (and a logging copy of it, which
    // shares its dispatcher and pool) belongs to the application.
    this.ownsHttp = b.http == null;
    OkHttpClient given = ownsHttp ? new OkHttpClient.Builder().followRedirects(false).callTimeout(Duration.ofSeconds(30)).build() : b.http;
    this.http =
        b.httpLogLevel == HttpLogLevel.NONE
            ? given
            : given.newBuilder().addNetworkInterceptor(new RedactingHttpLogger(b.httpLogLevel)).build();
    this.clock = b.clock;
    StringBuilder d = new StringBuilder("carto-oauth:?client_id=").append(clientId.description())
        .append("&client_secret=").append(clientSecret.description());
    if (!tokenUrl.toString().equals(DEFAULT_TOKEN_URL)) {
      d.append("&token_url=").append(tokenUrl);
    }
    this.description = d.toString();
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * This provider with its exchange logged at {@code level}, for a CartoClient built with {@code
   * httpLogging}; itself when {@code level} is NONE or its own builder already chose a level.
   */
  CartoOAuthProvider withHttpLogging(HttpLogLevel level) {
    if (level == HttpLogLevel.NONE || settings.httpLogLevel != HttpLogLevel.NONE) {
      return this;
    }
    return settings.copy().httpLogging(level).build();
  }

  /** Loads the client credentials and exchanges them for a new access token. */
  @Override
  public Secret fetch() {
    Secret id = clientId.fetch();
    Secret secret = clientSecret.fetch();
    Request request =
        new Request.Builder()
            .url(tokenUrl)
            .header("Accept", "application/json")
            .header("User-Agent", CartoClient.USER_AGENT)
            // For the HTTP log, which masks a known secret wherever the endpoint echoes it.
            .tag(Secret.class, secret)
            .post(
                new FormBody.Builder()
                    .add("grant_type", "client_credentials")
                    .add("client_id", id.reveal())
                    .add("client_secret", secret.reveal())
                    .add("audience", audience)
                    .build())
            .build();
    Instant sent = clock.instant();
    try (Response response = http.newCall(request).execute()) {
      String body = response.body().string();
      JsonNode json = parse(body);
      if (!response.isSuccessful()) {
        throw error(response.code(), json, id, secret);
      }
      JsonNode token = json == null ? null : json.get("access_token");
      if (token == null || !token.isTextual() || token.asText().isBlank()) {
        throw new SecretFormatException(
            description, "access_token", "the token endpoint answered " + response.code() + " without an access token", null);
      }
      Secret.Builder out = Secret.builder(token.asText(), description);
      JsonNode expiresIn = json.get("expires_in");
      if (expiresIn != null && expiresIn.isNumber()) {
        if (!expiresIn.canConvertToLong() || expiresIn.asLong() <= 0 || expiresIn.asLong() > MAX_EXPIRES_IN) {
          throw new SecretFormatException(
              description, "expires_in", "the token endpoint gave a lifetime out of range (1 s to 10 years)", null);
        }
        // Counted from when the request was sent, so time on the wire shortens the life, never lengthens it.
        out.expiresAt(sent.plusSeconds(expiresIn.asLong()));
      }
      return out.build();
    } catch (IOException e) {
      // OkHttp quotes what it could not parse (a status line, a chunk header), which the endpoint controls.
      throw new SecretUnavailableException(
          description,
          "the token endpoint " + tokenUrl.host() + " could not be reached: " + e.getClass().getSimpleName(),
          "io",
          Redactor.scrub(e, secret.reveal(), id.reveal()));
    }
  }

  private SecretException error(int status, JsonNode json, Secret id, Secret secret) {
    String code = json != null && json.path("error").isTextual() ? json.get("error").asText() : String.valueOf(status);
    String text = json != null && json.path("error_description").isTextual() ? json.get("error_description").asText() : "";
    String detail = Redactor.redact(text.length() > 300 ? text.substring(0, 300) : text, secret.reveal(), id.reveal());
    String message =
        "the token endpoint answered " + status + (detail.isEmpty() ? "" : " (" + detail + ")");
    if (status == 429 || status >= 500) {
      return new SecretUnavailableException(description, message + "; retrying later", code, null);
    }
    return new SecretAccessDeniedException(
        description,
        message + ": check the client id (from " + clientId.description() + "), the client secret "
            + secret.fingerprint() + " (from " + clientSecret.description() + ") and the audience " + audience,
        code,
        null);
  }

  private static JsonNode parse(String body) {
    try {
      return body.isEmpty() ? null : ApiCaller.MAPPER.readTree(body);
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  public String description() {
    return description;
  }

  /**
   * Closes the client id and client secret providers and, if this provider built its own OkHttp
   * client, releases its threads and connections. An injected {@code OkHttpClient} is left as it is.
   */
  @Override
  public void close() {
    clientId.close();
    clientSecret.close();
    if (ownsHttp) {
      http.dispatcher().executorService().shutdown();
      http.connectionPool().evictAll();
    }
  }

  @Override
  public String toString() {
    return "CartoOAuthProvider[" + description + "]";
  }

  OkHttpClient httpClient() {
    return http;
  }

  /** Configures a {@link CartoOAuthProvider}; client id and client secret are required. */
  public static final class Builder {
    private SecretProvider clientId;
    private SecretProvider clientSecret;
    private HttpUrl tokenUrl = HttpUrl.get(DEFAULT_TOKEN_URL);
    private String audience = DEFAULT_AUDIENCE;
    private OkHttpClient http;
    private Clock clock = Clock.systemUTC();
    private HttpLogLevel httpLogLevel = HttpLogLevel.NONE;

    private Builder() {}

    private Builder copy() {
      Builder b = new Builder();
      b.clientId = clientId;
      b.clientSecret = clientSecret;
      b.tokenUrl = tokenUrl;
      b.audience = audience;
      b.http = http;
      b.clock = clock;
      b.httpLogLevel = httpLogLevel;
      return b;
    }

    /** Where the client id is kept, e.g. {@code SecretProviders.fromUri("env:CARTO_CLIENT_ID")}. */
    public Builder clientId(SecretProvider provider) {
      this.clientId = Objects.requireNonNull(provider, "clientId");
      return this;
    }

    /** Where the client secret is kept, e.g. {@code SecretProviders.fromUri("vault:kv/carto#client_secret")}. */
    public Builder clientSecret(SecretProvider provider) {
      this.clientSecret = Objects.requireNonNull(provider, "clientSecret");
      return this;
    }

    /** The token endpoint, for self-hosted CARTO. Default {@value #DEFAULT_TOKEN_URL}. Must be https except on loopback. */
    public Builder tokenUrl(String url) {
      this.tokenUrl = Urls.requireSecure(Objects.requireNonNull(url, "url"), "the OAuth token URL");
      return this;
    }

    /** The audience. Default {@value #DEFAULT_AUDIENCE}. */
    public Builder audience(String audience) {
      Objects.requireNonNull(audience, "audience");
      if (audience.isBlank()) {
        throw new IllegalArgumentException("audience is blank");
      }
      this.audience = audience;
      return this;
    }

    /**
     * The OkHttp client for the token endpoint; it must not add credentials of its own. {@link
     * CartoOAuthProvider#close()} leaves it open. Default: one of its own, released by close().
     */
    public Builder okHttpClient(OkHttpClient client) {
      this.http = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * Logs each exchange with the token endpoint, with the client secret and the access token
     * masked; see {@link HttpLogLevel}. Off by default; a {@link CartoClient} given this provider
     * through {@code secretProvider(...)} applies its own {@code httpLogging} level when this is off.
     */
    public Builder httpLogging(HttpLogLevel level) {
      this.httpLogLevel = Objects.requireNonNull(level, "level");
      return this;
    }

    /** The clock that turns {@code expires_in} into an expiry. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** @throws ConfigurationException if the client id or secret source is missing */
    public CartoOAuthProvider build() {
      if (clientId == null || clientSecret == null) {
        throw new ConfigurationException(
            "CartoOAuthProvider needs both clientId(...) and clientSecret(...) sources, e.g."
                + " env:CARTO_CLIENT_ID and env:CARTO_CLIENT_SECRET");
      }
      return new CartoOAuthProvider(this);
    }
  }
}
