package io.cartosecrets.testkit.canary;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/** Runs a test class that leaks on purpose, in this JVM, under the auto-detected harness. */
final class LeakingTests {
  private LeakingTests() {}

  static Events run(Class<?> leaky) {
    return EngineTestKit.engine("junit-jupiter")
        .configurationParameter("junit.jupiter.extensions.autodetection.enabled", "true")
        .selectors(selectClass(leaky))
        .execute()
        .testEvents();
  }
}
