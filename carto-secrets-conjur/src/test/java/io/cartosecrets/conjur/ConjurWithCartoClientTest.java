package io.cartosecrets.conjur;

import static io.cartosecrets.conjur.ConjurFixture.ACCOUNT;
import static io.cartosecrets.conjur.ConjurFixture.VARIABLE;
import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.CartoClient;
import io.cartosecrets.RefreshingTokenProvider;
import io.cartosecrets.SqlResult;
import io.cartosecrets.testkit.FakeCartoServer;
import io.cartosecrets.testkit.ManualScheduler;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole path: a running {@link CartoClient} whose token lives in Conjur, read through the
 * refreshing cache, against the CARTO and Conjur stand-ins sharing one fake clock.
 */
class ConjurWithCartoClientTest {
  static final String SQL = "SELECT name FROM cities WHERE country = 'Spain'";

  @TempDir Path dir;
  ConjurFixture f;
  FakeCartoServer carto;
  ManualScheduler scheduler;
  RefreshingTokenProvider tokens;
  CartoClient client;

  @BeforeEach
  void start() {
    f = new ConjurFixture(dir);
    carto = FakeCartoServer.builder().clock(f.clock).start();
    f.cartoToken = carto.mintToken();
    f.conjur.setValue(ACCOUNT, VARIABLE, f.cartoToken);
    scheduler = new ManualScheduler(f.clock);
    tokens =
        RefreshingTokenProvider.builder(f.provider())
            .clock(f.clock)
            .scheduler(scheduler)
            .executor(Runnable::run)
            .refreshInterval(Duration.ofMinutes(5))
            .build();
    client = CartoClient.builder().baseUrl(carto.baseUrl()).tokenProvider(tokens).build();
  }

  @AfterEach
  void stop() {
    client.close();
    tokens.close();
    carto.close();
    f.close();
  }

  @Test
  void rotationInConjur_isPickedUpByARunningClient_atTheNextScheduledRefresh() {
    assertThat(query().rows()).isNotEmpty();
    String old = f.cartoToken;

    String rotated = carto.mintToken();
    f.conjur.setValue(ACCOUNT, VARIABLE, rotated);
    f.clock.advance(Duration.ofMinutes(5));
    scheduler.runDueTasks();
    carto.revokeToken(old);

    assertThat(query().rows()).isNotEmpty();
    assertThat(lastTokens(2)).containsExactly(old, rotated);
    assertThat(tokens.metrics().rotations()).isEqualTo(1);
    assertThat(f.conjur.unauthorizedResponses()).isZero();
  }

  @Test
  void rotationInConjur_andOldTokenRevokedAtOnce_clientRecoversThrough401() {
    assertThat(query().rows()).isNotEmpty();
    String old = f.cartoToken;

    String rotated = carto.mintToken();
    f.conjur.setValue(ACCOUNT, VARIABLE, rotated);
    carto.revokeToken(old);

    assertThat(query().rows()).isNotEmpty();
    assertThat(lastTokens(3)).containsExactly(old, old, rotated);
    assertThat(tokens.metrics().rejections()).isEqualTo(1);
  }

  @Test
  void clientRunningForHours_conjurAccessTokenRenewedQuietly_cartoTokenServedThroughout() {
    for (int minute = 0; minute < 180; minute++) {
      f.clock.advance(Duration.ofMinutes(1));
      scheduler.runDueTasks();
      if (minute % 10 == 0) {
        assertThat(query().rows()).isNotEmpty();
      }
    }
    System.out.printf("3 hours: %d variable reads, %d Conjur authentications, %d CARTO requests%n",
        f.conjur.secretReads(), f.conjur.authentications(), carto.requestCount());
    // A scheduled refresh every 4 to 5 minutes (jittered) on an access token renewed after 4: a
    // new access token for nearly each read, and never a 401 from Conjur.
    assertThat(f.conjur.secretReads()).isBetween(36, 46);
    assertThat(f.conjur.authentications()).isBetween(f.conjur.secretReads() / 2, f.conjur.secretReads());
    assertThat(f.conjur.unauthorizedResponses()).isZero();
  }

  @Test
  void conjurDownForTenMinutes_clientKeepsTheLastGoodToken_thenPicksUpTheRotation() {
    assertThat(query().rows()).isNotEmpty();
    f.conjur.failNext(10_000, 503);
    for (int minute = 0; minute < 10; minute++) {
      f.clock.advance(Duration.ofMinutes(1));
      scheduler.runDueTasks();
      assertThat(query().rows()).isNotEmpty();
    }
    assertThat(tokens.metrics().failures()).isPositive();
    assertThat(lastTokens(1)).containsExactly(f.cartoToken);

    String rotated = carto.mintToken();
    f.conjur.recover().setValue(ACCOUNT, VARIABLE, rotated);
    for (int minute = 0; minute < 6; minute++) {
      f.clock.advance(Duration.ofMinutes(1));
      scheduler.runDueTasks();
    }

    assertThat(query().rows()).isNotEmpty();
    assertThat(lastTokens(1)).containsExactly(rotated);
  }

  private SqlResult query() {
    return client.sql(FakeCartoServer.DEFAULT_CONNECTION).query(SQL);
  }

  private List<String> lastTokens(int n) {
    List<FakeCartoServer.Call> calls = carto.requests();
    return calls.subList(calls.size() - n, calls.size()).stream().map(c -> c.token().orElse("")).toList();
  }
}
