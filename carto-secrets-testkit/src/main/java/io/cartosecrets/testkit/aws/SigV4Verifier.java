package io.cartosecrets.testkit.aws;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import mockwebserver3.RecordedRequest;
import okhttp3.Headers;

/**
 * Checks AWS Signature Version 4 on a recorded request the way the service does: it rebuilds the
 * canonical request from what arrived on the wire, derives the signing key from the one secret
 * access key it knows, and compares signatures. A request signed with any other key, for another
 * region or service, or too far from the server's clock, is refused with the error AWS gives.
 */
final class SigV4Verifier {
  static final String ALGORITHM = "AWS4-HMAC-SHA256";
  // AWS refuses signatures more than 15 minutes away from its own clock.
  private static final Duration MAX_SKEW = Duration.ofMinutes(15);
  private static final DateTimeFormatter AMZ_DATE =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'", Locale.ROOT);
  private static final HexFormat HEX = HexFormat.of();

  private final String accessKeyId;
  private final String secretAccessKey;
  private final String region;
  private final String service;

  SigV4Verifier(String accessKeyId, String secretAccessKey, String region, String service) {
    this.accessKeyId = accessKeyId;
    this.secretAccessKey = secretAccessKey;
    this.region = region;
    this.service = service;
  }

  /** Why the request is refused, or empty if its signature is valid. */
  Optional<AwsError> verify(RecordedRequest request, Instant now) {
    Headers headers = request.getHeaders();
    String authorization = headers.get("Authorization");
    if (authorization == null) {
      return Optional.of(AwsError.of(400, "MissingAuthenticationTokenException", "Missing Authentication Token"));
    }
    if (!authorization.startsWith(ALGORITHM + " ")) {
      return Optional.of(incomplete("Authorization header requires the " + ALGORITHM + " algorithm."));
    }
    String credential = null;
    String signedHeaders = null;
    String signature = null;
    for (String part : authorization.substring(ALGORITHM.length() + 1).split(",")) {
      String p = part.trim();
      if (p.startsWith("Credential=")) {
        credential = p.substring("Credential=".length());
      } else if (p.startsWith("SignedHeaders=")) {
        signedHeaders = p.substring("SignedHeaders=".length());
      } else if (p.startsWith("Signature=")) {
        signature = p.substring("Signature=".length());
      }
    }
    if (credential == null || signedHeaders == null || signature == null) {
      return Optional.of(incomplete(
          "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters."));
    }
    String[] scope = credential.split("/", -1);
    if (scope.length != 5 || !"aws4_request".equals(scope[4])) {
      return Optional.of(incomplete("Credential must have exactly 5 slash-delimited elements."));
    }
    if (!accessKeyId.equals(scope[0])) {
      return Optional.of(AwsError.of(
          400, "UnrecognizedClientException", "The security token included in the request is invalid."));
    }
    String amzDate = headers.get("X-Amz-Date");
    if (amzDate == null) {
      return Optional.of(incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."));
    }
    Instant signedAt;
    try {
      signedAt = LocalDateTime.parse(amzDate, AMZ_DATE).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      return Optional.of(incomplete("The X-Amz-Date header is not in the ISO 8601 basic format."));
    }
    if (!amzDate.startsWith(scope[1])) {
      return Optional.of(invalid("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP."));
    }
    if (!region.equals(scope[2])) {
      return Optional.of(invalid("Credential should be scoped to a valid region."));
    }
    if (!service.equals(scope[3])) {
      return Optional.of(invalid("Credential should be scoped to correct service: '" + service + "'."));
    }
    if (Duration.between(signedAt, now).abs().compareTo(MAX_SKEW) > 0) {
      return Optional.of(invalid("Signature expired: " + amzDate + " is now earlier or later than the server time by more than 15 minutes."));
    }
    List<String> signed = List.of(signedHeaders.split(";"));
    if (!signed.contains("host")) {
      return Optional.of(invalid("'Host' must be a signed header."));
    }
    String canonicalRequest = canonicalRequest(request, signed, signedHeaders);
    String stringToSign =
        ALGORITHM + "\n" + amzDate + "\n" + String.join("/", scope[1], scope[2], scope[3], scope[4])
            + "\n" + HEX.formatHex(sha256(canonicalRequest.getBytes(StandardCharsets.UTF_8)));
    byte[] key = hmac(("AWS4" + secretAccessKey).getBytes(StandardCharsets.UTF_8), scope[1]);
    key = hmac(key, scope[2]);
    key = hmac(key, scope[3]);
    key = hmac(key, "aws4_request");
    byte[] expected = HEX.formatHex(hmac(key, stringToSign)).getBytes(StandardCharsets.US_ASCII);
    if (!MessageDigest.isEqual(expected, signature.getBytes(StandardCharsets.US_ASCII))) {
      return Optional.of(invalid(
          "The request signature we calculated does not match the signature you provided. Check your"
              + " AWS Secret Access Key and signing method. Consult the service documentation for details."));
    }
    return Optional.empty();
  }

  private static String canonicalRequest(RecordedRequest request, List<String> signed, String signedHeaders) {
    StringBuilder sb = new StringBuilder();
    sb.append(request.getMethod()).append('\n');
    // Services other than S3 encode the already-encoded path a second time.
    sb.append(uriEncode(request.getUrl().encodedPath(), false)).append('\n');
    sb.append(canonicalQuery(request.getUrl().encodedQuery())).append('\n');
    for (String name : signed) {
      List<String> values = new ArrayList<>();
      for (String v : request.getHeaders().values(name)) {
        values.add(v.trim().replaceAll(" +", " "));
      }
      sb.append(name).append(':').append(String.join(",", values)).append('\n');
    }
    sb.append('\n').append(signedHeaders).append('\n');
    sb.append(HEX.formatHex(sha256(request.getBody() == null ? new byte[0] : request.getBody().toByteArray())));
    return sb.toString();
  }

  private static String canonicalQuery(String encodedQuery) {
    if (encodedQuery == null || encodedQuery.isEmpty()) {
      return "";
    }
    List<String> pairs = new ArrayList<>();
    for (String pair : encodedQuery.split("&")) {
      int eq = pair.indexOf('=');
      String name = decode(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
      pairs.add(uriEncode(name, true) + "=" + uriEncode(value, true));
    }
    pairs.sort(null);
    return String.join("&", pairs);
  }

  private static String decode(String s) {
    return java.net.URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  /** RFC 3986 encoding as SigV4 defines it: only unreserved characters stay as they are. */
  private static String uriEncode(String s, boolean encodeSlash) {
    StringBuilder out = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
          || c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encodeSlash)) {
        out.append(c);
      } else {
        out.append('%').append(HexFormat.of().withUpperCase().toHexDigits(b));
      }
    }
    return out.toString();
  }

  private static AwsError incomplete(String message) {
    return AwsError.of(400, "IncompleteSignatureException", message);
  }

  private static AwsError invalid(String message) {
    return AwsError.of(400, "InvalidSignatureException", message);
  }

  private static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
