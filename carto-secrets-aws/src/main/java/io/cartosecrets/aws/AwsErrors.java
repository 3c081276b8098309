package io.cartosecrets.aws;

import io.cartosecrets.SecretAccessDeniedException;
import io.cartosecrets.SecretException;
import io.cartosecrets.SecretNotFoundException;
import io.cartosecrets.SecretUnavailableException;
import java.io.IOException;
import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.exception.SdkServiceException;

/**
 * Turns AWS SDK failures into this SDK's typed exceptions.
 *
 * <p>The SDK exception is never attached as the cause: a client-side exception can wrap a JSON
 * parser error that quotes the response (the secret), and a service exception keeps the raw error
 * body. Messages are built here from the operation, HTTP status and request id only, which is what
 * an operator needs to look the call up in CloudTrail; the AWS error code goes into
 * {@link SecretException#errorCode()}.
 */
final class AwsErrors {
  private static final Set<String> SIGNATURE_CODES = Set.of(
      "InvalidSignatureException", "SignatureDoesNotMatch", "IncompleteSignatureException",
      "IncompleteSignature", "MissingAuthenticationTokenException", "MissingAuthenticationToken");
  private static final Set<String> UNKNOWN_KEY_CODES = Set.of(
      "UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure");
  private static final Set<String> EXPIRED_CODES = Set.of(
      "ExpiredTokenException", "ExpiredToken", "TokenRefreshRequired");
  private static final Set<String> DENIED_CODES = Set.of(
      "AccessDeniedException", "AccessDenied", "NotAuthorized", "OptInRequired");
  private static final Set<String> BAD_PARAMETER_CODES = Set.of(
      "InvalidParameterException", "ValidationException", "SerializationException");
  private static final Set<String> TRANSIENT_CODES = Set.of(
      "InternalServiceError", "InternalFailure", "ServiceUnavailable", "ServiceUnavailableException",
      "RequestTimeout", "RequestTimeoutException", "RequestExpired");

  private AwsErrors() {}

  /**
   * The typed exception for a failed call.
   *
   * @param source the provider's description
   * @param operation {@code GetSecretValue} or {@code DescribeSecret}
   * @param wanted what was asked for, e.g. {@code the version with staging label AWSCURRENT}
   * @param endpoint where the call went, for I/O errors
   */
  static SecretException translate(SdkException e, String source, String operation, String wanted, String endpoint) {
    if (e instanceof SdkServiceException) {
      return service((SdkServiceException) e, source, operation, wanted);
    }
    return client(e, source, operation, endpoint);
  }

  private static SecretException service(SdkServiceException e, String source, String operation, String wanted) {
    String code = null;
    if (e instanceof AwsServiceException && ((AwsServiceException) e).awsErrorDetails() != null) {
      code = errorCode(((AwsServiceException) e).awsErrorDetails().errorCode());
    }
    int status = e.statusCode();
    String requestId = requestId(e.requestId());
    // The error code itself is appended by SecretException as " [code]".
    String where = " (" + operation + ", HTTP " + status
        + (requestId == null ? "" : ", request id " + requestId) + ")";
    String c = code == null ? "" : code;
    if (e.isThrottlingException() || status == 429) {
      return new SecretUnavailableException(source,
          "Secrets Manager throttled the request; the refreshing cache retries with backoff" + where, code, null);
    }
    if (status >= 500 || TRANSIENT_CODES.contains(c)) {
      return new SecretUnavailableException(source, "Secrets Manager failed to answer" + where, code, null);
    }
    switch (c) {
      case "ResourceNotFoundException":
        return new SecretNotFoundException(source, ("DescribeSecret".equals(operation)
            ? "Secrets Manager has no such secret" : "Secrets Manager has no such secret, or no " + wanted)
            + where, code, null);
      case "DecryptionFailure":
        return new SecretAccessDeniedException(source,
            "Secrets Manager could not decrypt the secret with its KMS key: allow kms:Decrypt on the secret's"
                + " customer managed key for this application, and check that the key is enabled" + where, code, null);
      case "InvalidRequestException":
        return new SecretNotFoundException(source,
            "Secrets Manager refused the request in the secret's current state, most often because the"
                + " secret is scheduled for deletion (restore it with RestoreSecret)" + where, code, null);
      default:
        break;
    }
    if (BAD_PARAMETER_CODES.contains(c)) {
      return new SecretNotFoundException(source,
          "Secrets Manager rejected a request parameter: check the secret id (a name or an ARN), the"
              + " version id and the staging label" + where, code, null);
    }
    if (DENIED_CODES.contains(c)) {
      return new SecretAccessDeniedException(source, "this application's AWS identity may not call secretsmanager:"
          + operation + " on the secret: grant it in the IAM policy (see the carto-secrets-aws README)" + where,
          code, null);
    }
    if (UNKNOWN_KEY_CODES.contains(c)) {
      return new SecretAccessDeniedException(source,
          "AWS does not recognise the access key: check which credentials the SDK's default chain picks up" + where,
          code, null);
    }
    if (SIGNATURE_CODES.contains(c)) {
      return new SecretAccessDeniedException(source, "AWS rejected the request signature: the secret access key"
          + " does not belong to the access key id, or the region or the clock is wrong" + where, code, null);
    }
    if (EXPIRED_CODES.contains(c)) {
      return new SecretAccessDeniedException(source, "the AWS session credentials have expired" + where, code, null);
    }
    return new SecretAccessDeniedException(source, "Secrets Manager refused the request" + where, code, null);
  }

