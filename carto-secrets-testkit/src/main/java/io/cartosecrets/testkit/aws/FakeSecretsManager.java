package io.cartosecrets.testkit.aws;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cartosecrets.testkit.NoDelayServerSockets;
import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.canary.StandInTraffic;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;

/**
 * A stand-in for AWS Secrets Manager on loopback that speaks the service's wire protocol (AWS JSON
 * 1.1: {@code POST /} with {@code X-Amz-Target: secretsmanager.<Operation>}), so the real AWS SDK
 * can be pointed at it with an endpoint override. It keeps state: secrets with versions and staging
 * labels ({@code AWSCURRENT}, {@code AWSPREVIOUS}, {@code AWSPENDING}), moved the way the service
 * moves them.
 *
 * <p>Every request must carry a valid AWS Signature Version 4 made with {@link #accessKeyId()} and
 * {@link #secretAccessKey()} for {@link #region()}: the stand-in recomputes the signature from the
 * canonical request and answers {@code UnrecognizedClientException} for an unknown access key and
 * {@code InvalidSignatureException} for a wrong secret key, region or clock, as AWS does. Errors
 * carry the AWS JSON error body ({@code {"__type": ..., "message": ...}}), the
 * {@code x-amzn-ErrorType} header and the service's status code.
 *
 * <p>Operations: {@code CreateSecret}, {@code GetSecretValue}, {@code DescribeSecret} (with
 * {@code VersionIdsToStages}), {@code PutSecretValue} and {@code UpdateSecretVersionStage}. Test
 * controls: {@link #putSecretValue(String, String)} and {@link #rotate(String, String)} move
 * {@code AWSCURRENT}; {@link #markForDeletion(String)}, {@link #denyAccess(String, Operation...)},
 * {@link #failDecryption(String)} and {@link #failNext(Operation, int, Fault)} make it fail the way
 * AWS fails, and {@link Fault} also offers connection resets and slow answers;
 * {@link #calls(Operation)} counts requests per operation.
 *
 * <pre>{@code
 * try (FakeSecretsManager aws = FakeSecretsManager.start()) {
 *   aws.createSecret("prod/carto", "{\"api_token\":\"" + TestTokens.apiAccessToken() + "\"}");
 *   SecretsManagerClient client = SecretsManagerClient.builder()
 *       .endpointOverride(aws.endpoint())
 *       .region(Region.of(aws.region()))
 *       .credentialsProvider(StaticCredentialsProvider.create(
 *           AwsBasicCredentials.create(aws.accessKeyId(), aws.secretAccessKey())))
 *       .build();
 * }
 * }</pre>
 *
 * <p>Thread-safe. Nothing it logs or throws contains a secret value or a request body.
 */
public final class FakeSecretsManager implements AutoCloseable {
  public static final String AWSCURRENT = "AWSCURRENT";
  public static final String AWSPREVIOUS = "AWSPREVIOUS";
  public static final String AWSPENDING = "AWSPENDING";

