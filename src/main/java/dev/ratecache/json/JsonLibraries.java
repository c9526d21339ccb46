package dev.ratecache.json;

import dev.ratecache.ConfigurationException;

/** Which Jackson the application has; decided once per call to {@link JsonCodec#standard()}. */
final class JsonLibraries {
  static final String JACKSON3 = "tools.jackson.databind.json.JsonMapper";
  static final String JACKSON2 = "com.fasterxml.jackson.databind.ObjectMapper";

  private JsonLibraries() {}

  /** The standard codec of the first Jackson that {@code loader} finds, Jackson 3 first. */
  static JsonCodec standard(ClassLoader loader) {
    if (present(JACKSON3, loader)) {
      return Jackson3Codec.standard();
    }
    if (present(JACKSON2, loader)) {
      return Jackson2Codec.standard();
    }
    throw new ConfigurationException("JSON codec", "no JSON library on the class path: add "
        + "tools.jackson.core:jackson-databind (Jackson 3) or "
        + "com.fasterxml.jackson.core:jackson-databind (Jackson 2), or give the cache a "
        + "JsonCodec of your own (QueryCache.builder().codec(...))");
  }

  private static boolean present(String className, ClassLoader loader) {
    try {
      Class.forName(className, false, loader);
      return true;
    } catch (ClassNotFoundException | LinkageError absent) {
      return false;
    }
  }
}
