package io.cartosecrets;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cartosecrets.internal.DisplayPath;
import io.cartosecrets.internal.Redactor;
import io.cartosecrets.internal.SentTokens;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.concurrent.ThreadLocalRandom;
import okhttp3.Call;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one API call: retries idempotent calls on 429, 5xx and I/O errors with backoff and jitter
 * (honouring {@code Retry-After}), maps error statuses to the exception hierarchy, and parses the
 * JSON body. Error bodies are read up to a small bound and masked of anything token-shaped.
 */
final class ApiCaller {
  private static final Logger LOG = LoggerFactory.getLogger(CartoClient.class);
  static final ObjectMapper MAPPER = new ObjectMapper();
  /** Bytes of an error body read into an exception: enough for CARTO's JSON, bounded for hostile servers. */
  static final int MAX_ERROR_BODY = 8 * 1024;

  private static final String[] REQUEST_ID_HEADERS = {"x-request-id", "x-carto-request-id", "x-amzn-requestid", "cf-ray"};

  /** Sleeps between retries; a test replaces it to record delays instead of waiting. */
  interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  private final OkHttpClient http;
  private final TokenProvider tokens;
  private final String baseUrl;
  private final int maxRetries;
  private final Duration backoffBase;
  private final Duration backoffMax;
  private final Duration maxRetryAfter;
  private final Sleeper sleeper;

  ApiCaller(
      OkHttpClient http,
      TokenProvider tokens,
      String baseUrl,
      int maxRetries,
      Duration backoffBase,
      Duration backoffMax,
      Duration maxRetryAfter,
      Sleeper sleeper) {
    this.http = http;
    this.tokens = tokens;
    this.baseUrl = baseUrl;
    this.maxRetries = maxRetries;
    this.backoffBase = backoffBase;
    this.backoffMax = backoffMax;
    this.maxRetryAfter = maxRetryAfter;
    this.sleeper = sleeper;
  }

  /** Executes {@code request}, retrying if {@code idempotent}, and returns the parsed JSON body. */
  JsonNode call(Request request, boolean idempotent) {
    String method = request.method();
    for (int attempt = 0; ; attempt++) {
      boolean mayRetry = idempotent && attempt < maxRetries;
      Call call = http.newCall(request);
      try (Response response = call.execute()) {
        if (response.isSuccessful()) {
          return parse(response, request);
        }
        String path = displayPath(request);
        CartoApiException error = toException(response, method, path);
        if (!mayRetry || !error.retryable()) {
          throw error;
        }
        Duration delay = retryDelay(error, response, attempt);
        if (delay == null) {
          throw error;
        }
        LOG.debug("{} {} answered {}; retry {} of {} in {} ms", method, path, error.statusCode(), attempt + 1, maxRetries, delay.toMillis());
        pause(delay, error);
      } catch (IOException e) {
        String path = displayPath(request);
        SentTokens sent = call.tag(SentTokens.class);
        CartoTransportException error =
            transportError(method, path, request.url().host(), e, sent == null ? new String[0] : sent.values());
        if (!mayRetry) {
          throw error;
        }
        Duration delay = backoff(attempt);
        LOG.debug("{} {} failed ({}); retry {} of {} in {} ms", method, path, e.getClass().getSimpleName(), attempt + 1, maxRetries, delay.toMillis());
        pause(delay, error);
      }
    }
  }

  private void pause(Duration delay, CartoSecretsException error) {
    try {
      sleeper.sleep(delay);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw error;
    }
  }

  /** The delay before the next attempt, or null when the server asked for longer than we wait. */
  private Duration retryDelay(CartoApiException error, Response response, int attempt) {
    // Retry-After may come with 429 and with 503 (RFC 9110); either way it wins over backoff.
    if (error.statusCode() == 429 || error.statusCode() == 503) {
      Duration retryAfter = retryAfter(response);
      if (retryAfter != null) {
        return retryAfter.compareTo(maxRetryAfter) > 0 ? null : retryAfter;
      }
    }
    return backoff(attempt);
  }

  /** Exponential from the base, capped, with 50-100% jitter so that clients do not retry in step. */
  Duration backoff(int attempt) {
    long nominal = backoffBase.toMillis() << Math.min(attempt, 20);
    nominal = Math.min(nominal, backoffMax.toMillis());
    return Duration.ofMillis((long) (nominal * (0.5 + 0.5 * ThreadLocalRandom.current().nextDouble())));
  }

  /**
   * The request's path as errors and log lines show it: masked. Worked out only when something
   * goes wrong, so that a successful call pays nothing for it.
   */
  private static String displayPath(Request request) {
    DisplayPath display = request.tag(DisplayPath.class);
    return display != null ? display.path() : Redactor.redact(request.url().encodedPath());
  }

  private JsonNode parse(Response response, Request request) throws IOException {
    ResponseBody body = response.body();
    String text = body.string();
    if (text.isEmpty()) {
      return MAPPER.nullNode();
    }
    try {
      return MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      // The server chose the type's text, and may have put the request's token in it.
      CartoToken token = response.request().tag(CartoToken.class);
      String type = truncate(Redactor.redact(response.header("Content-Type", "no content type"), token == null ? null : token.reveal()), 100);
      throw new CartoResponseException(
          response.code(), request.method(), displayPath(request), "not JSON (" + type + ", " + text.length() + " characters)");
    }
  }

