package dev.ratecache.ratelimit;

import dev.ratecache.ConfigurationException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * IP literals and CIDR blocks, parsed without ever asking DNS: only strict dotted-quad IPv4 and
 * colon-hex IPv6 text is accepted. Pure and thread-safe.
 */
final class IpAddress {
  private IpAddress() {}

  /**
   * Parses an IP literal, or returns {@code null} if {@code text} is not one. Accepts
   * {@code [v6]}, {@code [v6]:port}, {@code v4:port} and zone ids ({@code fe80::1%eth0}); maps
   * IPv4-mapped IPv6 ({@code ::ffff:1.2.3.4}) to IPv4.
   */
  static InetAddress parse(String text) {
    if (text == null) {
      return null;
    }
    String s = text.trim();
    if (s.isEmpty() || s.length() > 64) {
      return null;
    }
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close < 0) {
        return null;
      }
      s = s.substring(1, close);
    } else if (s.indexOf(':') >= 0 && s.indexOf(':') == s.lastIndexOf(':') && s.indexOf('.') > 0) {
      s = s.substring(0, s.indexOf(':')); // v4:port
    }
    int zone = s.indexOf('%');
    if (zone >= 0) {
      s = s.substring(0, zone);
    }
    if (s.indexOf(':') >= 0) {
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
          return null;
        }
      }
      return literal(s);
    }
    return isDottedQuad(s) ? literal(s) : null;
  }

  private static boolean isDottedQuad(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3) {
        return false;
      }
      for (int i = 0; i < p.length(); i++) {
        if (p.charAt(i) < '0' || p.charAt(i) > '9') {
          return false;
        }
      }
      if (Integer.parseInt(p) > 255) {
        return false;
      }
    }
    return true;
  }

  private static InetAddress literal(String s) {
    try {
      // Safe: s is a validated literal, so no name lookup happens.
      InetAddress a = InetAddress.getByName(s);
      if (a instanceof Inet6Address v6) {
        byte[] b = v6.getAddress();
        boolean mapped = true;
        for (int i = 0; i < 10; i++) {
          mapped &= b[i] == 0;
        }
        mapped &= b[10] == (byte) 0xff && b[11] == (byte) 0xff;
        if (mapped) {
          return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
        }
      }
      return a;
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /** A CIDR block such as {@code 10.0.0.0/8}, {@code fd00::/8} or a single address. */
  record Cidr(byte[] network, int prefixLength) {
    static Cidr parse(String text, String setting) {
      String s = text.trim();
      int slash = s.indexOf('/');
      InetAddress address = IpAddress.parse(slash >= 0 ? s.substring(0, slash) : s);
      if (address == null) {
        throw new ConfigurationException(setting, "'" + text + "' is not an IP address or CIDR"
            + " block (host names are not accepted)");
      }
      int bits = address.getAddress().length * 8;
      int prefix = bits;
      if (slash >= 0) {
        try {
          prefix = Integer.parseInt(s.substring(slash + 1));
        } catch (NumberFormatException e) {
          throw new ConfigurationException(setting, "'" + text + "' has a malformed prefix length");
        }
        if (prefix < 0 || prefix > bits) {
          throw new ConfigurationException(setting, "'" + text + "' prefix length must be 0-"
              + bits);
        }
      }
      return new Cidr(mask(address.getAddress(), prefix), prefix);
    }

    boolean contains(InetAddress address) {
      byte[] a = address.getAddress();
      return a.length == network.length
          && java.util.Arrays.equals(mask(a, prefixLength), network);
    }
  }

  /** {@code address} with every bit after the first {@code prefix} cleared. */
  static byte[] mask(byte[] address, int prefix) {
    byte[] out = address.clone();
    for (int i = 0; i < out.length; i++) {
      int keep = Math.max(0, Math.min(8, prefix - i * 8));
      out[i] = (byte) (out[i] & (0xff << (8 - keep)));
    }
    return out;
  }

  /** The text of {@code address}, IPv6 reduced to its first {@code v6Prefix} bits. */
  static String group(InetAddress address, int v6Prefix) {
    if (address instanceof Inet4Address) {
      return address.getHostAddress();
    }
    try {
      byte[] masked = mask(address.getAddress(), v6Prefix);
      return InetAddress.getByAddress(masked).getHostAddress() + "/" + v6Prefix;
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e); // 16 bytes are always a valid address
    }
  }
}
