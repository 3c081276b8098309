package io.cartosecrets.vault;

import io.cartosecrets.ConfigurationException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
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
import java.util.Locale;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The one HTTP client a provider hands the driver, and the checks on the address it talks to. The
 * driver would otherwise build a new {@link HttpClient} (with its own selector thread) per request.
 */
final class VaultHttp {
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  private VaultHttp() {}

  /**
   * The address, without a trailing slash.
   *
   * @throws ConfigurationException if it is not an http(s) URL with a host, carries credentials, or
   *     is plain http to a host that is not this machine (the Vault token would cross the network
   *     in clear) and {@code allowPlainHttp} is off
   */
  static URI checkAddress(String address, boolean allowPlainHttp) {
    URI uri;
    try {
      uri = new URI(address.trim());
    } catch (URISyntaxException e) {
      throw new ConfigurationException("the Vault address is not a valid URL (" + e.getReason() + ")");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
      throw new ConfigurationException(
          "the Vault address must be an http or https URL such as https://vault.example.com:8200");
    }
    if (uri.getRawUserInfo() != null) {
      throw new ConfigurationException(
          "the Vault address must not carry credentials; authenticate with VaultAuth instead");
    }
    if (scheme.equals("http") && !allowPlainHttp && !isLoopback(uri.getHost())) {
      throw new ConfigurationException(
          "the Vault address " + scheme + "://" + uri.getHost() + " is plain http to another host, which"
              + " would send the Vault token in clear; use https (plain http is accepted for loopback"
              + " addresses such as a local Vault Agent)");
    }
    String s = uri.toString();
    while (s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    return URI.create(s);
  }

  /** Whether {@code host} is {@code localhost} or a loopback IP literal; never resolves a name. */
  static boolean isLoopback(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.equals("localhost")) {
      return true;
    }
    if (!IPV4.matcher(h).matches() && !h.contains(":")) {
      return false;
    }
    try {
      return InetAddress.getByName(h).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
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
