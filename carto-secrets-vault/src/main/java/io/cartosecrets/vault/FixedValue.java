package io.cartosecrets.vault;

import io.cartosecrets.Secret;
import io.cartosecrets.SecretNotFoundException;
import io.cartosecrets.SecretProvider;
import java.util.function.Function;

/**
 * A value given in configuration (an AppRole role id, which identifies but does not authenticate)
 * or read from an environment variable ({@code VAULT_TOKEN}) through the provider's environment.
 */
final class FixedValue implements SecretProvider {
  private final String description;
  private final String variable;
  private final String value;
  private final Function<String, String> environment;

  private FixedValue(String description, String variable, String value, Function<String, String> env) {
    this.description = description;
    this.variable = variable;
    this.value = value;
    this.environment = env;
  }

  static FixedValue of(String value, String description) {
    return new FixedValue(description, null, value, null);
  }

  static FixedValue fromEnvironment(String variable, Function<String, String> environment) {
    return new FixedValue("env:" + variable, variable, null, environment);
  }

  @Override
  public Secret fetch() {
    String v = variable == null ? value : environment.apply(variable);
    if (v == null) {
      throw new SecretNotFoundException(description, "the environment variable is not set");
    }
    return Secret.of(v.trim(), description);
  }

  @Override
  public String description() {
    return description;
  }

  @Override
  public String toString() {
    return "FixedValue[" + description + "]";
  }
}
