package io.cartosecrets.testkit;

import java.lang.reflect.Method;
import java.util.Objects;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives each test its own {@link FakeCartoServer}, injected as a parameter of the test method and
 * of its {@code @BeforeEach}/{@code @AfterEach} methods (all of them receive the same instance), and
 * closes it after the test, whether the test passed or failed.
 *
 * <pre>{@code
 * @ExtendWith(FakeCartoServerExtension.class)
 * class MyTest {
 *   @Test
 *   void queryRuns(FakeCartoServer carto) { ... }
 * }
 *
 * // with options, e.g. a fake clock and a path prefix:
 * final FakeClock clock = new FakeClock();
 * @RegisterExtension
 * final FakeCartoServerExtension carto =
 *     FakeCartoServerExtension.withOptions(() -> FakeCartoServer.builder().clock(clock).pathPrefix("/api").build());
 * }</pre>
 *
 * The server starts when a method first asks for it, so tests of a class that do not take a
 * {@code FakeCartoServer} parameter start none. Servers are per test: a {@code @BeforeAll} method
 * or a constructor cannot receive one.
 */
public final class FakeCartoServerExtension implements ParameterResolver, AfterEachCallback {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(FakeCartoServerExtension.class);
  private static final String KEY = "server";

  private final Supplier<FakeCartoServer.Options> options;

  /** Default options: what {@link FakeCartoServer#start()} uses. */
  public FakeCartoServerExtension() {
    this(() -> FakeCartoServer.builder().build());
  }

  private FakeCartoServerExtension(Supplier<FakeCartoServer.Options> options) {
    this.options = options;
  }

  /**
   * An extension that starts each test's server with the options {@code options} supplies (asked
   * once per test, so it may read per-test state such as an instance field's clock).
   */
  public static FakeCartoServerExtension withOptions(Supplier<FakeCartoServer.Options> options) {
    return new FakeCartoServerExtension(Objects.requireNonNull(options, "options"));
  }

  @Override
  public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
    return parameterContext.getParameter().getType() == FakeCartoServer.class
        && parameterContext.getDeclaringExecutable() instanceof Method
        && extensionContext.getTestMethod().isPresent();
  }

  @Override
  public FakeCartoServer resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
    try {
      return extensionContext
          .getStore(NAMESPACE)
          .getOrComputeIfAbsent(KEY, key -> FakeCartoServer.start(options.get()), FakeCartoServer.class);
    } catch (RuntimeException e) {
      throw new ParameterResolutionException("FakeCartoServer could not start", e);
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    FakeCartoServer server = context.getStore(NAMESPACE).remove(KEY, FakeCartoServer.class);
    if (server != null) {
      server.close();
    }
  }
}
