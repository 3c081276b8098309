package io.cartosecrets.vault;

import io.cartosecrets.spi.SecretFiles;
import io.cartosecrets.ConfigurationException;
import io.cartosecrets.SecretProvider;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Function;

/**
 * How a {@link VaultSecretProvider} authenticates to Vault. Immutable; pick one with a static
 * factory:
 *
 * <ul>
 *   <li>{@link #token()}: the {@code VAULT_TOKEN} environment variable. The provider looks the token
 *       up, renews it before its TTL runs out while it is renewable, and fails with an access error
 *       once Vault no longer accepts it, since it cannot get another.
 *   <li>{@link #tokenFile(Path)}: the file a Vault Agent auto-auth sink writes. Vault Agent renews
 *       and replaces the token; the provider re-reads the file whenever Vault rejects the token.
 *   <li>{@link #appRole(String, SecretProvider)} and variants: AppRole login with a role id and a
 *       secret id, both read again at each login, so a rotated secret id is picked up.
 *   <li>{@link #kubernetes(String)}: Kubernetes login with the pod's service account token, re-read
 *       at each login because the kubelet rotates it.
 * </ul>
 *
 * Tokens from a login are renewed before their TTL runs out; when they cannot be renewed further
 * (not renewable, or the maximum TTL caps the renewal), or Vault answers 403 for an expired token,
 * the provider logs in again.
 *
 * <p>{@link #toString()} describes the method and where its credentials come from, never a value.
 */
public final class VaultAuth {
  /** Where Kubernetes mounts the pod's service account token. */
  public static final Path DEFAULT_KUBERNETES_JWT =
      Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");

  enum Kind {
    TOKEN,
    TOKEN_FILE,
    APPROLE,
    KUBERNETES
  }

  final Kind kind;
  /** TOKEN: the token's source, or null for {@code VAULT_TOKEN} from the provider's environment. */
  private final SecretProvider token;
  private final Path tokenFile;
  private final SecretProvider roleId;
  private final SecretProvider secretId;
  final String role;
  private final Path jwtFile;
  final String mount;

  private VaultAuth(
      Kind kind,
      SecretProvider token,
      Path tokenFile,
      SecretProvider roleId,
      SecretProvider secretId,
      String role,
      Path jwtFile,
      String mount) {
    this.kind = kind;
    this.token = token;
    this.tokenFile = tokenFile;
    this.roleId = roleId;
    this.secretId = secretId;
    this.role = role;
    this.jwtFile = jwtFile;
    this.mount = mount;
  }

  /** The token in the {@code VAULT_TOKEN} environment variable. */
  public static VaultAuth token() {
    return new VaultAuth(Kind.TOKEN, null, null, null, null, null, null, "token");
  }

  /**
   * A token from another provider (e.g. {@code SecretProviders.fromUri("file:/etc/vault/token")}),
   * fetched again whenever Vault rejects the one in use.
   */
  public static VaultAuth token(SecretProvider source) {
    Objects.requireNonNull(source, "source");
    return new VaultAuth(Kind.TOKEN, source, null, null, null, null, null, "token");
  }

  /** The token a Vault Agent auto-auth file sink keeps at {@code sinkFile}. */
  public static VaultAuth tokenFile(Path sinkFile) {
    Objects.requireNonNull(sinkFile, "sinkFile");
    return new VaultAuth(Kind.TOKEN_FILE, null, sinkFile, null, null, null, null, "token");
  }

  /** AppRole login at {@code auth/approle} with a fixed role id and a secret id from a provider. */
  public static VaultAuth appRole(String roleId, SecretProvider secretId) {
    requireText(roleId, "roleId");
    return appRole(FixedValue.of(roleId, "approle role id"), secretId);
  }

  /** AppRole login at {@code auth/approle}, role id and secret id both from providers. */
  public static VaultAuth appRole(SecretProvider roleId, SecretProvider secretId) {
    Objects.requireNonNull(roleId, "roleId");
    Objects.requireNonNull(secretId, "secretId");
    return new VaultAuth(Kind.APPROLE, null, null, roleId, secretId, null, null, "approle");
  }

