package io.cartosecrets.vault;

import io.cartosecrets.ConfigurationException;
import io.cartosecrets.internal.Urls;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import okhttp3.HttpUrl;

/**
 * The one HTTP client a provider hands the driver, and the checks on the address it talks to. The
 * driver would otherwise build a new {@link HttpClient} (with its own selector thread) per request.
 */
final class VaultHttp {
  private VaultHttp() {}

  /**
   * The address, without a trailing slash.
   *
   * @throws ConfigurationException if it is not an http(s) URL, carries credentials, a query or a
   *     fragment, or is plain http to a host that is not this machine (the Vault token would cross
   *     the network in clear) and {@code allowPlainHttp} is off
   */
  static URI checkAddress(String address, boolean allowPlainHttp) {
    String checked;
    if (allowPlainHttp) {
      HttpUrl url = HttpUrl.parse(address.trim());
      if (url == null) {
        throw new ConfigurationException("the Vault address is not an http(s) URL");
      }
      if (!url.username().isEmpty() || !url.password().isEmpty() || url.querySize() > 0 || url.fragment() != null) {
        throw new ConfigurationException("the Vault address must not carry a query, fragment or user info (host "
            + url.host() + "); authenticate with VaultAuth instead");
      }
      checked = url.toString();
    } else {
      checked = Urls.requireSecure(address, "the Vault address").toString();
    }
    while (checked.endsWith("/")) {
      checked = checked.substring(0, checked.length() - 1);
    }
    return URI.create(checked);
  }

  /** Whether {@code host} is {@code localhost} or a loopback IP literal; never resolves a name. */
  static boolean isLoopback(String host) {
    String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    return Urls.isLoopback(h);
  }

  static HttpClient client(URI address, Path caCertificate, boolean skipVerification, Duration connectTimeout) {
    HttpClient.Builder b =
        HttpClient.newBuilder()
            // As the driver does: Vault Agent cannot proxy h2c requests to an https Vault.
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(connectTimeout);
    if (skipVerification) {
      if (!isLoopback(address.getHost())) {
        throw new ConfigurationException(
            "TLS verification can be skipped only for a loopback Vault address, not "
                + address.getHost() + "; give the CA certificate instead");
      }
      b.sslContext(trustEverything());
    } else if (caCertificate != null) {
      b.sslContext(trusting(caCertificate));
    }
    return b.build();
  }

  private static SSLContext trusting(Path pem) {
    try (InputStream in = Files.newInputStream(pem)) {
      Collection<? extends Certificate> certs =
          CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certs.isEmpty()) {
        throw new ConfigurationException("the Vault CA file " + pem + " holds no PEM certificate");
      }
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(null, null);
      int i = 0;
      for (Certificate c : certs) {
        ks.setCertificateEntry("vault-ca-" + i++, c);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (IOException e) {
      throw new ConfigurationException(
          "the Vault CA file " + pem + " cannot be read (" + e.getClass().getSimpleName() + ")");
    } catch (GeneralSecurityException e) {
      throw new ConfigurationException(
          "the Vault CA file " + pem + " is not a PEM certificate bundle (" + e.getClass().getSimpleName() + ")");
    }
  }

  private static SSLContext trustEverything() {
    // An X509ExtendedTrustManager that accepts everything also skips the host name check, which
    // the JDK performs inside the trust manager: the point of the option for a loopback dev Vault.
    TrustManager all =
        new X509ExtendedTrustManager() {
          @Override
          public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

          @Override
          public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

          @Override
          public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

          @Override
          public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

          @Override
          public void checkClientTrusted(X509Certificate[] chain, String authType) {}

          @Override
          public void checkServerTrusted(X509Certificate[] chain, String authType) {}

          @Override
          public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
          }
        };
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {all}, null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("TLS is required by every Java platform", e);
    }
  }
}
