package io.cartosecrets.internal;

import io.cartosecrets.CartoToken;
import io.cartosecrets.HttpLogLevel;
import io.cartosecrets.Secret;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import okhttp3.Headers;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.Buffer;
import okio.GzipSource;
import okio.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opt-in request logging that cannot print a credential: a network interceptor (so it sees each
 * redirect hop as sent) that only reads. Credential headers are replaced whole; everything else
 * that is printed goes through {@link Redactor} with the request's token (tag {@link CartoToken})
 * and any other secret it carries (tag {@link Secret}: the OAuth client secret). Reading the body
 * for the log does not change what the call returns or throws, except that a timeout that fires
 * while it is read ends the call there (so a stalled error body is a transport error, not the
 * status, when logged at BODY).
 */
public final class RedactingHttpLogger implements Interceptor {
  private static final Logger LOG = LoggerFactory.getLogger("io.cartosecrets.http");
  private static final long MAX_BODY = 8 * 1024;
  private static final Set<String> CREDENTIAL_HEADERS =
      Set.of("authorization", "proxy-authorization", "cookie", "set-cookie", "x-vault-token", "x-api-key", "x-amz-security-token");

  private final HttpLogLevel level;

  public RedactingHttpLogger(HttpLogLevel level) {
    this.level = level;
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    if (level == HttpLogLevel.NONE || !LOG.isInfoEnabled()) {
      return chain.proceed(request);
    }
    CartoToken token = request.tag(CartoToken.class);
    Secret carried = request.tag(Secret.class);
    String[] secrets = {token == null ? null : token.reveal(), carried == null ? null : carried.reveal()};
    DisplayPath display = request.tag(DisplayPath.class);
    String path = display != null ? display.path() : Redactor.redact(request.url().encodedPath(), secrets);
    StringBuilder out = new StringBuilder("--> ").append(request.method()).append(' ')
        .append(display != null ? display.path() : Redactor.redact(request.url().toString(), secrets));
    if (level.compareTo(HttpLogLevel.HEADERS) >= 0) {
      headers(out, request.headers(), token, secrets);
    }
    if (level == HttpLogLevel.BODY && request.body() != null) {
      body(out, request.body(), secrets);
    }
    LOG.info("{}", out);

    long start = System.nanoTime();
    Response response;
    try {
      response = chain.proceed(request);
    } catch (IOException e) {
      LOG.info("<-- {} {} failed: {}", request.method(), path, e.getClass().getSimpleName());
      throw e;
    }
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    StringBuilder in = new StringBuilder("<-- ").append(response.code()).append(' ')
        .append(path).append(" (").append(ms).append(" ms)");
    if (level.compareTo(HttpLogLevel.HEADERS) >= 0) {
      headers(in, response.headers(), null, secrets);
    }
    if (level == HttpLogLevel.BODY && isText(response.body().contentType())) {
      body(in, response, secrets);
    }
    LOG.info("{}", in);
    return response;
  }

  /** Up to {@link #MAX_BODY} of the body, decoded when gzip (OkHttp asks for it, and decodes it above this interceptor). */
  private static void body(StringBuilder sb, Response response, String[] secrets) throws IOException {
    Buffer text = new Buffer();
    try {
      Source source = response.body().source().peek();
      if ("gzip".equalsIgnoreCase(response.header("Content-Encoding"))) {
        source = new GzipSource(source);
      }
      // One byte more than is shown, to know whether the body was cut.
      while (text.size() <= MAX_BODY && source.read(text, MAX_BODY + 1 - text.size()) != -1) {
        // reading
      }
    } catch (InterruptedIOException e) {
      // A timeout fired (a read timeout closes the socket) or the call was cancelled: the call is
      // over either way, and passed on as it is the error still says which timeout it was.
      throw e;
    } catch (IOException e) {
      // Truncated, not gzip after all: the caller meets the same when it reads the body, or does
      // not mind (an error body, read only in part); logging must not turn it into a failure here.
      sb.append("\n  (body not logged: ").append(e.getClass().getSimpleName()).append(')');
      return;
    }
    if (text.size() > MAX_BODY) {
      sb.append("\n").append(Redactor.redactCut(text.readUtf8(MAX_BODY), secrets)).append("… (truncated)");
    } else {
      sb.append("\n").append(Redactor.redact(text.readUtf8(), secrets));
    }
  }

  private static void headers(StringBuilder sb, Headers headers, CartoToken token, String[] secrets) {
    for (int i = 0; i < headers.size(); i++) {
      String name = headers.name(i);
      sb.append("\n  ").append(name).append(": ");
      if (CREDENTIAL_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
        sb.append(Redactor.MASK);
        if (token != null && name.equalsIgnoreCase("Authorization")) {
          sb.append(" (token fp=").append(token.fingerprint()).append(')');
        }
      } else {
        sb.append(Redactor.redact(headers.value(i), secrets));
      }
    }
  }

  private static void body(StringBuilder sb, RequestBody body, String[] secrets) throws IOException {
    if (!isText(body.contentType()) || body.contentLength() > MAX_BODY || body.isOneShot() || body.isDuplex()) {
      sb.append("\n  (body not logged: ").append(body.contentLength()).append(" bytes)");
      return;
    }
    Buffer buffer = new Buffer();
    body.writeTo(buffer);
    sb.append("\n").append(Redactor.redact(buffer.readUtf8(), secrets));
  }

  private static boolean isText(MediaType type) {
    if (type == null) {
      return false;
    }
    String t = type.type() + "/" + type.subtype();
    return t.startsWith("text/") || t.contains("json") || t.equals("application/x-www-form-urlencoded");
  }
}
