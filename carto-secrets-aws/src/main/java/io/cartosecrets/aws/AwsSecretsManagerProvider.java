package io.cartosecrets.aws;

import io.cartosecrets.spi.SecretFiles;
import io.cartosecrets.ConfigurationException;
import io.cartosecrets.Secret;
import io.cartosecrets.SecretAccessDeniedException;
import io.cartosecrets.SecretException;
import io.cartosecrets.SecretFormatException;
import io.cartosecrets.SecretNotFoundException;
import io.cartosecrets.SecretProvider;
import io.cartosecrets.internal.Urls;
import io.cartosecrets.spi.JsonFields;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClientBuilder;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretResponse;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueRequest;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueResponse;

/**
 * Loads a CARTO token (or any secret) from AWS Secrets Manager with the AWS SDK for Java v2.
 *
 * <p>The secret is addressed by name or ARN, and by staging label ({@code AWSCURRENT} unless told
 * otherwise) or by version id. The token is the whole {@code SecretString}, or one field of a JSON
 * {@code SecretString} ({@code carto.api_token} walks into nested objects); a {@code SecretBinary}
 * is read as UTF-8 text. A whole-value secret loses one trailing line break, which
 * {@code --secret-string file://token.txt} tends to add; anything else is kept as stored, except
 * that a value starting with a byte order mark, or longer than the 64 KiB Secrets Manager can store,
 * is refused as a {@link SecretFormatException} (as a secret file would be).
 *
 * <p>Credentials and region come from the SDK's default chains unless given, so nothing but the
 * secret's name needs configuring on AWS:
 *
 * <pre>{@code
 * SecretProvider token = AwsSecretsManagerProvider.builder()
 *     .secretId("prod/carto")
 *     .field("api_token")
 *     .build();
 * // or: SecretProviders.fromUri("aws-sm:prod/carto#api_token?region=eu-west-1")
 * }</pre>
 *
 * <p><b>Rotation.</b> The version id is the change signal. {@link #refresh(Secret)} asks
 * {@code DescribeSecret} which version holds the staging label (no KMS decryption, no secret on the
 * wire) and returns the current secret itself when it has not moved; only when rotation has moved
 * the label does it call {@code GetSecretValue}. Without {@code secretsmanager:DescribeSecret}
 * permission it falls back, once and with a warning, to {@code GetSecretValue} and compares
 * version ids. A provider pinned to a version id never calls AWS to refresh: versions are immutable.
 * A version id that is not a UUID (as AWS generates them) is kept and shown as {@code sha256:} and 16
 * hex characters of its hash, so that whatever an endpoint puts there never reaches a log or
 * {@link Secret#toString()}.
 *
 * <p><b>Errors.</b> Missing secret, version or label, a secret scheduled for deletion and rejected
 * parameters give {@link SecretNotFoundException}; IAM refusals, bad credentials and KMS decryption
 * failures give {@link SecretAccessDeniedException}; throttling, 5xx answers, timeouts and I/O
 * errors give {@link io.cartosecrets.SecretUnavailableException} (retryable); unusable content gives
 * {@link SecretFormatException} naming the secret and the field. The AWS error code is in
 * {@link SecretException#errorCode()}. No message contains the secret or the store's raw answer, and
 * no AWS SDK exception is attached as a cause.
 *
 * <p>Thread-safe. {@link #close()} closes the SDK client only if this provider built it.
 */
public final class AwsSecretsManagerProvider implements SecretProvider {
  /** The staging label clients read by default. */
  public static final String AWSCURRENT = "AWSCURRENT";
  /** Used when no call timeout is configured: an unanswered call must not hold a refresh forever. */
  public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(10);
  /** The most Secrets Manager stores in a SecretString or SecretBinary (64 KiB). */
  static final int MAX_SECRET_CHARS = 65_536;

  private static final Logger LOG = LoggerFactory.getLogger(AwsSecretsManagerProvider.class);

