package io.cartosecrets.testkit.vault;

/**
 * An AppRole role in {@link FakeVault}: its role id (an identifier, not a secret) and the secret
 * ids that log in with it. Secret ids are minted with {@code TestTokens.secret}, so they are canaries.
 */
public final class AppRole {
  private final VaultState state;
  private final String namespace;
  private final String mount;
  private final String name;
  private final String roleId;

  AppRole(VaultState state, String namespace, String mount, String name, String roleId) {
    this.state = state;
    this.namespace = namespace;
    this.mount = mount;
    this.name = name;
    this.roleId = roleId;
  }

  public String name() {
    return name;
  }

  /** The auth mount, e.g. {@code approle}. */
  public String mount() {
    return mount;
  }

  public String roleId() {
    return roleId;
  }

  /** Generates a new secret id for the role; earlier ones stay valid. */
  public String newSecretId() {
    return state.newSecretId(namespace, mount, name);
  }

  /** Invalidates every secret id issued so far (tokens already issued stay valid). */
  public void revokeSecretIds() {
    state.revokeSecretIds(namespace, mount, name);
  }

  @Override
  public String toString() {
    return "AppRole[" + (namespace.isEmpty() ? "" : namespace + "/") + "auth/" + mount + "/role/" + name + "]";
  }
}
