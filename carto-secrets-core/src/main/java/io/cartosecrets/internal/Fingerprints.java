package io.cartosecrets.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256 based fingerprints: a safe way to name a secret in logs and messages. */
public final class Fingerprints {
  /** 12 hex characters (48 bits): enough to tell tokens apart, far too little to recover one. */
  public static final int LENGTH = 12;

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private Fingerprints() {}

  public static byte[] sha256(byte[] value) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(value);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  public static byte[] sha256(String value) {
    return sha256(value.getBytes(StandardCharsets.UTF_8));
  }

  /** The first {@link #LENGTH} hex characters of the SHA-256 of the digest's input. */
  public static String of(byte[] digest) {
    char[] out = new char[LENGTH];
    for (int i = 0; i < LENGTH / 2; i++) {
      out[2 * i] = HEX[(digest[i] >> 4) & 0xf];
      out[2 * i + 1] = HEX[digest[i] & 0xf];
    }
    return new String(out);
  }

  public static String of(String value) {
    return of(sha256(value));
  }
}
