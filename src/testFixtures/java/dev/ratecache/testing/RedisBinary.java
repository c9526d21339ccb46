package dev.ratecache.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Finds a {@code redis-server} executable for tests: {@code $REDIS_SERVER_BIN}, then
 * {@code redis-server} on {@code PATH}, then the static binary shipped in the test-scoped
 * {@code org.signal:embedded-redis} artifact (Redis 7.0 for Linux and macOS), extracted once per
 * JVM.
 */
final class RedisBinary {
  private static Path cached;

  private RedisBinary() {}

  /**
   * The path of a runnable {@code redis-server}.
   *
   * @throws IllegalStateException with instructions if none can be found
   */
  static synchronized Path path() {
    if (cached == null) {
      cached = locate();
    }
    return cached;
  }

  private static Path locate() {
    String override = System.getenv("REDIS_SERVER_BIN");
    if (override != null && !override.isBlank()) {
      Path p = Path.of(override);
      if (Files.isExecutable(p)) {
        return p;
      }
      throw new IllegalStateException("REDIS_SERVER_BIN=" + override + " is not executable");
    }
    String pathVar = System.getenv().getOrDefault("PATH", "");
    for (String dir : pathVar.split(java.io.File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, "redis-server");
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    String resource = embeddedResourceName();
    try (InputStream in = RedisBinary.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("No redis-server found: install it (Debian: apt-get"
            + " install redis-server), put it on PATH or set REDIS_SERVER_BIN; the embedded"
            + " binary " + resource + " is not on the test classpath");
      }
      Path dir = Files.createTempDirectory("ratecache-redis-bin");
      Path target = dir.resolve("redis-server");
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
      if (!target.toFile().setExecutable(true)) {
        throw new IllegalStateException("Cannot make " + target + " executable");
      }
      target.toFile().deleteOnExit();
      dir.toFile().deleteOnExit();
      return target;
    } catch (IOException e) {
      throw new IllegalStateException("Cannot extract the embedded redis-server", e);
    }
  }

  private static String embeddedResourceName() {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
    String osPart = os.contains("mac") ? "darwin" : "linux";
    String archPart = arch.contains("aarch64") || arch.contains("arm64") ? "arm64" : "amd64";
    return "redis-server-7.0.15-" + osPart + "-" + archPart;
  }
}
