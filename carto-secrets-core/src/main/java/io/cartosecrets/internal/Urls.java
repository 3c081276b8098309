package io.cartosecrets.internal;

import io.cartosecrets.ConfigurationException;
import java.io.IOException;
import java.net.InetAddress;
import okhttp3.HttpUrl;

/** Checks for URLs that a secret will be sent to. */
public final class Urls {
  private Urls() {}

  /**
   * Parses {@code url} and checks that a secret may be sent there: https, or http to a loopback
   * address; no user info, query or fragment.
   *
   * @throws ConfigurationException saying what is wrong, never echoing user info
   */
  public static HttpUrl requireSecure(String url, String what) {
    HttpUrl parsed = HttpUrl.parse(url.trim());
    if (parsed == null) {
      throw new ConfigurationException(what + " is not an http(s) URL");
    }
    if (parsed.querySize() > 0 || parsed.fragment() != null || !parsed.username().isEmpty() || !parsed.password().isEmpty()) {
      // Credentials or parameters in such a URL would ride along on every request and into logs.
      throw new ConfigurationException(what + " must not carry a query, fragment or user info (host " + parsed.host()
          + "); keep credentials in a secret store");
    }
    if (!parsed.isHttps() && !isLoopback(parsed.host())) {
      throw new ConfigurationException(what + " must use https: plain http to " + parsed.host()
          + " would send credentials in clear text (http is allowed only for loopback addresses)");
    }
    return parsed;
  }

  /** Literal loopback addresses and {@code localhost}; never resolves a name through DNS. */
  public static boolean isLoopback(String host) {
    if (host.equalsIgnoreCase("localhost")) {
      return true;
    }
    if (!host.matches("[0-9.]+") && !host.contains(":")) {
      return false;
    }
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (IOException e) {
      return false;
    }
  }
}
