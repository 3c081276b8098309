package io.cartosecrets.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The module brings the AWS SDK's URL-connection HTTP client only: no Netty, no Apache client. */
class AwsClasspathTest {
  @ParameterizedTest
  @ValueSource(strings = {
      "io.netty.channel.Channel",
      "software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient",
      "software.amazon.awssdk.http.apache.ApacheHttpClient",
      "org.apache.http.client.HttpClient",
      "software.amazon.awssdk.http.crt.AwsCrtHttpClient"})
  void heavyHttpStacks_areNotOnTheClassPath(String className) {
    assertThatThrownBy(() -> Class.forName(className)).isInstanceOf(ClassNotFoundException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient"})
  void theUrlConnectionClient_isTheOneHttpClient(String className) throws ClassNotFoundException {
    assertThat(Class.forName(className)).isNotNull();
  }
}
