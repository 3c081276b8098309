package io.cartosecrets.examples;

import io.cartosecrets.CartoClient;
import io.cartosecrets.SecretProvider;
import io.cartosecrets.SqlResult;
import io.cartosecrets.aws.AwsSecretsManagerProvider;
import io.cartosecrets.testkit.FakeCartoServer;
import io.cartosecrets.testkit.aws.FakeSecretsManager;
import io.cartosecrets.testkit.aws.FakeSecretsManager.Operation;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * Queries CARTO with a token kept in AWS Secrets Manager, and keeps working across a rotation.
 *
 * <p>By default everything runs on this machine: the Secrets Manager and CARTO stand-ins from
 * {@code carto-secrets-testkit} take the place of AWS and CARTO, and the real AWS SDK talks to the
 * first over HTTP. The example stores a token, queries, rotates the secret the way a rotation
 * function does, revokes the old token, and queries again.
 *
 * <p>Against real AWS and CARTO, set {@code AWS_REGION} and {@code CARTO_AWS_SECRET_ID} (a secret
 * name or ARN; or pass it as the first argument), and optionally {@code CARTO_AWS_SECRET_FIELD}
 * (the JSON field holding the token; the whole value otherwise), {@code CARTO_API_BASE_URL},
 * {@code CARTO_CONNECTION} (default {@code carto_dw}) and {@code CARTO_SQL} (default
 * {@code SELECT 1 AS ok}). Credentials come from the AWS SDK's default chain; the IAM policy the
 * application needs is in {@code carto-secrets-aws/README.md}.
 *
 * <pre>
 * mvn -q -pl examples -am compile exec:java -Dexec.mainClass=io.cartosecrets.examples.AwsSecretsManagerExample
 * </pre>
 */
public final class AwsSecretsManagerExample {
  private AwsSecretsManagerExample() {}

  public static void main(String[] args) {
    String region = env("AWS_REGION");
    String secretId = args.length > 0 ? args[0] : env("CARTO_AWS_SECRET_ID");
    if (region != null && secretId != null) {
      againstAws(region, secretId);
    } else {
      System.out.println("AWS_REGION and CARTO_AWS_SECRET_ID are not both set: running against the local stand-ins.");
      againstStandIns();
    }
  }

  private static void againstAws(String region, String secretId) {
    AwsSecretsManagerProvider.Builder source = AwsSecretsManagerProvider.builder().secretId(secretId).region(region);
    String field = env("CARTO_AWS_SECRET_FIELD");
    if (field != null) {
      source.field(field);
    }
    CartoClient.Builder client = CartoClient.builder().secretProvider(source.build());
    String baseUrl = env("CARTO_API_BASE_URL");
    if (baseUrl != null) {
      client.baseUrl(baseUrl);
    }
    String connection = env("CARTO_CONNECTION") != null ? env("CARTO_CONNECTION") : "carto_dw";
    String sql = env("CARTO_SQL") != null ? env("CARTO_SQL") : "SELECT 1 AS ok";
    try (CartoClient carto = client.build()) {
      SqlResult result = carto.sql(connection).query(sql);
      System.out.println("CARTO answered " + result.rowCount() + " row(s) at " + carto.baseUrl());
      // A token prints as its fingerprint, account, token id and version: never its value.
      System.out.println("token: " + carto.tokenProvider().currentToken());
    }
  }

  private static void againstStandIns() {
    try (FakeCartoServer cartoServer = FakeCartoServer.start(); FakeSecretsManager aws = FakeSecretsManager.start()) {
      String first = cartoServer.mintToken();
      aws.createSecret("prod/carto", "{\"api_token\":\"" + first + "\"}");

      // On AWS this is just .secretId("prod/carto").field("api_token"): region and credentials
      // come from the SDK's default chains. Here they point at the stand-in.
      SecretProvider source = AwsSecretsManagerProvider.builder()
          .secretId("prod/carto")
          .field("api_token")
          .endpointOverride(aws.endpoint())
          .region(aws.region())
          .credentialsProvider(StaticCredentialsProvider.create(
              AwsBasicCredentials.create(aws.accessKeyId(), aws.secretAccessKey())))
          .build();

      try (CartoClient carto = CartoClient.builder().baseUrl(cartoServer.baseUrl()).secretProvider(source).build()) {
        query(carto);
        System.out.println("token: " + carto.tokenProvider().currentToken());

        // Rotation, as a rotation function does it: the new token is staged as AWSPENDING, then
        // AWSCURRENT moves to it. Then CARTO revokes the old token at once, before the client's
        // next scheduled check: the next request gets 401, the client asks Secrets Manager (one
        // DescribeSecret, one GetSecretValue), and retries once with the new token.
        String second = cartoServer.mintToken();
        aws.rotate("prod/carto", "{\"api_token\":\"" + second + "\"}");
        cartoServer.revokeToken(first);
        System.out.println("rotated the secret and revoked the old token");

        query(carto);
        System.out.println("token: " + carto.tokenProvider().currentToken());
        System.out.println("Secrets Manager calls: GetSecretValue=" + aws.calls(Operation.GET_SECRET_VALUE)
            + ", DescribeSecret=" + aws.calls(Operation.DESCRIBE_SECRET));
      }
    }
  }

  private static void query(CartoClient carto) {
    SqlResult result = carto.sql(FakeCartoServer.DEFAULT_CONNECTION)
        .query("SELECT name, country FROM cities ORDER BY population DESC LIMIT 3");
    System.out.println("largest cities: " + result.rows());
  }

  private static String env(String name) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? null : v.trim();
  }
}
