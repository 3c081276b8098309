package io.cartosecrets.testkit.vault;

/**
 * A Kubernetes auth role in {@link FakeVault}. Vault would ask the cluster's TokenReview API whether
 * a service account JWT is valid; the stand-in accepts exactly the JWTs minted here for the role.
 */
public final class KubernetesRole {
  private final VaultState state;
  private final String namespace;
  private final String mount;
  private final String name;

  KubernetesRole(VaultState state, String namespace, String mount, String name) {
    this.state = state;
    this.namespace = namespace;
    this.mount = mount;
    this.name = name;
  }

  public String name() {
    return name;
  }

  /** The auth mount, e.g. {@code kubernetes}. */
  public String mount() {
    return mount;
  }

  /** A new JWT-shaped service account token the role accepts; its signature part is a canary. */
  public String newServiceAccountJwt() {
    return state.newServiceAccountJwt(namespace, mount, name);
  }

  /** Stops accepting every JWT minted so far, as when the cluster rotates service account tokens. */
  public void revokeServiceAccountJwts() {
    state.revokeServiceAccountJwts(namespace, mount, name);
  }

  @Override
  public String toString() {
    return "KubernetesRole[" + (namespace.isEmpty() ? "" : namespace + "/") + "auth/" + mount + "/role/" + name + "]";
  }
}
