package io.cartosecrets.testkit;

import java.time.Clock;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * The tokens a {@link FakeCartoServer} accepts, keyed by value. Backed by a concurrent map: request
 * threads read it while the test thread, or a Tokens API request on another connection, adds,
 * replaces and removes entries. A change is visible to every request that starts after it.
 */
final class TokenRegistry {
  private final ConcurrentHashMap<String, TokenRecord> tokens = new ConcurrentHashMap<>();
  private final Clock clock;

  TokenRegistry(Clock clock) {
    this.clock = clock;
  }

  void put(TokenRecord record) {
    tokens.put(record.value(), record);
  }

  Optional<TokenRecord> get(String value) {
    return Optional.ofNullable(tokens.get(value));
  }

  boolean remove(String value) {
    return tokens.remove(value) != null;
  }

  /** Replaces the record of {@code value} atomically, or returns empty if it is gone meanwhile. */
  Optional<TokenRecord> update(String value, UnaryOperator<TokenRecord> change) {
    return Optional.ofNullable(tokens.computeIfPresent(value, (k, old) -> change.apply(old)));
  }

  Collection<TokenRecord> all() {
    return tokens.values();
  }

  boolean isValid(String value) {
    TokenRecord r = tokens.get(value);
    return r != null && !r.expiredAt(clock.instant());
  }

  /**
   * The record of the Bearer token {@code call} carries, if it is accepted and unexpired by the
   * server's clock; otherwise a 401 {@code {"error":"Unauthorized"}} refusal.
   */
  TokenRecord authenticate(FakeCartoServer.Call call) {
    TokenRecord r = call.token().map(tokens::get).orElse(null);
    if (r == null || r.expiredAt(clock.instant())) {
      throw Replies.refuse(401, "Unauthorized");
    }
    return r;
  }

  /** A fresh 8-hex token id ({@code jti}) that no accepted token has. */
  String uniqueId() {
    while (true) {
      String id = TestTokens.tokenId();
      if (tokens.values().stream().noneMatch(t -> t.id().equals(id))) {
        return id;
      }
    }
  }
}