  private final SecretsManagerClient client;
  private final boolean ownsClient;
  private final String secretId;
  private final String field;
  private final String versionStage;
  private final String versionId;
  private final String description;
  private final String endpoint;
  /**
   * Set once DescribeSecret has been refused with AccessDenied, so that later unchanged checks go
   * straight to GetSecretValue instead of failing the same way each time.
   */
  private final AtomicBoolean describeDenied = new AtomicBoolean();
  /** Makes {@link #close()} idempotent across threads. */
  private final AtomicBoolean closed = new AtomicBoolean();

  private AwsSecretsManagerProvider(Builder b, SecretsManagerClient client, boolean ownsClient, String endpoint) {
    this.client = client;
    this.ownsClient = ownsClient;
    this.secretId = b.secretId;
    this.field = b.field;
    this.versionId = b.versionId;
    this.versionStage = b.versionId != null ? null : b.versionStage != null ? b.versionStage : AWSCURRENT;
    this.endpoint = endpoint;
    StringBuilder d = new StringBuilder("aws-sm:").append(secretId);
    if (field != null) {
      d.append('#').append(field);
    }
    if (versionId != null) {
      d.append("?versionId=").append(versionId);
    } else if (!AWSCURRENT.equals(versionStage)) {
      d.append("?stage=").append(versionStage);
    }
    this.description = d.toString();
  }

  /** Starts configuring a provider; {@link Builder#secretId(String)} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The whole {@code AWSCURRENT} value of a secret, with region and credentials from the default chains. */
  public static AwsSecretsManagerProvider create(String secretId) {
    return builder().secretId(secretId).build();
  }

  /**
   * Loads the version the provider addresses with {@code GetSecretValue}.
   *
   * @throws SecretException typed as described in the class documentation
   */
  @Override
  public Secret fetch() {
    checkOpen();
    GetSecretValueRequest.Builder request = GetSecretValueRequest.builder().secretId(secretId);
    if (versionId != null) {
      request.versionId(versionId);
    }
    if (versionStage != null) {
      request.versionStage(versionStage);
    }
    GetSecretValueResponse response;
    try {
      response = client.getSecretValue(request.build());
    } catch (SdkException e) {
      throw AwsErrors.translate(e, description, "GetSecretValue", wanted(), endpoint);
    }
    Secret secret = toSecret(response);
    LOG.debug("{}: loaded version {} (fp={})", description, secret.version().orElse("<none>"), secret.fingerprint());
    return secret;
  }

  /**
   * Returns {@code current} itself when the addressed version has not changed, checked cheaply with
   * {@code DescribeSecret}; otherwise loads the new version.
   */
  @Override
  public Secret refresh(Secret current) {
    checkOpen();
    Objects.requireNonNull(current, "current");
    Optional<String> known = current.version();
    if (known.isEmpty() || !current.source().equals(description)) {
      return fetch();
    }
    if (versionId != null) {
      return current;
    }
    if (describeDenied.get()) {
      return fetchComparing(current);
    }
    DescribeSecretResponse described;
    try {
      described = client.describeSecret(r -> r.secretId(secretId));
    } catch (SdkException e) {
      SecretException mapped = AwsErrors.translate(e, description, "DescribeSecret", wanted(), endpoint);
      if (mapped instanceof SecretAccessDeniedException && isIamDenial(e)) {
        if (describeDenied.compareAndSet(false, true)) {
          LOG.warn("{}: secretsmanager:DescribeSecret is not allowed, so checks for rotation now call"
              + " GetSecretValue, which decrypts and downloads the secret each time. Allow DescribeSecret"
              + " on the secret to make them cheap.", description);
        }
        return fetchComparing(current);
      }
      throw mapped;
    }
    if (described.deletedDate() != null) {
      throw new SecretNotFoundException(description, "the secret is scheduled for deletion (since "
          + described.deletedDate() + "); restore it with RestoreSecret or point the application at another"
          + " secret (DescribeSecret)");
    }
    String holder = shownVersion(versionWithStage(described.versionIdsToStages(), versionStage));
    if (holder == null) {
      throw new SecretNotFoundException(description,
          "no version of the secret has the staging label " + versionStage + " (DescribeSecret)");
    }
    if (holder.equals(known.get())) {
      LOG.trace("{}: {} still on version {} (fp={})", description, versionStage, holder, current.fingerprint());
      return current;
    }
    LOG.info("{}: {} moved from version {} to {}; loading it", description, versionStage, known.get(), holder);
    return fetch();
  }

