package io.cartosecrets.internal;

import io.cartosecrets.CartoToken;
import io.cartosecrets.TokenProvider;
import java.io.IOException;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Adds {@code Authorization: Bearer} to requests for the CARTO API origin, asking the token
 * provider on every request, and handles a 401 by reporting the token as rejected and retrying
 * once with a different token if the provider has one.
 *
 * <p>It must be an <em>application</em> interceptor ({@code addInterceptor}): OkHttp follows
 * redirects below application interceptors and drops {@code Authorization} when a redirect leaves
 * the origin (host, port or scheme). As a network interceptor it would add the token again after
 * every hop, to whatever host the redirect named.
 */
public final class BearerAuthInterceptor implements Interceptor {
  private final TokenProvider provider;
  private final HttpUrl origin;

  public BearerAuthInterceptor(TokenProvider provider, HttpUrl baseUrl) {
    this.provider = provider;
    this.origin = baseUrl;
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    if (!sameOrigin(request.url())) {
      // Never hand the token to another origin, even if a caller built such a request on our client.
      return chain.proceed(request.newBuilder().removeHeader("Authorization").build());
    }
    CartoToken token = provider.currentToken();
    Response response = chain.proceed(withToken(chain, request, token));
    // A 401 says something about our token only if the request it answers carried it: not from
    // another origin after a redirect, nor from ours after a hop elsewhere (OkHttp dropped the
    // header on leaving, and nothing adds it back below this interceptor).
    Request answered = response.request();
    if (response.code() != 401 || !sameOrigin(answered.url()) || answered.header("Authorization") == null) {
      return response;
    }
    CartoToken next = provider.tokenRejected(token);
    if (next.equals(token)) {
      return response;
    }
    response.close();
    return chain.proceed(withToken(chain, request, next));
  }

  private static Request withToken(Chain chain, Request request, CartoToken token) {
    chain.call().tag(SentTokens.class, SentTokens::new).add(token);
    return request
        .newBuilder()
        .header("Authorization", "Bearer " + token.reveal())
        .tag(CartoToken.class, token)
        .build();
  }

  private boolean sameOrigin(HttpUrl url) {
    return url.scheme().equals(origin.scheme())
        && url.host().equals(origin.host())
        && url.port() == origin.port();
  }
}
