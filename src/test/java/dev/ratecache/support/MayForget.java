package dev.ratecache.support;

import java.util.Objects;

/**
 * A read from a structure that may forget, as a Lincheck result: the remembered rejections and
 * bucket states are memories whose loss costs one Redis round trip, so "nothing remembered" is
 * always a correct answer from the real structure, while a value it returns must be exactly what
 * the sequential model holds. {@link #observed} wraps the real structure's answer, {@link
 * #expected} the model's: a real miss equals anything; anything else compares values, so a stale
 * or resurrected value is a mismatch. (Equality is therefore not transitive; {@code hashCode} is
 * constant so that it stays consistent with it.)
 */
public final class MayForget {
  private final Object value;
  private final boolean observedMiss;

  private MayForget(Object value, boolean observedMiss) {
    this.value = value;
    this.observedMiss = observedMiss;
  }

  /** What the real structure answered; {@code null} for nothing remembered. */
  public static MayForget observed(Object value) {
    return new MayForget(value, value == null);
  }

  /** What the sequential model holds; {@code null} for nothing. */
  public static MayForget expected(Object value) {
    return new MayForget(value, false);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof MayForget other)) {
      return false;
    }
    return observedMiss || other.observedMiss || Objects.equals(value, other.value);
  }

  @Override
  public int hashCode() {
    return 0;
  }

  @Override
  public String toString() {
    return observedMiss ? "forgotten" : String.valueOf(value);
  }
}
