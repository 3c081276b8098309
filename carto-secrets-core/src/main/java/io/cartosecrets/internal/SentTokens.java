package io.cartosecrets.internal;

import io.cartosecrets.CartoToken;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A call tag: the tokens {@link BearerAuthInterceptor} sent on a call (two after a 401 retry), so
 * that an I/O error's text, which may quote what the server sent, can be masked of them.
 */
public final class SentTokens {
  private final List<CartoToken> tokens = new CopyOnWriteArrayList<>();

  void add(CartoToken token) {
    tokens.add(token);
  }

  /** The tokens' values, for {@link Redactor}; none if the call sent no token. */
  public String[] values() {
    return tokens.stream().map(CartoToken::reveal).toArray(String[]::new);
  }
}
