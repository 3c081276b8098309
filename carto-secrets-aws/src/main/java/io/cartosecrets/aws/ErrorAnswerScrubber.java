package io.cartosecrets.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpResponse;

/**
 * Strips an error answer down to its error code before the AWS SDK reads it.
 *
 * <p>The SDK puts the error's {@code message} and the request id into its exception, and logs that
 * exception at DEBUG ({@code software.amazon.awssdk.request}, the retry strategy) before this SDK
 * can translate it. A broken or hostile endpoint that echoes the secret there would put it in the
 * application's logs. So on every non-2xx answer the body becomes {@code {"__type": code}} (the code
 * only if it has the shape of an AWS error code) and the request id and error type headers are kept
 * only if they look like what AWS sends. Successful answers are not touched. Installed only on
 * clients the provider builds itself.
 */
final class ErrorAnswerScrubber implements ExecutionInterceptor {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  /** An AWS JSON error body is a few hundred bytes; more is not read. */
  private static final int MAX_ERROR_BODY = 16 * 1024;
  private static final List<String> REQUEST_ID_HEADERS = List.of("x-amzn-RequestId", "x-amz-request-id", "x-amz-id-2");
  private static final String ERROR_TYPE_HEADER = "x-amzn-ErrorType";

  @Override
  public SdkHttpResponse modifyHttpResponse(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
    SdkHttpResponse response = context.httpResponse();
    if (response.isSuccessful()) {
      return response;
    }
    SdkHttpResponse.Builder b = response.toBuilder();
    for (String h : REQUEST_ID_HEADERS) {
      Optional<String> v = response.firstMatchingHeader(h);
      if (v.isPresent()) {
        String safe = AwsErrors.requestId(v.get());
        b.removeHeader(h);
        if (safe != null) {
          b.putHeader(h, safe);
        }
      }
    }
    Optional<String> type = response.firstMatchingHeader(ERROR_TYPE_HEADER);
    if (type.isPresent()) {
      String code = code(type.get());
      b.removeHeader(ERROR_TYPE_HEADER);
      if (code != null) {
        b.putHeader(ERROR_TYPE_HEADER, code);
      }
    }
    return b.build();
  }

  @Override
  public Optional<InputStream> modifyHttpResponseContent(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
    Optional<InputStream> body = context.responseBody();
    if (context.httpResponse().isSuccessful()) {
      return body;
    }
    String code = null;
    if (body.isPresent()) {
      try (InputStream in = body.get()) {
        byte[] bytes = in.readNBytes(MAX_ERROR_BODY);
        JsonNode node = MAPPER.readTree(bytes);
        if (node != null && node.isObject()) {
          JsonNode t = node.has("__type") ? node.get("__type") : node.get("code");
          if (t != null && t.isTextual()) {
            code = code(t.asText());
          }
        }
      } catch (IOException | RuntimeException e) {
        // Not JSON or unreadable: the SDK then sees an empty error, which it names by status alone.
      }
    }
    ObjectNode clean = MAPPER.createObjectNode();
    if (code != null) {
      clean.put("__type", code);
    }
    return Optional.of(new ByteArrayInputStream(clean.toString().getBytes(StandardCharsets.UTF_8)));
  }

  /** {@code ThrottlingException}, from {@code ThrottlingException:http://...} or {@code com.amazon...#ThrottlingException}. */
  private static String code(String raw) {
    String c = raw;
    int colon = c.indexOf(':');
    if (colon >= 0) {
      c = c.substring(0, colon);
    }
    int hash = c.lastIndexOf('#');
    if (hash >= 0) {
      c = c.substring(hash + 1);
    }
    return AwsErrors.errorCode(c.trim());
  }
}
