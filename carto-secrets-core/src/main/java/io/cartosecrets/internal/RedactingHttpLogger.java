package io.cartosecrets.internal;

import io.cartosecrets.CartoToken;
import io.cartosecrets.HttpLogLevel;
import java.io.IOException;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opt-in request logging that cannot print a credential: a network interceptor (so it sees each
 * redirect hop as sent) that only reads. Credential headers are replaced whole; everything else
 * that is printed goes through {@link Redactor} with the request's token.
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
    String secret = token == null ? null : token.reveal();
    DisplayPath display = request.tag(DisplayPath.class);
    String path = display != null ? display.path() : Redactor.redact(request.url().encodedPath(), secret);
    StringBuilder out = new StringBuilder("--> ").append(request.method()).append(' ')
        .append(display != null ? display.path() : Redactor.redact(request.url().toString(), secret));
    if (level.compareTo(HttpLogLevel.HEADERS) >= 0) {
      headers(out, request.headers(), token, secret);
    }
    if (level == HttpLogLevel.BODY && request.body() != null) {
      body(out, request.body(), secret);
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
      headers(in, response.headers(), null, secret);
    }
    if (level == HttpLogLevel.BODY && isText(response.body().contentType())) {
      String text = response.peekBody(MAX_BODY).string();
      in.append("\n").append(Redactor.redact(text, secret));
      if (text.length() >= MAX_BODY) {
        in.append("… (truncated)");
      }
    }
    LOG.info("{}", in);
    return response;
  }

  private static void headers(StringBuilder sb, Headers headers, CartoToken token, String secret) {
    for (int i = 0; i < headers.size(); i++) {
      String name = headers.name(i);
      sb.append("\n  ").append(name).append(": ");
      if (CREDENTIAL_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
        sb.append(Redactor.MASK);
        if (token != null && name.equalsIgnoreCase("Authorization")) {
          sb.append(" (token fp=").append(token.fingerprint()).append(')');
        }
      } else {
        sb.append(Redactor.redact(headers.value(i), secret));
      }
    }
  }

  private static void body(StringBuilder sb, RequestBody body, String secret) throws IOException {
    if (!isText(body.contentType()) || body.contentLength() > MAX_BODY || body.isOneShot() || body.isDuplex()) {
      sb.append("\n  (body not logged: ").append(body.contentLength()).append(" bytes)");
      return;
    }
    Buffer buffer = new Buffer();
    body.writeTo(buffer);
    sb.append("\n").append(Redactor.redact(buffer.readUtf8(), secret));
  }

  private static boolean isText(MediaType type) {
    if (type == null) {
      return false;
    }
    String t = type.type() + "/" + type.subtype();
    return t.startsWith("text/") || t.contains("json") || t.equals("application/x-www-form-urlencoded");
  }
}
