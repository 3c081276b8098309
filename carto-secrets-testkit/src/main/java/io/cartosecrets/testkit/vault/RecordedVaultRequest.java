package io.cartosecrets.testkit.vault;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One request {@link FakeVault} answered. It keeps what a test asserts on without keeping any
 * secret: the presented token is identified by its accessor, and the body by its top-level field
 * names (a login body holds a secret id or a JWT).
 */
public final class RecordedVaultRequest {
  private final String method;
  private final String path;
  private final Map<String, String> query;
  private final String namespace;
  private final String tokenAccessor;
  private final boolean tokenPresented;
  private final boolean vaultRequestHeader;
  private final Set<String> bodyFields;
  private final int status;

  RecordedVaultRequest(
      String method,
      String path,
      Map<String, String> query,
      String namespace,
      boolean tokenPresented,
      String tokenAccessor,
      boolean vaultRequestHeader,
      Set<String> bodyFields,
      int status) {
    this.method = method;
    this.path = path;
    this.query = Map.copyOf(query);
    this.namespace = namespace;
    this.tokenPresented = tokenPresented;
    this.tokenAccessor = tokenAccessor;
    this.vaultRequestHeader = vaultRequestHeader;
    this.bodyFields = Set.copyOf(bodyFields);
    this.status = status;
  }

  /** The HTTP method, e.g. {@code GET}, {@code POST}, {@code LIST}. */
  public String method() {
    return method;
  }

  /** The API path after {@code /v1/}, percent-decoded, e.g. {@code kv/team/carto/data/prod}. */
  public String path() {
    return path;
  }

  /** The query parameters, e.g. {@code version=3}. */
  public Map<String, String> query() {
    return query;
  }

  /** The {@code X-Vault-Namespace} header, empty for the root namespace. */
  public String namespace() {
    return namespace;
  }

  /** Whether an {@code X-Vault-Token} header was sent. */
  public boolean tokenPresented() {
    return tokenPresented;
  }

  /** The accessor of the presented token, if the token was one this Vault ever issued. */
  public Optional<String> tokenAccessor() {
    return Optional.ofNullable(tokenAccessor);
  }

  /** Whether {@code X-Vault-Request: true} was sent (Vault Agent and Proxy require it). */
  public boolean vaultRequestHeader() {
    return vaultRequestHeader;
  }

  /** The top-level field names of a JSON body, empty if there was none. */
  public Set<String> bodyFields() {
    return bodyFields;
  }

  /** The HTTP status answered. */
  public int status() {
    return status;
  }

  @Override
  public String toString() {
    return method + " /v1/" + path + (query.isEmpty() ? "" : " " + query)
        + (namespace.isEmpty() ? "" : " ns=" + namespace)
        + (tokenAccessor == null ? (tokenPresented ? " token=unknown" : "") : " accessor=" + tokenAccessor)
        + " -> " + status;
  }
}
