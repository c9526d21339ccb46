package dev.ratecache.redis;

import dev.ratecache.ConfigurationException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A parsed {@code redis://[user[:password]@]host[:port][/db]} or {@code rediss://} (TLS) URL.
 * Pure; errors name the setting the URL came from and never print its password.
 *
 * @param hasUserInfo whether the URL carries credentials (then they replace any set before)
 * @param database the database in the path, or {@code null} if the URL has none
 */
record RedisUrl(boolean tls, String host, int port, boolean hasUserInfo, String username,
    String password, Integer database) {

  static RedisUrl parse(String url, String settingName) {
    URI uri;
    try {
      uri = new URI(url.trim());
    } catch (URISyntaxException e) {
      throw new ConfigurationException(settingName, "is not a valid URL: " + e.getMessage(), e);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("redis") && !scheme.equals("rediss")) {
      throw new ConfigurationException(settingName,
          "unknown scheme '" + uri.getScheme() + "'; expected redis:// or rediss://");
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      throw new ConfigurationException(settingName, "has no host: '" + redact(url) + "'");
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = uri.getPort() == -1 ? RedisSettings.DEFAULT_PORT : uri.getPort();
    RedisSettings.checkPort(settingName, port);
    String username = null;
    String password = null;
    String userInfo = uri.getRawUserInfo();
    boolean hasUserInfo = userInfo != null && !userInfo.isEmpty();
    if (hasUserInfo) {
      int colon = userInfo.indexOf(':');
      if (colon < 0) {
        // redis://secret@host is the common form for a password with the default user.
        password = decode(userInfo);
      } else {
        String user = userInfo.substring(0, colon);
        String pass = userInfo.substring(colon + 1);
        username = user.isEmpty() ? null : decode(user);
        password = pass.isEmpty() ? null : decode(pass);
      }
    }
    Integer database = null;
    String path = uri.getPath();
    if (path != null && path.length() > 1) {
      String db = path.substring(1);
      if (db.endsWith("/")) {
        db = db.substring(0, db.length() - 1);
      }
      try {
        database = Integer.parseInt(db);
      } catch (NumberFormatException e) {
        throw new ConfigurationException(settingName,
            "database in the path must be a whole number, got '" + db + "'", e);
      }
    }
    return new RedisUrl(scheme.equals("rediss"), host, port, hasUserInfo, username, password,
        database);
  }

  /** Removes credentials from a URL for error messages. */
  static String redact(String url) {
    int at = url.indexOf('@');
    int scheme = url.indexOf("://");
    if (at > 0 && scheme > 0 && at > scheme) {
      return url.substring(0, scheme + 3) + "***" + url.substring(at);
    }
    return url;
  }

  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "RedisUrl{" + (tls ? "rediss" : "redis") + "://" + host + ":" + port + "}";
  }
}
