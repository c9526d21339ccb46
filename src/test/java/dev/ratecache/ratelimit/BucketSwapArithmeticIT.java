package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.testing.RedisServer;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The swap script's exact integer arithmetic past 2^53 ({@code times}, {@code plus},
 * {@code bigDivmod} in {@code bucket-swap.lua}), run in a real Redis's Lua against Java's
 * BigInteger: the products Bucket4j forms in 64 bits, the point where Java's long overflows
 * (where Bucket4j switches to doubles) and long division by every size of divisor. The
 * differential test proves the decisions; this proves the arithmetic at its edges, which random
 * timelines rarely reach.
 */
class BucketSwapArithmeticIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);
  private static final BigInteger EXACT = BigInteger.ONE.shiftLeft(53);

  /** The script's helpers, then a loop applying them to each (a, b, e, p) in ARGV. */
  private static String harness() {
    String script = BucketSwaps.SCRIPT;
    int from = script.indexOf("-- Exact integers to 2^72");
    int to = script.indexOf("local limits = {}");
    assertThat(from).as("the helpers' first line").isPositive();
    assertThat(to).as("the line after them").isGreaterThan(from);
    return "local EXACT = 9007199254740992\n" + script.substring(from, to) + """
        exactIntegers()
        local out = {}
        for i = 1, #ARGV, 4 do
          local a, b, e, p = tonumber(ARGV[i]), tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]),
              tonumber(ARGV[i + 3])
          local l1, l2, l3 = times(a, b)
          if l1 == nil then
            out[#out + 1] = 'max'
          else
            l1, l2, l3 = plus(l1, l2, l3, e)
            if l1 == nil then
              out[#out + 1] = 'overflow'
            else
              local q, r = bigDivmod(l1, l2, l3, p)
              out[#out + 1] = string.format('%.0f %.0f', q, r)
            end
          end
        end
        return out
        """;
  }

  /** What Java's longs give: Bucket4j's cases, then quotient and remainder. */
  private static String expected(long a, long b, long e, long p) {
    BigInteger product = BigInteger.valueOf(a).multiply(BigInteger.valueOf(b));
    if (product.compareTo(LONG_MAX) >= 0) {
      return "max"; // multiplyExactOrReturnMaxValue: Long.MAX_VALUE, then doubles
    }
    BigInteger sum = product.add(BigInteger.valueOf(e));
    if (sum.compareTo(LONG_MAX) > 0) {
      return "overflow"; // the long turns negative: doubles
    }
    BigInteger[] qr = sum.divideAndRemainder(BigInteger.valueOf(p));
    return qr[0].compareTo(EXACT) < 0 ? qr[0] + " " + qr[1] : null; // q past 2^53: not used
  }

  @Test
  void productsSumsAndQuotientsPast2To53AreExact() {
    Random random = new Random(53);
    List<long[]> cases = new ArrayList<>();
    long max = Long.MAX_VALUE; // 7^2 x 73 x 127 x 337 x 92737 x 649657
    cases.add(new long[] {7L * 73 * 127 * 337, max / (7L * 73 * 127 * 337), 0, 12_345});
    cases.add(new long[] {7L * 73 * 127 * 337, max / (7L * 73 * 127 * 337) - 1, 0,
        (1 << 20) + 7});
    cases.add(new long[] {1L << 31, (1L << 32) - 1, (1L << 31) - 1, 2048}); // MAX, as a sum
    cases.add(new long[] {1L << 31, (1L << 32) - 1, 1L << 31, 2048}); // MAX + 1
    cases.add(new long[] {86_400_000_000_000L, 377, -12_345, 1_000}); // a day's wait, 377 short
    cases.add(new long[] {1_000, 86_399_999_999_999L, 86_399_999_999_999L, 86_400_000_000_000L});
    for (int i = 0; i < 3_000; i++) {
      long a = 1 + (long) (random.nextDouble() * (1L << (1 + random.nextInt(52))));
      long b = 1 + (long) (random.nextDouble() * (1L << (1 + random.nextInt(52))));
      BigInteger product = BigInteger.valueOf(a).multiply(BigInteger.valueOf(b));
      long e = 0;
      if (product.bitLength() > 52) { // as the script adds a rounding error or takes one off
        e = (long) (random.nextDouble() * (1L << (1 + random.nextInt(51))))
            * (random.nextBoolean() ? 1 : -1);
      }
      long p = 1 + (long) (random.nextDouble() * ((1L << (1 + random.nextInt(51))) - 1));
      cases.add(new long[] {a, b, e, p});
    }
    List<String> args = new ArrayList<>();
    for (long[] c : cases) {
      for (long v : c) {
        args.add(Long.toString(v));
      }
    }
    String harness = harness();
    List<?> results = redis.withClient(j -> (List<?>) j.eval(harness, List.of(), args));
    assertThat(results).hasSameSizeAs(cases);
    int past53 = 0;
    for (int i = 0; i < cases.size(); i++) {
      long[] c = cases.get(i);
      String want = expected(c[0], c[1], c[2], c[3]);
      if (want == null) {
        continue;
      }
      if (BigInteger.valueOf(c[0]).multiply(BigInteger.valueOf(c[1])).compareTo(EXACT) >= 0
          && !want.equals("max")) {
        past53++;
      }
      assertThat(results.get(i)).as("%d x %d + %d, divided by %d", c[0], c[1], c[2], c[3])
          .isEqualTo(want);
    }
    assertThat(past53).as("cases past 2^53 that stay below Long.MAX_VALUE").isGreaterThan(300);
    assertThat(new ArrayList<Object>(results.subList(0, 4))).as("Long.MAX_VALUE as a product, just below it, as a sum,"
        + " and past it").containsExactly((Object) "max", "8796034302323 147209", "4503599627370495 2047",
            "overflow");
  }
}
