package dev.ratecache.spring.gadget;

/**
 * A class outside the packages allowed for caching: an entry naming it must never make the cache
 * load it (its static initializer records that it ran).
 */
public class Gadget {
  static {
    System.setProperty("ratecache.test.gadget.loaded", "true");
  }

  public String name;
}
