package dev.ratecache.cache;

import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ContainerRequestContext;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * The values a resource method will receive for its {@code @PathParam} and {@code @QueryParam}
 * parameters, as text, for rendering cache keys: a parameter of a numeric, boolean, UUID or enum
 * type is converted as JAX-RS converts it and written back canonically, so {@code /chats/01},
 * {@code /chats/1} and {@code /chats/+1} name one entry for a {@code long id}, and a client cannot
 * mint new keys for one resource by respelling a number. An absent parameter takes its
 * {@code @DefaultValue} (or a primitive's zero). Built once per method at deploy time; immutable
 * and thread-safe.
 */
final class ParamValues {
  /** A value the method could not receive (the request fails before it): do not cache. */
  static final class NotConvertible extends RuntimeException {
    NotConvertible(String name) {
      super("parameter " + name + " does not convert", null, false, false);
    }
  }

  private final Map<String, Function<String, String>> converters;

  private ParamValues(Map<String, Function<String, String>> converters) {
    this.converters = converters;
  }

  /** The converters of {@code method}'s annotated parameters. */
  static ParamValues of(Method method) {
    Map<String, Function<String, String>> map = new HashMap<>();
    for (Parameter p : method.getParameters()) {
      String name = null;
      PathParam path = p.getAnnotation(PathParam.class);
      QueryParam query = p.getAnnotation(QueryParam.class);
      if (path != null) {
        name = path.value();
      } else if (query != null) {
        name = query.value();
      }
      if (name != null) {
        DefaultValue d = p.getAnnotation(DefaultValue.class);
        map.putIfAbsent(name, converter(name, p.getType(), d == null ? null : d.value()));
      }
    }
    return new ParamValues(Map.copyOf(map));
  }

  /**
   * The request's values: path parameters first, then query parameters, each as the method
   * receives it.
   *
   * @return a function that throws {@link NotConvertible} for a value the method cannot receive
   */
  Function<String, String> of(ContainerRequestContext request) {
    return name -> {
      String v = request.getUriInfo().getPathParameters(true).getFirst(name);
      if (v == null) {
        v = request.getUriInfo().getQueryParameters(true).getFirst(name);
      }
      Function<String, String> convert = converters.get(name);
      return convert != null ? convert.apply(v) : (v == null ? "" : v);
    };
  }

  /** Text to the parameter's type and back; JAX-RS's rules for the types it converts itself. */
  static Function<String, String> converter(String name, Class<?> type, String defaultValue) {
    Function<String, Object> parse = parser(type);
    Object absent = absentValue(type);
    return raw -> {
      String v = raw != null ? raw : defaultValue;
      if (v == null) {
        return absent == null ? "" : absent.toString();
      }
      if (parse == null) {
        return v;
      }
      try {
        Object value = parse.apply(v);
        return value instanceof Enum<?> e ? e.name() : String.valueOf(value);
      } catch (RuntimeException e) {
        throw new NotConvertible(name);
      }
    };
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Function<String, Object> parser(Class<?> type) {
    if (type == int.class || type == Integer.class) {
      return Integer::valueOf;
    }
    if (type == long.class || type == Long.class) {
      return Long::valueOf;
    }
    if (type == short.class || type == Short.class) {
      return Short::valueOf;
    }
    if (type == byte.class || type == Byte.class) {
      return Byte::valueOf;
    }
    if (type == double.class || type == Double.class) {
      return Double::valueOf;
    }
    if (type == float.class || type == Float.class) {
      return Float::valueOf;
    }
    if (type == boolean.class || type == Boolean.class) {
      return Boolean::valueOf;
    }
    if (type == BigInteger.class) {
      return BigInteger::new;
    }
    if (type == BigDecimal.class) {
      return BigDecimal::new;
    }
    if (type == UUID.class) {
      return UUID::fromString;
    }
    if (type.isEnum()) {
      Class<? extends Enum> e = (Class<? extends Enum>) type;
      return v -> Enum.valueOf(e, v);
    }
    return null; // String and anything else: the text itself
  }

  private static Object absentValue(Class<?> type) {
    if (type == boolean.class) {
      return false;
    }
    if (type == char.class) {
      return "";
    }
    if (type.isPrimitive()) {
      return type == double.class || type == float.class ? (Object) 0.0 : (Object) 0;
    }
    return null;
  }
}
