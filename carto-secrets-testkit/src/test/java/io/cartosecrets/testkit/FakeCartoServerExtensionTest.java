package io.cartosecrets.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy;

import java.io.UncheckedIOException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

class FakeCartoServerExtensionTest {

  /**
   * The lifecycle is proved across ordered tests: each one hands its server to the next, which
   * checks that the previous one was closed after its test and that it got a fresh one.
   */
  @Nested
  @ExtendWith(FakeCartoServerExtension.class)
  @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
  class Lifecycle {
    // Static: each test runs on a new instance of this class, and the hand-over must outlive it.
    private static FakeCartoServer previous;
    private FakeCartoServer fromBeforeEach;

    @BeforeEach
    void before(FakeCartoServer server) {
      fromBeforeEach = server;
    }

    @Test
    @Order(1)
    void serverIsRunningAndTheSameInstanceIsInjectedIntoBeforeEachAndTheTest(FakeCartoServer server) {
      assertThat(server).isSameAs(fromBeforeEach);
      String token = server.mintToken();
      assertThat(TestHttp.getSql(server, token, "SELECT * FROM cities").status()).isEqualTo(200);
      previous = server;
    }

    @Test
    @Order(2)
    void theNextTestGetsAFreshServer_andThePreviousOneWasClosed(FakeCartoServer server) {
      assertThat(previous).isNotNull();
      assertThat(server).isNotSameAs(previous);
      assertThat(server.requestCount()).isZero();
      assertThat(previous.toString()).endsWith(", closed]");
      String stale = previous.baseUrl() + "/v3/sql/carto_dw/query?q=SELECT%201";
      assertThatThrownBy(() -> TestHttp.get(stale, null)).isInstanceOf(UncheckedIOException.class);
      previous = server;
    }

    @AfterEach
    void after(FakeCartoServer server) {
      // @AfterEach runs before the extension closes the server, and sees the same instance.
      assertThat(server).isSameAs(fromBeforeEach);
      assertThat(server.toString()).doesNotContain("closed");
    }
  }

  @Nested
  class WithOptions {
    private final FakeClock clock = new FakeClock();

    @RegisterExtension
    final FakeCartoServerExtension extension =
        FakeCartoServerExtension.withOptions(() -> FakeCartoServer.builder().clock(clock).pathPrefix("/api").build());

    @Test
    void optionsFromTheSupplierApply(FakeCartoServer server) {
      assertThat(server.baseUrl()).endsWith("/api");
      assertThat(server.options().clock()).isSameAs(clock);
      assertThat(TestHttp.getSql(server, server.mintToken(), "SELECT * FROM cities").status()).isEqualTo(200);
    }
  }
}
