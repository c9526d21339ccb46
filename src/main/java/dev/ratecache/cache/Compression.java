package dev.ratecache.cache;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * Large values in Redis, compressed with LZ4. A value whose text is at least the threshold is
 * stored as {@code \u0001L<its UTF-8 length>:<Base64 of the LZ4 block>} when that is shorter:
 * the first character, never the first of JSON, is the codec mark, the second names the codec, so
 * plain and compressed entries (and a later codec) coexist in one keyspace and every instance
 * reads both. Only the value is compressed: the envelopes around it (the namespace stamp, the
 * tags' versions, a stale window's header) stay as they are, so conditional writes still compare
 * them in Redis. Base64 keeps values valid UTF-8 for Jedis's text commands; it costs a third of
 * the compressed size, far less than JSON's own redundancy ({@code docs/caching.md} has the
 * figures). A value that cannot be read back (an unknown codec, a damaged block, a length over
 * {@link #MAX_EXPANDED}) reads as a miss, and a load replaces it. Thread-safe.
 */
final class Compression {
  /** First character of a compressed value: a control character no JSON text starts with. */
  static final char MARK = '\u0001';
  /** The LZ4 block codec. */
  static final char LZ4 = 'L';
  /** The largest value a stored block may expand to (a damaged length cannot exhaust memory). */
  static final int MAX_EXPANDED = 256 * 1024 * 1024;

  /** Compression off: values are stored as they are (compressed ones are still read). */
  static final Compression OFF = new Compression(0);

  private static final LZ4Factory FACTORY = factory();
  private static final LZ4Compressor COMPRESSOR = FACTORY.fastCompressor();
  private static final LZ4SafeDecompressor DECOMPRESSOR = FACTORY.safeDecompressor();

  private final int minBytes;

  /**
   * lz4-java's native code where the JVM allows it without a warning (Java 17 to 21, or a later
   * Java started with {@code --enable-native-access}), else its pure-Java code: 3 to 7 times
   * slower on a 200 KB value, and no native library loaded, extracted or warned about.
   */
  private static LZ4Factory factory() {
    try {
      Object enabled = Module.class.getMethod("isNativeAccessEnabled")
          .invoke(LZ4Factory.class.getModule());
      if (!Boolean.TRUE.equals(enabled)) {
        return LZ4Factory.safeInstance();
      }
    } catch (NoSuchMethodException e) {
      // Before Java 22: loading a native library warns about nothing.
    } catch (ReflectiveOperationException | RuntimeException e) {
      return LZ4Factory.safeInstance();
    }
    return LZ4Factory.fastestInstance(); // falls back to Java code if the library cannot load
  }

  /** Which implementation compresses here (for the benchmark and the log). */
  static String implementation() {
    return COMPRESSOR.toString();
  }

  /** @param minBytes the shortest value compressed, in UTF-8 bytes; 0 for none */
  Compression(int minBytes) {
    this.minBytes = minBytes;
  }

  /** The shortest value compressed, in bytes (0: compression off). */
  int minBytes() {
    return minBytes;
  }

  /**
   * What to store for {@code value} (its JSON, or the JSON in a stale window's envelope): its
   * value compressed if at least the threshold and smaller so, else {@code value} itself.
   */
  String pack(String value) {
    if (minBytes <= 0 || value.length() < minBytes / 3) { // a char is 1 to 3 UTF-8 bytes
      return value;
    }
    String header = Freshness.header(value);
    String body = header.isEmpty() ? value : value.substring(header.length(), value.length() - 1);
    if (body.isEmpty() || body.charAt(0) == MARK) {
      return value;
    }
    byte[] raw = body.getBytes(StandardCharsets.UTF_8);
    if (raw.length < minBytes) {
      return value;
    }
    byte[] block = COMPRESSOR.compress(raw);
    // The Base64 text is 4/3 of the block; keep the plain value unless that saves something.
    if (4L * ((block.length + 2) / 3) + 12 >= body.length()) {
      return value;
    }
    String packed = MARK + String.valueOf(LZ4) + raw.length + ':'
        + Base64.getEncoder().withoutPadding().encodeToString(block);
    return header.isEmpty() ? packed : header + packed + "}";
  }

  /**
   * The value as written, from what {@link #pack} stored (a plain value is returned as it is);
   * {@code null} if it cannot be read back.
   */
  static String unpack(String stored) {
    if (stored == null) {
      return null;
    }
    String header = Freshness.header(stored);
    int start = header.length();
    if (stored.length() <= start || stored.charAt(start) != MARK) {
      return stored;
    }
    int end = header.isEmpty() ? stored.length() : stored.length() - 1;
    String body = expand(stored, start, end);
    if (body == null) {
      return null;
    }
    return header.isEmpty() ? body : header + body + "}";
  }

  private static String expand(String s, int start, int end) {
    if (end - start < 3 || s.charAt(start + 1) != LZ4) {
      return null; // a codec this version does not know
    }
    int colon = s.indexOf(':', start + 2);
    if (colon < 0 || colon >= end || colon - (start + 2) > 10) {
      return null;
    }
    try {
      int length = Integer.parseInt(s, start + 2, colon, 10);
      if (length < 0 || length > MAX_EXPANDED) {
        return null;
      }
      byte[] block = Base64.getDecoder().decode(s.substring(colon + 1, end));
      byte[] out = new byte[length];
      int n = DECOMPRESSOR.decompress(block, 0, block.length, out, 0, length);
      return n == length ? new String(out, StandardCharsets.UTF_8) : null;
    } catch (IllegalArgumentException | LZ4Exception e) {
      return null; // NumberFormatException is an IllegalArgumentException, as Base64's errors
    }
  }
}