  /** A safe label such as {@code aws-sm:prod/carto#api_token}; never the value. */
  @Override
  public String description() {
    return description;
  }

  /** Closes the SDK client if this provider built it; an injected client is left open. Idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true) && ownsClient) {
      client.close();
    }
  }

  @Override
  public String toString() {
    return "AwsSecretsManagerProvider[" + description + "]";
  }

  private Secret fetchComparing(Secret current) {
    Secret loaded = fetch();
    return loaded.version().equals(current.version()) && loaded.sameValueAs(current) ? current : loaded;
  }

  private Secret toSecret(GetSecretValueResponse response) {
    String text = response.secretString();
    if (text == null && response.secretBinary() != null) {
      try {
        text = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(response.secretBinary().asByteArrayUnsafe()))
            .toString();
      } catch (CharacterCodingException e) {
        throw new SecretFormatException(description, field, "the SecretBinary is not UTF-8 text", null);
      }
    }
    if (text == null) {
      throw new SecretFormatException(description, field, "the secret version has neither a SecretString nor a SecretBinary", null);
    }
    if (text.length() > MAX_SECRET_CHARS) {
      // Secrets Manager stores at most 65536 bytes; anything longer is not what the service sends.
      throw new SecretFormatException(description, field, "the answer holds " + text.length()
          + " characters, more than the " + MAX_SECRET_CHARS + " bytes Secrets Manager can store", null);
    }
    if (!text.isEmpty() && text.charAt(0) == '\uFEFF') {
      // Secret refuses a value that starts with U+FEFF, but here it may start a JSON SecretString,
      // which would otherwise fail as "not JSON": checked on the whole answer, as for secret files.
      throw new SecretFormatException(description, field,
          "the secret starts with a byte order mark (U+FEFF, added by some editors); store it without one", null);
    }
    String value = field == null ? SecretFiles.trimOneNewline(text) : JsonFields.extract(text, field, description);
    return Secret.builder(value, description).version(shownVersion(response.versionId())).build();
  }

  private static final java.util.regex.Pattern UUID_SHAPE =
      java.util.regex.Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  /**
   * A version id as this provider keeps, compares, logs and shows it. Version ids come from the
   * answer, and end up in log lines and {@link Secret#toString()}; a broken or hostile endpoint could
   * put anything there, the secret included. A UUID (what AWS and its SDKs generate) is kept as is;
   * anything else is replaced by {@code sha256:} and 16 hex characters of its hash, stable and
   * distinct enough to notice rotation, and never the text itself.
   */
  static String shownVersion(String raw) {
    if (raw == null) {
      return null;
    }
    if (UUID_SHAPE.matcher(raw).matches()) {
      return raw;
    }
    try {
      byte[] h = java.security.MessageDigest.getInstance("SHA-256").digest(raw.getBytes(StandardCharsets.UTF_8));
      return "sha256:" + java.util.HexFormat.of().formatHex(h, 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  private String wanted() {
    return versionId != null ? "version with id " + versionId : "version with staging label " + versionStage;
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException(description + ": the provider is closed");
    }
  }

  private static boolean isIamDenial(SdkException e) {
    return e instanceof AwsServiceException
        && ((AwsServiceException) e).awsErrorDetails() != null
        && "AccessDeniedException".equals(((AwsServiceException) e).awsErrorDetails().errorCode());
  }

  private static String versionWithStage(Map<String, List<String>> versionIdsToStages, String stage) {
    for (Map.Entry<String, List<String>> e : versionIdsToStages.entrySet()) {
      if (e.getValue() != null && e.getValue().contains(stage)) {
        return e.getKey();
      }
    }
    return null;
  }

  /**
   * Configures an {@link AwsSecretsManagerProvider}. Either give a {@link #client(SecretsManagerClient)}
   * you already have, or let the provider build one from {@link #region(String)},
   * {@link #endpointOverride(URI)} and {@link #credentialsProvider(AwsCredentialsProvider)}, each
   * defaulting to the SDK's own resolution.
   */
  public static final class Builder {
    private String secretId;
    private String field;
    private String versionStage;
    private String versionId;
    private String region;
    private URI endpointOverride;
    private AwsCredentialsProvider credentialsProvider;
    private SecretsManagerClient client;
    private Duration callTimeout;
    private Integer maxAttempts;

    private Builder() {}

    /** The secret's name (e.g. {@code prod/carto}) or full ARN. Required. */
    public Builder secretId(String secretId) {
      Objects.requireNonNull(secretId, "secretId");
      if (secretId.isBlank() || secretId.length() > 2048 || hasControlCharacter(secretId)) {
        throw new ConfigurationException(
            "an AWS secret id is a secret name or ARN of 1 to 2048 printable characters");
      }
      this.secretId = secretId;
      return this;
    }

    /**
     * The field of a JSON {@code SecretString} that holds the token; dots walk into nested objects
     * ({@code carto.api_token}). Without a field the whole value is the token.
     */
    public Builder field(String dottedPath) {
      Objects.requireNonNull(dottedPath, "dottedPath");
      for (String part : dottedPath.split("\\.", -1)) {
        if (part.isEmpty()) {
          throw new ConfigurationException("field '" + dottedPath + "' has an empty name between dots");
        }
      }
      this.field = dottedPath;
      return this;
    }

    /** The staging label to read, e.g. {@code AWSPENDING}; default {@code AWSCURRENT}. */
    public Builder versionStage(String versionStage) {
      Objects.requireNonNull(versionStage, "versionStage");
      if (versionStage.isBlank() || versionStage.length() > 256) {
        throw new ConfigurationException("a staging label has 1 to 256 characters");
      }
      this.versionStage = versionStage;
      return this;
    }

    /** Pins one version by id; refreshes then never call AWS, as versions are immutable. */
    public Builder versionId(String versionId) {
      Objects.requireNonNull(versionId, "versionId");
      if (versionId.length() < 32 || versionId.length() > 64 || hasControlCharacter(versionId)) {
        throw new ConfigurationException("an AWS secret version id has 32 to 64 characters");
      }
      this.versionId = versionId;
      return this;
    }

    /**
     * The AWS region, e.g. {@code eu-west-1}. Default: the region in the secret's ARN, else the SDK's
     * region chain ({@code AWS_REGION}, {@code aws.region}, the profile, instance metadata).
     */
    public Builder region(String region) {
      Objects.requireNonNull(region, "region");
      if (!region.matches("[a-z0-9-]{1,64}")) {
        throw new ConfigurationException("'" + region + "' is not an AWS region name such as eu-west-1");
      }
      this.region = region;
      return this;
    }

    /**
     * Another endpoint: a VPC interface endpoint, a FIPS endpoint, LocalStack. It must be
     * {@code https}, except on the loopback interface, because the secret comes back in the answer.
     */
    public Builder endpointOverride(URI endpoint) {
      Objects.requireNonNull(endpoint, "endpoint");
      Urls.requireSecure(endpoint.toString(), "the Secrets Manager endpoint override");
      this.endpointOverride = endpoint;
      return this;
    }

    /** The credentials to sign with; default: the SDK's default credentials chain. */
    public Builder credentialsProvider(AwsCredentialsProvider credentialsProvider) {
      this.credentialsProvider = Objects.requireNonNull(credentialsProvider, "credentialsProvider");
      return this;
    }

    /**
     * A client you already have, configured as you like. The provider uses it as given and does not
     * close it; region, endpoint, credentials, timeout and attempts cannot be set as well. Unlike a
     * client the provider builds, its error answers are not scrubbed before the AWS SDK reads them,
     * and the SDK logs their messages at DEBUG ({@code software.amazon.awssdk.request}): keep that
     * logger above DEBUG if the endpoint is not trusted.
     */
    public Builder client(SecretsManagerClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /** The longest one call may take, SDK retries included. Default {@link #DEFAULT_CALL_TIMEOUT}. */
    public Builder callTimeout(Duration callTimeout) {
      Objects.requireNonNull(callTimeout, "callTimeout");
      if (callTimeout.isNegative() || callTimeout.isZero()) {
        throw new ConfigurationException("callTimeout must be positive, not " + callTimeout);
      }
      this.callTimeout = callTimeout;
      return this;
    }

    /**
     * How many attempts the SDK makes per call, the first included (SDK default: 3). A refreshing
     * cache retries failed refreshes with its own backoff, so 1 is reasonable under one.
     */
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1) {
        throw new ConfigurationException("maxAttempts must be at least 1, not " + maxAttempts);
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    /**
     * Builds the provider, and the SDK client unless one was given. Nothing is called yet.
     *
     * @throws ConfigurationException if no secret id is set, both a version id and a staging label
     *     are set, an injected client is combined with client settings, or no region can be found
     */
    public AwsSecretsManagerProvider build() {
      if (secretId == null) {
        throw new ConfigurationException("an AWS Secrets Manager provider needs a secretId (a secret name or ARN)");
      }
      if (versionId != null && versionStage != null) {
        throw new ConfigurationException("aws-sm:" + secretId + ": give a staging label or a version id, not both");
      }
      if (client != null) {
        if (region != null || endpointOverride != null || credentialsProvider != null || callTimeout != null
            || maxAttempts != null) {
          throw new ConfigurationException("aws-sm:" + secretId + ": configure region, endpoint, credentials,"
              + " timeout and attempts on the injected SecretsManagerClient, not on the provider");
        }
        return new AwsSecretsManagerProvider(this, client, false, "the injected client's endpoint");
      }
      String resolvedRegion = region != null ? region : regionOfArn(secretId);
      SecretsManagerClientBuilder b = SecretsManagerClient.builder()
          .httpClientBuilder(UrlConnectionHttpClient.builder())
          .overrideConfiguration(o -> {
            o.apiCallTimeout(callTimeout == null ? DEFAULT_CALL_TIMEOUT : callTimeout);
            // The SDK logs its exception, error message included, at DEBUG before we see it.
            o.addExecutionInterceptor(new ErrorAnswerScrubber());
            if (maxAttempts != null) {
              o.retryStrategy(r -> r.maxAttempts(maxAttempts));
            }
          });
      if (resolvedRegion != null) {
        b.region(Region.of(resolvedRegion));
      }
      if (endpointOverride != null) {
        b.endpointOverride(endpointOverride);
      }
      if (credentialsProvider != null) {
        b.credentialsProvider(credentialsProvider);
      }
      SecretsManagerClient built;
      try {
        built = b.build();
      } catch (SdkException e) {
        // The SDK's message lists where it looked for a region; none of it is secret, but keep to our own words.
        throw new ConfigurationException("aws-sm:" + secretId + ": no AWS region: set region(...), the ?region="
            + " parameter, AWS_REGION, or a region in the AWS profile");
      }
      String where = endpointOverride != null ? endpointOverride.toString()
          : "secretsmanager." + (resolvedRegion != null ? resolvedRegion : "<default region>") + " endpoint";
      return new AwsSecretsManagerProvider(this, built, true, where);
    }

    private static String regionOfArn(String id) {
      // arn:partition:secretsmanager:region:account:secret:name
      String[] parts = id.split(":", 7);
      return parts.length == 7 && "arn".equals(parts[0]) && "secretsmanager".equals(parts[2]) && !parts[3].isEmpty()
          ? parts[3] : null;
    }

    private static boolean hasControlCharacter(String s) {
      for (int i = 0; i < s.length(); i++) {
        if (Character.isISOControl(s.charAt(i))) {
          return true;
        }
      }
      return false;
    }
  }
}
