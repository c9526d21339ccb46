package dev.ratecache.redis;

import dev.ratecache.redis.Invalidation.Generation;
import dev.ratecache.redis.Invalidation.Key;
import dev.ratecache.redis.Invalidation.Keys;
import dev.ratecache.redis.Invalidation.Pattern;
import dev.ratecache.redis.Invalidation.Tag;
import java.util.Arrays;

/**
 * The wire form of an {@link Invalidation}: {@code sender \n kind \n argument}, where kind is
 * {@code key}, {@code keys} (one key per line), {@code pattern}, {@code tag} or {@code generation}
 * (namespace, line break, number). A message of a kind this version does not know (a newer
 * instance) decodes to {@code null} and is ignored.
 */
final class EventCodec {
  static final String KEY = "key";
  static final String KEYS = "keys";
  static final String PATTERN = "pattern";
  static final String GENERATION = "generation";
  static final String TAG = "tag";

  private EventCodec() {}

  static String kind(Invalidation event) {
    if (event instanceof Key) {
      return KEY;
    } else if (event instanceof Keys) {
      return KEYS;
    } else if (event instanceof Pattern) {
      return PATTERN;
    } else if (event instanceof Tag) {
      return TAG;
    }
    return GENERATION;
  }

  static String argument(Invalidation event) {
    if (event instanceof Key k) {
      return k.key();
    } else if (event instanceof Keys ks) {
      return String.join("\n", ks.keys());
    } else if (event instanceof Pattern p) {
      return p.pattern();
    } else if (event instanceof Tag t) {
      return t.tag();
    }
    Generation g = (Generation) event;
    return g.namespace() + "\n" + g.generation();
  }

  static String encode(String sender, Invalidation event) {
    return sender + '\n' + kind(event) + '\n' + argument(event);
  }

  /** The event in {@code message}, or {@code null} if it is malformed or of an unknown kind. */
  static Invalidation decode(String kind, String argument) {
    switch (kind) {
      case KEY:
        return new Key(argument);
      case KEYS:
        return new Keys(Arrays.asList(argument.split("\n")));
      case PATTERN:
        return new Pattern(argument);
      case TAG:
        return new Tag(argument);
      case GENERATION:
        int nl = argument.lastIndexOf('\n');
        if (nl < 0) {
          return null;
        }
        try {
          return new Generation(argument.substring(0, nl),
              Long.parseLong(argument.substring(nl + 1)));
        } catch (NumberFormatException e) {
          return null;
        }
      default:
        return null;
    }
  }
}
