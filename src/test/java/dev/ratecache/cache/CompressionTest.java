package dev.ratecache.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The stored form of large values: round trips, thresholds, damage read as a miss. */
class CompressionTest {
  private final Compression on = new Compression(1024);

  private static String json(int rows) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < rows; i++) {
      b.append(i == 0 ? "" : ",").append("{\"id\":").append(i)
          .append(",\"name\":\"Zoë ").append(i).append(" — 名前\",\"active\":true}");
    }
    return b.append(']').toString();
  }

  @Test
  void aLargeValueIsStoredSmallerWithTheCodecMarkAndReadBackExactly() {
    String value = json(500);
    String packed = on.pack(value);
    assertThat(packed.charAt(0)).isEqualTo(Compression.MARK);
    assertThat(packed.charAt(1)).isEqualTo(Compression.LZ4);
    assertThat(packed.length()).isLessThan(value.length() / 3);
    assertThat(Compression.unpack(packed)).isEqualTo(value);
  }

  @Test
  void aStaleWindowsHeaderStaysInClearAroundTheCompressedValue() {
    String value = Freshness.wrap(json(500), 1_000, 500);
    String packed = on.pack(value);
    assertThat(Freshness.header(packed)).isEqualTo(Freshness.header(value)).isNotEmpty();
    assertThat(packed.charAt(Freshness.header(value).length())).isEqualTo(Compression.MARK);
    assertThat(Compression.unpack(packed)).isEqualTo(value);
    assertThat(Freshness.of(Compression.unpack(packed)).freshUntil()).isEqualTo(1_000);
  }

  @Test
  void smallOrIncompressibleValuesAndCompressionOffAreStoredAsTheyAre() {
    assertThat(on.pack(json(3))).isEqualTo(json(3));
    StringBuilder noise = new StringBuilder("\"");
    java.util.Random r = new java.util.Random(7);
    byte[] bytes = new byte[3000];
    r.nextBytes(bytes);
    noise.append(Base64.getEncoder().encodeToString(bytes)).append('"');
    assertThat(on.pack(noise.toString())).isEqualTo(noise.toString());
    assertThat(Compression.OFF.pack(json(500))).isEqualTo(json(500));
    // Plain values, whatever this instance's setting, read as they are.
    assertThat(Compression.unpack(json(500))).isEqualTo(json(500));
    assertThat(Compression.unpack("")).isEmpty();
  }

  @Test
  void aDamagedOrUnknownValueReadsAsAMissNotAnError() {
    String packed = on.pack(json(500));
    int colon = packed.indexOf(':');
    assertThat(Compression.unpack(packed.substring(0, packed.length() - 40))).isNull();
    assertThat(Compression.unpack(packed.substring(0, 2) + "9" + packed.substring(2))).isNull();
    assertThat(Compression.unpack(packed.substring(0, colon + 1) + "!!" + packed.substring(colon + 1)))
        .isNull();
    assertThat(Compression.unpack(Compression.MARK + "Z12:abc")).isNull(); // a later codec
    assertThat(Compression.unpack(Compression.MARK + "L999999999999:abc")).isNull();
    assertThat(Compression.unpack(Compression.MARK + "L" + (Compression.MAX_EXPANDED + 1) + ":AA"))
        .isNull();
    assertThat(Compression.unpack(String.valueOf(Compression.MARK))).isNull();
  }
}