  private static final String SERVICE = "secretsmanager";
  private static final String JSON_11 = "application/x-amz-json-1.1";
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9/_+=.@-]{1,512}");

  /** The Secrets Manager operations the stand-in implements. */
  public enum Operation {
    CREATE_SECRET("CreateSecret"),
    GET_SECRET_VALUE("GetSecretValue"),
    DESCRIBE_SECRET("DescribeSecret"),
    PUT_SECRET_VALUE("PutSecretValue"),
    UPDATE_SECRET_VERSION_STAGE("UpdateSecretVersionStage");

    private final String awsName;

    Operation(String awsName) {
      this.awsName = awsName;
    }

    /** The operation's name in the API and in {@code X-Amz-Target}, e.g. {@code GetSecretValue}. */
    public String awsName() {
      return awsName;
    }

    /** The IAM action that allows it, e.g. {@code secretsmanager:GetSecretValue}. */
    public String iamAction() {
      return SERVICE + ":" + awsName;
    }

    static Optional<Operation> byAwsName(String name) {
      for (Operation op : values()) {
        if (op.awsName.equals(name)) {
          return Optional.of(op);
        }
      }
      return Optional.empty();
    }
  }

  /** A failure the stand-in can inject in place of a normal answer. */
  public static final class Fault {
    /** {@code ThrottlingException}, HTTP 400, as AWS answers when a request rate quota is exceeded. */
    public static final Fault THROTTLING = error(400, "ThrottlingException", "Rate exceeded");
    /** {@code InternalServiceError}, HTTP 500. */
    public static final Fault INTERNAL_ERROR =
        error(500, "InternalServiceError", "An error occurred on the server side.");
    /** {@code ServiceUnavailable}, HTTP 503. */
    public static final Fault SERVICE_UNAVAILABLE =
        error(503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.");
    /** The connection is closed before any response is written: an I/O error in the client. */
    public static final Fault CONNECTION_RESET = new Fault(0, null, null, Duration.ZERO);

    private final int status;
    private final String errorType;
    private final String message;
    private final Duration delay;
    /** For {@link #rawAnswer}: served as is, instead of the stand-in's own answer. */
    private final String rawContentType;
    private final byte[] rawBody;

    private Fault(int status, String errorType, String message, Duration delay) {
      this(status, errorType, message, delay, null, null);
    }

    private Fault(int status, String errorType, String message, Duration delay, String rawContentType, byte[] rawBody) {
      this.status = status;
      this.errorType = errorType;
      this.message = message;
      this.delay = delay;
      this.rawContentType = rawContentType;
      this.rawBody = rawBody;
    }

    /**
     * Any answer at all, served byte for byte in place of the normal one (signature checking still
     * runs first): for hostile or malformed answers, e.g. a 200 whose {@code SecretString} is
     * {@code null}, or a body that is not JSON. {@code contentType} may be {@code null} (no header).
     */
    public static Fault rawAnswer(int status, String contentType, byte[] body) {
      if (status < 100 || status > 599) {
        throw new IllegalArgumentException("not an HTTP status: " + status);
      }
      return new Fault(status, null, null, Duration.ZERO, contentType, Objects.requireNonNull(body, "body").clone());
    }

    /** {@link #rawAnswer(int, String, byte[])} with a UTF-8 body. */
    public static Fault rawAnswer(int status, String contentType, String body) {
      return rawAnswer(status, contentType, body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** The normal answer, but only after {@code delay}: for client timeouts. */
    public static Fault delay(Duration delay) {
      if (delay.isNegative()) {
        throw new IllegalArgumentException("delay must not be negative");
      }
      return new Fault(200, null, null, delay);
    }

    /** Any AWS error answer, e.g. {@code error(400, "ExpiredTokenException", "...")}. */
    public static Fault error(int status, String errorType, String message) {
      if (status < 400 || status > 599) {
        throw new IllegalArgumentException("an AWS error has a 4xx or 5xx status, not " + status);
      }
      return new Fault(status, Objects.requireNonNull(errorType, "errorType"), Objects.requireNonNull(message, "message"),
          Duration.ZERO);
    }

    @Override
    public String toString() {
      if (rawBody != null) {
        return "Fault[raw " + status + " answer, " + rawBody.length + " bytes]";
      }
      if (status == 200) {
        return "Fault[answer after " + delay + "]";
      }
      return errorType == null ? "Fault[connection reset]" : "Fault[" + status + " " + errorType + "]";
    }
  }

  private final MockWebServer server;
  private final URI endpoint;
  private final String region;
  private final String accountId;
  private final String accessKeyId;
  private final String secretAccessKey;
  private final SigV4Verifier verifier;
  private final Clock clock = Clock.systemUTC();

  // One lock for all stored state: requests are dispatched on MockWebServer's connection threads
  // while the test thread changes secrets and injects faults.
  private final Object lock = new Object();
  /** Secrets by name, in creation order. Guarded by {@link #lock}. */
  private final Map<String, StoredSecret> secrets = new LinkedHashMap<>();
  /** Denied operations by secret name or id; an empty set denies everything. Guarded by {@link #lock}. */
  private final Map<String, Set<Operation>> denied = new HashMap<>();
  /** Faults still to inject, oldest first. Guarded by {@link #lock}. */
  private final List<PendingFault> faults = new ArrayList<>();
  /** Requests per operation; the map is filled once and never changes, the counters are atomic. */
  private final Map<Operation, AtomicInteger> calls = new EnumMap<>(Operation.class);
  private final AtomicInteger rejectedSignatures = new AtomicInteger();

  private FakeSecretsManager(Builder b) {
    this.region = b.region;
    this.accountId = b.accountId;
    this.accessKeyId = TestTokens.identifier("AKIAFAKE").toUpperCase(Locale.ROOT);
    this.secretAccessKey = TestTokens.secret(30);
    this.verifier = new SigV4Verifier(accessKeyId, secretAccessKey, region, SERVICE);
    for (Operation op : Operation.values()) {
      calls.put(op, new AtomicInteger());
    }
    this.server = new MockWebServer();
    server.setServerSocketFactory(NoDelayServerSockets.factory());
    server.setDispatcher(StandInTraffic.recording("FakeSecretsManager", this::handle));
    try {
      server.start(InetAddress.getLoopbackAddress(), 0);
    } catch (IOException e) {
      throw new UncheckedIOException("could not start the Secrets Manager stand-in on loopback", e);
    }
    this.endpoint = URI.create("http://" + InetAddress.getLoopbackAddress().getHostAddress() + ":" + server.getPort());
  }

  /** Starts a stand-in for region {@code us-east-1}, with freshly minted credentials. */
  public static FakeSecretsManager start() {
    return builder().start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Configures a stand-in before {@link #start()}. */
  public static final class Builder {
    private String region = "us-east-1";
    private String accountId = "123456789012";

    private Builder() {}

    /** The region requests must be signed for and that ARNs name. Default {@code us-east-1}. */
    public Builder region(String region) {
      this.region = Objects.requireNonNull(region, "region");
      return this;
    }

    /** The 12-digit account id in ARNs. */
    public Builder accountId(String accountId) {
      if (!accountId.matches("\\d{12}")) {
        throw new IllegalArgumentException("an AWS account id has 12 digits");
      }
      this.accountId = accountId;
      return this;
    }

    public FakeSecretsManager start() {
      return new FakeSecretsManager(this);
    }
  }

  /** Where to point the SDK ({@code endpointOverride}): {@code http://127.0.0.1:<port>}. */
  public URI endpoint() {
    return endpoint;
  }

  public String region() {
    return region;
  }

  public String accountId() {
    return accountId;
  }

  /** The only access key id the stand-in accepts. */
  public String accessKeyId() {
    return accessKeyId;
  }

  /** The secret access key requests must be signed with; minted at start and registered as a canary. */
  public String secretAccessKey() {
    return secretAccessKey;
  }

  // ---- test controls -------------------------------------------------------------------------

  /**
   * Creates a secret whose first version, labelled {@code AWSCURRENT}, holds {@code secretString}.
   *
   * @return the version id
   */
  public String createSecret(String name, String secretString) {
    Objects.requireNonNull(secretString, "secretString");
    synchronized (lock) {
      return create(name, UUID.randomUUID().toString(), secretString, null).id;
    }
  }

  /** Creates a secret whose first version holds {@code secretBinary}; returns the version id. */
  public String createBinarySecret(String name, byte[] secretBinary) {
    Objects.requireNonNull(secretBinary, "secretBinary");
    synchronized (lock) {
      return create(name, UUID.randomUUID().toString(), null, secretBinary.clone()).id;
    }
  }

  /** The full ARN of a secret, given its name or ARN. */
  public String arn(String secretId) {
    synchronized (lock) {
      return require(secretId).arn;
    }
  }

  /**
   * Stores a new version and moves {@code AWSCURRENT} to it ({@code AWSPREVIOUS} follows to the old
   * one), as {@code PutSecretValue} without staging labels does.
   *
   * @return the new version id
   */
  public String putSecretValue(String secretId, String secretString) {
    return putSecretValue(secretId, secretString, AWSCURRENT);
  }

  /**
   * Stores a new version with the given staging labels, e.g. {@link #AWSPENDING} to stage a value
   * without making it current.
   *
   * @return the new version id
   */
  public String putSecretValue(String secretId, String secretString, String... stages) {
    Objects.requireNonNull(secretString, "secretString");
    synchronized (lock) {
      return put(require(secretId), UUID.randomUUID().toString(), secretString, null, List.of(stages)).id;
    }
  }

  /** Stores a new binary version and makes it {@code AWSCURRENT}; returns the version id. */
  public String putSecretBinary(String secretId, byte[] secretBinary) {
    Objects.requireNonNull(secretBinary, "secretBinary");
    synchronized (lock) {
      return put(require(secretId), UUID.randomUUID().toString(), null, secretBinary.clone(), List.of(AWSCURRENT)).id;
    }
  }

  /**
   * Rotates the secret the way a rotation function does: stores {@code newSecretString} as
   * {@code AWSPENDING} (createSecret step), then moves {@code AWSCURRENT} to it and removes
   * {@code AWSPENDING} (finishSecret step).
   *
   * @return the new current version id
   */
  public String rotate(String secretId, String newSecretString) {
    Objects.requireNonNull(newSecretString, "newSecretString");
    synchronized (lock) {
      StoredSecret s = require(secretId);
      Version pending = put(s, UUID.randomUUID().toString(), newSecretString, null, List.of(AWSPENDING));
      s.moveStage(AWSCURRENT, pending);
      pending.stages.remove(AWSPENDING);
      return pending.id;
    }
  }

  /** Moves a staging label to a version, as {@code UpdateSecretVersionStage} does. */
  public void moveStage(String secretId, String stage, String toVersionId) {
    synchronized (lock) {
      StoredSecret s = require(secretId);
      Version v = s.versions.get(toVersionId);
      if (v == null) {
        throw new IllegalArgumentException("secret " + s.name + " has no version " + toVersionId);
      }
      s.moveStage(stage, v);
    }
  }

  /** The id of the version that has {@code stage}, if any. */
  public Optional<String> versionIdWithStage(String secretId, String stage) {
    synchronized (lock) {
      Version v = require(secretId).withStage(stage);
      return Optional.ofNullable(v == null ? null : v.id);
    }
  }

  /** The staging labels of one version, e.g. {@code [AWSPREVIOUS]}. */
  public Set<String> stagesOf(String secretId, String versionId) {
    synchronized (lock) {
      Version v = require(secretId).versions.get(versionId);
      return v == null ? Set.of() : Set.copyOf(v.stages);
    }
  }

  /** Schedules the secret for deletion: reads fail with {@code InvalidRequestException}. */
  public void markForDeletion(String secretId) {
    synchronized (lock) {
      require(secretId).deletedDate = clock.instant();
    }
  }

  /** Cancels a scheduled deletion, as {@code RestoreSecret} does. */
  public void restore(String secretId) {
    synchronized (lock) {
      require(secretId).deletedDate = null;
    }
  }

  /**
   * Denies the caller the given operations on a secret (all operations if none are given), as a
   * missing IAM permission does: {@code AccessDeniedException}, HTTP 400. The secret need not exist.
   */
  public void denyAccess(String secretId, Operation... operations) {
    synchronized (lock) {
      StoredSecret s = find(secretId);
      denied.put(s == null ? secretId : s.name, operations.length == 0
          ? Collections.emptySet() : Collections.unmodifiableSet(new LinkedHashSet<>(Arrays.asList(operations))));
    }
  }

  /** Lifts {@link #denyAccess(String, Operation...)}. */
  public void allowAccess(String secretId) {
    synchronized (lock) {
      StoredSecret s = find(secretId);
      denied.remove(s == null ? secretId : s.name);
    }
  }

  /**
   * Makes KMS unable to decrypt the secret (key disabled, or no {@code kms:Decrypt} for the caller):
   * {@code GetSecretValue} fails with {@code DecryptionFailure}; {@code DescribeSecret}, which
   * decrypts nothing, still works.
   */
  public void failDecryption(String secretId) {
    synchronized (lock) {
      require(secretId).kmsFails = true;
    }
  }

  /** Lifts {@link #failDecryption(String)}. */
  public void fixDecryption(String secretId) {
    synchronized (lock) {
      require(secretId).kmsFails = false;
    }
  }

  /** Answers the next {@code times} requests, whatever their operation, with {@code fault}. */
  public void failNext(int times, Fault fault) {
    addFault(null, times, fault);
  }

  /** Answers the next {@code times} requests for {@code operation} with {@code fault}. */
  public void failNext(Operation operation, int times, Fault fault) {
    addFault(Objects.requireNonNull(operation, "operation"), times, fault);
  }

  /** Drops every fault not yet injected: the service recovers. */
  public void clearFaults() {
    synchronized (lock) {
      faults.clear();
    }
  }

  /** Requests received for {@code operation}, whatever the answer (faults and errors included). */
  public int calls(Operation operation) {
    return calls.get(operation).get();
  }

  /** Requests received for all operations. */
  public int calls() {
    int n = 0;
    for (AtomicInteger c : calls.values()) {
      n += c.get();
    }
    return n;
  }

  /** Requests refused because of a missing or wrong signature or an unknown access key. */
  public int rejectedSignatures() {
    return rejectedSignatures.get();
  }

  @Override
  public void close() {
    server.close();
  }

  @Override
  public String toString() {
    return "FakeSecretsManager[" + endpoint + ", region=" + region + "]";
  }

  // ---- wire ----------------------------------------------------------------------------------

  private MockResponse handle(RecordedRequest request) {
    try {
      String target = request.getHeaders().get("X-Amz-Target");
      Optional<Operation> op = Optional.empty();
      if (target != null && target.startsWith(SERVICE + ".")) {
        op = Operation.byAwsName(target.substring(SERVICE.length() + 1));
      }
      op.ifPresent(o -> calls.get(o).incrementAndGet());
      Optional<AwsError> signatureError = verifier.verify(request, clock.instant());
      if (signatureError.isPresent()) {
        rejectedSignatures.incrementAndGet();
        return errorResponse(signatureError.get());
      }
      if (!"POST".equals(request.getMethod()) || op.isEmpty()) {
        return errorResponse(AwsError.of(400, "UnknownOperationException", "Operation is not supported."));
      }
      Fault fault = takeFault(op.get());
      Duration delay = Duration.ZERO;
      if (fault != null && fault.rawBody != null) {
        MockResponse.Builder raw = new MockResponse.Builder()
            .code(fault.status)
            .setHeader("x-amzn-RequestId", UUID.randomUUID().toString())
            .body(new okio.Buffer().write(fault.rawBody));
        if (fault.rawContentType != null) {
          raw.setHeader("Content-Type", fault.rawContentType);
        }
        return raw.build();
      }
      if (fault != null && fault.status == 200) {
        delay = fault.delay;
      } else if (fault != null) {
        if (fault.errorType == null) {
          return new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket()).build();
        }
        return errorResponse(AwsError.of(fault.status, fault.errorType, fault.message));
      }
      String contentType = request.getHeaders().get("Content-Type");
      if (contentType == null || !contentType.startsWith(JSON_11)) {
        return errorResponse(AwsError.of(400, "SerializationException", "Content-Type must be " + JSON_11 + "."));
      }
      JsonNode body;
      try {
        body = MAPPER.readTree(request.getBody() == null ? new byte[0] : request.getBody().toByteArray());
      } catch (IOException e) {
        // Not the parser's message: it would quote the request body, which may hold a secret.
        return errorResponse(AwsError.of(400, "SerializationException", "The request body is not valid JSON."));
      }
      if (body == null || !body.isObject()) {
        return errorResponse(AwsError.of(400, "SerializationException", "The request body must be a JSON object."));
      }
      ObjectNode answer;
      synchronized (lock) {
        switch (op.get()) {
          case CREATE_SECRET:
            answer = createSecret(body);
            break;
          case GET_SECRET_VALUE:
            answer = getSecretValue(body);
            break;
          case DESCRIBE_SECRET:
            answer = describeSecret(body);
            break;
          case PUT_SECRET_VALUE:
            answer = putSecretValue(body);
            break;
          case UPDATE_SECRET_VERSION_STAGE:
            answer = updateSecretVersionStage(body);
            break;
          default:
            throw AwsError.of(400, "UnknownOperationException", "Operation is not supported.");
        }
      }
      return new MockResponse.Builder()
          .code(200)
          .setHeader("Content-Type", JSON_11)
          .setHeader("x-amzn-RequestId", UUID.randomUUID().toString())
          .body(MAPPER.writeValueAsString(answer))
          .headersDelay(delay.toMillis(), TimeUnit.MILLISECONDS)
          .build();
    } catch (AwsError e) {
      return errorResponse(e);
    } catch (RuntimeException | JsonProcessingException e) {
      return errorResponse(AwsError.of(500, "InternalServiceError", "An error occurred on the server side."));
    }
  }

  private ObjectNode createSecret(JsonNode body) {
    String name = requiredText(body, "Name");
    String token = optionalText(body, "ClientRequestToken").orElse(UUID.randomUUID().toString());
    checkVersionId(token, "ClientRequestToken");
    String string = optionalText(body, "SecretString").orElse(null);
    byte[] binary = binary(body);
    Version v = create(name, token, string, binary);
    StoredSecret s = secrets.get(name);
    return MAPPER.createObjectNode().put("ARN", s.arn).put("Name", s.name).put("VersionId", v.id);
  }

  private ObjectNode getSecretValue(JsonNode body) {
    String secretId = requiredText(body, "SecretId");
    checkAccess(secretId, Operation.GET_SECRET_VALUE);
    StoredSecret s = findOrNotFound(secretId);
    if (s.deletedDate != null) {
      throw markedForDeletion();
    }
    Optional<String> versionId = optionalText(body, "VersionId");
    Optional<String> stage = optionalText(body, "VersionStage");
    versionId.ifPresent(id -> checkVersionId(id, "VersionId"));
    Version v;
    if (versionId.isPresent()) {
      v = s.versions.get(versionId.get());
      if (v == null || (stage.isPresent() && !v.stages.contains(stage.get()))) {
        throw AwsError.of(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for VersionId: "
            + versionId.get() + stage.map(st -> " and VersionStage: " + st).orElse(""));
      }
    } else {
      String label = stage.orElse(AWSCURRENT);
      v = s.withStage(label);
      if (v == null) {
        throw AwsError.of(400, "ResourceNotFoundException",
            "Secrets Manager can't find the specified secret value for staging label: " + label);
      }
    }
    if (s.kmsFails) {
      throw AwsError.of(400, "DecryptionFailure",
          "Secrets Manager can't decrypt the protected secret text using the provided KMS key.");
    }
    s.lastAccessedDate = clock.instant();
    ObjectNode out = MAPPER.createObjectNode().put("ARN", s.arn).put("Name", s.name).put("VersionId", v.id);
    if (v.string != null) {
      out.put("SecretString", v.string);
    } else {
      out.put("SecretBinary", Base64.getEncoder().encodeToString(v.binary));
    }
    ArrayNode stages = out.putArray("VersionStages");
    v.stages.forEach(stages::add);
    out.put("CreatedDate", epochSeconds(v.created));
    return out;
  }

  private ObjectNode describeSecret(JsonNode body) {
    String secretId = requiredText(body, "SecretId");
    checkAccess(secretId, Operation.DESCRIBE_SECRET);
    StoredSecret s = findOrNotFound(secretId);
    ObjectNode out = MAPPER.createObjectNode().put("ARN", s.arn).put("Name", s.name);
    out.put("RotationEnabled", false);
    out.put("CreatedDate", epochSeconds(s.created));
    out.put("LastChangedDate", epochSeconds(s.lastChangedDate));
    if (s.lastAccessedDate != null) {
      out.put("LastAccessedDate", epochSeconds(s.lastAccessedDate));
    }
    if (s.deletedDate != null) {
      out.put("DeletedDate", epochSeconds(s.deletedDate));
    }
    // Versions without a staging label are deprecated and, as in AWS, not listed.
    ObjectNode map = out.putObject("VersionIdsToStages");
    for (Version v : s.versions.values()) {
      if (!v.stages.isEmpty()) {
        ArrayNode stages = map.putArray(v.id);
        v.stages.forEach(stages::add);
      }
    }
    return out;
  }

  private ObjectNode putSecretValue(JsonNode body) {
    String secretId = requiredText(body, "SecretId");
    checkAccess(secretId, Operation.PUT_SECRET_VALUE);
    StoredSecret s = findOrNotFound(secretId);
    if (s.deletedDate != null) {
      throw markedForDeletion();
    }
    String token = optionalText(body, "ClientRequestToken").orElse(UUID.randomUUID().toString());
    checkVersionId(token, "ClientRequestToken");
    String string = optionalText(body, "SecretString").orElse(null);
    byte[] binary = binary(body);
    List<String> stages = new ArrayList<>();
    JsonNode st = body.get("VersionStages");
    if (st != null && st.isArray()) {
      st.forEach(n -> stages.add(n.asText()));
    }
    if (stages.isEmpty()) {
      stages.add(AWSCURRENT);
    }
    Version existing = s.versions.get(token);
    Version v;
    if (existing != null) {
      // Idempotent retry of the same request; a different value under the same token is refused.
      if (!Objects.equals(existing.string, string) || !Arrays.equals(existing.binary, binary)) {
        throw AwsError.of(400, "ResourceExistsException",
            "A resource with the ID you requested already exists.");
      }
      v = existing;
    } else {
      v = put(s, token, string, binary, stages);
    }
    ObjectNode out = MAPPER.createObjectNode().put("ARN", s.arn).put("Name", s.name).put("VersionId", v.id);
    ArrayNode labels = out.putArray("VersionStages");
    v.stages.forEach(labels::add);
    return out;
  }

  private ObjectNode updateSecretVersionStage(JsonNode body) {
    String secretId = requiredText(body, "SecretId");
    String stage = requiredText(body, "VersionStage");
    checkAccess(secretId, Operation.UPDATE_SECRET_VERSION_STAGE);
    StoredSecret s = findOrNotFound(secretId);
    if (s.deletedDate != null) {
      throw markedForDeletion();
    }
    Optional<String> moveTo = optionalText(body, "MoveToVersionId");
    Optional<String> removeFrom = optionalText(body, "RemoveFromVersionId");
    Version holder = s.withStage(stage);
    if (holder != null && moveTo.isPresent() && !moveTo.get().equals(holder.id)
        && !removeFrom.map(holder.id::equals).orElse(false)) {
      throw AwsError.of(400, "InvalidParameterException", "The parameter RemoveFromVersionId doesn't match the"
          + " version that has the staging label " + stage + ".");
    }
    if (moveTo.isPresent()) {
      Version target = s.versions.get(moveTo.get());
      if (target == null) {
        throw AwsError.of(400, "ResourceNotFoundException",
            "Secrets Manager can't find the specified secret value for VersionId: " + moveTo.get());
      }
      s.moveStage(stage, target);
    } else if (removeFrom.isPresent()) {
      if (AWSCURRENT.equals(stage)) {
        throw AwsError.of(400, "InvalidParameterException",
            "You can only move staging label AWSCURRENT to a different secret version. It can't be completely removed.");
      }
      Version from = s.versions.get(removeFrom.get());
      if (from == null || !from.stages.remove(stage)) {
        throw AwsError.of(400, "InvalidParameterException",
            "The staging label " + stage + " is not attached to version " + removeFrom.get() + ".");
      }
      s.lastChangedDate = clock.instant();
    } else {
      throw AwsError.of(400, "InvalidParameterException",
          "You must specify MoveToVersionId, RemoveFromVersionId, or both.");
    }
    return MAPPER.createObjectNode().put("ARN", s.arn).put("Name", s.name);
  }

  // ---- state (callers hold the lock) ---------------------------------------------------------

  private Version create(String name, String versionId, String string, byte[] binary) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw AwsError.of(400, "InvalidParameterException",
          "A secret name must be 1 to 512 characters from A-Z, a-z, 0-9 and /_+=.@-");
    }
    if (secrets.containsKey(name)) {
      throw AwsError.of(400, "ResourceExistsException", "The operation failed because the secret " + name + " already exists.");
    }
    StoredSecret s = new StoredSecret(name, "arn:aws:secretsmanager:" + region + ":" + accountId
        + ":secret:" + name + "-" + randomSuffix(), clock.instant());
    Version v = put(s, versionId, string, binary, List.of(AWSCURRENT));
    secrets.put(name, s);
    return v;
  }

  private Version put(StoredSecret s, String versionId, String string, byte[] binary, List<String> stages) {
    if ((string == null) == (binary == null)) {
      throw AwsError.of(400, "InvalidParameterException",
          "You must provide either SecretString or SecretBinary, but not both.");
    }
    if (s.versions.containsKey(versionId)) {
      throw AwsError.of(400, "ResourceExistsException", "A resource with the ID you requested already exists.");
    }
    Version v = new Version(versionId, string, binary, clock.instant());
    s.versions.put(versionId, v);
    for (String stage : stages) {
      s.moveStage(stage, v);
    }
    s.lastChangedDate = clock.instant();
    return v;
  }

  private StoredSecret find(String secretId) {
    StoredSecret s = secrets.get(secretId);
    if (s != null) {
      return s;
    }
    for (StoredSecret candidate : secrets.values()) {
      if (candidate.arn.equals(secretId)) {
        return candidate;
      }
    }
    return null;
  }

  private StoredSecret require(String secretId) {
    synchronized (lock) {
      StoredSecret s = find(Objects.requireNonNull(secretId, "secretId"));
      if (s == null) {
        throw new IllegalArgumentException("no secret " + secretId + " in the stand-in");
      }
      return s;
    }
  }

  private StoredSecret findOrNotFound(String secretId) {
    StoredSecret s = find(secretId);
    if (s == null) {
      throw AwsError.of(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
    }
    return s;
  }

  private void checkAccess(String secretId, Operation op) {
    StoredSecret s = find(secretId);
    Set<String> keys = new LinkedHashSet<>();
    keys.add(secretId);
    if (s != null) {
      keys.add(s.name);
    }
    for (String key : keys) {
      Set<Operation> ops = denied.get(key);
      if (ops != null && (ops.isEmpty() || ops.contains(op))) {
        throw AwsError.of(400, "AccessDeniedException", "User: arn:aws:iam::" + accountId
            + ":user/carto-app is not authorized to perform: " + op.iamAction() + " on resource: "
            + secretId + " because no identity-based policy allows the " + op.iamAction() + " action");
      }
    }
  }

  private void addFault(Operation op, int times, Fault fault) {
    Objects.requireNonNull(fault, "fault");
    if (times < 0) {
      throw new IllegalArgumentException("times must be zero or more");
    }
    synchronized (lock) {
      faults.add(new PendingFault(op, times, fault));
    }
  }

  private Fault takeFault(Operation op) {
    synchronized (lock) {
      for (PendingFault f : faults) {
        if (f.remaining > 0 && (f.operation == null || f.operation == op)) {
          f.remaining--;
          return f.fault;
        }
      }
      faults.removeIf(f -> f.remaining == 0);
      return null;
    }
  }

  private static AwsError markedForDeletion() {
    return AwsError.of(400, "InvalidRequestException",
        "You can't perform this operation on the secret because it was marked for deletion.");
  }

  private static void checkVersionId(String id, String parameter) {
    if (id.length() < 32 || id.length() > 64) {
      // AWS reports a length violation as a validation error; the stand-in uses the modelled
      // InvalidParameterException so that clients can be tested against it.
      throw AwsError.of(400, "InvalidParameterException",
          "The parameter " + parameter + " must be 32 to 64 characters long.");
    }
  }

  private static String requiredText(JsonNode body, String field) {
    return optionalText(body, field).orElseThrow(() -> AwsError.of(400, "InvalidParameterException",
        "You must provide a value for the " + field + " parameter."));
  }

  private static Optional<String> optionalText(JsonNode body, String field) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) {
      return Optional.empty();
    }
    if (!n.isTextual()) {
      throw AwsError.of(400, "SerializationException", "The field " + field + " must be a string.");
    }
    return n.asText().isEmpty() ? Optional.empty() : Optional.of(n.asText());
  }

  private static byte[] binary(JsonNode body) {
    Optional<String> b64 = optionalText(body, "SecretBinary");
    if (b64.isEmpty()) {
      return null;
    }
    try {
      return Base64.getDecoder().decode(b64.get());
    } catch (IllegalArgumentException e) {
      throw AwsError.of(400, "SerializationException", "SecretBinary is not valid Base64.");
    }
  }

  private static double epochSeconds(Instant t) {
    return t.toEpochMilli() / 1000.0;
  }

  /** Six random letters and digits, as Secrets Manager appends to a name to make the ARN. */
  private static String randomSuffix() {
    StringBuilder sb = new StringBuilder(6);
    while (sb.length() < 6) {
      char c = (char) ('0' + RANDOM.nextInt('z' - '0' + 1));
      if (Character.isLetterOrDigit(c)) {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private static MockResponse errorResponse(AwsError e) {
    ObjectNode body = MAPPER.createObjectNode().put("__type", e.type()).put("message", e.getMessage());
    return new MockResponse.Builder()
        .code(e.status())
        .setHeader("Content-Type", JSON_11)
        .setHeader("x-amzn-ErrorType", e.type() + ":")
        .setHeader("x-amzn-RequestId", UUID.randomUUID().toString())
        .body(body.toString())
        .build();
  }

  private static final class StoredSecret {
    final String name;
    final String arn;
    final Instant created;
    /** Versions by id, oldest first. */
    final Map<String, Version> versions = new LinkedHashMap<>();
    Instant lastChangedDate;
    Instant lastAccessedDate;
    Instant deletedDate;
    boolean kmsFails;

    StoredSecret(String name, String arn, Instant created) {
      this.name = name;
      this.arn = arn;
      this.created = created;
      this.lastChangedDate = created;
    }

    Version withStage(String stage) {
      for (Version v : versions.values()) {
        if (v.stages.contains(stage)) {
          return v;
        }
      }
      return null;
    }

    /** A label is on one version at most; moving AWSCURRENT leaves AWSPREVIOUS on the old one. */
    void moveStage(String stage, Version to) {
      Version from = withStage(stage);
      if (from == to) {
        return;
      }
      if (from != null) {
        from.stages.remove(stage);
      }
      to.stages.add(stage);
      if (AWSCURRENT.equals(stage) && from != null) {
        Version previous = withStage(AWSPREVIOUS);
        if (previous != null) {
          previous.stages.remove(AWSPREVIOUS);
        }
        from.stages.add(AWSPREVIOUS);
      }
    }
  }

  private static final class Version {
    final String id;
    final String string;
    final byte[] binary;
    final Instant created;
    final Set<String> stages = new LinkedHashSet<>();

    Version(String id, String string, byte[] binary, Instant created) {
      this.id = id;
      this.string = string;
      this.binary = binary;
      this.created = created;
    }
  }

  private static final class PendingFault {
    final Operation operation;
    final Fault fault;
    int remaining;

    PendingFault(Operation operation, int remaining, Fault fault) {
      this.operation = operation;
      this.remaining = remaining;
      this.fault = fault;
    }
  }
}
