package io.cartosecrets.aws.internal;

import io.cartosecrets.ConfigurationException;
import io.cartosecrets.SecretProvider;
import io.cartosecrets.aws.AwsSecretsManagerProvider;
import io.cartosecrets.spi.SecretProviderFactory;
import io.cartosecrets.spi.SecretUri;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Set;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;

/**
 * The {@code aws-sm:} scheme: {@code aws-sm:<name or ARN>[#field][?region=&stage=&versionId=&endpoint=&profile=]},
 * e.g. {@code aws-sm:prod/carto#api_token?region=eu-west-1}. Public only so that
 * {@link java.util.ServiceLoader} can instantiate it; use {@link io.cartosecrets.SecretProviders#fromUri(String)}.
 */
public final class AwsSecretsManagerProviderFactory implements SecretProviderFactory {
  static final String SCHEME = "aws-sm";

  @Override
  public Set<String> schemes() {
    return Set.of(SCHEME);
  }

  @Override
  public SecretProvider create(SecretUri uri) {
    uri.requireOnlyParams("region", "stage", "versionId", "endpoint", "profile");
    if (uri.path().isBlank()) {
      throw new ConfigurationException(
          "aws-sm: needs a secret name or ARN, e.g. aws-sm:prod/carto#api_token?region=eu-west-1");
    }
    AwsSecretsManagerProvider.Builder b = AwsSecretsManagerProvider.builder().secretId(uri.path());
    uri.field().ifPresent(b::field);
    uri.param("region").ifPresent(b::region);
    uri.param("stage").ifPresent(b::versionStage);
    uri.param("versionId").ifPresent(b::versionId);
    uri.param("endpoint").ifPresent(e -> b.endpointOverride(endpoint(uri, e)));
    uri.param("profile").ifPresent(p -> b.credentialsProvider(ProfileCredentialsProvider.create(p)));
    return b.build();
  }

  private static URI endpoint(SecretUri uri, String value) {
    try {
      return new URI(value);
    } catch (URISyntaxException e) {
      throw new ConfigurationException("aws-sm:" + uri.path() + ": endpoint '" + value + "' is not a URL");
    }
  }

  @Override
  public String toString() {
    return "AwsSecretsManagerProviderFactory[" + SCHEME + ":]";
  }
}