  private static SecretException client(SdkException e, String source, String operation, String endpoint) {
    if (e instanceof ApiCallTimeoutException || e instanceof ApiCallAttemptTimeoutException) {
      return new SecretUnavailableException(source,
          "no answer from Secrets Manager at " + endpoint + " in time (" + operation + ", timed out)");
    }
    if (e instanceof AbortedException || Thread.currentThread().isInterrupted()) {
      return new SecretUnavailableException(source, operation + " was interrupted");
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IOException) {
        return new SecretUnavailableException(source,
            "could not reach Secrets Manager at " + endpoint + " (" + operation + ": " + describeIo((IOException) t) + ")");
      }
    }
    String message = e.getMessage() == null ? "" : e.getMessage();
    if (message.contains("Unable to load credentials")) {
      return new SecretAccessDeniedException(source, "no AWS credentials: the SDK's default chain found none"
          + " (environment, system properties, web identity token, profile, container or instance role)."
          + " Configure one, or give the provider a credentials provider");
    }
    return new SecretUnavailableException(source, "the AWS SDK failed before Secrets Manager answered ("
        + operation + ": " + e.getClass().getSimpleName() + ")");
  }

  /**
   * Names an I/O failure. Messages of socket-level exceptions (connection refused, unknown host,
   * read timed out) come from the JDK and are kept; any other {@link IOException} may be a parser
   * error quoting the response, so only its type is given.
   */
  private static String describeIo(IOException e) {
    String name = e.getClass().getSimpleName();
    String pkg = e.getClass().getPackageName();
    boolean socketLevel = pkg.equals("java.net") || pkg.equals("javax.net.ssl");
    return socketLevel && e.getMessage() != null ? name + ": " + truncate(e.getMessage(), 200) : name;
  }

  /**
   * The AWS error code if it has the shape of one ({@code ResourceNotFoundException},
   * {@code AccessDenied}: a capitalised word of letters only), else null. It comes from the answer,
   * which a broken or hostile endpoint may fill with anything, the secret included, and it ends up
   * in the message and in {@link SecretException#errorCode()}; a random token made of letters alone
   * and ending like an error code is vanishingly unlikely, so keeping known codes and that shape
   * keeps every real code.
   */
  static String errorCode(String raw) {
    if (raw == null) {
      return null;
    }
    if (SIGNATURE_CODES.contains(raw) || UNKNOWN_KEY_CODES.contains(raw) || EXPIRED_CODES.contains(raw)
        || DENIED_CODES.contains(raw) || BAD_PARAMETER_CODES.contains(raw) || TRANSIENT_CODES.contains(raw)) {
      return raw;
    }
    return CODE_SHAPE.matcher(raw).matches() ? raw : null;
  }

  /** A request id if it looks like one (a UUID, or hex with dashes), else null: it comes from the answer too. */
  static String requestId(String raw) {
    return raw != null && REQUEST_ID_SHAPE.matcher(raw).matches() ? raw : null;
  }

  private static final java.util.regex.Pattern CODE_SHAPE = java.util.regex.Pattern.compile(
      "[A-Z][A-Za-z]{1,62}(Exception|Error|Failure|Fault|Denied|Required|Expired|Timeout|Unavailable)");
  private static final java.util.regex.Pattern REQUEST_ID_SHAPE = java.util.regex.Pattern.compile("[0-9A-Fa-f-]{8,64}");

  private static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max) + "...";
  }
}