  CartoApiException toException(Response response, String method, String path) {
    CartoToken token = response.request().tag(CartoToken.class);
    String secret = token == null ? null : token.reveal();
    String error = errorMessage(response, secret);
    String requestId = null;
    for (String h : REQUEST_ID_HEADERS) {
      requestId = response.header(h);
      if (requestId != null) {
        requestId = truncate(Redactor.redact(requestId, secret), 128);
        break;
      }
    }
    int status = response.code();
    CartoApiException.ApiError e =
        new CartoApiException.ApiError(status, error, requestId, method, path, status == 429 ? retryAfter(response) : null);
    switch (status) {
      case 400:
        return new CartoBadRequestException(e);
      case 401:
        return new CartoAuthenticationException(
            e,
            token == null ? "(none)" : token.fingerprint(),
            token == null ? tokens.description() : token.source(),
            baseUrl);
      case 403:
        return new CartoPermissionException(e);
      case 404:
        return new CartoNotFoundException(e);
      case 429:
        return new CartoRateLimitException(e);
      default:
        return status >= 500 ? new CartoServerException(e) : new CartoApiException(e, redirectNotFollowed(response, secret));
    }
  }

  /**
   * For a 3xx that came back (OkHttp follows the others): where it pointed, as an origin only, since
   * a hostile Location may carry anything in its path or query.
   */
  private static String redirectNotFollowed(Response response, String secret) {
    String location = response.header("Location");
    HttpUrl from = response.request().url();
    HttpUrl to = response.isRedirect() && location != null ? from.resolve(location) : null;
    if (to == null) {
      return null;
    }
    String origin = to.scheme() + "://" + to.host() + ":" + to.port();
    return Redactor.redact("The redirect to " + origin + " was not followed"
        + (from.isHttps() && !to.isHttps() ? ": it leaves https" : ""), secret);
  }

  /** CARTO's {@code error} (string or array), else a bounded, masked excerpt of the body. */
  private static String errorMessage(Response response, String secret) {
    String text;
    boolean cut;
    try {
      // One byte more than is read in, to know whether the body was cut.
      byte[] peeked = response.peekBody(MAX_ERROR_BODY + 1).bytes();
      cut = peeked.length > MAX_ERROR_BODY;
      text = new String(peeked, 0, Math.min(peeked.length, MAX_ERROR_BODY), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(error body unreadable: " + e.getClass().getSimpleName() + ")";
    }
    if (cut) {
      // Not JSON once cut; and a token across the cut would not be recognised.
      return truncate(Redactor.redactCut(text, secret).strip(), 500);
    }
    String message = text.strip();
    try {
      JsonNode json = MAPPER.readTree(text);
      if (json != null && json.isObject()) {
        JsonNode err = json.get("error");
        if (err != null && err.isArray() && err.size() > 0) {
          err = err.get(0);
        }
        JsonNode desc = json.has("description") ? json.get("description") : json.get("error_description");
        if (err != null && err.isTextual()) {
          message = err.asText() + (desc != null && desc.isTextual() ? " (" + desc.asText() + ")" : "");
        }
      }
    } catch (JsonProcessingException e) {
      // Not JSON (a WAF or proxy page): keep the start of the text.
    }
    // Mask before cutting: a token across the cut would no longer be recognised.
    return truncate(Redactor.redact(message, secret), 500);
  }

  private static Duration retryAfter(Response response) {
    String value = response.header("Retry-After");
    if (value == null) {
      return null;
    }
    try {
      long seconds = Long.parseLong(value.trim());
      return seconds < 0 ? null : Duration.ofSeconds(seconds);
    } catch (NumberFormatException notSeconds) {
      try {
        ZonedDateTime at = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
        Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
        return d.isNegative() ? Duration.ZERO : d;
      } catch (DateTimeParseException notADate) {
        return null;
      }
    }
  }

  private static CartoTransportException transportError(String method, String path, String host, IOException e, String[] sent) {
    String what;
    if (e instanceof SocketTimeoutException) {
      String m = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
      what = m.contains("connect") ? "connect timeout fired" : "read timeout fired (no data from CARTO in time)";
    } else if (e instanceof InterruptedIOException && "timeout".equals(e.getMessage())) {
      what = "call timeout fired (the whole call took too long)";
    } else if (e instanceof java.net.UnknownHostException) {
      what = "unknown host (check the API base URL)";
    } else if (e instanceof java.net.ConnectException) {
      what = "connection refused or unreachable";
    } else {
      what = "I/O error " + e.getClass().getSimpleName();
    }
    // The cause's text may quote what the server sent (OkHttp's parse errors do), so it is masked of the tokens sent.
    return new CartoTransportException(method, path, what + " (host " + host + ")", Redactor.scrub(e, sent));
  }

  private static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max) + "…";
  }
}
