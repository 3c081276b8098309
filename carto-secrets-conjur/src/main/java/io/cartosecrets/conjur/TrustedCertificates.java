package io.cartosecrets.conjur;

import io.cartosecrets.ConfigurationException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.OkHttpClient;

/**
 * Trust for a Conjur appliance with its own CA ({@code CONJUR_CERT_FILE}): only the certificates in
 * the PEM file are trusted, as the Conjur SDK and CLI do. Host names are still verified.
 */
final class TrustedCertificates {
  private TrustedCertificates() {}

  /**
   * Makes {@code builder} trust only the certificates in {@code pemFile}.
   *
   * @throws ConfigurationException if the file is missing, unreadable or holds no certificate
   */
  static void apply(OkHttpClient.Builder builder, Path pemFile) {
    Collection<? extends Certificate> certificates;
    try (InputStream in = Files.newInputStream(pemFile)) {
      certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
    } catch (NoSuchFileException e) {
      throw new ConfigurationException("the Conjur certificate file " + pemFile + " does not exist");
    } catch (IOException e) {
      throw new ConfigurationException(
          "the Conjur certificate file " + pemFile + " cannot be read (" + e.getClass().getSimpleName() + ")");
    } catch (GeneralSecurityException e) {
      throw new ConfigurationException(
          "the Conjur certificate file " + pemFile + " does not hold PEM certificates (" + e.getClass().getSimpleName() + ")");
    }
    if (certificates.isEmpty()) {
      throw new ConfigurationException("the Conjur certificate file " + pemFile + " holds no certificate");
    }
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate c : certificates) {
        store.setCertificateEntry("conjur-" + i++, c);
      }
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      X509TrustManager trust = null;
      for (TrustManager tm : factory.getTrustManagers()) {
        if (tm instanceof X509TrustManager) {
          trust = (X509TrustManager) tm;
        }
      }
      if (trust == null) {
        throw new ConfigurationException("this JVM offers no X.509 trust manager");
      }
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, new TrustManager[] {trust}, null);
      builder.sslSocketFactory(tls.getSocketFactory(), trust);
    } catch (GeneralSecurityException | IOException e) {
      throw new ConfigurationException(
          "cannot set up TLS with the Conjur certificate file " + pemFile + " (" + e.getClass().getSimpleName() + ")", e);
    }
  }
}
