package dev.ratecache.cache;

import java.util.Locale;

/**
 * Prints the size and time trade of {@link Compression} (codec, Base64 and all) on a 200 KB chat
 * history and on responses of the demo's sizes, for docs/caching.md. Run: {@code mvn -q
 * test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.ratecache.cache.CompressionFigures}.
 */
public final class CompressionFigures {
  private CompressionFigures() {}

  static String history(int bytes) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; b.length() < bytes; i++) {
      b.append(i == 0 ? "" : ",").append("{\"id\":").append(i).append(",\"chatId\":1,\"author\":")
          .append("\"user").append(i % 11).append("\",\"body\":\"message ")
          .append(i * 7919 % 100_000).append(" about the release\",\"createdAt\":")
          .append("\"2026-12-08T01:").append(10 + i % 50).append(":00Z\"}");
    }
    return b.append(']').toString();
  }

  public static void main(String[] args) {
    Compression c = new Compression(4096);
    System.out.println("LZ4 implementation: " + Compression.implementation());
    for (int size : new int[] {1_000, 4_096, 20_000, 200_000}) {
      String value = history(size);
      String packed = c.pack(value);
      int n = size >= 100_000 ? 2_000 : 20_000;
      for (int i = 0; i < n; i++) {
        Compression.unpack(c.pack(value));
      }
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        packed = c.pack(value);
      }
      long t1 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        Compression.unpack(packed);
      }
      long t2 = System.nanoTime();
      System.out.printf(Locale.ROOT, "%,9d chars -> %,9d stored (%.2f)  write %7.1f us  read %7.1f"
          + " us%n", value.length(), packed.length(), (double) packed.length() / value.length(),
          (t1 - t0) / 1e3 / n, (t2 - t1) / 1e3 / n);
    }
  }
}
