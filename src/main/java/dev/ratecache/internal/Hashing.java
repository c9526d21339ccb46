package dev.ratecache.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;

/** SHA-256, base64url without padding: for keys that must not reveal or echo client input. */
public final class Hashing {
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  });

  private Hashing() {}

  /** The whole SHA-256 of {@code bytes} (43 characters). */
  public static String sha256(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(SHA256.get().digest(bytes));
  }

  /**
   * The first 128 bits of SHA-256 of {@code value}'s UTF-8 (22 characters): short, and
   * collisions are not a practical concern.
   */
  public static String sha256Short(String value) {
    byte[] digest = SHA256.get().digest(value.getBytes(StandardCharsets.UTF_8));
    return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(digest, 16));
  }
}
