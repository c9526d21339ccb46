package dev.ratecache.cache;

/**
 * The envelope of an entry stored with a stale window (stale-while-revalidate, stale-if-error,
 * RFC 5861): {@code {"@ratecache.fresh":<fresh until, epoch ms>,"at":<stored at, epoch ms>,
 * "v":<the value's JSON>}}. The entry lives in the store for its TTL plus the window; it is fresh
 * until {@code fresh}, then stale: servable while a refresh runs, or when the load fails, up to
 * the window. An entry without the envelope (written with no window, or by an earlier version) is
 * fresh for as long as it is stored. Invalidation removes an entry, stale or not (a tombstone or a
 * namespace generation), so nothing invalidated is ever served stale.
 *
 * @param json the value's JSON
 * @param freshUntil epoch ms until which it is fresh ({@link Long#MAX_VALUE} for no envelope)
 * @param storedAt epoch ms when it was stored (0 when unknown)
 */
record Freshness(String json, long freshUntil, long storedAt) {
  static final String MARKER = "{\"@ratecache.fresh\":";
  private static final String AT = ",\"at\":";
  private static final String VALUE = ",\"v\":";

  /** {@code json} in the envelope: fresh until {@code freshUntil}, stored at {@code now}. */
  static String wrap(String json, long freshUntil, long now) {
    return MARKER + freshUntil + AT + now + VALUE + json + "}";
  }

  /**
   * What {@code stored} holds: its value with when it stops being fresh; {@code null} for
   * {@code null}. A value without a well-formed envelope is taken as it is, always fresh.
   */
  static Freshness of(String stored) {
    if (stored == null) {
      return null;
    }
    if (!stored.startsWith(MARKER)) {
      return new Freshness(stored, Long.MAX_VALUE, 0);
    }
    int at = stored.indexOf(AT, MARKER.length());
    int value = at < 0 ? -1 : stored.indexOf(VALUE, at + AT.length());
    if (value < 0 || !stored.endsWith("}")) {
      return new Freshness(stored, Long.MAX_VALUE, 0);
    }
    try {
      long fresh = Long.parseLong(stored, MARKER.length(), at, 10);
      long storedAt = Long.parseLong(stored, at + AT.length(), value, 10);
      return new Freshness(stored.substring(value + VALUE.length(), stored.length() - 1), fresh,
          storedAt);
    } catch (NumberFormatException e) {
      return new Freshness(stored, Long.MAX_VALUE, 0);
    }
  }

  /**
   * The envelope's header up to the value ({@code {"@ratecache.fresh":F,"at":A,"v":}), or
   * {@code ""} without one: what a refresh's conditional write expects still to find, so that a
   * slow refresh never replaces a newer one's value (each stores its own {@code at}).
   */
  static String header(String stored) {
    if (stored == null || !stored.startsWith(MARKER)) {
      return "";
    }
    int at = stored.indexOf(AT, MARKER.length());
    int value = at < 0 ? -1 : stored.indexOf(VALUE, at + AT.length());
    return value < 0 ? "" : stored.substring(0, value + VALUE.length());
  }

  /** Fresh at {@code now} (epoch ms). */
  boolean freshAt(long now) {
    return now < freshUntil;
  }

  /** Still servable stale at {@code now} within a window of {@code windowMillis} past fresh. */
  boolean servableAt(long now, long windowMillis) {
    return freshAt(now) || windowMillis > 0 && now - freshUntil < windowMillis;
  }

  /** Seconds since it was stored (the {@code Age} header), 0 when unknown or in the future. */
  long ageSeconds(long now) {
    return storedAt <= 0 || now <= storedAt ? 0 : (now - storedAt) / 1000;
  }
}
