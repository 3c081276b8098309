package io.cartosecrets.conjur;

import static io.cartosecrets.conjur.ConjurFixture.ACCOUNT;
import static io.cartosecrets.conjur.ConjurFixture.LOGIN;
import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy;

import com.cyberark.conjur.sdk.ApiClient;
import io.cartosecrets.SecretAccessDeniedException;
import io.cartosecrets.SecretException;
import io.cartosecrets.SecretUnavailableException;
import io.cartosecrets.testkit.FakeClock;
import io.cartosecrets.testkit.conjur.FakeConjur;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The provider's own Conjur access token: renewal, 401 handling, failures, concurrency. */
class AccessTokenLifecycleTest {
  @TempDir Path dir;
  ConjurFixture f;

  @BeforeEach
  void start() {
    f = new ConjurFixture(dir);
  }

  @AfterEach
  void stop() {
    f.close();
  }

  @Test
  void accessToken_isRenewedHalfWayThroughItsEightMinutes_neverUsedExpired() {
    try (ConjurSecretProvider p = f.provider()) {
      p.fetch();
      f.clock.advance(Duration.ofMinutes(3).plusSeconds(59));
      p.fetch();
      assertThat(f.conjur.authentications()).isEqualTo(1);

      f.clock.advance(Duration.ofSeconds(1));
      p.fetch();
      assertThat(f.conjur.authentications()).isEqualTo(2);

      // An hour of reads every 30 seconds: a renewal every 4 minutes, and Conjur never says 401.
      for (int i = 0; i < 120; i++) {
        f.clock.advance(Duration.ofSeconds(30));
        p.fetch();
      }
      assertThat(f.conjur.authentications()).isEqualTo(17);
      assertThat(f.conjur.unauthorizedResponses()).isZero();
    }
  }

  @Test
  void renewal_isTimedByThisHostsClock_soAConjurClockAnHourBehindDoesNotMatter() {
    FakeClock conjurClock = new FakeClock(f.clock.instant().minus(Duration.ofHours(1)));
    try (FakeConjur late = FakeConjur.start(conjurClock)) {
      String key = late.addHost(ACCOUNT, ConjurFixture.HOST_ID);
      late.setValue(ACCOUNT, ConjurFixture.VARIABLE, f.cartoToken);
      late.permit(ACCOUNT, LOGIN, ConjurFixture.VARIABLE, "read", "execute");
      f.writeApiKeyFile(key);
      try (ConjurSecretProvider p =
          f.builder().applianceUrl(late.applianceUrl()).certFile(late.writeCaCertificate(dir.resolve("late.pem"))).build()) {
        p.fetch();
        f.clock.advance(Duration.ofMinutes(1));
        conjurClock.advance(Duration.ofMinutes(1));
        p.fetch();

        // By its exp claim the token expired an hour ago here; it was not thrown away for that.
        assertThat(late.authentications()).isEqualTo(1);
      }
    }
  }

  @Test
  void tokenRevokedAtConjur_401_reauthenticatesOnceAndRetries() {
    try (ConjurSecretProvider p = f.provider()) {
      p.fetch();
      f.conjur.revokeAccessTokens();

      assertThat(p.fetch().reveal()).isEqualTo(f.cartoToken);
      assertThat(f.conjur.unauthorizedResponses()).isEqualTo(1);
      assertThat(f.conjur.authentications()).isEqualTo(2);
      assertThat(f.conjur.calls()).extracting(FakeConjur.Call::status).containsExactly(200, 200, 401, 200, 200);
    }
  }

  @Test
  void freshTokenRejectedToo_isAccessDenied_afterExactlyOneRetry() {
    f.conjur.tokenLifetime(Duration.ZERO);
    try (ConjurSecretProvider p = f.provider()) {
      assertThatThrownBy(p::fetch)
          .isInstanceOf(SecretAccessDeniedException.class)
          .hasMessageContaining("rejected a newly obtained access token")
          .hasMessageContaining(LOGIN);
    }
    assertThat(f.conjur.calls()).extracting(FakeConjur.Call::status).containsExactly(200, 401, 200, 401);
  }

  @Test
  void renewalFailure_keepsUsingTheCurrentToken_untilItsLastTenth() {
    try (ConjurSecretProvider p = f.provider()) {
      p.fetch();
      f.clock.advance(Duration.ofMinutes(5));
      f.conjur.failNext(1, 503);

      assertThat(p.fetch().reveal()).isEqualTo(f.cartoToken);
      assertThat(f.conjur.authentications()).isEqualTo(1);

      f.clock.advance(Duration.ofMinutes(2).plusSeconds(13));
      f.conjur.failNext(1, 503);
      assertThatThrownBy(p::fetch)
          .isInstanceOf(SecretUnavailableException.class)
          .matches(e -> ((SecretException) e).retryable())
          .hasMessageContaining("HTTP 503");

      assertThat(p.fetch().reveal()).isEqualTo(f.cartoToken);
      assertThat(f.conjur.authentications()).isEqualTo(2);
      assertThat(f.conjur.unauthorizedResponses()).isZero();
    }
  }

  @Test
  void apiKeyRotatedWhereTheAppReadsIt_isUsedAtTheNextRenewal() {
    try (ConjurSecretProvider p = f.provider()) {
      p.fetch();
      f.rotateApiKey();
      f.clock.advance(Duration.ofMinutes(4));

      assertThat(p.fetch().reveal()).isEqualTo(f.cartoToken);
      assertThat(f.conjur.authentications()).isEqualTo(2);
    }
  }

  @Test
  void apiKeyRotatedAtConjurOnly_servesUntilTheTokenIsSpent_thenAccessDenied() {
    try (ConjurSecretProvider p = f.provider()) {
      p.fetch();
      f.conjur.rotateApiKey(ACCOUNT, LOGIN);
      f.clock.advance(Duration.ofMinutes(5));
      assertThat(p.fetch().reveal()).isEqualTo(f.cartoToken);

      f.clock.advance(Duration.ofMinutes(3));
      assertThatThrownBy(p::fetch)
          .isInstanceOf(SecretAccessDeniedException.class)
          .matches(e -> !((SecretException) e).retryable())
          .hasMessageContaining("refused to authenticate login '" + LOGIN + "'")
          .hasMessageContaining("HTTP 401");
    }
  }

  @Test
  void concurrentFirstFetches_authenticateOnce() throws Exception {
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try (ConjurSecretProvider p = f.provider()) {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<String>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        results.add(pool.submit(() -> {
          go.await();
          return p.fetch().reveal();
        }));
      }
      go.countDown();
      for (Future<String> r : results) {
        assertThat(r.get(20, TimeUnit.SECONDS)).isEqualTo(f.cartoToken);
      }
      assertThat(f.conjur.authentications()).isEqualTo(1);
      assertThat(f.conjur.secretReads()).isEqualTo(threads);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void sdkClient_cannotRenewTokensByItself_andHoldsNoCredentialFromTheEnvironment() {
    try (ConjurSecretProvider p = f.provider()) {
      ApiClient sdk = p.http().sdk();

      // CONJUR_AUTO_UPDATE_TOKEN can only be set in the environment; without an API key it is inert.
      assertThat(sdk.canRefreshAccessToken()).isFalse();
      assertThat(sdk.getBasePath()).isEqualTo(f.conjur.applianceUrl());
      assertThat(sdk.getHttpClient().followRedirects()).isFalse();
    }
  }
}
