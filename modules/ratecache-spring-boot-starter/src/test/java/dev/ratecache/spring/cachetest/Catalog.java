package dev.ratecache.spring.cachetest;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.cache.annotation.CacheEvict;
import org.springframework.cache.annotation.CachePut;
import org.springframework.cache.annotation.Cacheable;

/** A service whose methods use Spring's cache annotations, counting the loads they make. */
public class Catalog {
  /** A cached value type of the application's. */
  public record User(String id, String name, Instant since, Tier tier) {}

  /** An enum, some of whose constants have bodies. */
  public enum Tier {
    FREE,
    PRO {
      @Override
      public String toString() {
        return "pro";
      }
    }
  }

  private final AtomicInteger loads = new AtomicInteger();
  /** Held by a sync load until released. */
  private volatile CountDownLatch release = new CountDownLatch(0);

  /** Loads made (a method: the field of a class proxy is not the target's). */
  public int loads() {
    return loads.get();
  }

  /** Sync loads wait for {@code latch}. */
  public void holdLoadsUntil(CountDownLatch latch) {
    this.release = latch;
  }

  public static User user(String id) {
    return new User(id, "User " + id, Instant.parse("2026-01-02T03:04:05Z"),
        id.hashCode() % 2 == 0 ? Tier.FREE : Tier.PRO);
  }

  @Cacheable("users")
  public User find(String id) {
    loads.incrementAndGet();
    return id.equals("none") ? null : user(id);
  }

  @Cacheable(cacheNames = "users", sync = true)
  public User findSync(String id) throws InterruptedException {
    loads.incrementAndGet();
    if (!release.await(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("not released");
    }
    return user(id);
  }

  @Cacheable(cacheNames = "users", sync = true)
  public User failing(String id) throws java.io.IOException {
    loads.incrementAndGet();
    throw new java.io.IOException("database down");
  }

  @CachePut(cacheNames = "users", key = "#p0.id")
  public Object save(User user) {
    return user;
  }

  /** Puts what the caller gives under the user's key: for values the cache cannot store. */
  @CachePut(cacheNames = "users", key = "#p0")
  public Object saveRaw(String id, Object value) {
    return value;
  }

  @CacheEvict("users")
  public void evict(String id) {}

  @CacheEvict(cacheNames = "users", allEntries = true)
  public void evictAll() {}

  @Cacheable("lists")
  public List<User> group(String name) {
    loads.incrementAndGet();
    List<User> out = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      out.add(user(name + i));
    }
    return List.copyOf(out);
  }

  @Cacheable("maps")
  public Map<String, Instant> seen(String name) {
    loads.incrementAndGet();
    Map<String, Instant> out = new TreeMap<>();
    out.put(name, Instant.parse("2026-03-04T05:06:07Z"));
    return out;
  }

  @Cacheable("pairs")
  public String pair(String a, String b) {
    loads.incrementAndGet();
    return a + "|" + b;
  }

  @Cacheable("mixed")
  public List<Object> mixed(String name) {
    loads.incrementAndGet();
    return List.of(name, 1);
  }
}
