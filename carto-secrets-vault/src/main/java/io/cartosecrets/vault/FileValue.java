package io.cartosecrets.vault;

import io.cartosecrets.Secret;
import io.cartosecrets.SecretAccessDeniedException;
import io.cartosecrets.SecretNotFoundException;
import io.cartosecrets.SecretProvider;
import io.cartosecrets.SecretUnavailableException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A credential kept in a file: a Vault Agent token sink, an AppRole secret id, a Kubernetes service
 * account token. Read on every {@link #fetch()}, because the writers of these files (Vault Agent,
 * the kubelet, a CI job) replace them while the application runs.
 */
final class FileValue implements SecretProvider {
  private final Path path;
  private final String description;

  FileValue(Path path) {
    this.path = path;
    this.description = "file:" + path;
  }

  @Override
  public Secret fetch() {
    String text;
    try {
      text = Files.readString(path, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new SecretNotFoundException(description, "no such file");
    } catch (AccessDeniedException e) {
      throw new SecretAccessDeniedException(description, "the file cannot be read by this process");
    } catch (IOException e) {
      // Not the exception itself: a MalformedInputException or a partial read says nothing useful
      // and an IOException message is not ours to vouch for.
      throw new SecretUnavailableException(
          description, "could not read the file (" + e.getClass().getSimpleName() + ")");
    }
    // Files written by tools and by `echo` end with one newline that is not part of the value.
    if (text.endsWith("\r\n")) {
      text = text.substring(0, text.length() - 2);
    } else if (text.endsWith("\n")) {
      text = text.substring(0, text.length() - 1);
    }
    return Secret.of(text, description);
  }

  @Override
  public String description() {
    return description;
  }

  @Override
  public String toString() {
    return "FileValue[" + description + "]";
  }
}
