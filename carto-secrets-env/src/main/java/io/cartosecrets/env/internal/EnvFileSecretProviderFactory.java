package io.cartosecrets.env.internal;

import io.cartosecrets.ConfigurationException;
import io.cartosecrets.SecretProvider;
import io.cartosecrets.env.EnvSecretProvider;
import io.cartosecrets.env.FileSecretProvider;
import io.cartosecrets.spi.SecretProviderFactory;
import io.cartosecrets.spi.SecretUri;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Set;

/**
 * Creates providers for {@code env:NAME} and {@code file:/abs/path[#field]} (also
 * {@code file:///abs/path}). Found by {@link java.util.ServiceLoader}, which on the class path can
 * only instantiate a public class: that is why it is public, and why it lives in
 * {@code .internal}. Not part of the API.
 */
public final class EnvFileSecretProviderFactory implements SecretProviderFactory {

  @Override
  public Set<String> schemes() {
    return Set.of("env", "file");
  }

  @Override
  public SecretProvider create(SecretUri uri) {
    uri.requireOnlyParams();
    switch (uri.scheme()) {
      case "env":
        return env(uri);
      case "file":
        return file(uri);
      default:
        throw new ConfigurationException("the env module does not handle scheme '" + uri.scheme() + ":'");
    }
  }

  private static SecretProvider env(SecretUri uri) {
    if (uri.field().isPresent()) {
      throw new ConfigurationException(
          "env: references take no #field; an environment variable holds one value"
              + " (e.g. env:CARTO_API_TOKEN)");
    }
    // "env:" alone reads the default variable.
    return uri.path().isEmpty()
        ? EnvSecretProvider.create()
        : EnvSecretProvider.of(uri.path());
  }

  private static SecretProvider file(SecretUri uri) {
    Path path;
    try {
      path = Path.of(uri.path());
    } catch (InvalidPathException e) {
      throw new ConfigurationException("file: reference has a path that is not valid here"
          + " (not shown)");
    }
    if (uri.path().isEmpty() || !path.isAbsolute()) {
      // Not shown: a relative "path" is as likely a token pasted after "file:".
      throw new ConfigurationException(
          "file: reference needs an absolute path, e.g. file:/run/secrets/carto_token or"
              + " file:///run/secrets/carto_token (the path given, " + uri.path().length()
              + " characters, is not shown)"
              + (uri.path().startsWith("~") ? "; ~ is not expanded, write the full path" : ""));
    }
    FileSecretProvider.Builder b = FileSecretProvider.builder().path(path);
    uri.field().ifPresent(b::field);
    return b.build();
  }
}
