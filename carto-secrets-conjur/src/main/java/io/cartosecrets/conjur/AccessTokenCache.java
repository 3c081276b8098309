package io.cartosecrets.conjur;

import io.cartosecrets.SecretException;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the provider's Conjur access token and obtains a new one at its refresh point, when Conjur
 * rejected it, or when there is none. The Conjur SDK's own renewal is never used: it is off unless
 * an environment variable turns it on, reads the system clock and encodes logins wrongly.
 *
 * <p>Renewing ahead of time is best effort: if it fails, the current token is used until it is
 * {@linkplain AccessToken#usableUntil() no longer usable}, and the failure is logged.
 */
final class AccessTokenCache {
  private static final Logger LOG = LoggerFactory.getLogger(AccessTokenCache.class);

  private final Credentials credentials;
  private final Clock clock;
  private final String description;

  /** The token in use; read without locking, replaced under {@link #obtaining} or cleared by CAS. */
  private final AtomicReference<AccessToken> current = new AtomicReference<>();

  /** Single flight: one thread obtains a token while the others wait for it. */
  private final ReentrantLock obtaining = new ReentrantLock();

  AccessTokenCache(Credentials credentials, Clock clock, String description) {
    this.credentials = credentials;
    this.clock = clock;
    this.description = description;
  }

  /**
   * The token to use now.
   *
   * @throws SecretException if there is no usable token and a new one cannot be had
   */
  AccessToken token() {
    AccessToken t = current.get();
    if (t != null && clock.instant().isBefore(t.refreshAt())) {
      return t;
    }
    obtaining.lock();
    try {
      t = current.get();
      Instant now = clock.instant();
      if (t != null && now.isBefore(t.refreshAt())) {
        return t;
      }
      try {
        AccessToken fresh = credentials.obtain();
        current.set(fresh);
        LOG.debug("{}: new Conjur access token fp={} for {}, renewed after {}",
            description, fresh.fingerprint(), credentials.who(), fresh.refreshAt());
        return fresh;
      } catch (SecretException e) {
        if (t != null && now.isBefore(t.usableUntil())) {
          LOG.warn("{}: could not renew the Conjur access token for {} ({}); using fp={} until {}",
              description, credentials.who(), e.getMessage(), t.fingerprint(), t.usableUntil());
          return t;
        }
        throw e;
      }
    } finally {
      obtaining.unlock();
    }
  }

  /** Conjur answered 401 to {@code rejected}: forget it, unless another thread already did. */
  void rejected(AccessToken rejected) {
    if (current.compareAndSet(rejected, null)) {
      LOG.debug("{}: Conjur rejected access token fp={}; obtaining another", description, rejected.fingerprint());
    }
  }
}
