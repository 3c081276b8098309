package io.cartosecrets.vault;

import io.cartosecrets.SecretProvider;
import io.cartosecrets.spi.SecretProviderFactory;
import io.cartosecrets.spi.SecretUri;
import java.util.Set;

/**
 * The {@code vault:} scheme for {@code SecretProviders.fromUri}:
 *
 * <pre>
 * vault:PATH[#FIELD][?PARAMS]
 *
 * vault:kv/team/carto/prod#api_token?kv=2
 * vault:kv/team/carto/prod#api_token?mount=kv/team/carto&amp;auth=kubernetes&amp;role=carto-app
 * vault:secret/carto#token?auth=approle&amp;role_id_file=/run/vault/role_id&amp;secret_id=env:VAULT_SECRET_ID
 * vault:secret/carto?token_file=/home/app/.vault-token&amp;namespace=team-a
 * </pre>
 *
 * PATH includes the mount; FIELD defaults to {@code token}. Parameters:
 *
 * <ul>
 *   <li>{@code kv} ({@code 1}, {@code 2} or {@code auto}, the default), {@code mount}, {@code
 *       version} (KV v2 only), {@code namespace} (else {@code VAULT_NAMESPACE});
 *   <li>{@code addr} (else {@code VAULT_ADDR}), {@code cacert} (else {@code VAULT_CACERT}); {@code
 *       VAULT_SKIP_VERIFY}, {@code VAULT_CLIENT_TIMEOUT}, {@code VAULT_OPEN_TIMEOUT} and {@code
 *       VAULT_READ_TIMEOUT} are read from the environment;
 *   <li>{@code auth}: {@code token} (the default: {@code VAULT_TOKEN}, or {@code token=REFERENCE},
 *       or {@code token_file=PATH} for a Vault Agent sink), {@code approle} ({@code role_id} or
 *       {@code role_id_file}, and {@code secret_id=REFERENCE} or {@code secret_id_file}) or {@code
 *       kubernetes} ({@code role}, optional {@code jwt_file}); {@code auth_mount} for a non-default
 *       mount. The method is inferred from the parameters when {@code auth} is left out.
 * </ul>
 */
public final class VaultSecretProviderFactory implements SecretProviderFactory {

  @Override
  public Set<String> schemes() {
    return Set.of("vault");
  }

  @Override
  public SecretProvider create(SecretUri uri) {
    return VaultSecretProvider.fromUri(uri, System::getenv);
  }
}
