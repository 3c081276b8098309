package io.cartosecrets.conjur;

import com.cyberark.conjur.sdk.ApiClient;
import com.cyberark.conjur.sdk.ApiException;
import com.cyberark.conjur.sdk.endpoint.AuthenticationApi;
import com.cyberark.conjur.sdk.endpoint.SecretsApi;
import io.cartosecrets.ConfigurationException;
import java.io.IOException;
import java.io.InputStream;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Conjur's REST API: the Conjur SDK builds each request (endpoint, percent-encoding of account,
 * login and variable id, body and content type), and this class sends it on our OkHttp client and
 * hands back the raw status and bytes.
 *
 * <p>Why not the SDK end to end: its {@code ApiClient} keeps the access token in mutable,
 * unsynchronized state, decodes {@code application/json} variables with a lenient JSON parser that
 * alters them, and keeps response bodies in its exceptions. So the SDK's client is configured once
 * here and then only read from (which makes building requests safe from any thread), the {@code
 * Authorization} header is set per request from the caller's token, and responses are read here.
 */
final class ConjurHttp implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ConjurHttp.class);

  /** Most Conjur values are small; this bounds what a misbehaving server can make us buffer. */
  static final int MAX_BODY_BYTES = 1 << 20;

  // The SDK needs some API key value to build an authenticated request; the real header replaces it.
  private static final String PLACEHOLDER_TOKEN = "token=\"set-per-request\"";
  private static final String USER_AGENT = "carto-secrets-conjur";

  private final OkHttpClient client;

  /** Configured in the constructor, then only read: see the class comment. */
  private final ApiClient sdk;

  private final AuthenticationApi authn;
  private final SecretsApi secrets;

  ConjurHttp(String applianceUrl, OkHttpClient client) {
    this.client = client;
    ApiClient api;
    try {
      // The constructor reads CONJUR_* environment variables (and CONJUR_CERT_FILE) by itself.
      api = new ApiClient();
    } catch (RuntimeException e) {
      throw new ConfigurationException(
          "the Conjur SDK failed to initialise from the CONJUR_* environment variables ("
              + e.getClass().getSimpleName() + "); check CONJUR_CERT_FILE and CONJUR_SSL_CERTIFICATE");
    }
    api.setBasePath(applianceUrl);
    // Without an API key the SDK can never renew tokens by itself (CONJUR_AUTO_UPDATE_TOKEN): the
    // renewal is ours. Also drop the credentials its constructor copied from the environment.
    api.setApiKey(null);
    api.setUsername(null);
    api.setPassword(null);
    api.setAccessToken(PLACEHOLDER_TOKEN);
    api.setUserAgent(USER_AGENT);
    api.setHttpClient(client);
    this.sdk = api;
    this.authn = new AuthenticationApi(api);
    this.secrets = new SecretsApi(api);
  }

  /** {@code POST /authn/{account}/{login}/authenticate} with the API key, asking for base64. */
  Reply authenticate(String account, String login, String apiKey) throws IOException {
    Request request;
    try {
      request = authn.getAccessTokenCall(account, login, apiKey, "base64", null, null).request();
    } catch (ApiException e) {
      throw sdkRefused(e);
    }
    return execute(request);
  }

  /** {@code POST /authn-jwt/{service-id}/{account}[/{host-id}]/authenticate} with {@code jwt=}. */
  Reply authenticateJwt(String account, String serviceId, String hostId, String jwt) throws IOException {
    Request request;
    try {
      request =
          hostId == null
              ? authn.getAccessTokenViaJWTCall(account, serviceId, null, jwt, null).request()
              : authn.getAccessTokenViaJWTWithIdCall(account, hostId, serviceId, null, jwt, null).request();
    } catch (ApiException e) {
      throw sdkRefused(e);
    }
    // The SDK has no parameter for it on this endpoint, but Conjur honours it here too.
    return execute(request.newBuilder().header("Accept-Encoding", "base64").build());
  }

  /** {@code GET /secrets/{account}/variable/{id}} with {@code token}. */
  Reply readVariable(String account, String variableId, AccessToken token) throws IOException {
    Request request;
    try {
      request = secrets.getSecretCall(account, "variable", variableId, null, null, null).request();
    } catch (ApiException e) {
      throw sdkRefused(e);
    }
    return execute(request.newBuilder().header("Authorization", token.authorizationHeader()).build());
  }

  /** The SDK client, for tests that check how it is configured. */
  ApiClient sdk() {
    return sdk;
  }

  @Override
  public void close() {
    client.dispatcher().executorService().shutdown();
    client.connectionPool().evictAll();
  }

  private Reply execute(Request request) throws IOException {
    LOG.trace("Conjur request {} {}", request.method(), request.url().encodedPath());
    try (Response response = client.newCall(request).execute()) {
      ResponseBody body = response.body();
      byte[] bytes;
      try (InputStream in = body.byteStream()) {
        bytes = in.readNBytes(MAX_BODY_BYTES + 1);
      }
      LOG.trace("Conjur answered {} ({} bytes) to {} {}",
          response.code(), bytes.length, request.method(), request.url().encodedPath());
      return new Reply(response.code(), bytes);
    }
  }

  private static ConfigurationException sdkRefused(ApiException e) {
    // The SDK's validation messages name the missing parameter or the https requirement; nothing else.
    return new ConfigurationException("the Conjur SDK refused to build the request: " + e.getMessage());
  }

  /** A status and the body, up to {@link #MAX_BODY_BYTES} plus one byte. */
  static final class Reply {
    final int status;
    final byte[] body;

    Reply(int status, byte[] body) {
      this.status = status;
      this.body = body;
    }

    boolean tooLarge() {
      return body.length > MAX_BODY_BYTES;
    }
  }
}