  /** AppRole login at {@code auth/approle}, role id and secret id read from files at each login. */
  public static VaultAuth appRole(Path roleIdFile, Path secretIdFile) {
    Objects.requireNonNull(roleIdFile, "roleIdFile");
    Objects.requireNonNull(secretIdFile, "secretIdFile");
    return appRole(SecretFiles.provider(roleIdFile), SecretFiles.provider(secretIdFile));
  }

  /** Kubernetes login at {@code auth/kubernetes} with the pod's service account token. */
  public static VaultAuth kubernetes(String role) {
    return kubernetes(role, DEFAULT_KUBERNETES_JWT);
  }

  /** Kubernetes login at {@code auth/kubernetes} with the service account token in {@code jwtFile}. */
  public static VaultAuth kubernetes(String role, Path jwtFile) {
    requireText(role, "role");
    Objects.requireNonNull(jwtFile, "jwtFile");
    return new VaultAuth(Kind.KUBERNETES, null, null, null, null, role, jwtFile, "kubernetes");
  }

  /**
   * The same login at another auth mount, e.g. {@code approle-ci} for {@code auth/approle-ci}.
   *
   * @throws ConfigurationException for token methods, which have no login mount
   */
  public VaultAuth atMount(String authMount) {
    requireText(authMount, "authMount");
    if (kind == Kind.TOKEN || kind == Kind.TOKEN_FILE) {
      throw new ConfigurationException("a Vault token is not obtained from an auth mount; atMount()"
          + " applies to AppRole and Kubernetes logins");
    }
    String m = authMount.trim();
    while (m.startsWith("/")) {
      m = m.substring(1);
    }
    if (m.startsWith("auth/")) {
      m = m.substring("auth/".length());
    }
    while (m.endsWith("/")) {
      m = m.substring(0, m.length() - 1);
    }
    if (m.isEmpty()) {
      throw new ConfigurationException("the Vault auth mount is empty");
    }
    return new VaultAuth(kind, token, tokenFile, roleId, secretId, role, jwtFile, m);
  }

  /** Whether the provider renews tokens obtained this way (Vault Agent renews its own). */
  boolean providerRenews() {
    return kind != Kind.TOKEN_FILE;
  }

  /** Whether asking again may yield a different token (a new login, a replaced file). */
  boolean canObtainNewToken() {
    return kind != Kind.TOKEN || token != null;
  }

  /** The source of the token for the token kinds, resolved against the provider's environment. */
  SecretProvider tokenSource(Function<String, String> environment) {
    if (kind == Kind.TOKEN_FILE) {
      return SecretFiles.provider(tokenFile);
    }
    return token != null ? token : FixedValue.fromEnvironment("VAULT_TOKEN", environment);
  }

  SecretProvider roleId() {
    return roleId;
  }

  SecretProvider secretId() {
    return secretId;
  }

  SecretProvider jwt() {
    return SecretFiles.provider(jwtFile);
  }

  void close() {
    for (SecretProvider p : new SecretProvider[] {token, roleId, secretId}) {
      if (p != null) {
        p.close();
      }
    }
  }

  /** E.g. {@code approle at auth/approle (secret id from file:/run/secrets/secret_id)}. */
  @Override
  public String toString() {
    switch (kind) {
      case TOKEN:
        return "token from " + (token == null ? "env:VAULT_TOKEN" : token.description());
      case TOKEN_FILE:
        return "token from Vault Agent sink file:" + tokenFile;
      case APPROLE:
        return "approle at auth/" + mount + " (role id from " + roleId.description()
            + ", secret id from " + secretId.description() + ")";
      default:
        return "kubernetes role " + role + " at auth/" + mount + " (service account token from file:"
            + jwtFile + ")";
    }
  }

  private static void requireText(String s, String name) {
    Objects.requireNonNull(s, name);
    if (s.isBlank()) {
      throw new ConfigurationException("the Vault " + name + " is empty");
    }
  }
}
